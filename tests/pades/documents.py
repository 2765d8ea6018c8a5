"""Test documents for the PAdES tests: a rendered-like PDF/A record, and ways to tamper with it.

The real renderer lives elsewhere; this stand-in produces what the signer expects from it: a
two-page PDF/A-3b (Spectral embedded, sRGB output intent) in one revision, with one empty, visible,
printable signature field per slot, the principal's field declaring its FieldMDP locks.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass
from pathlib import Path

import fontpkg_spectral
import pikepdf
import pikepdf.pdfa
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.writer import BasePdfFileWriter
from pyhanko.sign import fields
from reportlab.lib.pagesizes import A4
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen import canvas

from signing.pades import FieldLocks


@dataclass(frozen=True)
class Slot:
    field_name: str
    page: int
    box: tuple[int, int, int, int]
    role_label: str
    signer_id: str
    locks: tuple[str, ...] = ()

    @property
    def field_locks(self) -> FieldLocks:
        return FieldLocks(self.locks)


# The default plan of a secondary học bạ, in signing order.
SLOTS = (
    Slot("gvbm_TOAN", 0, (60, 80, 250, 140), "Giáo viên bộ môn Toán", "GV001"),
    Slot("gvcn", 1, (60, 300, 250, 360), "Giáo viên chủ nhiệm", "GV002"),
    Slot("hieu_truong", 1, (320, 300, 520, 360), "Hiệu trưởng", "HT", locks=("gvbm_TOAN", "gvcn")),
    Slot("con_dau", 1, (320, 150, 520, 210), "Chữ ký số của nhà trường", "SEAL"),
)


def _content_pdf() -> bytes:
    font_path = Path(fontpkg_spectral.ROOT) / "files" / "Spectral-Regular.ttf"
    pdfmetrics.registerFont(TTFont("PadesTestSpectral", str(font_path)))
    buffer = io.BytesIO()
    # initialFontName: otherwise every page starts with a non-embedded Helvetica (field notes).
    c = canvas.Canvas(buffer, pagesize=A4, invariant=1, initialFontName="PadesTestSpectral")
    lines = ("Học bạ — Trường PTDTBT TH và THCS Bản Xèo", "Học sinh: Lò Văn Pếnh, lớp 7A")
    for page in range(2):
        c.setFont("PadesTestSpectral", 12)
        for i, line in enumerate(lines):
            c.drawString(72, 770 - 18 * i, f"{line} (trang {page + 1})")
        c.showPage()
    c.save()
    return buffer.getvalue()


def rendered_record(slots: tuple[Slot, ...] = SLOTS) -> bytes:
    """A two-page PDF/A-3b with an empty signature field per slot, in a single revision."""
    writer = IncrementalPdfFileWriter(io.BytesIO(_content_pdf()))
    for slot in slots:
        lock = (
            fields.FieldMDPSpec(fields.FieldMDPAction.INCLUDE, list(slot.locks))
            if slot.locks
            else None
        )
        fields.append_signature_field(
            writer,
            fields.SigFieldSpec(
                sig_field_name=slot.field_name,
                on_page=slot.page,
                box=slot.box,
                field_mdp_spec=lock,
            ),
        )
    # Flatten to one revision and make it PDF/A-3b, as the renderer's post-processing does.
    pdf = pikepdf.open(io.BytesIO(written(writer)))
    pikepdf.pdfa.prepare(pdf, "3b")
    out = io.BytesIO()
    pdf.save(out, **pikepdf.pdfa.resolve_save_kwargs("3b"))
    return out.getvalue()


def written(writer: BasePdfFileWriter) -> bytes:
    out = io.BytesIO()
    writer.write(out)  # type: ignore[no-untyped-call]  # unannotated upstream
    return out.getvalue()


def revision_ends(pdf: bytes) -> list[int]:
    """Byte offsets just past each revision's ``%%EOF`` marker."""
    return [m.end() for m in re.finditer(rb"%%EOF\r?\n?", pdf)]


def first_revision(pdf: bytes) -> bytes:
    return pdf[: revision_ends(pdf)[0]]


_STREAM = re.compile(rb"<<((?:(?!<<|>>).|<<(?:(?!>>).)*>>)*)>>\s*stream\r?\n", re.S)


# A form XObject's dictionary, however deeply nested (its /Resources), up to its stream data.
_FORM_STREAM = re.compile(
    rb"\d+ \d+ obj\s*<<(?:(?!endobj)(?!>>\s*stream).)*/Subtype\s*/Form"
    rb"(?:(?!endobj)(?!>>\s*stream).)*>>\s*stream\r?\n",
    re.S,
)


def flip_byte_in_revision(pdf: bytes, revision: int) -> bytes:
    """Flip one bit inside a content-bearing stream of ``revision`` (not an xref/object stream,
    whose damage would only make the file unreadable), else inside a field name.

    A signature's appearance (a form XObject) is preferred: a flipped bit in the DER of a DSS
    certificate or OCSP response (the first stream of a B-LT revision, now that signing writes no
    XMP packet) makes the signatures unreadable rather than not intact."""
    ends = revision_ends(pdf)
    start = 0 if revision == 0 else ends[revision - 1]
    segment = pdf[start : ends[revision]]
    position = None
    candidates = [
        match
        for match in _STREAM.finditer(segment)
        if b"/ObjStm" not in match.group(1) and b"/XRef" not in match.group(1)
    ]
    forms = list(_FORM_STREAM.finditer(segment))
    for match in forms or candidates:
        position = start + match.end() + 5
        break
    if position is None:
        name = re.search(rb"/T ?\(", segment)
        assert name is not None, f"nothing to flip in revision {revision}"
        position = start + name.end()
    damaged = bytearray(pdf)
    damaged[position] ^= 0x01
    return bytes(damaged)


def append_page_content(pdf: bytes) -> bytes:
    """An incremental update that draws on page 1 after everything was signed."""
    writer = IncrementalPdfFileWriter(io.BytesIO(pdf))
    content = generic.StreamObject(stream_data=b"BT /F1 12 Tf 72 72 Td (Diem: 10) Tj ET")
    writer.add_stream_to_page(0, writer.add_object(content))  # type: ignore[no-untyped-call]
    return written(writer)


def remove_signature(pdf: bytes, field_name: str) -> bytes:
    """An incremental update that empties a signed field (its /V goes away)."""
    writer = IncrementalPdfFileWriter(io.BytesIO(pdf))
    for ref in writer.root["/AcroForm"]["/Fields"]:
        sig_field = ref.get_object()
        if sig_field.get("/T") == field_name:
            del sig_field["/V"]
            writer.mark_update(ref)
    return written(writer)


def rewrite(pdf: bytes) -> bytes:
    """Open and save with pikepdf: same content, every byte offset moved."""
    out = io.BytesIO()
    with pikepdf.open(io.BytesIO(pdf)) as document:
        document.save(out)
    return out.getvalue()


def corrupt_signature_container(pdf: bytes, occurrence: int) -> bytes:
    """Break the DER of the n-th signature container in file order (its first byte), without
    moving any offset."""
    starts = [m.end() for m in re.finditer(rb"/Contents <(?=30)", pdf)]
    marker = starts[occurrence]
    return pdf[:marker] + b"00" + pdf[marker + 2 :]
