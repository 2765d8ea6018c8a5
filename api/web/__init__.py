"""The web app for school staff, in Vietnamese: server-rendered pages over the service layer.

    app.include_router(api.web.router)        # api/app.py: pages at /, next to /api/v1

Pages and the JSON API are both thin shells over ``service/``: each page checks the permission
matrix (``service.authz``) on the resource it shows or changes, then calls the use case. Sessions
are an HttpOnly, SameSite=Strict cookie holding the short-lived access token of
``service.accounts``; every form POST carries a CSRF token derived from it (docs/web.md).
"""

from __future__ import annotations

from fastapi import APIRouter

from api.web import (
    pages_accounts,
    pages_admin,
    pages_auth,
    pages_clerk,
    pages_corrections,
    pages_principal,
    pages_teacher,
)
from api.web.render import WebRoute

router = APIRouter(route_class=WebRoute, include_in_schema=False)
for _module in (
    pages_auth,
    pages_teacher,
    pages_principal,
    pages_admin,
    pages_accounts,
    pages_corrections,
    pages_clerk,
):
    router.include_router(_module.router, include_in_schema=False)

__all__ = ["router"]
