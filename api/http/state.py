"""What the app holds between requests: the home's context, settings and the authorizer."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Annotated

from fastapi import Depends, Request

from api.http.authz import Authorizer
from api.http.resources import ResourceCatalog
from service.accounts import DEFAULT_POLICY, AccountPolicy
from service.context import Context

DEFAULT_MAX_BODY = 20 * 1024 * 1024  # a school's whole-year workbook is a few MiB
DEFAULT_PAGE = 50
MAX_PAGE = 500


@dataclass(frozen=True)
class ApiSettings:
    max_body_bytes: int = DEFAULT_MAX_BODY
    default_page: int = DEFAULT_PAGE
    max_page: int = MAX_PAGE
    policy: AccountPolicy = DEFAULT_POLICY  # tests pass a cheap argon2id policy


@dataclass
class ApiState:
    ctx: Context
    settings: ApiSettings
    authorizer: Authorizer = field(default_factory=Authorizer)
    resources: ResourceCatalog = field(init=False)

    def __post_init__(self) -> None:
        self.resources = ResourceCatalog(self.ctx)


def api_state(request: Request) -> ApiState:
    state = request.app.state.hsdt
    assert isinstance(state, ApiState)
    return state


StateDep = Annotated[ApiState, Depends(api_state)]
