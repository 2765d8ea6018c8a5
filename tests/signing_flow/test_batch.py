"""Batch signing: one authorisation for many documents, an outcome each, resumable after a crash."""

from __future__ import annotations

import pytest

from service.context import Context
from service.signing import DocumentOutcome, DocumentSelection, SignerIdentity, Status, sign_batch
from signing.backends import SignerBackend
from signing.errors import SignerUnavailableError
from signing_flow.conftest import School
from signing_flow.flow import HookedBackend, documents, p12, stored, who


def _unplugged(inner: SignerBackend, good: int, error: Exception) -> HookedBackend:
    """``inner`` failing with ``error`` after ``good`` signatures, like a token pulled out."""

    def before(made: int) -> None:
        if made >= good:
            raise error

    return HookedBackend(inner, before)


def _class_documents(home: Context) -> list[str]:
    # The batch order: by class, then record type, then id.
    return documents(home, "hoc-ba-trung-hoc") + documents(home, "so-theo-doi")


def test_one_authorisation_signs_the_class_and_a_rerun_skips_it(
    home: Context, school: School
) -> None:
    seen: list[tuple[int, int, str]] = []

    def progress(done: int, total: int, outcome: DocumentOutcome) -> None:
        seen.append((done, total, outcome.document_id))

    batch = sign_batch(
        home,
        who(school.pki, "GV004"),
        DocumentSelection(class_ids=(school.class_id,)),
        progress=progress,
    )
    expected = _class_documents(home)
    assert [d.document_id for d in batch.documents] == expected
    assert [(d.status, d.fields) for d in batch.documents] == [
        (Status.SIGNED, ("gvbm_TOAN",))
    ] * len(expected)
    assert seen == [(i, len(expected), d) for i, d in enumerate(expected, start=1)]
    assert batch.ok and batch.signatures == len(expected)
    assert batch.certificate is not None and batch.certificate.ok
    for doc in expected:
        assert stored(home, doc).signed == ("gvbm_TOAN",)

    again = sign_batch(home, who(school.pki, "GV004"), DocumentSelection(class_ids=("8A",)))
    assert [d.status for d in again.documents] == [Status.SKIPPED] * len(expected)
    assert all(d.message == "Đã ký («Giáo viên bộ môn Toán»)." for d in again.documents)
    assert again.ok and again.signatures == 0


def test_a_crash_mid_batch_loses_nothing_and_a_rerun_resumes(home: Context, school: School) -> None:
    docs = _class_documents(home)
    crashing = _unplugged(p12(school.pki, "GV005"), 1, RuntimeError("USB reset"))
    with pytest.raises(RuntimeError, match="USB reset"):
        sign_batch(home, SignerIdentity("GV005", crashing), DocumentSelection(class_ids=("8A",)))
    # The first document was committed before the crash; the others were not touched.
    assert [stored(home, d).revision for d in docs] == [1] + [0] * (len(docs) - 1)
    first = stored(home, docs[0])
    assert first.signed == ("gvbm_NN1",) and first.file == first.pdf

    resumed = sign_batch(home, who(school.pki, "GV005"), DocumentSelection(class_ids=("8A",)))
    assert [d.status for d in resumed.documents] == [Status.SKIPPED] + [Status.SIGNED] * (
        len(docs) - 1
    )
    assert stored(home, docs[0]) == first
    assert [stored(home, d).signed for d in docs] == [("gvbm_NN1",)] * len(docs)


def test_a_signing_error_fails_one_document_and_the_batch_goes_on(
    home: Context, school: School
) -> None:
    error = SignerUnavailableError("Token «GV006» không phản hồi.")
    flaky = _unplugged(p12(school.pki, "GV006"), 1, error)
    batch = sign_batch(home, SignerIdentity("GV006", flaky), DocumentSelection(class_ids=("8A",)))
    docs = _class_documents(home)
    statuses = [(d.status, d.code) for d in batch.documents]
    assert statuses == [(Status.SIGNED, None)] + [(Status.FAILED, "signer.unavailable")] * (
        len(docs) - 1
    )
    assert batch.documents[1].message == "Token «GV006» không phản hồi."
    assert not batch.ok
    assert [stored(home, d).revision for d in docs] == [1] + [0] * (len(docs) - 1)


def test_the_principal_too_early_gets_a_refusal_per_document(home: Context, school: School) -> None:
    batch = sign_batch(home, who(school.pki, "GV001"), DocumentSelection(class_ids=("8A",)))
    docs = _class_documents(home)
    assert [(d.status, d.code, d.field_name) for d in batch.documents] == [
        (Status.REFUSED, "plan.out_of_order", "hieu_truong")
    ] * len(docs)
    assert all("Chưa thể ký ô «Hiệu trưởng»" in d.message for d in batch.documents)
    assert not batch.ok
    assert [stored(home, d).revision for d in docs] == [0] * len(docs)

    # Only what can be signed now: nothing yet, and no refusal either.
    ready = DocumentSelection(class_ids=("8A",), ready_only=True)
    assert sign_batch(home, who(school.pki, "GV001"), ready).documents == []


def test_filters_by_record_type(home: Context, school: School) -> None:
    only = DocumentSelection(record_types=("so-theo-doi",))
    batch = sign_batch(home, who(school.pki, "GV011"), only)
    assert [d.document_id for d in batch.documents] == documents(home, "so-theo-doi")
    assert {stored(home, d).revision for d in documents(home, "hoc-ba-trung-hoc")} == {0}
