"""The embedded font: Spectral (OFL, PyPI ``fontpkg-spectral``), a serif close to the official
Times New Roman with full Vietnamese coverage.

The TTFs are parsed and registered with reportlab once per process; each document then only pays
for subsetting the glyphs it uses. Nothing else may be drawn: reportlab's default Helvetica is a
non-embedded standard font, which PDF/A forbids.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from importlib.resources import as_file, files

from reportlab.lib.fonts import addMapping
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont

FAMILY = "Spectral"
REGULAR = "Spectral"
BOLD = "Spectral-Bold"
ITALIC = "Spectral-Italic"
BOLD_ITALIC = "Spectral-BoldItalic"

_FILES = {
    REGULAR: "Spectral-Regular.ttf",
    BOLD: "Spectral-Bold.ttf",
    ITALIC: "Spectral-Italic.ttf",
    BOLD_ITALIC: "Spectral-BoldItalic.ttf",
}

_lock = threading.Lock()
_coverage: frozenset[str] | None = None


def register_fonts() -> None:
    """Register the four Spectral faces with reportlab (idempotent, thread-safe)."""
    global _coverage
    if _coverage is not None:
        return
    with _lock:
        if _coverage is not None:
            return
        covered: set[int] | None = None
        package = files("fontpkg_spectral") / "files"
        for name, filename in _FILES.items():
            with as_file(package / filename) as path:
                font = TTFont(name, str(path))
            pdfmetrics.registerFont(font)
            cmap = set(font.face.charToGlyph)
            covered = cmap if covered is None else covered & cmap
        # <b>/<i> in Paragraph markup resolve through the family mapping
        for bold, italic, name in (
            (0, 0, REGULAR),
            (1, 0, BOLD),
            (0, 1, ITALIC),
            (1, 1, BOLD_ITALIC),
        ):
            addMapping(FAMILY, bold, italic, name)
        assert covered is not None
        _coverage = frozenset(chr(c) for c in covered)


def coverage() -> frozenset[str]:
    """Characters every registered face can draw."""
    register_fonts()
    assert _coverage is not None
    return _coverage


def missing_characters(texts: Iterable[str]) -> list[str]:
    """Characters of ``texts`` that no face can draw (control characters excluded), sorted."""
    have = coverage()
    missing = {c for text in texts for c in text if c not in have and c.isprintable()}
    return sorted(missing)
