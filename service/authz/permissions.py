"""The permission matrix as data: for each (action, role) that is allowed, one rule.

Anything not listed is denied. A rule applies when the grant covers the resource (every scope
dimension the grant names matches, except those the rule ``ignores``), the record is in one of the
action's states (narrowed by the rule's own ``states``), and every check passes.
``docs/permissions.md`` is generated from this table (``python -m service.authz.matrix_doc``);
a test keeps the two equal.
"""

from __future__ import annotations

from dataclasses import dataclass

from service.authz.actions import Action, StateSet
from service.authz.checks import (
    APPROVED,
    NOT_APPROVER,
    NOT_REQUESTER,
    NOT_SELF,
    NOT_WITNESSED,
    OWN_SLOT,
    SCHOOL_BOARD,
    UNDECIDED,
    Check,
)
from service.authz.roles import Dim, Role
from service.authz.scopes import RecordState


@dataclass(frozen=True)
class Rule:
    action: Action
    role: Role
    ignores: frozenset[Dim] = frozenset()  # grant dimensions this rule does not require
    states: StateSet | None = None  # narrower than the action's states
    checks: tuple[Check, ...] = ()

    @property
    def id(self) -> str:
        return f"{self.action}:{self.role}"


A, R = Action, Role
_SUBJECT = frozenset({Dim.SUBJECT})
_FINAL: StateSet = frozenset({RecordState.SIGNED, RecordState.LOCKED, RecordState.ARCHIVED})
_ADMINS = (R.PROVINCE_ADMIN, R.DISTRICT_ADMIN, R.SCHOOL_ADMIN)
_LEADERS = (R.PRINCIPAL, R.VICE_PRINCIPAL)

RULES: tuple[Rule, ...] = (
    # Data entry: the school admin loads the year (13.2.d), teachers their own classes (7.3, 8.1).
    Rule(A.DATASET_IMPORT, R.SCHOOL_ADMIN),
    Rule(A.DATASET_IMPORT, R.HOMEROOM_TEACHER),
    Rule(A.DATASET_IMPORT, R.SUBJECT_TEACHER),
    Rule(A.DATASET_CONFIRM, R.HOMEROOM_TEACHER),
    Rule(A.DATASET_CONFIRM, R.SUBJECT_TEACHER),
    Rule(A.RECORD_RENDER, R.SCHOOL_ADMIN),
    *(Rule(A.RECORD_RENDER, r) for r in _LEADERS),
    Rule(A.RECORD_RENDER, R.HOMEROOM_TEACHER),
    # Reading: every tier over what it manages (4.3, 5.3); a subject teacher reads the whole
    # books of the classes they teach; students and parents only their own, once signed.
    *(Rule(A.RECORD_VIEW, r) for r in (*_ADMINS, R.BOARD_MEMBER, *_LEADERS)),
    Rule(A.RECORD_VIEW, R.HOMEROOM_TEACHER),
    Rule(A.RECORD_VIEW, R.SUBJECT_TEACHER, ignores=_SUBJECT),
    Rule(A.RECORD_VIEW, R.CLERK),
    Rule(A.RECORD_VIEW, R.STUDENT, states=_FINAL),
    Rule(A.RECORD_VIEW, R.PARENT, states=_FINAL),
    # Signing: each person their own slot (7.5, 8.4, 9); the clerk applies the school seal.
    Rule(A.RECORD_SIGN, R.SUBJECT_TEACHER, ignores=_SUBJECT, checks=(OWN_SLOT,)),
    Rule(A.RECORD_SIGN, R.HOMEROOM_TEACHER, checks=(OWN_SLOT,)),
    *(Rule(A.RECORD_SIGN, r, checks=(OWN_SLOT,)) for r in _LEADERS),
    Rule(A.RECORD_SIGN, R.CLERK, checks=(OWN_SLOT,)),
    # Lock windows: the principal decides (6.3, 14), the school admin executes (13.2.b), Sở and
    # Phòng admins set windows for inspection (13.1.a).
    *(Rule(A.RECORD_LOCK, r) for r in (*_ADMINS, R.PRINCIPAL)),
    *(Rule(A.RECORD_UNLOCK, r) for r in (*_ADMINS, R.PRINCIPAL)),
    # Corrections (11.4): a teacher requests, the principal decides, the school board and the
    # class's homeroom teacher witness; nobody plays two parts in the same correction.
    Rule(A.CORRECTION_REQUEST, R.HOMEROOM_TEACHER),
    Rule(A.CORRECTION_REQUEST, R.SUBJECT_TEACHER),
    Rule(A.CORRECTION_APPROVE, R.PRINCIPAL, checks=(UNDECIDED, NOT_REQUESTER)),
    Rule(A.CORRECTION_REJECT, R.PRINCIPAL, checks=(UNDECIDED, NOT_REQUESTER)),
    Rule(
        A.CORRECTION_WITNESS,
        R.BOARD_MEMBER,
        checks=(SCHOOL_BOARD, APPROVED, NOT_REQUESTER, NOT_APPROVER, NOT_WITNESSED),
    ),
    Rule(
        A.CORRECTION_WITNESS,
        R.HOMEROOM_TEACHER,
        checks=(APPROVED, NOT_REQUESTER, NOT_APPROVER, NOT_WITNESSED),
    ),
    # Printing, stamping and archiving happen only at the school (12.3, 14).
    Rule(A.RECORD_ARCHIVE, R.SCHOOL_ADMIN),
    Rule(A.RECORD_ARCHIVE, R.CLERK),
    *(Rule(A.ARCHIVE_AUDIT, r) for r in _ADMINS),
    *(Rule(A.EXPORT_ISSUE, r) for r in (*_LEADERS, R.CLERK)),
    *(Rule(A.ACCOUNT_MANAGE, r, checks=(NOT_SELF,)) for r in _ADMINS),
    *(Rule(A.PLAN_CONFIGURE, r) for r in _ADMINS),
    *(Rule(A.PROGRESS_VIEW, r) for r in (*_ADMINS, R.BOARD_MEMBER, *_LEADERS)),
    Rule(A.PROGRESS_VIEW, R.HOMEROOM_TEACHER),
    *(Rule(A.AUDIT_VERIFY, r) for r in (*_ADMINS, R.BOARD_MEMBER)),
)

RULES_BY_KEY: dict[tuple[Action, Role], Rule] = {(r.action, r.role): r for r in RULES}


def rule_for(action: Action, role: Role) -> Rule | None:
    return RULES_BY_KEY.get((action, role))


def roles_allowed(action: Action) -> tuple[Role, ...]:
    return tuple(r for r in Role if (action, r) in RULES_BY_KEY)
