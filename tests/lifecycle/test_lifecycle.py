"""The record lifecycle on SQLite and PostgreSQL: states, confirmations, lock windows, guards."""

from __future__ import annotations

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import Prehashed
from cryptography.hazmat.primitives.serialization import pkcs12

from lifecycle.conftest import Schools, store
from lifecycle.flow import documents, newest, renamed_student, sign, snapshot
from service.archiving import archive_signed
from service.authz import (
    Action,
    Forbidden,
    Grant,
    Principal,
    RecordState,
    ResourceRef,
    Role,
    Scope,
    authorize,
)
from service.context import Context
from service.importing import import_file
from service.lifecycle import NotConfirmed, class_state, confirm_class, record_state, record_states
from service.locks import LockScope, LockTerm, RecordLocked, close_lock, list_locks, open_lock
from service.rendering import render_dataset
from service.signing import Status, finish_external, prepare_external
from signing.devpki import DevPki


def _scope(schools: Schools) -> LockScope:
    a = schools.a
    return LockScope(a.province.code, a.district.code, a.school.code)


def _states(ctx: Context, document_ids: list[str]) -> set[RecordState]:
    with ctx.sessions() as s:
        return {record_state(s, newest(ctx, d), now=ctx.clock.now()) for d in document_ids}


def _stored(ctx: Context, document_ids: list[str]) -> set[str]:
    return {newest(ctx, d).state for d in document_ids}


def test_a_record_goes_through_every_state(home: Context, schools: Schools) -> None:
    a, docs = schools.a, documents(home, schools.a.school.code)
    assert len(docs) == 3
    with home.sessions() as s:
        assert class_state(s, a.school.code, a.school_year, schools.class_id, a) is (
            RecordState.CONFIRMED
        )
    assert _states(home, docs) == {RecordState.CONFIRMED}  # stored "rendered"

    assert sign(home, schools.pki, "GV003").ok
    assert _states(home, docs) == {RecordState.SIGNING}
    assert sign(home, schools.pki, "GV001").ok
    assert _states(home, docs) == {RecordState.SIGNED}

    # archiving takes only locked records
    assert archive_signed(home).documents == []
    window = open_lock(
        home,
        None,
        _scope(schools),
        year=a.school_year,
        term=LockTerm.YEAR,
        reason="Khoá sổ cuối năm học",
    )
    assert window.documents == 3 and window.active
    assert _stored(home, docs) == {"locked"} and _states(home, docs) == {RecordState.LOCKED}

    # closing gives back "signed" to what the window locked
    closed = close_lock(home, None, window.id, reason="Mở lại để bổ sung chữ ký")
    assert closed.documents == 3 and not closed.active
    assert _stored(home, docs) == {"signed"}
    assert [w.id for w in list_locks(home, active_only=True)] == []

    again = open_lock(
        home,
        None,
        _scope(schools),
        year=a.school_year,
        term=LockTerm.YEAR,
        reason="Khoá sổ lần hai",
    )
    report = archive_signed(home)
    assert report.ok and len(report.documents) == 3, report.to_json()
    assert _states(home, docs) == {RecordState.ARCHIVED}

    # an archived record is never unlocked: closing the window leaves it archived
    assert close_lock(home, None, again.id, reason="Hết kì").documents == 0
    assert _stored(home, docs) == {"archived"}
    principal = Principal(
        "ht", (Grant(Role.PRINCIPAL, Scope("10", "082", a.school.code), person_id="GV001"),)
    )
    ref = ResourceRef("10", "082", a.school.code, state=RecordState.ARCHIVED)
    decision = authorize(principal, Action.RECORD_UNLOCK, ref)
    assert not decision.allowed and decision.rule == "deny.locked"
    # new data for an archived record is refused: its only way to change is a correction
    before = snapshot(home)
    with pytest.raises(RecordLocked) as archived:
        store(home, renamed_student(a, "Nguyễn Văn Mới"), "a-changed.json")
    assert "đã lưu trữ" in archived.value.message
    assert snapshot(home) == before


def test_new_data_voids_the_confirmation_and_rendering_waits_for_it(
    home: Context, schools: Schools
) -> None:
    a, class_id = schools.a, schools.class_id
    changed = renamed_student(a, "Nguyễn Văn Mới")
    path = home.home.root / "samples" / "a-changed.json"
    from records.canonical import dataset_to_json

    path.write_bytes(dataset_to_json(changed))
    outcome = import_file(home, path)
    assert outcome.created and outcome.unconfirmed == (class_id,)
    with home.sessions() as s:
        assert class_state(s, a.school.code, a.school_year, class_id, changed) is RecordState.DRAFT

    before = snapshot(home)
    with pytest.raises(NotConfirmed) as refused:
        render_dataset(home, outcome.dataset_id, changed)
    assert class_id in refused.value.message and a.school_year in refused.value.message
    assert refused.value.hint is not None and "hsdt confirm" in refused.value.hint
    assert snapshot(home) == before  # nothing rendered, nothing recorded

    confirmation = confirm_class(home, None, class_id, year=a.school_year, school=a.school.code)
    assert confirmation.created and confirmation.dataset_id == outcome.dataset_id
    assert confirm_class(home, None, class_id, school=a.school.code).created is False  # no-op
    summary = render_dataset(home, outcome.dataset_id, changed)
    assert sum(summary.rendered.values()) >= 1  # the renamed student's records: new versions

    # another school's new data leaves this class confirmed
    store(home, renamed_student(schools.b, "Lê Thị Khác"), "b-changed.json")
    with home.sessions() as s:
        assert class_state(s, a.school.code, a.school_year, class_id, changed) is (
            RecordState.CONFIRMED
        )


def _sign_hash(pki: DevPki, person_id: str, digest: bytes) -> bytes:
    identity = pki.identity(person_id)
    key, _, _ = pkcs12.load_key_and_certificates(
        identity.pkcs12_path.read_bytes(), identity.passphrase
    )
    assert isinstance(key, rsa.RSAPrivateKey)
    return key.sign(digest, padding.PKCS1v15(), Prehashed(hashes.SHA256()))


def test_a_lock_refuses_every_write_and_writes_nothing(home: Context, schools: Schools) -> None:
    a, pki = schools.a, schools.pki
    hb = next(d for d in documents(home, a.school.code) if d.startswith("HB-"))
    ident = pki.identity("GV003")
    pending = prepare_external(home, hb, "gvcn", "GV003", ident.certificate, ident.chain)
    changed = renamed_student(a, "Nguyễn Văn Mới")
    changed_id = store(home, changed, "a-changed.json")  # before the window: allowed
    confirm_class(home, None, schools.class_id, school=a.school.code)
    window = open_lock(
        home,
        None,
        _scope(schools),
        year=a.school_year,
        term=LockTerm.YEAR,
        reason="Thanh tra của Sở",
    )
    assert window.documents == 0  # nothing signed yet: frozen, states kept
    assert _states(home, [hb]) == {RecordState.CONFIRMED}
    before = snapshot(home)

    def refused(error: RecordLocked) -> None:
        assert "Thanh tra của Sở" in error.message and f"đợt khoá số {window.id}" in error.message
        assert error.hint is not None and "Điều 11.4" in error.hint
        assert error.window is not None and error.window.id == window.id

    with pytest.raises(RecordLocked) as imported:
        store(home, renamed_student(a, "Trần Thị Khác"), "a-again.json")
    refused(imported.value)
    with pytest.raises(RecordLocked) as rendered:
        render_dataset(home, changed_id, changed)
    refused(rendered.value)
    (outcome,) = sign(home, pki, "GV003", hb).documents
    assert outcome.status is Status.REFUSED and outcome.code == "deny.locked"
    assert isinstance(outcome.error, RecordLocked)
    refused(outcome.error)
    with pytest.raises(RecordLocked) as prepared:
        prepare_external(home, hb, "gvcn", "GV003", ident.certificate, ident.chain)
    refused(prepared.value)
    with pytest.raises(RecordLocked) as finished:
        finish_external(home, pending.id, signature=_sign_hash(pki, "GV003", pending.digest))
    refused(finished.value)
    assert snapshot(home) == before  # not a row, not an event, not a pending entry

    close_lock(home, None, window.id, reason="Kết thúc thanh tra")
    done = finish_external(home, pending.id, signature=_sign_hash(pki, "GV003", pending.digest))
    assert done.status is Status.SIGNED  # the same request goes through once the window closes


def test_windows_cover_their_district_or_province_and_term_only(
    home: Context, schools: Schools
) -> None:
    a, b = schools.a, schools.b
    year = a.school_year

    def frozen() -> tuple[set[int | None], set[int | None]]:
        rows = record_states(home, year=year)
        in_a = {r.frozen_by for r in rows if r.document_id.split("-")[1] == a.school.code}
        in_b = {r.frozen_by for r in rows if r.document_id.split("-")[1] == b.school.code}
        return in_a, in_b

    district = open_lock(
        home,
        None,
        LockScope("10", a.district.code),
        year=year,
        term=LockTerm.YEAR,
        reason="Kiểm tra của Phòng",
    )
    assert frozen() == ({district.id}, {None})
    store(home, renamed_student(b, "Lê Thị Khác"), "b-changed.json")  # B is not covered
    with pytest.raises(RecordLocked):
        store(home, renamed_student(a, "Trần Thị Khác"), "a-changed.json")
    close_lock(home, None, district.id, reason="Xong")

    other = open_lock(
        home, None, LockScope("99"), year=year, term=LockTerm.YEAR, reason="Tỉnh khác"
    )
    assert frozen() == ({None}, {None})
    province = open_lock(
        home, None, LockScope("10"), year=year, term=LockTerm.YEAR, reason="Thanh tra của Sở"
    )
    assert frozen() == ({province.id}, {province.id})
    for w in (other, province):
        close_lock(home, None, w.id, reason="Xong")

    # terms: secondary records are yearly — HK1 leaves them alone, HK2 (end of year) covers them
    hk1 = open_lock(home, None, _scope(schools), year=year, term=LockTerm.HK1, reason="HK1")
    assert frozen() == ({None}, {None})
    hk2 = open_lock(home, None, _scope(schools), year=year, term=LockTerm.HK2, reason="HK2")
    assert frozen() == ({hk2.id}, {None})
    other_year = open_lock(
        home, None, _scope(schools), year="2024-2025", term=LockTerm.YEAR, reason="Năm trước"
    )
    assert frozen() == ({hk2.id}, {None})
    assert {w.id for w in list_locks(home, active_only=True)} == {hk1.id, hk2.id, other_year.id}


def test_locking_and_unlocking_need_the_right_role(home: Context, schools: Schools) -> None:
    a = schools.a
    school = Scope("10", a.district.code, a.school.code)
    principal = Principal("ht", (Grant(Role.PRINCIPAL, school, person_id="GV001"),))
    homeroom = Principal(
        "gvcn",
        (
            Grant(
                Role.HOMEROOM_TEACHER,
                Scope(
                    "10",
                    a.district.code,
                    a.school.code,
                    year=a.school_year,
                    classes=frozenset({schools.class_id}),
                ),
                person_id="GV003",
            ),
        ),
    )
    other_district = Principal("phong", (Grant(Role.DISTRICT_ADMIN, Scope("10", "099")),))
    before = snapshot(home)
    with pytest.raises(Forbidden):
        open_lock(
            home, homeroom, _scope(schools), year=a.school_year, term=LockTerm.YEAR, reason="?"
        )
    with pytest.raises(Forbidden):
        open_lock(
            home,
            principal,
            LockScope("10", a.district.code),
            year=a.school_year,
            term=LockTerm.YEAR,
            reason="cả Phòng",
        )
    assert snapshot(home) == before

    window = open_lock(
        home, principal, _scope(schools), year=a.school_year, term=LockTerm.YEAR, reason="Khoá sổ"
    )
    with pytest.raises(Forbidden):
        close_lock(home, other_district, window.id, reason="?")
    assert close_lock(home, principal, window.id, reason="Mở lại").closed_by == "ht"

    # the homeroom teacher confirms their class (the same data again: nothing new)
    assert confirm_class(home, homeroom, schools.class_id, school=a.school.code).created is False
    with pytest.raises(Forbidden):
        confirm_class(home, principal, schools.class_id, school=a.school.code)
