"""Which version a corrected document version supersedes, and by which correction.

Small on purpose: the archive reads it when packaging (``service.archiving``), so it depends on
the tables only.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from service.db.correction_models import SupersedesRow

__all__ = ["Supersession", "supersession_of"]


@dataclass(frozen=True)
class Supersession:
    supersedes_version: int
    correction_id: int


def supersession_of(session: Session, document_row: int) -> Supersession | None:
    """The link of the document version with row id ``document_row``; None when it was not made
    by a correction (an ordinary rendering, a timestamp renewal)."""
    link = session.scalar(select(SupersedesRow).where(SupersedesRow.document_row == document_row))
    return None if link is None else Supersession(link.supersedes_version, link.correction_id)
