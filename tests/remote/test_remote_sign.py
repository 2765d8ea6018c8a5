"""``hsdt remote-sign`` end to end: a real server (uvicorn on 127.0.0.1, as ``hsdt serve``), the
teacher's PC as another process, and the key on a SoftHSM2 token or in a PKCS#12 file.

Two subject teachers each sign their whole queue through the API's two-phase endpoints; the
records they signed verify (intact, trusted, timestamped); a wrong password, and a certificate
that is not the teacher's, are readable refusals with nothing signed.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from support.schools import small_school
from web.web_world import FAST, World, build, make_accounts, serving

from api.app import create_app
from api.http.resources import ResourceCatalog
from api.http.state import ApiSettings
from records.slots import SignerRole
from service.signing_plans import PlanCatalog
from signing.backends.pkcs11 import softhsm_module_candidates
from signing.backends.softhsm import TokenInfo, provision_softhsm_token
from signing.devpki import DevPki, serve_dev_pki
from signing.verify import verify_pdf

HSDT = [sys.executable, "-m", "api.cli"]
PIN = "246810"


@dataclass
class Served:
    world: World
    pki: DevPki
    root: Path

    def teacher(self, index: int) -> tuple[str, str]:
        """(username, teacher id) of the index-th subject teacher of the first class."""
        people = sorted(
            {t for s in self.world.ds.classes[0].subjects for t in s.teachers}
            - {self.world.ds.classes[0].homeroom_teacher}
        )
        person = people[index]
        username = next(u for u in self.world.accounts if u.endswith("." + person.lower()))
        return username, person


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    root = tmp_path_factory.mktemp("remote") / "home"
    with pytest.MonkeyPatch.context() as mp:
        mp.delenv("HSDT_DATABASE_URL", raising=False)
        mp.setenv("SOFTHSM2_CONF", "")  # restored afterwards: provisioning points it elsewhere
        ds = small_school()
        ctx, pki = build(root, ds, render=True, previous=False)
        with serve_dev_pki(pki):
            world = make_accounts(ctx, ds)
            app = create_app(ctx, settings=ApiSettings(policy=FAST))
            with serving(app) as base:
                world.base = base
                yield Served(world, pki, root)
        ctx.close()
    shutil.rmtree(root.parent, ignore_errors=True)


def _remote_sign(
    served: Served, username: str, *args: str, password: str | None = None, env: dict[str, str]
) -> subprocess.CompletedProcess[str]:
    environment = {**os.environ, **env}
    environment["HSDT_PASSWORD"] = password or served.world.passwords[username]
    return subprocess.run(
        [*HSDT, "remote-sign", "--server", served.world.base, "--user", username, *args],
        capture_output=True,
        text=True,
        timeout=300,
        env=environment,
        cwd=served.root.parent,  # the teacher's PC: no home of its own
    )


def _waiting(served: Served, person: str) -> list[tuple[str, str]]:
    """(document id, field) of the person's unsigned slots, from the server's home."""
    catalog, found = PlanCatalog(served.world.ctx), []
    for info in ResourceCatalog(served.world.ctx).records(school=served.world.ds.school.code):
        plan = catalog.plan(info.dataset_id, info.class_id, info.document_id)
        for slot in plan.slots_of(person):
            if slot.role is SignerRole.SUBJECT_TEACHER and slot.field_name not in set(
                info.signed_fields
            ):
                found.append((info.document_id, slot.field_name))
    return sorted(found)


def _check_signed(served: Served, signed: list[tuple[str, str]]) -> None:
    resources = ResourceCatalog(served.world.ctx)
    for document_id, field_name in signed:
        info = resources.record(document_id)
        assert field_name in info.signed_fields
        pdf = (served.world.ctx.home.root / info.pdf_path).read_bytes()
        report = verify_pdf(
            pdf, trust_roots=served.pki.trust_roots(), demo_mode=True, require_lta=False
        )
        mine = [s for s in report.signatures if s.field_name == field_name]
        assert len(mine) == 1 and mine[0].ok, (document_id, field_name, report.findings)
        assert mine[0].timestamp is not None  # the server added the signature timestamp (B-T)


def _outcomes(done: subprocess.CompletedProcess[str]) -> list[dict[str, str]]:
    assert done.returncode == 0, done.stdout + done.stderr
    found: list[dict[str, str]] = json.loads(done.stdout)
    return found


def test_a_teacher_signs_the_queue_with_a_pkcs12_file(served: Served, tmp_path: Path) -> None:
    username, person = served.teacher(0)
    waiting = _waiting(served, person)
    assert waiting
    identity = served.pki.identity(person)
    secret = tmp_path / "mat-khau.txt"
    secret.write_bytes(identity.passphrase + b"\n")

    listed = _remote_sign(served, username, "--list", env={})
    assert listed.returncode == 0, listed.stderr
    assert f"Hàng đợi ký: {len(waiting)} ô ký" in listed.stdout

    done = _remote_sign(
        served,
        username,
        "--p12", str(identity.pkcs12_path), "--passphrase-file", str(secret), "--all", "--json",
        env={},
    )  # fmt: skip
    outcomes = _outcomes(done)
    assert sorted((o["document_id"], o["field"]) for o in outcomes) == waiting
    assert {o["status"] for o in outcomes} == {"signed"}
    assert all(o["message"].startswith("Đã ký") for o in outcomes)
    _check_signed(served, waiting)
    assert _waiting(served, person) == []


def test_a_teacher_signs_with_a_usb_token(served: Served, tmp_path: Path) -> None:
    if not any(p.is_file() for p in softhsm_module_candidates()):
        pytest.skip("SoftHSM2 is not installed (apt install softhsm2)")
    username, person = served.teacher(1)
    waiting = _waiting(served, person)
    assert waiting
    token: TokenInfo = provision_softhsm_token(
        served.pki,
        person,
        token_label=f"token-{person}",
        pin=PIN,
        so_pin="13579135",
        softhsm_dir=tmp_path / "softhsm",
    )
    pin_file = tmp_path / "pin.txt"
    pin_file.write_text(PIN + "\n", encoding="utf-8")
    token_args = [
        "--pkcs11-module", str(token.module_path), "--token-label", token.token_label,
        "--key-label", token.key_label, "--pin-file", str(pin_file),
    ]  # fmt: skip
    env = {"SOFTHSM2_CONF": str(token.softhsm_conf)}

    # one record chosen by its id, then the rest of the queue (human-readable outcomes)
    first = waiting[0][0]
    one = _remote_sign(served, username, *token_args, "--document", first, env=env)
    assert one.returncode == 0, one.stdout + one.stderr
    assert "Đã ký" in one.stdout and "Đã ký 1/1 hồ sơ." in one.stdout
    rest = _remote_sign(served, username, *token_args, "--all", "--json", env=env)
    outcomes = _outcomes(rest)
    assert {o["status"] for o in outcomes} == {"signed"}
    assert len(outcomes) == len(waiting) - 1
    _check_signed(served, waiting)

    # nothing left: a second run signs nothing and says so
    again = _remote_sign(served, username, *token_args, "--all", env=env)
    assert again.returncode == 0 and "Không có hồ sơ nào chờ bạn ký." in again.stdout


def test_refusals_are_readable_and_sign_nothing(served: Served, tmp_path: Path) -> None:
    username, person = served.teacher(2)
    waiting = _waiting(served, person)
    wrong = _remote_sign(served, username, "--list", password="không phải mật khẩu", env={})
    assert wrong.returncode == 2
    assert "Lỗi:" in wrong.stderr and "Traceback" not in wrong.stderr

    # another teacher's PKCS#12: the server refuses a certificate not bound to this account
    other = served.pki.identity(served.teacher(0)[1])
    secret = tmp_path / "mat-khau.txt"
    secret.write_bytes(other.passphrase + b"\n")
    done = _remote_sign(
        served,
        username,
        "--p12", str(other.pkcs12_path), "--passphrase-file", str(secret), "--all",
        env={},
    )  # fmt: skip
    assert done.returncode == 2, done.stdout + done.stderr
    said = " ".join(done.stderr.split())  # the console wraps long lines
    assert "Chứng thư số này chưa được gắn với tài khoản của bạn" in said
    assert "Traceback" not in done.stdout + done.stderr
    assert _waiting(served, person) == waiting  # nothing signed
