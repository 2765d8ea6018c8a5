"""What the workflow refuses, on SQLite and PostgreSQL — and that a refusal stores nothing: a
stale old value, a new value the rules reject, each separation-of-duties refusal, steps out of
order, applying before both witnesses."""

from __future__ import annotations

from dataclasses import replace

import pytest
from sqlalchemy import func, select

from corrections.conftest import MATHS, People, Template
from corrections.test_happy_path import rows, score_edits
from service.authz import Forbidden, Principal
from service.context import Context
from service.corrections import (
    CorrectionState,
    FieldEdit,
    InvalidCorrection,
    StaleEdit,
    WitnessPart,
    apply_correction,
    approve_correction,
    list_corrections,
    reject_correction,
    request_correction,
    show_correction,
    witness_correction,
)
from service.db.correction_models import CorrectionRow, CorrectionStepRow
from service.db.models import DatasetRow, EventRow
from service.errors import HsdtError


def counts(ctx: Context) -> tuple[int, int, int, int]:
    with ctx.sessions() as session:
        return (
            session.scalar(select(func.count()).select_from(CorrectionRow)) or 0,
            session.scalar(select(func.count()).select_from(CorrectionStepRow)) or 0,
            session.scalar(select(func.count()).select_from(EventRow)) or 0,
            session.scalar(select(func.count()).select_from(DatasetRow)) or 0,
        )


def approved(home: Context, t: Template, people: People) -> int:
    cid = request_correction(
        home, people.teacher, t.hoc_ba, reason="Nhập nhầm điểm", edits=score_edits(t)
    )
    approve_correction(home, people.principal, cid)
    return cid


def both(a: Principal, b: Principal, account: str) -> Principal:
    return Principal(account, (*a.grants, *b.grants))


def test_a_stale_old_value_is_refused_and_nothing_is_stored(
    home: Context, archived_corrections: Template, people: People
) -> None:
    t = archived_corrections
    before = counts(home)
    stale = (FieldEdit(t.student, "term1.final", "7,5", "9", subject=MATHS),)
    with pytest.raises(StaleEdit) as caught:
        request_correction(home, people.teacher, t.hoc_ba, reason="Sai điểm", edits=stale)
    assert "«6.5»" in caught.value.message and "«7,5»" in caught.value.message
    assert caught.value.hint and "hsdt history" in caught.value.hint
    assert counts(home) == before


def test_new_data_the_rules_reject_is_reported_in_place_and_nothing_is_stored(
    home: Context, archived_corrections: Template, people: People
) -> None:
    t = archived_corrections
    before = counts(home)
    out_of_scale = (FieldEdit(t.student, "term1.final", "6,5", "11", subject=MATHS),)
    with pytest.raises(InvalidCorrection) as caught:
        request_correction(home, people.teacher, t.hoc_ba, reason="Sai", edits=out_of_scale)
    (finding,) = caught.value.findings
    assert finding.code == "score.out_of_range"
    assert finding.location.student == t.student and finding.location.subject == MATHS
    assert finding.location.path[-2:] == ("term1", "final")
    # the score alone: the averages written in the book no longer agree with the rules
    alone = score_edits(t)[:1]
    with pytest.raises(InvalidCorrection) as caught:
        request_correction(home, people.teacher, t.hoc_ba, reason="Sai", edits=alone)
    assert {f.code for f in caught.value.findings} == {"submitted.mismatch"}
    assert "submitted_" in (caught.value.hint or "")
    with pytest.raises(InvalidCorrection, match="không đúng kiểu"):
        request_correction(
            home,
            people.teacher,
            t.hoc_ba,
            reason="Sai",
            edits=(FieldEdit(t.student, "term1.final", "6,5", "chín", subject=MATHS),),
        )
    assert counts(home) == before
    assert caught.value.exit_code == 1


def test_a_rejected_correction_changes_nothing_and_goes_no_further(
    home: Context, archived_corrections: Template, people: People
) -> None:
    t = archived_corrections
    cid = request_correction(
        home, people.teacher, t.hoc_ba, reason="Nhập nhầm điểm", edits=score_edits(t)
    )
    with pytest.raises(HsdtError, match="lý do"):
        reject_correction(home, people.principal, cid, reason=" ")
    reject_correction(home, people.principal, cid, reason="Chưa có bài kiểm tra gốc")

    view = show_correction(home, cid)
    assert view.state is CorrectionState.REJECTED
    assert [(s.step, s.actor, s.note) for s in view.steps][-1] == (
        "reject",
        "hieu.truong",
        "Chưa có bài kiểm tra gốc",
    )
    with pytest.raises(Forbidden) as caught:
        witness_correction(home, people.board, cid)
    assert caught.value.decision.rule == "deny.workflow.rejected"
    with pytest.raises(Forbidden) as caught:
        approve_correction(home, replace(people.principal, account_id="pho.hieu.truong"), cid)
    assert caught.value.decision.rule == "deny.workflow.decided"
    with pytest.raises(HsdtError, match="từ chối"):
        apply_correction(home, people.teacher, cid)
    assert len(rows(home, t.hoc_ba)) == 1
    # a new request may follow the refused one
    again = request_correction(
        home, people.teacher, t.hoc_ba, reason="Có bài kiểm tra gốc", edits=score_edits(t)
    )
    assert [v.id for v in list_corrections(home, document_id=t.hoc_ba)] == [cid, again]


def test_separation_of_duties(
    home: Context, archived_corrections: Template, people: People
) -> None:
    t = archived_corrections
    # a principal who also teaches mathematics in the class requests: cannot decide it
    teaching_head = both(people.principal, people.teacher, "hieu.truong")
    own = request_correction(home, teaching_head, t.hoc_ba, reason="Sai", edits=score_edits(t))
    with pytest.raises(Forbidden) as caught:
        approve_correction(home, teaching_head, own)
    assert caught.value.decision.rule == "deny.sod.requester"
    reject_correction(home, replace(people.principal, account_id="pho.ht"), own, reason="Làm lại")

    cid = approved(home, t, people)
    # the principal heads the board (Điều 6.1): the approver does not witness
    head_of_board = both(people.principal, people.board, "hieu.truong")
    with pytest.raises(Forbidden) as caught:
        witness_correction(home, head_of_board, cid)
    assert caught.value.decision.rule == "deny.sod.approver"
    # the requester does not witness either
    with pytest.raises(Forbidden) as caught:
        witness_correction(home, both(people.teacher, people.board, "gv.toan"), cid)
    assert caught.value.decision.rule == "deny.sod.requester"
    # the homeroom teacher of another class is out of scope
    with pytest.raises(Forbidden) as caught:
        witness_correction(home, people.other_homeroom, cid)
    assert caught.value.decision.rule == "deny.scope.class"
    # one person witnesses once, even holding both witness roles
    homeroom_on_board = both(people.homeroom, people.board, "gv.chu.nhiem")
    assert witness_correction(home, homeroom_on_board, cid) is WitnessPart.BOARD
    with pytest.raises(Forbidden) as caught:
        witness_correction(home, homeroom_on_board, cid)
    assert caught.value.decision.rule == "deny.sod.witness_twice"
    # the board's part is taken: another board member is told who is still missing
    with pytest.raises(HsdtError, match="còn lại: Giáo viên chủ nhiệm"):
        witness_correction(home, replace(people.board, account_id="ban.2"), cid)
    assert show_correction(home, cid).state is CorrectionState.APPROVED
    # a teacher of the class only requests; nobody but the principal approves
    with pytest.raises(Forbidden) as caught:
        approve_correction(home, people.homeroom, cid)
    assert caught.value.decision.rule in ("deny.role", "deny.workflow.decided")


def test_steps_out_of_order_and_apply_before_both_witnesses(
    home: Context, archived_corrections: Template, people: People
) -> None:
    t = archived_corrections
    cid = request_correction(
        home, people.teacher, t.hoc_ba, reason="Nhập nhầm điểm", edits=score_edits(t)
    )
    with pytest.raises(Forbidden) as caught:
        witness_correction(home, people.board, cid)
    assert caught.value.decision.rule == "deny.workflow.not_approved"
    with pytest.raises(HsdtError, match="chưa được Hiệu trưởng phê duyệt"):
        apply_correction(home, people.teacher, cid)
    with pytest.raises(HsdtError, match="đang có đề nghị đính chính số"):
        request_correction(home, people.homeroom, t.hoc_ba, reason="x", edits=score_edits(t))
    approve_correction(home, people.principal, cid)
    witness_correction(home, people.board, cid)
    before = counts(home)
    with pytest.raises(HsdtError, match="chưa đủ hai người chứng kiến"):
        apply_correction(home, people.teacher, cid)
    assert counts(home) == before and len(rows(home, t.hoc_ba)) == 1
    witness_correction(home, people.homeroom, cid)
    # applying carries out the recorded decisions: only their parties (or the operator) run it
    with pytest.raises(Forbidden) as caught:
        apply_correction(home, people.other_homeroom, cid)
    assert caught.value.decision.rule == "deny.correction.not_party"
    apply_correction(home, people.principal, cid)
    with pytest.raises(HsdtError, match="đã được áp dụng"):
        apply_correction(home, people.principal, cid)
    assert [r.version for r in rows(home, t.hoc_ba)] == [1, 2]
    # the new version is not locked yet: it is signed through its plan, not corrected
    with pytest.raises(Forbidden) as caught:
        request_correction(home, people.teacher, t.hoc_ba, reason="x", edits=score_edits(t))
    assert caught.value.decision.rule == "deny.state"


def test_only_locked_or_archived_records_are_corrected_and_only_by_their_teachers(
    home: Context, archived_corrections: Template, people: People
) -> None:
    t = archived_corrections
    # a subject teacher corrects only their subject; conduct is the homeroom teacher's
    conduct = (FieldEdit(t.student, "conduct_year", "Khá", "Tốt"),)
    with pytest.raises(Forbidden) as caught:
        request_correction(home, people.teacher, t.hoc_ba, reason="Sai", edits=conduct)
    assert caught.value.decision.rule == "deny.scope.subject"
    with pytest.raises(Forbidden) as caught:
        request_correction(home, people.board, t.hoc_ba, reason="Sai", edits=score_edits(t))
    assert caught.value.decision.rule == "deny.role"
    with pytest.raises(HsdtError, match="Không có hồ sơ"):
        request_correction(home, people.teacher, "HB-NOPE", reason="Sai", edits=score_edits(t))
