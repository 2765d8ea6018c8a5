"""Archived segments: every anchor archives the entries it covers, so the log can be rebuilt and
verified from the archive alone, and an entry edited in the database after archiving is named."""

from __future__ import annotations

import hashlib
import json
import os

from audit_log.helpers import record, sql
from audit_log.test_cli import flat, hsdt
from service.audit_anchor import anchor_log
from service.audit_chain import entry_hash
from service.audit_segments import manifest_key, parse_line, segment_key
from service.audit_verify_archive import ArchiveVerification, verify_archive
from service.context import Context


def archived(ctx: Context, *, database: bool = True) -> ArchiveVerification:
    return verify_archive(ctx.home, sessions=ctx.sessions if database else None)


def codes(report: ArchiveVerification) -> list[tuple[str, int | None]]:
    return [(f.code, f.seq) for f in report.findings]


def db_lines(ctx: Context) -> list[tuple[int, str, str]]:
    with ctx.engine.connect() as c:
        rows = c.exec_driver_sql(
            "SELECT seq, detail, entry_hash FROM events WHERE seq IS NOT NULL ORDER BY seq"
        )
        return [(int(r[0]), str(r[1]), str(r[2])) for r in rows]


def rewrite_object(ctx: Context, key: str, data: bytes) -> None:
    """Replace an archived object and its sidecar checksum: a forger with write access to the
    archive's disk (Object Lock on S3 prevents exactly this; a local folder cannot)."""
    objects = ctx.home.objects_dir
    blob = objects / key
    os.chmod(blob, 0o644)
    blob.write_bytes(data)
    meta = objects / ".hsdt" / "meta" / f"{key}.json"
    os.chmod(meta, 0o644)
    doc = json.loads(meta.read_bytes())
    doc.update(sha256=hashlib.sha256(data).hexdigest(), size=len(data))
    meta.write_text(json.dumps(doc, indent=2, sort_keys=True) + "\n", encoding="utf-8")


def rewrite_segment(ctx: Context, last: int, lines: list[dict[str, object]]) -> None:
    """Rewrite a segment and a manifest that agrees with it (the forger is consistent)."""
    data = b"".join(
        json.dumps(r, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode() + b"\n"
        for r in lines
    )
    rewrite_object(ctx, segment_key(last), data)
    manifest = json.loads((ctx.home.objects_dir / manifest_key(last)).read_bytes())
    manifest.update(
        sha256=hashlib.sha256(data).hexdigest(),
        count=len(lines),
        first_hash=lines[0]["entry_hash"],
        last_hash=lines[-1]["entry_hash"],
    )
    rewrite_object(ctx, manifest_key(last), json.dumps(manifest).encode())


def segment_lines(ctx: Context, last: int) -> list[dict[str, object]]:
    data = (ctx.home.objects_dir / segment_key(last)).read_bytes()
    return [json.loads(line) for line in data.splitlines()]


def three_anchors(ctx: Context) -> None:
    record(ctx, 4)
    anchor_log(ctx)
    record(ctx, 3)
    anchor_log(ctx)
    record(ctx, 2)
    anchor_log(ctx)


def test_each_anchor_archives_its_segment_and_together_they_are_the_log(
    anchor_ctx: Context,
) -> None:
    three_anchors(anchor_ctx)
    objects = anchor_ctx.home.objects_dir
    keys = sorted(p.relative_to(objects).as_posix() for p in (objects / "audit").rglob("*.*"))
    assert keys == [
        "audit/anchors/000000000004.tsr",
        "audit/anchors/000000000007.tsr",
        "audit/anchors/000000000009.tsr",
        "audit/segments/000000000004.json",
        "audit/segments/000000000004.jsonl",
        "audit/segments/000000000007.json",
        "audit/segments/000000000007.jsonl",
        "audit/segments/000000000009.json",
        "audit/segments/000000000009.jsonl",
    ]
    entries = [
        parse_line(line)
        for last in (4, 7, 9)
        for line in (objects / segment_key(last)).read_bytes().splitlines()
    ]
    assert [(e.seq, e.detail, e.entry_hash) for e in entries] == db_lines(anchor_ctx)
    assert all(e.computed_hash() == e.entry_hash for e in entries)  # exactly as hashed
    assert '"học_sinh":"Lò Thị Ánh"' in entries[0].detail  # UTF-8, not \\u escapes

    manifest = json.loads((objects / manifest_key(7)).read_bytes())
    data = (objects / segment_key(7)).read_bytes()
    assert manifest["format"] == "hsdt-audit-segment/1"
    assert (manifest["first_seq"], manifest["last_seq"], manifest["count"]) == (5, 7, 3)
    assert manifest["first_hash"] == entries[4].entry_hash
    assert manifest["last_hash"] == entries[6].entry_hash
    assert manifest["sha256"] == hashlib.sha256(data).hexdigest()
    assert manifest["anchor_key"] == "audit/anchors/000000000007.tsr"

    report = archived(anchor_ctx)
    assert report.ok, report.findings
    assert (report.segments, report.entries, report.last_seq, len(report.anchors)) == (3, 9, 9, 3)
    assert report.database_checked and report.unanchored == 0


def test_the_archive_alone_verifies_after_the_database_is_lost(anchor_ctx: Context) -> None:
    three_anchors(anchor_ctx)
    sql(anchor_ctx.engine, "DELETE FROM events")  # the database is gone
    report = archived(anchor_ctx, database=False)
    assert report.ok and report.entries == 9 and not report.database_checked

    result = hsdt(anchor_ctx, "audit", "verify", "--archived", "--no-database")
    assert result.exit_code == 0, result.output
    assert "3 đoạn, 9 mục (đến #9), 3 mốc" in flat(result) and "Nguyên vẹn" in flat(result)
    with_db = hsdt(anchor_ctx, "audit", "verify", "--archived", "--json")
    assert with_db.exit_code == 1
    found = json.loads(with_db.output)["findings"]
    assert [(f["code"], f["seq"]) for f in found] == [("audit.archive_db_missing", 1)]
    assert "9 mục đã lưu trữ không còn trong cơ sở dữ liệu" in found[0]["message"]


def test_an_entry_edited_in_the_archived_segment_is_named(anchor_ctx: Context) -> None:
    three_anchors(anchor_ctx)
    lines = segment_lines(anchor_ctx, 7)
    lines[1]["subject"] = "HB-khác"  # entry 6
    rewrite_segment(anchor_ctx, 7, lines)
    report = archived(anchor_ctx, database=False)
    assert codes(report) == [("audit.entry_edited", 6)]
    assert "Bản lưu trữ: Mục số 6" in report.findings[0].message

    # the database still holds the original: the cross-check names it too
    assert ("audit.archive_db_mismatch", 6) in codes(archived(anchor_ctx))


def test_a_consistently_rehashed_archive_fails_its_anchor(anchor_ctx: Context) -> None:
    three_anchors(anchor_ctx)
    lines = segment_lines(anchor_ctx, 9)
    prev = str(lines[0]["prev_hash"])
    lines[0]["actor"] = "kẻ giả mạo"
    for line in lines:  # recompute every hash of the segment: only the anchor can tell
        entry = parse_line(json.dumps({**line, "prev_hash": prev}).encode())
        line["prev_hash"] = prev
        line["entry_hash"] = prev = entry_hash(
            entry.seq, entry.at, entry.actor, entry.action, entry.subject, entry.detail, prev
        )
    rewrite_segment(anchor_ctx, 9, lines)
    assert codes(archived(anchor_ctx, database=False)) == [("audit.anchor_mismatch", 9)]


def test_a_removed_or_reordered_archived_entry_is_named(anchor_ctx: Context) -> None:
    three_anchors(anchor_ctx)
    original = segment_lines(anchor_ctx, 4)
    rewrite_segment(anchor_ctx, 4, original[:1] + original[2:])  # entry 2 removed
    assert codes(archived(anchor_ctx, database=False))[0] == ("audit.entry_removed", 2)

    swapped = [dict(line) for line in original]
    swapped[1]["seq"], swapped[2]["seq"] = 3, 2  # entries 2 and 3 swap their numbers
    swapped[1], swapped[2] = swapped[2], swapped[1]
    rewrite_segment(anchor_ctx, 4, swapped)
    assert codes(archived(anchor_ctx, database=False))[0] == ("audit.entries_reordered", 2)


def test_a_segment_that_does_not_match_its_manifest_is_damaged(anchor_ctx: Context) -> None:
    three_anchors(anchor_ctx)
    data = (anchor_ctx.home.objects_dir / segment_key(7)).read_bytes()
    rewrite_object(anchor_ctx, segment_key(7), data.replace(b"HB-0001", b"HB-9999"))
    found = codes(archived(anchor_ctx, database=False))
    assert ("audit.segment_damaged", 7) in found and ("audit.entry_edited", 6) in found


def test_an_entry_edited_in_the_database_after_archiving_is_reported(anchor_ctx: Context) -> None:
    three_anchors(anchor_ctx)
    sql(anchor_ctx.engine, "UPDATE events SET detail = :d WHERE seq = 3", d='{"version":2}')
    report = archived(anchor_ctx)
    assert codes(report) == [("audit.archive_db_mismatch", 3)]
    assert "Mục #3 trong cơ sở dữ liệu khác bản đã lưu trữ (trường detail)" in (
        report.findings[0].message
    )
    result = hsdt(anchor_ctx, "audit", "verify", "--archived")
    assert result.exit_code == 1 and "(audit.archive_db_mismatch)" in flat(result)


def test_a_home_anchored_before_segments_archives_its_whole_log_at_the_next_anchor(
    anchor_ctx: Context,
) -> None:
    record(anchor_ctx, 3)
    anchor_log(anchor_ctx)
    segments = anchor_ctx.home.objects_dir / "audit" / "segments"
    meta = anchor_ctx.home.objects_dir / ".hsdt" / "meta" / "audit" / "segments"
    for folder in (segments, meta):  # as if anchored by a version without segments
        for path in folder.iterdir():
            os.chmod(path, 0o644)
            path.unlink()
    assert codes(archived(anchor_ctx)) == [("audit.anchor_entry_missing", 3)]
    record(anchor_ctx, 2)
    anchor_log(anchor_ctx)
    manifest = json.loads((anchor_ctx.home.objects_dir / manifest_key(5)).read_bytes())
    assert (manifest["first_seq"], manifest["last_seq"]) == (1, 5)
    assert archived(anchor_ctx).ok


def test_keys_are_paired_with_their_anchor() -> None:
    assert segment_key(42) == "audit/segments/000000000042.jsonl"
    assert manifest_key(42) == "audit/segments/000000000042.json"
