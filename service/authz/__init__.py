"""Authorization: roles, scopes and the permission matrix of the regulation, decided in one place.

    authorize(principal, action, resource) -> Decision(allowed, reason, rule)   # pure
    require(principal, action, resource) -> Decision                            # raises Forbidden

The matrix itself is data (``permissions.RULES``), documented in docs/permissions.md.
"""

from service.authz.actions import ACTION_SPECS, Action, ActionSpec
from service.authz.decisions import Decision, Forbidden, Principal, authorize, require
from service.authz.permissions import RULES, Rule, roles_allowed, rule_for
from service.authz.roles import ROLE_SPECS, Dim, Role, RoleSpec, Tier
from service.authz.scopes import (
    CorrectionRef,
    Grant,
    InvalidGrant,
    RecordState,
    ResourceRef,
    Scope,
    SlotRef,
)

__all__ = [
    "ACTION_SPECS",
    "ROLE_SPECS",
    "RULES",
    "Action",
    "ActionSpec",
    "CorrectionRef",
    "Decision",
    "Dim",
    "Forbidden",
    "Grant",
    "InvalidGrant",
    "Principal",
    "RecordState",
    "ResourceRef",
    "Role",
    "RoleSpec",
    "Rule",
    "Scope",
    "SlotRef",
    "Tier",
    "authorize",
    "require",
    "roles_allowed",
    "rule_for",
]
