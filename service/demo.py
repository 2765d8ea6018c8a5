"""The main job on embedded defaults: sample school → check → import → compute → render."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from archive.fixity import AuditReport
from records.canonical import dataset_to_json
from records.check import CheckReport, check_file
from records.sample import generate_school
from service.archiving import archive_signed
from service.archiving_audit import audit_archive
from service.archiving_report import ArchiveRunReport
from service.audit_anchor import AnchorOutcome, anchor_log
from service.context import Context
from service.demo_signing import SigningSummary, sign_everything
from service.files import write_atomic
from service.importing import ImportOutcome, import_file
from service.rendering import Progress, RenderSummary, render_dataset

Step = Callable[[str], None]


@dataclass
class DemoResult:
    sample_path: Path
    check: CheckReport
    imported: ImportOutcome
    rendered: RenderSummary
    signing: SigningSummary | None
    archived: ArchiveRunReport | None
    audit: AuditReport | None
    anchor: AnchorOutcome | None
    timings: dict[str, float] = field(default_factory=dict)  # step → seconds


def run_demo(
    ctx: Context,
    *,
    seed: int = 2026,
    primary_classes: int = 1,
    secondary_classes: int = 1,
    workers: int = 2,
    on_step: Step | None = None,
    progress: Progress | None = None,
    sign: bool = True,
    on_signing: Callable[[str, int, int], None] | None = None,
) -> DemoResult:
    timings: dict[str, float] = {}

    def step(name: str) -> float:
        if on_step:
            on_step(name)
        return time.perf_counter()

    t = step("sample")
    ds = generate_school(
        seed=seed, primary_classes=primary_classes, secondary_classes=secondary_classes
    )
    sample_path = ctx.home.root / "samples" / f"{ds.school.code}-{ds.school_year}.json"
    write_atomic(sample_path, dataset_to_json(ds))
    timings["sample"] = time.perf_counter() - t

    t = step("check")
    report = check_file(sample_path)
    timings["check"] = time.perf_counter() - t

    t = step("import")
    imported = import_file(ctx, sample_path)
    timings["import"] = time.perf_counter() - t

    t = step("render")
    rendered = render_dataset(ctx, imported.dataset_id, ds, workers=workers, progress=progress)
    timings["render"] = time.perf_counter() - t

    signing: SigningSummary | None = None
    if sign:
        t = step("sign")
        signing = sign_everything(ctx, ds, on_step=on_signing)
        timings["sign"] = time.perf_counter() - t

    archived: ArchiveRunReport | None = None
    audit: AuditReport | None = None
    if sign:
        # ingest verifies every signed file again (offline, from what it embeds) before storing it
        t = step("archive")
        archived = archive_signed(ctx)
        timings["archive"] = time.perf_counter() - t
        t = step("audit")
        audit = audit_archive(ctx)
        timings["audit"] = time.perf_counter() - t

    # the audit trail of everything above, anchored with an RFC 3161 timestamp and archived
    anchor: AnchorOutcome | None = None
    if sign:
        t = step("anchor")
        anchor = anchor_log(ctx)
        timings["anchor"] = time.perf_counter() - t
    return DemoResult(
        sample_path, report, imported, rendered, signing, archived, audit, anchor, timings
    )
