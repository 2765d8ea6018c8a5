"""Helpers for render tests (imported by module name: tests/render has no __init__.py, so that it
does not shadow the ``render`` package)."""

from __future__ import annotations

import io
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pikepdf

from records.documents import RecordDocument
from records.slots import SignatureSlot
from render import RenderedPdf

VERIFY_URL = "https://hocba.example.edu.vn/xac-minh"


@dataclass(frozen=True)
class Case:
    doc: RecordDocument
    slots: list[SignatureSlot]
    result: RenderedPdf
    path: Path  # the PDF written to disk for the poppler/qpdf tools


def reopen(data: bytes) -> pikepdf.Pdf:
    return pikepdf.open(io.BytesIO(data))


def tool(*args: str) -> str:
    """Run a poppler/qpdf tool; its stdout (UTF-8)."""
    return subprocess.run(list(args), capture_output=True, check=True).stdout.decode("utf-8")
