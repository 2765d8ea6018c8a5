"""The API's routers: one module per area, each exposing ``router`` (a FastAPI ``APIRouter``).

Adding an area is adding a file here — ``api/routes/<area>.py`` with ``router = APIRouter(...)``;
:func:`routers` discovers every module not starting with ``_`` (docs/api.md, "Adding routes").
"""

from __future__ import annotations

import importlib
import pkgutil

from fastapi import APIRouter

PREFIX = "/api/v1"


def routers() -> list[APIRouter]:
    found: list[APIRouter] = []
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        if info.name.startswith("_"):
            continue
        module = importlib.import_module(f"{__name__}.{info.name}")
        router = getattr(module, "router", None)
        if not isinstance(router, APIRouter):
            raise TypeError(f"api/routes/{info.name}.py must define `router = APIRouter(...)`")
        found.append(router)
    return found
