"""The fixity audit as a use case: the configured stores audited, each package's last check kept.

``archive.audit`` does the reading and checking; this module supplies the stores, the time and
the last-checked dates (``archive_fixity_checks``, so ``older_than`` means "not checked for that
long"), stores the new dates, and records every run as an ``archive.audited`` event.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from archive import AuditCode, AuditReport, audit
from service.archiving_config import ArchiveStores, open_archive
from service.archiving_report import aware
from service.context import Context
from service.db.archive_models import FixityCheckRow

__all__ = ["AUDIT_EVENT", "AUDIT_SUBJECT", "audit_archive"]

AUDIT_EVENT = "archive.audited"
AUDIT_SUBJECT = "archive"
_EVENT_FINDINGS = 50  # a damaged store can produce thousands of findings: the event keeps a few


def audit_archive(
    ctx: Context,
    *,
    sample: int | None = None,
    older_than: timedelta | None = None,
    repair: bool = False,
    seed: int | None = None,
    stores: ArchiveStores | None = None,
) -> AuditReport:
    """Audit the primary store and, when configured, the replica (which repairs come from).

    Store outages raise ``StoreFailure``; everything the audit finds is in the report.
    """
    stores = stores or open_archive(ctx)
    with ctx.sessions() as session:
        last_checked = {
            row.index_key: aware(row.checked_at) for row in session.scalars(select(FixityCheckRow))
        }
    now = ctx.clock.now()
    report = audit(
        stores.primary,
        stores.replica,
        now=now,
        sample=sample,
        older_than=older_than,
        last_checked=last_checked,
        repair=repair,
        seed=seed,
    )
    with ctx.sessions.begin() as session:
        for package in report.packages:
            session.merge(
                FixityCheckRow(
                    index_key=package.key,
                    document_id=package.document_id,
                    checked_at=report.checked_at,
                    ok=package.ok,
                )
            )
        ctx.record_event(
            session,
            AUDIT_EVENT,
            AUDIT_SUBJECT,
            ok=report.ok,
            repair=repair,
            selection=report.selection,
            stores=list(report.stores),
            packages=len(report.packages),
            objects=report.objects_checked,
            bytes=report.bytes_read,
            counts={code.value: report.count(code) for code in AuditCode if report.count(code)},
            repaired=sum(1 for f in report.findings if f.repaired),
            findings=[
                {"code": f.code.value, "store": f.store, "key": f.key, "repaired": f.repaired}
                for f in report.findings[:_EVENT_FINDINGS]
            ],
        )
    return report
