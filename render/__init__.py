"""Rendering: record documents → deterministic, validated PDF/A-3b with empty signature fields.

    rendered = render_document(doc, default_slots(doc), verify_url="https://…/xac-minh")

See docs/rendering.md for the layouts, the PDF/A post-processing and what is checked on every
render.
"""

from render.engine import RenderedPdf, render_document, verification_url, verify
from render.errors import LayoutError, PdfaCheckError, RenderError, UnsupportedTextError

__all__ = [
    "LayoutError",
    "PdfaCheckError",
    "RenderError",
    "RenderedPdf",
    "UnsupportedTextError",
    "render_document",
    "verification_url",
    "verify",
]
