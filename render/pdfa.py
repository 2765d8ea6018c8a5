"""PDF/A-3b post-processing with pikepdf, the associated source data, and the PDF/A check.

reportlab writes no PDF/A. The conversion is done by hand, not with ``pikepdf.pdfa.save``, which
stamps ``xmp:MetadataDate`` with the clock and so breaks byte-identical output (field notes).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from importlib.resources import files
from typing import Any

import pikepdf
import pikepdf.pdfa
from pikepdf import Array, Dictionary, Name

from render.errors import PdfaCheckError

FLAVOUR = "3b"
LANG = "vi-VN"
PRODUCER = "hsdt (reportlab, pikepdf)"
CREATOR_TOOL = "hsdt – hồ sơ điện tử"

# Deterministic /ID (a hash of the written content), plain cross-reference table and no object
# streams (the most widely readable form for later PAdES incremental updates), PDF 1.7 header as
# ISO 19005-3 is based on ISO 32000-1. Everything else is pinned by pikepdf.pdfa for PDF/A.
SAVE_KWARGS: dict[str, Any] = pikepdf.pdfa.resolve_save_kwargs(
    FLAVOUR,
    deterministic_id=True,
    object_stream_mode=pikepdf.ObjectStreamMode.disable,
    min_version="1.7",
)

# pikepdf.pdfa does not check widget annotations: it reports each as this "unsupported" finding.
# Exactly one per signature widget is expected; the widgets are checked by render.fields instead.
WIDGET_RULE = "pikepdf:schema-Annot"


@dataclass(frozen=True)
class Metadata:
    title: str  # the record's Vietnamese title + student/class
    author: str  # the school
    subject: str  # what the record is, with its id
    keywords: str


@dataclass(frozen=True)
class Attachment:
    filename: str
    data: bytes
    description: str
    mime_type: str = "application/json"


@cache
def _srgb_profile() -> bytes:
    return (files("pikepdf.pdfa") / "data" / "sRGB.icc").read_bytes()


def convert(pdf: pikepdf.Pdf, meta: Metadata, attachment: Attachment) -> None:
    """Turn reportlab's output into a PDF/A-3b candidate, in place."""
    for page in pdf.pages:
        if "/Trans" in page.obj:  # reportlab writes an empty transition dict on every page
            del page.obj["/Trans"]

    profile = pdf.make_stream(_srgb_profile(), N=3)
    pdf.Root.OutputIntents = Array(
        [
            Dictionary(
                Type=Name.OutputIntent,
                S=Name.GTS_PDFA1,
                OutputConditionIdentifier=pikepdf.String("sRGB IEC61966-2.1"),
                Info=pikepdf.String("sRGB IEC61966-2.1"),
                DestOutputProfile=profile,
            )
        ]
    )

    spec = pikepdf.AttachedFileSpec(
        pdf,
        attachment.data,
        description=attachment.description,
        filename=attachment.filename,
        mime_type=attachment.mime_type,
        relationship=Name.Source,  # the data the record was rendered from
    )
    pdf.attachments[attachment.filename] = spec
    pdf.Root.AF = Array([spec.obj])

    pdf.Root.Lang = pikepdf.String(LANG)
    pdf.Root.ViewerPreferences = Dictionary(DisplayDocTitle=True)

    # reportlab's Info holds placeholders and its fixed invariant dates: start from nothing and let
    # the XMP packet fill Info in sync. No dates at all: the record carries none, and a clock
    # date would make every render differ.
    for key in list(pdf.docinfo.keys()):
        del pdf.docinfo[key]
    with pdf.open_metadata(set_pikepdf_as_editor=False, update_docinfo=True) as xmp:
        xmp["dc:title"] = meta.title
        xmp["dc:creator"] = [meta.author]
        xmp["dc:description"] = meta.subject
        xmp["dc:language"] = [LANG]
        xmp["pdf:Keywords"] = meta.keywords
        xmp["pdf:Producer"] = PRODUCER
        xmp["xmp:CreatorTool"] = CREATOR_TOOL
        xmp["pdfaid:part"] = "3"
        xmp["pdfaid:conformance"] = "B"


def check(pdf: pikepdf.Pdf, document_id: str, widgets: Iterable[pikepdf.Object]) -> None:
    """Run pikepdf.pdfa's PDF/A-3b check on an open document; raise PdfaCheckError on failure.

    ``render.engine.verify`` runs it on the re-opened written bytes, so it judges what a reader
    gets (re-parsing costs ~1 ms; the check itself dominates).

    /AcroForm is detached for the check: pikepdf.pdfa stops its whole walk at an /AcroForm
    (unsupported), which would leave the fonts, pages and metadata unchecked. With it detached the
    walk covers everything but the widgets themselves, which must each yield exactly one
    "unsupported widget" finding and nothing else; render.fields checks the widgets.
    """
    acro = pdf.Root.get("/AcroForm")
    if acro is not None:
        del pdf.Root["/AcroForm"]
    try:
        report = pikepdf.pdfa.check(pdf, FLAVOUR, **SAVE_KWARGS)
    finally:
        if acro is not None:
            pdf.Root.AcroForm = acro
    expected = {f"obj {w.objgen[0]} {w.objgen[1]} " for w in widgets}
    unexpected = []
    seen: set[str] = set()
    for finding in report.findings:
        prefix = next((p for p in expected if finding.where.startswith(p)), None)
        if (
            finding.rule == WIDGET_RULE
            and finding.kind == "unsupported"
            and prefix is not None
            and prefix not in seen
        ):
            seen.add(prefix)
            continue
        unexpected.append(finding)
    if unexpected:
        rules = sorted({f.rule for f in unexpected})
        raise PdfaCheckError(document_id, rules, [str(f) for f in unexpected])
