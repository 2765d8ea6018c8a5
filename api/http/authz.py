"""Authorization of HTTP requests, in one place.

Every route declares the action it performs in its OpenAPI metadata (:func:`guarded`), and
checks it only through :class:`~api.http.caller.Caller`, which asks the app's
:class:`Authorizer` — ``service.authz.authorize`` on the caller's grants, nothing else. A route
that checks another action than the one it declares fails loudly (an internal error), so the
published permission of each endpoint is the enforced one; ``tests/api/test_matrix.py``
enumerates the routes by this metadata.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from service.authz import Action, Decision, Principal, ResourceRef, authorize, require

ACTION_KEY = "x-hsdt-action"
MODE_KEY = "x-hsdt-authz"

PUBLIC = "public"  # no sign-in (login, the API's own documentation)
AUTHENTICATED = "authenticated"  # any signed-in account, about itself only (/me)


class Mode(StrEnum):
    REQUIRE = "require"  # refuses with 403 unless the action is allowed on the resource
    FILTER = "filter"  # lists only what the action is allowed on; never 403


def guarded(action: Action | str, mode: Mode = Mode.REQUIRE) -> dict[str, Any]:
    """Route metadata: ``openapi_extra=guarded(Action.RECORD_VIEW)``."""
    return {ACTION_KEY: str(action), MODE_KEY: str(mode)}


class Authorizer:
    """Decides through ``service.authz``. Tests swap in a recording subclass."""

    def require(self, principal: Principal, action: Action, resource: ResourceRef) -> Decision:
        return require(principal, action, resource)

    def authorize(self, principal: Principal, action: Action, resource: ResourceRef) -> Decision:
        return authorize(principal, action, resource)
