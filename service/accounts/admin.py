"""Account administration (Điều 5.1, 6.2, 13.2.a): personal accounts, their roles and
certificates. Every use case takes the acting ``Principal`` and checks ``account.manage`` itself,
over the scope of each grant concerned, before anything is written; every change is attributed
in the audit log.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from service.accounts import store
from service.accounts.certificates import CertificateInfo, CertificateInput, certificate_info
from service.accounts.errors import CertificateBindingError, DuplicateAccount, InvalidAccountData
from service.accounts.identity import (
    check_full_name,
    check_national_id,
    mask_national_id,
    normalise_username,
)
from service.accounts.passwords import check_new_password, hash_password
from service.accounts.policy import DEFAULT_POLICY, AccountPolicy
from service.authz import Action, Grant, Principal, ResourceRef, Role, Scope, require
from service.context import Context
from service.db.account_models import AccountCertificateRow, AccountRow, GrantRow

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class NewAccount:
    username: str
    full_name: str
    national_id: str  # mã định danh cá nhân, 12 digits: one account per person
    password: str = field(repr=False)


def bootstrap_admin(
    ctx: Context, new: NewAccount, province: str, *, policy: AccountPolicy = DEFAULT_POLICY
) -> str:
    """The first account of an installation: a province administrator. Refused once any account
    exists (from then on, administrators create accounts)."""
    grant = Grant(Role.PROVINCE_ADMIN, Scope(province))
    with ctx.sessions.begin() as s:
        if s.scalar(select(func.count()).select_from(AccountRow)):
            raise InvalidAccountData(
                "Hệ thống đã có tài khoản: tài khoản quản trị đầu tiên chỉ tạo được một lần.",
                hint="Nhờ quản trị viên cấp Sở tạo tài khoản mới.",
            )
        return _insert(ctx, s, new, (grant,), by="system", policy=policy)


def create_account(
    ctx: Context,
    by: Principal,
    new: NewAccount,
    grants: Sequence[Grant],
    *,
    policy: AccountPolicy = DEFAULT_POLICY,
) -> str:
    """A personal account with at least one role; ``by`` must manage accounts over each grant's
    scope. Returns the (normalised) username."""
    if not grants:
        raise InvalidAccountData(
            "Tài khoản mới phải được giao ít nhất một vai trò.",
            hint="Chọn vai trò và phạm vi (trường, lớp, môn, năm học) cho người dùng.",
        )
    username = normalise_username(new.username)
    for grant in grants:
        require(by, Action.ACCOUNT_MANAGE, _resource(grant, username))
    with ctx.sessions.begin() as s:
        return _insert(ctx, s, new, tuple(grants), by=by.account_id, policy=policy)


def _insert(
    ctx: Context,
    s: Session,
    new: NewAccount,
    grants: tuple[Grant, ...],
    *,
    by: str,
    policy: AccountPolicy,
) -> str:
    username = normalise_username(new.username)
    full_name = check_full_name(new.full_name)
    national_id = check_national_id(new.national_id)
    check_new_password(new.password, policy, forbidden=(username, national_id))
    if s.scalar(select(AccountRow.id).where(AccountRow.national_id == national_id)) is not None:
        raise DuplicateAccount(
            f"Người có mã định danh {mask_national_id(national_id)} đã có tài khoản: mỗi người "
            "chỉ có một tài khoản (Điều 10).",
            hint="Giao thêm vai trò cho tài khoản sẵn có thay vì tạo tài khoản mới.",
        )
    if store.find_account(s, username) is not None:
        raise DuplicateAccount(
            f"Tên đăng nhập «{username}» đã có người dùng.",
            hint="Chọn tên đăng nhập khác, ví dụ thêm chữ cái đầu của tên đệm.",
        )
    now = ctx.clock.now()
    row = AccountRow(
        username=username,
        full_name=full_name,
        national_id=national_id,
        password_hash=hash_password(new.password, policy),
        password_changed_at=now,
        failed_logins=0,
        generation=0,
        created_at=now,
        created_by=by,
    )
    s.add(row)
    s.flush()
    for grant in grants:
        s.add(store.grant_row(row, grant, now, by))
    store.audit(
        s,
        now,
        by,
        "account.created",
        username,
        full_name=full_name,
        national_id=mask_national_id(national_id),
        grants=[store.describe_grant(g) for g in grants],
    )
    log.info("account %s created by %s", username, by)
    return username


def add_grant(ctx: Context, by: Principal, username: str, grant: Grant) -> None:
    with ctx.sessions.begin() as s:
        row = store.get_account(s, username)
        require(by, Action.ACCOUNT_MANAGE, _resource(grant, row.username))
        if grant in store.grants_of(s, row):
            return  # already held: nothing to record
        now = ctx.clock.now()
        s.add(store.grant_row(row, grant, now, by.account_id))
        store.audit(
            s, now, by.account_id, "account.granted", row.username, **store.describe_grant(grant)
        )


def revoke_grant(ctx: Context, by: Principal, username: str, grant: Grant) -> None:
    with ctx.sessions.begin() as s:
        row = store.get_account(s, username)
        require(by, Action.ACCOUNT_MANAGE, _resource(grant, row.username))
        held = [
            g
            for g in s.scalars(select(GrantRow).where(GrantRow.account_id == row.id))
            if store.grant_of(g) == grant
        ]
        if not held:
            raise InvalidAccountData(
                f"Tài khoản «{row.username}» không có vai trò {grant.role.label} "
                f"({grant.scope.describe()}).",
                hint="Xem danh sách vai trò hiện có của tài khoản.",
            )
        if len(store.grants_of(s, row)) == len(held):
            raise InvalidAccountData(
                f"Đây là vai trò cuối cùng của tài khoản «{row.username}»: không thu hồi được.",
                hint="Người dùng không còn làm việc ở đơn vị thì vô hiệu hoá tài khoản.",
            )
        for g in held:
            s.delete(g)
        now = ctx.clock.now()
        store.audit(
            s, now, by.account_id, "account.revoked", row.username, **store.describe_grant(grant)
        )


def unlock_account(ctx: Context, by: Principal, username: str) -> None:
    """End a lockout before its time (the person proved who they are to an administrator)."""
    with ctx.sessions.begin() as s:
        row = _managed(s, by, username)
        row.locked_until = None
        row.failed_logins = 0
        store.audit(s, ctx.clock.now(), by.account_id, "account.unlocked", row.username)


def reset_password(
    ctx: Context,
    by: Principal,
    username: str,
    new_password: str,
    *,
    policy: AccountPolicy = DEFAULT_POLICY,
) -> None:
    """A forgotten password: set a new one, end any lockout, sign the account out everywhere."""
    with ctx.sessions.begin() as s:
        row = _managed(s, by, username)
        check_new_password(new_password, policy, forbidden=(row.username, row.national_id))
        now = ctx.clock.now()
        row.password_hash = hash_password(new_password, policy)
        row.password_changed_at = now
        row.locked_until, row.failed_logins = None, 0
        row.generation += 1
        store.audit(s, now, by.account_id, "account.password_reset", row.username)


def reset_second_factor(ctx: Context, by: Principal, username: str) -> None:
    """A lost phone: remove the TOTP second factor; the person enrols again at next sign-in."""
    with ctx.sessions.begin() as s:
        row = _managed(s, by, username)
        row.totp_secret = row.totp_pending = None
        row.totp_enabled_at = row.totp_last_step = None
        row.generation += 1
        store.audit(s, ctx.clock.now(), by.account_id, "account.totp_reset", row.username)


def disable_account(ctx: Context, by: Principal, username: str) -> None:
    """Someone who left: no more sign-ins, every token revoked. The account and its history stay
    (it is the actor of past audit entries and the owner of past signatures)."""
    with ctx.sessions.begin() as s:
        row = _managed(s, by, username)
        now = ctx.clock.now()
        row.disabled_at = now
        row.generation += 1
        store.audit(s, now, by.account_id, "account.disabled", row.username)


def bind_certificate(
    ctx: Context, by: Principal, username: str, certificate: CertificateInput
) -> CertificateInfo:
    """Bind a signing certificate to an account (the administrator has checked it is the
    person's). A certificate belongs to one account only, for good."""
    info = certificate_info(certificate)
    with ctx.sessions.begin() as s:
        row = _managed(s, by, username)
        now = ctx.clock.now()
        if info.not_after <= now:
            raise CertificateBindingError(
                f"Chứng thư số ({info.subject}) đã hết hạn từ {info.not_after:%d/%m/%Y}.",
                hint="Gắn chứng thư số còn hiệu lực.",
            )
        existing = s.scalar(
            select(AccountCertificateRow).where(AccountCertificateRow.sha256 == info.sha256)
        )
        if existing is not None:
            if existing.account_id == row.id and existing.unbound_at is None:
                return info
            raise CertificateBindingError(
                f"Chứng thư số ({info.subject}) đã được gắn với một tài khoản khác hoặc đã bị gỡ: "
                "mỗi chứng thư số chỉ thuộc một người.",
                hint="Dùng chứng thư số cấp riêng cho người này.",
            )
        s.add(
            AccountCertificateRow(
                account_id=row.id,
                sha256=info.sha256,
                subject=info.subject,
                serial_number=info.serial_number,
                not_after=info.not_after,
                bound_at=now,
                bound_by=by.account_id,
            )
        )
        store.audit(
            s,
            now,
            by.account_id,
            "account.certificate_bound",
            row.username,
            sha256=info.sha256,
            subject=info.subject,
            serial=info.serial_number,
        )
    return info


def unbind_certificate(ctx: Context, by: Principal, username: str, sha256: str) -> None:
    """End a binding (certificate replaced or revoked). Past signatures stay attributed."""
    with ctx.sessions.begin() as s:
        row = _managed(s, by, username)
        cert = s.scalar(
            select(AccountCertificateRow).where(
                AccountCertificateRow.account_id == row.id,
                AccountCertificateRow.sha256 == sha256.lower(),
                AccountCertificateRow.unbound_at.is_(None),
            )
        )
        if cert is None:
            raise CertificateBindingError(
                f"Tài khoản «{row.username}» không có chứng thư số {sha256} đang gắn.",
                hint="Xem danh sách chứng thư số của tài khoản.",
            )
        now = ctx.clock.now()
        cert.unbound_at, cert.unbound_by = now, by.account_id
        store.audit(
            s, now, by.account_id, "account.certificate_unbound", row.username, sha256=cert.sha256
        )


def _resource(grant: Grant, username: str) -> ResourceRef:
    s = grant.scope
    return ResourceRef(s.province, s.district, s.school, year=s.year, account=username)


def _managed(s: Session, by: Principal, username: str) -> AccountRow:
    """The account, once ``by`` may manage it: over every grant it holds (a teacher in two
    schools is managed by an administrator over both). Every account holds at least one grant:
    creation needs one and the last one cannot be revoked."""
    row = store.get_account(s, username)
    for grant in store.grants_of(s, row):
        require(by, Action.ACCOUNT_MANAGE, _resource(grant, row.username))
    return row
