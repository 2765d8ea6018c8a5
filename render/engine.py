"""render_document: a record document → a validated, deterministic PDF/A-3b with empty signature
fields for its signing plan.

Pipeline: NFC payload → layout story → reportlab (invariant) → PDF/A-3b conversion with the
canonical JSON attached → signature fields → deterministic save → the written bytes re-opened and
checked (signature fields + pikepdf.pdfa). A failing check raises: no unchecked PDF leaves here.
"""

from __future__ import annotations

import hashlib
import io
from collections.abc import Sequence
from dataclasses import dataclass, replace
from functools import partial
from urllib.parse import quote

import pikepdf
from reportlab.platypus import BaseDocTemplate, Frame, PageTemplate
from reportlab.platypus.doctemplate import LayoutError as ReportlabLayoutError

from records.canonical import canonical_json
from records.documents import RecordDocument
from records.slots import SignatureSlot
from render import pdfa
from render.common import FooterInfo, RecordCanvas
from render.errors import LayoutError, PdfaCheckError, UnsupportedTextError
from render.fields import FieldRecorder, add_signature_fields, check_signature_fields
from render.fonts import REGULAR, missing_characters, register_fonts
from render.layouts import LAYOUTS
from render.text import nfc_tree, strings

SHORT_HASH_LEN = 12


@dataclass(frozen=True)
class RenderedPdf:
    document_id: str
    pdf: bytes
    sha256: str  # of ``pdf``
    content_hash: str  # SHA-256 hex of the canonical JSON payload (the attached file)
    pages: int

    @property
    def short_hash(self) -> str:
        """The "Mã kiểm tra" printed in the footer and encoded in the QR code."""
        return self.content_hash[:SHORT_HASH_LEN]

    @property
    def filename(self) -> str:
        return f"{self.document_id}.pdf"


def verification_url(verify_url: str, document_id: str, short_hash: str) -> str:
    sep = "&" if "?" in verify_url else "?"
    return f"{verify_url}{sep}id={quote(document_id, safe='')}&h={short_hash}"


def render_document(
    doc: RecordDocument, slots: Sequence[SignatureSlot], *, verify_url: str
) -> RenderedPdf:
    """Render one record book; same document, slots and URL → the same bytes."""
    register_fonts()
    payload = nfc_tree(doc.payload)
    slot_texts = [t for s in slots for t in (s.label, s.signer_name)]
    missing = missing_characters([*strings(payload), *nfc_tree(slot_texts)])
    if missing:
        raise UnsupportedTextError(doc.document_id, missing)

    source = canonical_json(doc.payload)
    content_hash = hashlib.sha256(source).hexdigest()
    short_hash = content_hash[:SHORT_HASH_LEN]

    layout = LAYOUTS[doc.record_type]
    page = layout.geometry(payload)
    fields = FieldRecorder(
        [replace(s, label=nfc_tree(s.label), signer_name=nfc_tree(s.signer_name)) for s in slots]
    )
    footer = FooterInfo(
        doc.document_id, short_hash, verification_url(verify_url, doc.document_id, short_hash), page
    )
    title = layout.title(payload)

    buffer = io.BytesIO()
    template = BaseDocTemplate(
        buffer,
        pagesize=page.size,
        invariant=1,  # no clock dates, fixed /ID: identical input → identical bytes
        initialFontName=REGULAR,  # else every page starts with an unembedded Helvetica
        initialFontSize=11,
        title=title,
    )
    frame = Frame(
        page.left,
        page.bottom,
        page.width,
        page.height,
        id="body",
        leftPadding=0,
        rightPadding=0,
        topPadding=0,
        bottomPadding=0,
    )
    template.addPageTemplates([PageTemplate(id="form", frames=[frame])])
    try:
        template.build(
            layout.story(payload, fields, page), canvasmaker=partial(RecordCanvas, footer=footer)
        )
    except ReportlabLayoutError as e:
        raise LayoutError(
            f"Hồ sơ {doc.document_id}: nội dung không vừa trang biểu mẫu ({e}). Thường do một "
            "nhận xét hoặc tên quá dài; hãy rút gọn nội dung đó rồi tạo lại hồ sơ.",
            document_id=doc.document_id,
        ) from e
    placed = fields.ordered_placements(doc.document_id)

    with pikepdf.open(io.BytesIO(buffer.getvalue())) as pdf:
        pdfa.convert(
            pdf,
            pdfa.Metadata(
                title=title,
                author=payload["school"]["name"],
                subject=f"{doc.record_type.display_name} – mã hồ sơ {doc.document_id}",
                keywords=f"{doc.document_id}; {short_hash}; {payload['rule_set']}",
            ),
            pdfa.Attachment(
                filename=f"{doc.document_id}.json",
                data=source,
                description="Dữ liệu gốc của hồ sơ (JSON chuẩn tắc, máy đọc được)",
            ),
        )
        add_signature_fields(pdf, placed)
        out = io.BytesIO()
        pdf.save(out, **pdfa.SAVE_KWARGS)
    data = out.getvalue()
    pages = verify(data, doc.document_id, [s.field_name for s in slots])
    return RenderedPdf(doc.document_id, data, hashlib.sha256(data).hexdigest(), content_hash, pages)


def verify(data: bytes, document_id: str, field_names: Sequence[str]) -> int:
    """Check the written bytes (re-parsed, as a reader sees them); returns the page count.

    Both checks run on every render: the signature fields against PDF/A-3 and the plan, then
    pikepdf.pdfa on everything else. A failure raises PdfaCheckError.
    """
    with pikepdf.open(io.BytesIO(data), inherit_page_attributes=False) as pdf:
        problems = check_signature_fields(pdf, field_names)
        if problems:
            raise PdfaCheckError(
                document_id,
                sorted({rule for rule, _ in problems}),
                [f"{rule}: {what}" for rule, what in problems],
            )
        acro = pdf.Root.get("/AcroForm")
        pdfa.check(pdf, document_id, list(acro.Fields) if acro is not None else [])
        return len(pdf.pages)
