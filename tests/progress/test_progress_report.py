"""Progress reports joined with the signing state of stored record books (service.progress)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from records.canonical import dataset_to_json
from records.documents import RecordType, all_documents
from records.model import AssessmentPoint, Dataset
from records.progress import Term, entry_progress
from service.context import Context
from service.db.models import DocumentRow
from service.errors import HsdtError
from service.importing import import_file
from service.lifecycle import confirm_class
from service.progress import GroupBy, ProgressRow, Share, expected_documents, progress_report
from service.signing_plans import PlanCatalog

PRIMARY, SECONDARY = "5A", "8A"
SECONDARY_DOCS = 1 + 35  # sổ theo dõi + one học bạ per student
PRIMARY_DOCS = 4 + 45  # one bảng tổng hợp per assessment point + one học bạ per student


@pytest.fixture
def ctx(tmp_path: Path, database_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[Context]:
    monkeypatch.setenv("HSDT_DATABASE_URL", database_url)
    context = Context.open(tmp_path / "home")
    yield context
    context.close()


def _store(ctx: Context, ds: Dataset, tmp_path: Path) -> int:
    path = tmp_path / "school.json"
    path.write_bytes(dataset_to_json(ds))
    return import_file(ctx, path).dataset_id


def _add(
    ctx: Context,
    ds_id: int,
    document_id: str,
    class_id: str,
    signed: list[str],
    *,
    state: str,
    version: int = 1,
) -> None:
    with ctx.sessions.begin() as session:
        session.add(
            DocumentRow(
                document_id=document_id,
                version=version,
                dataset_id=ds_id,
                record_type="test",
                class_id=class_id,
                content_hash="0" * 64,
                pdf_path=f"records/{document_id}.pdf",
                pdf_sha256="0" * 64,
                pages=1,
                state=state,
                created_at=datetime(2026, 5, 30, tzinfo=UTC),
                signed_fields=",".join(signed),
            )
        )


@pytest.fixture
def stored(ctx: Context, gappy_school: Dataset, tmp_path: Path) -> int:
    """The gappy school with some records rendered and signed:

    8A học bạ of students 0–3: 0 archived, 1 signed by all, 2 signed by subject teachers and the
    GVCN (not yet the principal), 3 fully signed in version 1 but re-rendered unsigned as version 2.
    5A: the GK1 bảng tổng hợp fully signed, the CK1 one rendered and unsigned.
    """
    ds_id = _store(ctx, gappy_school, tmp_path)
    catalog = PlanCatalog(ctx)
    docs = list(all_documents(gappy_school))
    hoc_ba = [d for d in docs if d.record_type is RecordType.HOC_BA_TRUNG_HOC]
    fields = [s.field_name for s in catalog.plan(ds_id, SECONDARY, hoc_ba[0].document_id).slots]
    teachers_and_gvcn = [f for f in fields if f.startswith("gvbm_") or f == "gvcn"]
    _add(ctx, ds_id, hoc_ba[0].document_id, SECONDARY, fields, state="archived")
    _add(ctx, ds_id, hoc_ba[1].document_id, SECONDARY, fields, state="signed")
    _add(ctx, ds_id, hoc_ba[2].document_id, SECONDARY, teachers_and_gvcn, state="signing")
    _add(ctx, ds_id, hoc_ba[3].document_id, SECONDARY, fields, state="signed")
    _add(ctx, ds_id, hoc_ba[3].document_id, SECONDARY, [], state="rendered", version=2)
    summaries = {d.point: d for d in docs if d.record_type is RecordType.BANG_TONG_HOP}
    gk1, ck1 = summaries[AssessmentPoint.GK1], summaries[AssessmentPoint.CK1]
    _add(ctx, ds_id, gk1.document_id, PRIMARY, ["gvcn", "hieu_truong"], state="signed")
    _add(ctx, ds_id, ck1.document_id, PRIMARY, [], state="rendered")
    return ds_id


def _rows(ctx: Context, **options: Any) -> dict[str, ProgressRow]:
    report = progress_report(ctx, **options)
    return {r.key: r for r in report.rows}


def test_by_class_counts_entries_and_record_books(
    ctx: Context, stored: int, gappy_school: Dataset
) -> None:
    rows = _rows(ctx, by=GroupBy.CLASS)
    assert list(rows) == [PRIMARY, SECONDARY]
    eight = rows[SECONDARY]
    expected = sum(e.expected for e in entry_progress(gappy_school) if e.class_id == SECONDARY)
    assert eight.entered == Share(expected - 2 - 1, expected)
    assert eight.confirmed == Share(4, SECONDARY_DOCS)  # rendered: students 0–3 (not confirmed)
    assert eight.signed == Share(2, SECONDARY_DOCS)  # only the newest version of student 3 counts
    assert eight.archived == Share(1, SECONDARY_DOCS)
    assert eight.signed.percent == 5  # rounded down: 100 % only when all are done
    five = rows[PRIMARY]
    assert (five.confirmed, five.signed, five.archived) == (
        Share(2, PRIMARY_DOCS),  # GK1 and CK1 rendered
        Share(1, PRIMARY_DOCS),
        Share(0, PRIMARY_DOCS),
    )


def test_a_confirmed_class_counts_every_record_as_confirmed(
    ctx: Context, stored: int, gappy_school: Dataset
) -> None:
    confirm_class(
        ctx, None, SECONDARY, year=gappy_school.school_year, school=gappy_school.school.code
    )
    rows = _rows(ctx, by=GroupBy.CLASS)
    assert rows[SECONDARY].confirmed == Share(SECONDARY_DOCS, SECONDARY_DOCS)
    assert rows[PRIMARY].confirmed == Share(2, PRIMARY_DOCS)  # 5A still not confirmed


def test_the_term_1_check_looks_at_term_1_only(ctx: Context, stored: int) -> None:
    rows = _rows(ctx, by=GroupBy.CLASS, term=Term.TERM1)
    # the secondary records are yearly: nothing to sign yet, so no share at all (not 0 %)
    assert rows[SECONDARY].signed == Share(0, 0) and rows[SECONDARY].signed.percent is None
    assert rows[SECONDARY].entered.total - rows[SECONDARY].entered.done == 2
    # primary: the GK1 and CK1 summaries, one of them signed by the GVCN and the principal
    assert rows[PRIMARY].signed == Share(1, 2)
    assert rows[PRIMARY].signatures == Share(2, 4)
    assert rows[PRIMARY].entered.total - rows[PRIMARY].entered.done == 2


def test_by_teacher_counts_their_subjects_and_their_own_slots(ctx: Context, stored: int) -> None:
    rows = _rows(ctx, by=GroupBy.TEACHER)
    toan = rows["GV010"]  # teaches Toán in 8A only
    assert toan.signatures == Share(3, SECONDARY_DOCS)  # học bạ 0–2; the sổ theo dõi is unsigned
    assert toan.entered.total - toan.entered.done == 2
    principal = rows["GV001"]  # signs every record, teaches nothing
    assert principal.entered == Share(0, 0)
    assert principal.signatures == Share(3, SECONDARY_DOCS + PRIMARY_DOCS)
    # a second teacher of a shared subject answers for its entries but has no slot of their own
    assert rows["GV013"].entered.total > 0 and rows["GV013"].signatures == Share(0, 0)


def test_filters_restrict_every_row(ctx: Context, stored: int) -> None:
    only = _rows(ctx, by=GroupBy.CLASS, teacher_id="GV010")
    assert only[PRIMARY].entered == Share(0, 0) and only[PRIMARY].signed == Share(0, 0)
    assert only[SECONDARY].signatures == Share(3, SECONDARY_DOCS)  # GV010's slots, not all
    subjects = _rows(ctx, by=GroupBy.SUBJECT, class_id=SECONDARY)
    assert "TIENG_VIET" not in subjects
    assert subjects["GDTC"].entered.total - subjects["GDTC"].entered.done == 1
    assert subjects["TOAN"].signatures == Share(3, SECONDARY_DOCS)
    school = _rows(ctx, by=GroupBy.SCHOOL)
    [whole] = school.values()
    assert whole.signed == Share(3, SECONDARY_DOCS + PRIMARY_DOCS)


def test_unknown_filters_say_what_is_wrong(ctx: Context, stored: int) -> None:
    with pytest.raises(HsdtError, match="Không có lớp «9Z»") as caught:
        progress_report(ctx, class_id="9Z")
    assert caught.value.hint is not None and "8A" in caught.value.hint  # the classes there are
    with pytest.raises(HsdtError, match="Không có giáo viên mã «GV999»"):
        progress_report(ctx, teacher_id="GV999")
    with pytest.raises(HsdtError, match=f"Không có bộ dữ liệu số {stored + 1}"):
        progress_report(ctx, dataset_id=stored + 1)


def test_expected_documents_are_exactly_the_records_the_renderer_makes(school: Dataset) -> None:
    built = [(d.document_id, d.class_id, d.point) for d in all_documents(school)]
    assert [(d.document_id, d.class_id, d.point) for d in expected_documents(school)] == built
