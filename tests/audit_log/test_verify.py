"""Verification finds tampering done directly in the database — edited, removed, reordered,
inserted entries, a cut tail, a lost head — and names the first entry concerned."""

from __future__ import annotations

from sqlalchemy import insert

from audit_log.helpers import record, rehash_from, sql
from service.audit_log import events_table
from service.audit_verify import AuditVerification, verify_audit_log
from service.context import Context


def only(report: AuditVerification) -> tuple[str, int | None, str]:
    assert not report.ok
    assert len(report.findings) == 1, report.findings
    f = report.findings[0]
    return f.code, f.seq, f.message


def test_an_intact_log_verifies(audit_ctx: Context) -> None:
    record(audit_ctx, 12)
    report = verify_audit_log(audit_ctx)
    assert report.ok and report.entries == 12 and report.unanchored == 12
    assert report.head is not None and report.head.seq == 12


def test_an_empty_log_verifies(audit_ctx: Context) -> None:
    report = verify_audit_log(audit_ctx)
    assert report.ok and report.entries == 0


def test_an_edited_detail_is_found_at_its_entry(audit_ctx: Context) -> None:
    record(audit_ctx, 10)
    sql(audit_ctx.engine, "UPDATE events SET detail = :d WHERE seq = 7", d='{"version":2}')
    code, seq, message = only(verify_audit_log(audit_ctx))
    assert (code, seq) == ("audit.entry_edited", 7)
    assert "Mục số 7 (document.rendered, HB-0006) đã bị sửa" in message


def test_an_edited_actor_or_time_is_found_too(audit_ctx: Context) -> None:
    record(audit_ctx, 5)
    sql(audit_ctx.engine, "UPDATE events SET actor = 'HT' WHERE seq = 2")
    assert only(verify_audit_log(audit_ctx))[:2] == ("audit.entry_edited", 2)
    sql(audit_ctx.engine, "UPDATE events SET actor = 'GV001' WHERE seq = 2")
    assert verify_audit_log(audit_ctx).ok  # put back exactly: intact again
    with audit_ctx.engine.begin() as c:
        c.execute(
            events_table.update()
            .where(events_table.c.seq == 4)
            .values(at=audit_ctx.clock.now())  # a later time than it was recorded at
        )
    assert only(verify_audit_log(audit_ctx))[:2] == ("audit.entry_edited", 4)


def test_a_deleted_entry_is_reported_as_removed(audit_ctx: Context) -> None:
    record(audit_ctx, 10)
    sql(audit_ctx.engine, "DELETE FROM events WHERE seq = 4")
    code, seq, message = only(verify_audit_log(audit_ctx))
    assert (code, seq) == ("audit.entry_removed", 4)
    assert "Thiếu mục số 4" in message


def test_deleted_entries_renumbered_to_close_the_gap_still_break_the_chain(
    audit_ctx: Context,
) -> None:
    record(audit_ctx, 8)
    sql(audit_ctx.engine, "DELETE FROM events WHERE seq = 3")
    for seq in range(4, 9):
        sql(audit_ctx.engine, "UPDATE events SET seq = :n WHERE seq = :o", n=seq - 1, o=seq)
    sql(audit_ctx.engine, "UPDATE audit_head SET seq = 7")
    report = verify_audit_log(audit_ctx)
    assert not report.ok
    assert (report.findings[0].code, report.findings[0].seq) == ("audit.chain_broken", 3)


def test_swapped_sequence_numbers_are_reported_as_reordered(audit_ctx: Context) -> None:
    record(audit_ctx, 10)
    sql(audit_ctx.engine, "UPDATE events SET seq = -1 WHERE seq = 5")
    sql(audit_ctx.engine, "UPDATE events SET seq = 5 WHERE seq = 6")
    sql(audit_ctx.engine, "UPDATE events SET seq = 6 WHERE seq = -1")
    code, seq, message = only(verify_audit_log(audit_ctx))
    assert (code, seq) == ("audit.entries_reordered", 5)
    assert "vốn đứng ngay sau mục số 6" in message


def test_a_row_written_around_the_log_is_reported_as_inserted(audit_ctx: Context) -> None:
    record(audit_ctx, 3)
    with audit_ctx.engine.begin() as c:
        c.execute(
            insert(events_table).values(
                at=audit_ctx.clock.now(), actor="HT", action="document.signed",
                subject="HB-0001", detail="{}",
            )
        )  # fmt: skip
    code, seq, message = only(verify_audit_log(audit_ctx))
    assert (code, seq) == ("audit.entry_inserted", None)
    assert "1 dòng trong bảng events không có số thứ tự" in message and "HB-0001" in message


def test_a_forged_entry_inserted_in_the_middle_is_found(audit_ctx: Context) -> None:
    record(audit_ctx, 6)
    for seq in range(6, 3, -1):  # make room at 4, from the top so the unique index holds
        sql(audit_ctx.engine, "UPDATE events SET seq = :n WHERE seq = :o", n=seq + 1, o=seq)
    with audit_ctx.engine.begin() as c:
        prev = c.execute(events_table.select().where(events_table.c.seq == 3)).one().entry_hash
        c.execute(
            insert(events_table).values(
                at=audit_ctx.clock.now(), actor="HT", action="document.signed",
                subject="HB-giả", detail="{}", seq=4, prev_hash=prev, entry_hash="0" * 64,
            )
        )  # fmt: skip
    rehash_from(audit_ctx.engine, 4)  # forged entry consistent with entry 3 ...
    sql(audit_ctx.engine, "UPDATE events SET prev_hash = :p WHERE seq = 5", p=prev)
    # ... and entry 5 (the old 4) claims entry 3 again, as it did before the insertion
    report = verify_audit_log(audit_ctx)
    assert (report.findings[0].code, report.findings[0].seq) == ("audit.entry_inserted", 4)


def test_a_cut_tail_is_found_through_the_head(audit_ctx: Context) -> None:
    record(audit_ctx, 9)
    sql(audit_ctx.engine, "DELETE FROM events WHERE seq >= 8")
    code, seq, message = only(verify_audit_log(audit_ctx))
    assert (code, seq) == ("audit.entry_removed", 8)
    assert "từ số 8 đến 9 ở cuối nhật ký" in message


def test_a_deleted_head_row_is_reported(audit_ctx: Context) -> None:
    record(audit_ctx, 2)
    sql(audit_ctx.engine, "DELETE FROM audit_head")
    code, _, message = only(verify_audit_log(audit_ctx))
    assert code == "audit.head_mismatch" and "audit_head" in message


def test_a_consistent_rewrite_after_the_last_anchor_is_beyond_reach(audit_ctx: Context) -> None:
    """The documented limit: without an anchor, someone who recomputes every hash from the
    edited entry on (and the head) leaves a chain that verifies. Anchors close that window."""
    record(audit_ctx, 6)
    sql(audit_ctx.engine, "UPDATE events SET detail = '{}' WHERE seq = 3")
    assert not verify_audit_log(audit_ctx).ok
    rehash_from(audit_ctx.engine, 3)
    report = verify_audit_log(audit_ctx)
    assert report.ok and report.unanchored == 6
