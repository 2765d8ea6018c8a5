"""Trích lục (extract): part of an archived record issued as a new document, signed by the school.

The payload is built by the service (``service.exports_extract``) from the archived original's
canonical JSON; it carries display-ready tables (``tables``), the selected raw data and the
reference to the original (document id, version, SHA-256, archive package). The layout is one
A4 portrait form: national header, "TRÍCH LỤC …", the student, the tables, the reference block
and the school's organisation signature (slot ``con_dau``, the same slot name as on the record
books). Same pipeline and checks as ``render.engine``: PDF/A-3b with the payload attached, the
signature field created in the base revision, the written bytes re-checked.
"""

from __future__ import annotations

import hashlib
import io
from functools import partial
from typing import Any

import pikepdf
from reportlab.lib.units import mm
from reportlab.platypus import BaseDocTemplate, Flowable, Frame, KeepTogether, PageTemplate, Spacer

from records.canonical import canonical_json
from records.slots import SignatureSlot, SignerRole
from render import pdfa
from render.common import (
    A4_PORTRAIT,
    SEAL_FIELD,
    FooterInfo,
    RecordCanvas,
    grid,
    info_line,
    national_header,
    para,
    plain,
    section,
    styles,
)
from render.engine import SHORT_HASH_LEN, RenderedPdf, verification_url, verify
from render.errors import UnsupportedTextError
from render.fields import FieldRecorder, add_signature_fields
from render.fonts import REGULAR, missing_characters, register_fonts
from render.text import date_vn, nfc_tree, strings

SEAL_FIELD_NAME = "con_dau"


def seal_slot(school_code: str, school_name: str) -> SignatureSlot:
    """The extract's only signature: the school as an organisation; it locks the whole form."""
    return SignatureSlot(
        SEAL_FIELD_NAME,
        SignerRole.SCHOOL_SEAL,
        SignerRole.SCHOOL_SEAL.label,
        school_code,
        school_name,
        order=4,
        locks=(SEAL_FIELD_NAME,),
    )


def title(payload: dict[str, Any]) -> str:
    return (
        f"{payload['title']} – {payload['student']['full_name']} – năm học {payload['school_year']}"
    )


def _story(payload: dict[str, Any], fields: FieldRecorder, width: float) -> list[Flowable]:
    st = styles()
    s, src = payload["student"], payload["source"]
    out: list[Flowable] = [
        national_header(payload, width),
        Spacer(1, 6 * mm),
        para(payload["title"].upper(), st.subtitle),
        para(f"Số: {payload['document_id']}", st.italic_center),
        Spacer(1, 4 * mm),
        info_line([("Họ và tên", s["full_name"]), ("Mã học sinh", s["code"])]),
        info_line(
            [
                ("Ngày sinh", date_vn(s.get("birth_date"))),
                ("Lớp", payload["class"]["name"]),
                ("Năm học", payload["school_year"]),
            ]
        ),
    ]
    for table in payload["tables"]:
        out.append(section(table["title"]))
        n = len(table["header"])
        first = 0.4 * width if n > 2 else 0.5 * width
        widths = [first] + [(width - first) / (n - 1)] * (n - 1)
        rows = [[para(h, st.head) for h in table["header"]]]
        rows += [
            [para(str(c), st.cell if i == 0 else st.cell_center) for i, c in enumerate(row)]
            for row in table["rows"]
        ]
        out.append(grid(rows, widths))
    out += [
        section("Căn cứ bản gốc"),
        para(
            f"Trích lục từ hồ sơ {src['document_id']}, phiên bản {src['version']}, đã ký số và "
            f"lưu trữ; SHA-256 của bản gốc: {src['pdf_sha256']}; gói lưu trữ: "
            f"{src['archive']['index_key']} (SHA-256 gói {src['archive']['package_sha256']}).",
            st.small,
        ),
        para(
            f"Mã bản xuất trong sổ đăng ký: {payload['export_id']}. Cấp theo đề nghị của: "
            f"{payload['recipient']}. Mục đích: {payload['purpose']}.",
            st.small,
        ),
        Spacer(1, 4 * mm),
    ]
    seal = fields.slot(SEAL_FIELD_NAME)
    block = [
        para(f"{payload['place']}, ngày {payload['issued_on']}", st.italic_center),
        para("NHÀ TRƯỜNG", st.bold_center),
        para("(Chữ ký số của cơ quan, tổ chức)", st.italic_center),
        Spacer(1, 1 * mm),
        fields.box(SEAL_FIELD_NAME, SEAL_FIELD[0] * 1.5, SEAL_FIELD[1], h_align="CENTER"),
        Spacer(1, 1 * mm),
        para(seal.signer_name if seal else payload["school"]["name"], st.signer),
    ]
    out.append(KeepTogether([plain([["", block]], [width * 0.4, width * 0.6])]))
    return out


def render_extract(payload: dict[str, Any], slot: SignatureSlot, *, verify_url: str) -> RenderedPdf:
    """Render an extract; the same payload, slot and URL give the same bytes."""
    register_fonts()
    document_id = str(payload["document_id"])
    shown = nfc_tree(payload)
    missing = missing_characters([*strings(shown), slot.label, slot.signer_name])
    if missing:
        raise UnsupportedTextError(document_id, missing)
    source = canonical_json(payload)
    content_hash = hashlib.sha256(source).hexdigest()
    short_hash = content_hash[:SHORT_HASH_LEN]
    page = A4_PORTRAIT
    fields = FieldRecorder([slot])
    footer = FooterInfo(
        document_id, short_hash, verification_url(verify_url, document_id, short_hash), page
    )
    buffer = io.BytesIO()
    template = BaseDocTemplate(
        buffer,
        pagesize=page.size,
        invariant=1,
        initialFontName=REGULAR,
        initialFontSize=11,
        title=title(shown),
    )
    frame = Frame(page.left, page.bottom, page.width, page.height, id="body", leftPadding=0,
                  rightPadding=0, topPadding=0, bottomPadding=0)  # fmt: skip
    template.addPageTemplates([PageTemplate(id="form", frames=[frame])])
    template.build(
        _story(shown, fields, page.width), canvasmaker=partial(RecordCanvas, footer=footer)
    )
    placed = fields.ordered_placements(document_id)
    source_id = shown["source"]["document_id"]
    with pikepdf.open(io.BytesIO(buffer.getvalue())) as pdf:
        pdfa.convert(
            pdf,
            pdfa.Metadata(
                title=title(shown),
                author=shown["school"]["name"],
                subject=f"{shown['title']} – mã {document_id} – trích từ {source_id}",
                keywords=f"{document_id}; {short_hash}; {source_id}",
            ),
            pdfa.Attachment(
                filename=f"{document_id}.json",
                data=source,
                description="Dữ liệu của bản trích lục và tham chiếu bản gốc (JSON chuẩn tắc)",
            ),
        )
        add_signature_fields(pdf, placed)
        out = io.BytesIO()
        pdf.save(out, **pdfa.SAVE_KWARGS)
    data = out.getvalue()
    pages = verify(data, document_id, [slot.field_name])
    return RenderedPdf(document_id, data, hashlib.sha256(data).hexdigest(), content_hash, pages)
