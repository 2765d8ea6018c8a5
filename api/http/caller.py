"""The signed-in caller of a request: bearer token → ``Principal``, and a context acting as them.

def route(caller: Caller = Depends(current_caller)) -> ...:
    caller.require(Action.RECORD_VIEW, resource)     # 403 problem when refused
    use_case(caller.ctx, ...)                         # audit entries name caller.username
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from api.http.authz import ACTION_KEY, Authorizer
from api.http.problems import ApiProblem
from api.http.state import ApiState, api_state
from service.accounts import authenticate_token
from service.authz import Action, Decision, Principal, ResourceRef
from service.context import Context

bearer = HTTPBearer(
    auto_error=False,
    scheme_name="bearer",
    description="Mã phiên từ POST /api/v1/auth/login (hiệu lực 15 phút).",
)


@dataclass(frozen=True)
class Caller:
    principal: Principal
    ctx: Context  # the app's context with ``actor`` = this account
    declared: str | None  # the action the route declares
    authorizer: Authorizer

    @property
    def username(self) -> str:
        return self.principal.account_id

    def require(self, action: Action, resource: ResourceRef) -> Decision:
        self._declared(action)
        return self.authorizer.require(self.principal, action, resource)

    def allows(self, action: Action, resource: ResourceRef) -> bool:
        self._declared(action)
        return self.authorizer.authorize(self.principal, action, resource).allowed

    def _declared(self, action: Action) -> None:
        if self.declared != str(action):
            # a programming error: the route's published permission would be a lie
            raise RuntimeError(f"route declares {self.declared!r} but checks {action!r}")


def _token(credentials: HTTPAuthorizationCredentials | None) -> str:
    if credentials is None or credentials.scheme.lower() != "bearer" or not credentials.credentials:
        raise ApiProblem(
            401,
            "auth.missing_token",
            "Yêu cầu cần đăng nhập: thiếu mã phiên (Authorization: Bearer …).",
            hint="Đăng nhập bằng POST /api/v1/auth/login rồi gửi mã phiên trong tiêu đề "
            "Authorization.",
        )
    return credentials.credentials


def current_principal(
    state: Annotated[ApiState, Depends(api_state)],
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> Principal:
    return authenticate_token(state.ctx, _token(credentials))


def current_caller(
    request: Request,
    state: Annotated[ApiState, Depends(api_state)],
    principal: Annotated[Principal, Depends(current_principal)],
) -> Caller:
    route = request.scope.get("route")
    extra = getattr(route, "openapi_extra", None) or {}
    ctx = dataclasses.replace(state.ctx, actor=principal.account_id)
    return Caller(principal, ctx, extra.get(ACTION_KEY), state.authorizer)


CallerDep = Annotated[Caller, Depends(current_caller)]
PrincipalDep = Annotated[Principal, Depends(current_principal)]
