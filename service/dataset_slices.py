"""One class of a stored dataset, read without the rest of the school.

An import stores the school's year whole (``datasets``) and each of its classes on its own
(``dataset_classes``: the year's canonical JSON with only that class; school, teachers and year
stay, so a class's documents and their digest come out the same as from the whole). Confirming a
class and rebuilding its signing slots read the slice: ~170 KB of JSON instead of 4 MB at 1,000
records, which keeps each signing worker's memory the same in a small school and a large one.

Datasets imported before migration 0012 have no slices; for them the class is cut out of the whole
dataset, as before.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from records.canonical import dataset_to_json, parse_json
from records.model import Dataset
from service.db.models import DatasetClassRow, DatasetRow

__all__ = ["class_slice", "school_json", "store_class_slices"]


def store_class_slices(session: Session, dataset_id: int, ds: Dataset) -> None:
    """One row per class of ``ds`` (just stored as ``dataset_id``), in the same transaction."""
    for school_class in ds.classes:
        only = ds.model_copy(update={"classes": [school_class]})
        session.add(
            DatasetClassRow(
                dataset_id=dataset_id, class_id=school_class.id, canonical=dataset_to_json(only)
            )
        )
    session.flush()


def class_slice(session: Session, dataset_id: int, class_id: str) -> Dataset | None:
    """The stored dataset with only the class ``class_id``; None when it has no such class."""
    data = _slice_bytes(session, dataset_id, class_id)
    if data is not None:
        return Dataset.model_validate(parse_json(data))
    if _sliced(session, dataset_id):
        return None
    whole = session.scalar(select(DatasetRow.canonical).where(DatasetRow.id == dataset_id))
    if whole is None:
        return None
    raw: dict[str, Any] = parse_json(whole)
    raw["classes"] = [c for c in raw.get("classes", ()) if c.get("id") == class_id]
    return Dataset.model_validate(raw) if raw["classes"] else None


def school_json(session: Session, dataset_id: int) -> bytes | None:
    """Canonical JSON naming the dataset's province, district, school and year: any one class's
    slice does, at a fraction of the whole year (which older datasets fall back to)."""
    one = select(DatasetClassRow.canonical).where(DatasetClassRow.dataset_id == dataset_id)
    return session.scalar(one.limit(1)) or session.scalar(
        select(DatasetRow.canonical).where(DatasetRow.id == dataset_id)
    )


def _slice_bytes(session: Session, dataset_id: int, class_id: str) -> bytes | None:
    return session.scalar(
        select(DatasetClassRow.canonical).where(
            DatasetClassRow.dataset_id == dataset_id, DatasetClassRow.class_id == class_id
        )
    )


def _sliced(session: Session, dataset_id: int) -> bool:
    """Imported since migration 0012 (every import stores at least one slice per class)."""
    return bool(session.scalar(select(exists().where(DatasetClassRow.dataset_id == dataset_id))))
