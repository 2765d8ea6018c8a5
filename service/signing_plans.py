"""Which slots a stored document has: its record rebuilt from the dataset it was rendered from.

The renderer drew one field per slot of the plan (``signing.plans``); the signing engine needs the
same slots with who is assigned to each. They are recomputed from the stored class (its slice of
the dataset) and the class is cached, so signing a class person by person parses it once.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass

from sqlalchemy import select

from records.documents import RecordDocument, all_documents
from records.slots import SignatureSlot, SignerRole
from service.context import Context
from service.dataset_slices import class_slice
from service.db.models import DatasetRow
from service.errors import HsdtError
from service.plan_config import plan_registry
from signing.certcheck import ExpectedSigner
from signing.plans import plan_complete, plan_for, slots_for

__all__ = ["DocumentPlan", "PlanCatalog", "expected_signer"]


@dataclass(frozen=True)
class DocumentPlan:
    document_id: str
    slots: tuple[SignatureSlot, ...]
    document_timestamp: bool  # B-LTA after the last required signature

    def slot(self, field_name: str) -> SignatureSlot | None:
        return next((s for s in self.slots if s.field_name == field_name), None)

    def slots_of(self, person_id: str) -> tuple[SignatureSlot, ...]:
        return tuple(s for s in self.slots if s.signer_id == person_id)

    def complete(self, signed: set[str]) -> bool:
        return plan_complete(self.slots, signed)


def expected_signer(slot: SignatureSlot) -> ExpectedSigner:
    """Who the certificate of a slot's signer must name."""
    if slot.role is SignerRole.SCHOOL_SEAL:
        return ExpectedSigner(slot.signer_id or "", slot.signer_name, "organisation")
    return ExpectedSigner(slot.signer_id or "", slot.signer_name, "person")


class PlanCatalog:
    """Plans of stored documents, cached per dataset and class (not thread-safe: one per batch)."""

    def __init__(self, ctx: Context) -> None:
        self._ctx = ctx
        self._registry = plan_registry(ctx.home)
        self._documents: dict[tuple[int, str], dict[str, RecordDocument]] = {}

    def plan(self, dataset_id: int, class_id: str, document_id: str) -> DocumentPlan:
        doc = self._classes(dataset_id, class_id).get(document_id)
        if doc is None:
            raise HsdtError(
                f"Không dựng lại được hồ sơ {document_id} từ bộ dữ liệu số {dataset_id} "
                "(không tìm thấy trong dữ liệu đã nhập).",
                hint="Kết xuất lại hồ sơ từ dữ liệu hiện hành («hsdt render»).",
            )
        plan = plan_for(doc, self._registry)
        return DocumentPlan(document_id, tuple(slots_for(doc, plan)), plan.document_timestamp)

    def _classes(self, dataset_id: int, class_id: str) -> dict[str, RecordDocument]:
        key = (dataset_id, class_id)
        if key not in self._documents:
            self._documents[key] = _class_documents(self._ctx, dataset_id, class_id)
        return self._documents[key]


# A stored dataset never changes (its rows are content-addressed by SHA-256), so a process keeps
# the documents of the classes it signed last: a worker signing one class person by person parses
# the class once, not once per person. Only the class's slice is read (service.dataset_slices), so
# a batch of one class costs the same memory in a school of 100 records as in one of 1,000.
_CLASSES: OrderedDict[tuple[str, str], dict[str, RecordDocument]] = OrderedDict()
_CLASSES_KEPT = 16
_CACHE_LOCK = threading.Lock()


def _class_documents(ctx: Context, dataset_id: int, class_id: str) -> dict[str, RecordDocument]:
    with _CACHE_LOCK:  # the API's threads share the cache
        return _class_documents_locked(ctx, dataset_id, class_id)


def _class_documents_locked(
    ctx: Context, dataset_id: int, class_id: str
) -> dict[str, RecordDocument]:
    with ctx.sessions() as session:
        sha = session.scalar(select(DatasetRow.sha256).where(DatasetRow.id == dataset_id))
        if sha is None:
            raise HsdtError(f"Không có bộ dữ liệu số {dataset_id} mà hồ sơ được kết xuất từ đó.")
        key = (sha, class_id)
        if key in _CLASSES:
            _CLASSES.move_to_end(key)
            return _CLASSES[key]
        only = class_slice(session, dataset_id, class_id)
    _CLASSES[key] = {d.document_id: d for d in all_documents(only)} if only else {}
    while len(_CLASSES) > _CLASSES_KEPT:
        _CLASSES.popitem(last=False)
    return _CLASSES[key]
