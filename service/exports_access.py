"""Who may export what (Articles 6.3 and 9), decided by ``service.authz`` before anything is built.

* The school issues exports on a student's request: ``export.issue`` (principal, vice-principal,
  clerk) over every document of the export.
* A student — or a parent — may take the bundle of their **own** archived records themselves:
  the bundle holds only copies of records they may read anyway (``record.view`` on their own
  records once final), so it is authorised by a student/parent grant covering that student.
* Extracts are new documents signed by the school: only ``export.issue`` allows them.
* ``principal=None`` is the local operator on the CLI (who holds the home's files anyway); the
  actor is recorded in the register and the event either way.
"""

from __future__ import annotations

from collections.abc import Sequence

from service.authz import (
    Action,
    Decision,
    Forbidden,
    Principal,
    RecordState,
    ResourceRef,
    Role,
    authorize,
    require,
)
from service.exports_select import ArchivedOriginal

OPERATOR_RULE = "operator:cli"
_SELF_SERVICE = frozenset({Role.STUDENT, Role.PARENT})


def resource_of(original: ArchivedOriginal, student_code: str) -> ResourceRef:
    payload = original.payload
    return ResourceRef(
        province=payload["province"]["code"],
        district=payload["district"]["code"],
        school=original.school_code,
        year=original.school_year,
        class_id=original.class_id,
        student=student_code,
        state=RecordState.ARCHIVED,
    )


def authorize_bundle(
    principal: Principal | None, originals: Sequence[ArchivedOriginal], student_code: str
) -> str:
    """The rule that allows this bundle (recorded in the register); raises ``Forbidden``."""
    if principal is None:
        return OPERATOR_RULE
    rules: list[str] = []
    for original in originals:
        resource = resource_of(original, student_code)
        decision = authorize(principal, Action.EXPORT_ISSUE, resource)
        if not decision.allowed:
            own = _own_records(principal, resource)
            if own is None:
                raise Forbidden(decision)
            decision = own
        rules.append(decision.rule)
    return ",".join(sorted(set(rules)))


def authorize_extract(
    principal: Principal | None, original: ArchivedOriginal, student_code: str
) -> str:
    if principal is None:
        return OPERATOR_RULE
    return require(principal, Action.EXPORT_ISSUE, resource_of(original, student_code)).rule


def _own_records(principal: Principal, resource: ResourceRef) -> Decision | None:
    """A student's or parent's own grant reading this record, or None."""
    mine = tuple(g for g in principal.grants if g.role in _SELF_SERVICE)
    if not mine:
        return None
    decision = authorize(Principal(principal.account_id, mine), Action.RECORD_VIEW, resource)
    return decision if decision.allowed else None
