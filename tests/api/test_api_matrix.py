"""Every endpoint × every role, at a scope covering the world and at one that does not.

Routes are enumerated from the app, so routes added later are covered without touching this file;
each must declare its action (``x-hsdt-action``) and, when it takes a JSON body, carry an example
in its request model (placeholders ``{document_id}``, ``{field}``… are filled from the world). The
authorizer runs in probe mode: a request stops right after its first allowed ``require`` (so
nothing is signed or imported here), and every decision is recorded and compared with
``service.authz.authorize`` on the grants read back from the database.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from api_world import DISTRICT, PROVINCE, SCHOOL, YEAR, World

from api.http.authz import ACTION_KEY, AUTHENTICATED, MODE_KEY, PUBLIC, Mode
from records.canonical import dataset_to_json
from service.accounts import authenticate_token
from service.authz import Action, Role, authorize

PLACEHOLDERS = {
    "{province}": PROVINCE,
    "{district}": DISTRICT,
    "{school}": SCHOOL,
    "{year}": YEAR,
    "{field}": "gvbm_TOAN",
    "{certificate_pem}": "-----BEGIN CERTIFICATE-----\nAA==\n-----END CERTIFICATE-----\n",
    "{username}": "khong.co.ai",
    "{password}": "sai mật khẩu",
}


Operation = tuple[str, str, dict[str, Any]]  # path, method, OpenAPI operation


def routes(world: World) -> list[Operation]:
    """Every operation of the app, from its OpenAPI document (``create_app`` refuses routes
    hidden from it or without a declared action)."""
    found = [
        (path, method.upper(), op)
        for path, operations in world.app.openapi()["paths"].items()
        for method, op in operations.items()
    ]
    assert found
    return found


def declared(op: Operation) -> tuple[str, str]:
    path, _, operation = op
    action = operation.get(ACTION_KEY)
    assert action is not None, (
        f"{path}: no declared action — add openapi_extra=guarded(Action.…) to the route"
    )
    assert action in {PUBLIC, AUTHENTICATED} or action in set(Action), (path, action)
    mode = operation.get(MODE_KEY, Mode.REQUIRE)
    assert mode in set(Mode), (path, mode)
    return action, str(mode)


def document_for(world: World, action: str) -> str:
    """This year's học bạ, or last year's locked one for actions on locked records only."""
    if action not in set(Action):
        return world.document_id
    states = Action(action).spec.states
    resources = world.app.state.hsdt.resources
    for document_id in (world.document_id, world.locked_document_id):
        if resources.record(document_id).state in states:
            return document_id
    return world.document_id


def _fill(value: Any, world: World, document_id: str) -> Any:
    if isinstance(value, str):
        subs = {**PLACEHOLDERS, "{document_id}": document_id}
        return subs.get(value, value)
    if isinstance(value, list):
        return [_fill(v, world, document_id) for v in value]
    if isinstance(value, dict):
        return {k: _fill(v, world, document_id) for k, v in value.items()}
    return value


def request_for(world: World, op: Operation) -> dict[str, Any]:
    """A request for an operation about the world's records, built from its parameters and its
    documented example."""
    path, method, operation = op
    document_id = document_for(world, operation.get(ACTION_KEY, ""))
    values = {"document_id": document_id, "pending_id": world.pending_id}
    values |= {k: str(v) for k, v in world.path_values.items()}
    action = operation.get(ACTION_KEY, "")
    values |= {k: str(v) for k, v in world.action_path_values.get(action, {}).items()}
    url = path
    for param in operation.get("parameters", []):
        if param["in"] != "path":
            continue
        if param["name"] not in values:
            pytest.fail(f"{path}: no sample value for path parameter {param['name']!r}")
        url = url.replace("{" + param["name"] + "}", values[param["name"]])
    kwargs: dict[str, Any] = {"method": method, "url": url, "params": {"limit": 500}}
    if "requestBody" not in operation:
        return kwargs
    content = operation["requestBody"]["content"]
    if "multipart/form-data" in content:
        kwargs["files"] = {"file": ("school.json", dataset_to_json(world.dataset))}
        return kwargs
    schema = content["application/json"]["schema"]
    ref = schema.get("$ref", "")
    component = world.app.openapi()["components"]["schemas"][ref.rsplit("/", 1)[-1]]
    examples = component.get("examples")
    assert examples, f"{path}: its request model needs json_schema_extra examples"
    kwargs["json"] = _fill(examples[0], world, document_id)
    return kwargs


@pytest.fixture
def probing(world: World) -> Iterator[World]:
    world.recorder.probe = True
    try:
        yield world
    finally:
        world.recorder.probe = False
        world.recorder.calls.clear()


@pytest.mark.parametrize("matching", [True, False], ids=["in-scope", "out-of-scope"])
@pytest.mark.parametrize("role", list(Role))
def test_every_route_decides_as_authorize(probing: World, role: Role, matching: bool) -> None:
    world = probing
    person = world.people[(role, matching)]
    headers = world.headers(person.username)
    principal = authenticate_token(world.ctx, world.token(person.username))
    assert set(principal.grants) == set(person.grants)
    problems: list[str] = []
    for op in routes(world):
        action, mode = declared(op)
        if action == PUBLIC:
            continue
        world.recorder.calls.clear()
        r = world.client.request(**request_for(world, op), headers=headers)
        calls = list(world.recorder.calls)
        where = f"{op[1]} {op[0]} as {person.username}"
        if action == AUTHENTICATED:
            if r.status_code != 200 or calls:
                problems.append(f"{where}: {r.status_code} with {len(calls)} checks")
            continue
        for c in calls:
            assert c.action == action, f"{where}: checked {c.action}, declares {action}"
            assert c.principal == principal, where
            assert authorize(principal, c.action, c.resource) == c.decision, where
            res = c.resource  # a real place: the world's, never a made-up one
            assert res.province == PROVINCE and res.district in (None, DISTRICT), where
            assert res.school in (None, SCHOOL), where
        if mode == Mode.FILTER:
            assert all(c.kind == "authorize" for c in calls), where
            allowed = sum(c.decision.allowed for c in calls)
            if r.status_code != 200:
                problems.append(f"{where}: {r.status_code} {r.text[:200]}")
            elif len(r.json()["items"]) != allowed:
                problems.append(f"{where}: {len(r.json()['items'])} items, {allowed} allowed")
            elif not matching and allowed:
                problems.append(f"{where}: out-of-scope account saw {allowed} items")
            continue
        requires = [c for c in calls if c.kind == "require"]
        if not requires:
            problems.append(f"{where}: no permission checked ({r.status_code} {r.text[:200]})")
            continue
        denied = next((c for c in requires if not c.decision.allowed), None)
        if denied is not None:
            body = r.json()
            if r.status_code != 403 or body.get("code") != denied.decision.rule:
                problems.append(f"{where}: {r.status_code} {body}, expected {denied.decision}")
            elif denied.decision.reason not in body["detail"]:
                problems.append(f"{where}: detail {body['detail']!r}")
            assert r.headers["content-type"].startswith("application/problem+json")
        elif r.status_code != 200 or r.headers.get("X-Probe") != "allowed":
            problems.append(f"{where}: allowed but answered {r.status_code} {r.text[:200]}")
        if not matching and denied is None:
            problems.append(f"{where}: out-of-scope account was allowed")
    assert not problems, "\n".join(problems)


def test_every_guarded_route_is_allowed_to_someone(probing: World) -> None:
    """A route nobody in scope may use would be dead (or wrongly guarded)."""
    world = probing
    for op in routes(world):
        action, mode = declared(op)
        if action in (PUBLIC, AUTHENTICATED) or mode == Mode.FILTER:
            continue
        allowed_by = []
        for role in Role:
            person = world.people[(role, True)]
            r = world.client.request(
                **request_for(world, op), headers=world.headers(person.username)
            )
            if r.headers.get("X-Probe") == "allowed":
                allowed_by.append(role)
        assert allowed_by, f"{op[1]} {op[0]}: no role in scope may use it"


def test_every_route_but_login_needs_a_token(world: World) -> None:
    for op in routes(world):
        action, _ = declared(op)
        if action == PUBLIC:
            continue
        r = world.client.request(**request_for(world, op))
        assert r.status_code == 401, (op[0], r.text)
        assert r.headers["content-type"].startswith("application/problem+json")
        assert r.json()["code"] == "auth.missing_token"
        assert r.headers["www-authenticate"] == "Bearer"
