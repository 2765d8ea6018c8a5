"""The one place permissions are decided: ``authorize`` is pure (no I/O, no clock) and total.

The API loads the signed-in account's grants (``service.accounts.authenticate_token``), describes
what the request touches as a ``ResourceRef`` and calls ``authorize`` (to show or hide) or
``require`` (to act). Use cases that take a ``Principal`` call ``require`` themselves.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum

from service.authz.actions import Action
from service.authz.checks import Denial
from service.authz.permissions import Rule, roles_allowed, rule_for
from service.authz.scopes import (
    Grant,
    RecordState,
    ResourceRef,
    out_of_scope_message,
    uncovered,
)
from service.errors import HsdtError


@dataclass(frozen=True)
class Principal:
    """Who is acting: a personal account and the grants it holds (never a shared login)."""

    account_id: str
    grants: tuple[Grant, ...]


@dataclass(frozen=True)
class Decision:
    allowed: bool
    reason: str  # Vietnamese: why, in words the user can act on
    rule: str  # the rule that allowed ("record.sign:homeroom_teacher") or the denial code


_NO_RIGHT = frozenset({"deny.role", "deny.no_grants"})


class Forbidden(HsdtError):
    """The signed-in account may not do this (HTTP 403). ``decision`` says why."""

    def __init__(self, decision: Decision) -> None:
        # state, slot and separation-of-duties refusals already say what to do
        missing_right = decision.rule.startswith("deny.scope.") or decision.rule in _NO_RIGHT
        hint = "Nếu công việc cần quyền này, hãy đề nghị quản trị viên của đơn vị phân quyền."
        super().__init__(decision.reason, hint=hint if missing_right else None)
        self.decision = decision


class _Stage(IntEnum):
    """How far a grant got: the reported denial is the one from the grant that got furthest."""

    ROLE = 0
    SCOPE = 1
    STATE = 2
    CHECK = 3


def authorize(principal: Principal, action: Action, resource: ResourceRef) -> Decision:
    best: tuple[_Stage, Denial] | None = None
    for grant in principal.grants:
        rule = rule_for(action, grant.role)
        if rule is None:
            outcome = (_Stage.ROLE, _role_denial(action))
        else:
            evaluated = _evaluate(rule, principal.account_id, grant, resource)
            if evaluated is None:
                return Decision(True, _allowed_reason(rule, grant), rule.id)
            outcome = evaluated
        if best is None or outcome[0] > best[0]:
            best = outcome
    if best is None:
        return Decision(
            False,
            "Tài khoản chưa được giao vai trò nào; hãy đề nghị quản trị viên phân quyền.",
            "deny.no_grants",
        )
    return Decision(False, best[1].reason, best[1].code)


def require(principal: Principal, action: Action, resource: ResourceRef) -> Decision:
    """``authorize``, raising ``Forbidden`` when denied."""
    decision = authorize(principal, action, resource)
    if not decision.allowed:
        raise Forbidden(decision)
    return decision


def _evaluate(
    rule: Rule, account: str, grant: Grant, resource: ResourceRef
) -> tuple[_Stage, Denial] | None:
    dim = uncovered(grant, resource, rule.ignores)
    if dim is not None:
        return _Stage.SCOPE, Denial(f"deny.scope.{dim}", out_of_scope_message(grant, resource, dim))
    if (denial := _state_denial(rule, resource.state)) is not None:
        return _Stage.STATE, denial
    for check in rule.checks:
        if (denial := check.test(account, grant, resource)) is not None:
            return _Stage.CHECK, denial
    return None


def _state_denial(rule: Rule, state: RecordState | None) -> Denial | None:
    spec = rule.action.spec
    allowed = spec.states if rule.states is None else spec.states & rule.states
    if state in allowed:
        return None
    label = spec.label
    if state is None:
        return Denial("deny.state.missing", f"Yêu cầu {label} phải chỉ rõ hồ sơ nào.")
    if spec.writes and state in (RecordState.LOCKED, RecordState.ARCHIVED):
        return Denial(
            "deny.locked",
            f"Hồ sơ {state.label}: không được {label}. Muốn sửa hồ sơ đã khoá, giáo viên gửi "
            "đề nghị đính chính để Hiệu trưởng phê duyệt (Điều 11.4).",
        )
    wanted = ", ".join(f"«{s.label}»" for s in RecordState if s in allowed)
    return Denial(
        "deny.state",
        f"Không thể {label} khi hồ sơ đang ở trạng thái «{state.label}»; chỉ được khi hồ sơ "
        f"ở trạng thái {wanted}.",
    )


def _role_denial(action: Action) -> Denial:
    who = ", ".join(r.label for r in roles_allowed(action))
    return Denial(
        "deny.role",
        f"Vai trò của tài khoản không được {action.label}; việc này dành cho: {who}.",
    )


def _allowed_reason(rule: Rule, grant: Grant) -> str:
    return (
        f"Được phép: {grant.role.label} ({grant.scope.describe()}) {rule.action.label} "
        f"({rule.action.spec.basis})."
    )
