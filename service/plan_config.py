"""Signing plans configured in the home: ``plans/*.json``, each a plan or a list of plans.

A province or a school adds its own plan there (scope ``{"province": "10"}`` or
``{"school": "<code>"}``); the most specific plan wins, the built-in defaults cover the rest. See
docs/signing-workflow.md for the format.
"""

from __future__ import annotations

import json
from typing import Any

from service.errors import HsdtError
from service.home import Home
from signing.plans import PlanError, PlanRegistry


def plan_registry(home: Home) -> PlanRegistry:
    extra: list[dict[str, Any]] = []
    folder = home.root / "plans"
    for path in sorted(folder.glob("*.json")) if folder.is_dir() else []:
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise HsdtError(
                f"Không đọc được kế hoạch ký {path.name}: {exc}.",
                hint="Sửa tệp JSON (xem docs/signing-workflow.md, mục «Kế hoạch ký») rồi chạy lại.",
            ) from exc
        plans = data if isinstance(data, list) else [data]
        if not all(isinstance(p, dict) for p in plans):
            raise HsdtError(f"Kế hoạch ký {path.name}: mỗi kế hoạch phải là một đối tượng JSON.")
        extra += plans
    try:
        return PlanRegistry.load(extra)
    except PlanError as exc:
        raise HsdtError(
            f"Kế hoạch ký trong {folder.name}/ không hợp lệ: {exc}",
            hint="Sửa tệp kế hoạch ký (xem docs/signing-workflow.md) rồi chạy lại.",
        ) from exc
