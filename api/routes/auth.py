"""Signing in and the signed-in account: POST /auth/login, GET /me."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter
from pydantic import BaseModel, Field

from api.http.authz import AUTHENTICATED, PUBLIC, guarded
from api.http.caller import PrincipalDep
from api.http.problems import problem_responses
from api.http.state import StateDep
from api.routes import PREFIX
from api.routes._models import GrantOut
from service.accounts import certificates_of, login
from service.authz import Grant

router = APIRouter(prefix=PREFIX, tags=["Đăng nhập"])


class LoginIn(BaseModel):
    username: str = Field(min_length=1, max_length=64, description="Tên đăng nhập cá nhân.")
    password: str = Field(min_length=1, max_length=1024, description="Mật khẩu.")
    totp_code: str | None = Field(
        default=None,
        max_length=16,
        description="Mã 6 chữ số từ ứng dụng xác thực, khi tài khoản bật xác thực hai bước.",
    )

    model_config = {
        "json_schema_extra": {"examples": [{"username": "{username}", "password": "{password}"}]}
    }


class TokenOut(BaseModel):
    access_token: str = Field(description="Mã phiên: gửi trong tiêu đề Authorization: Bearer …")
    token_type: str = "bearer"
    username: str
    expires_at: datetime = Field(description="Hết hạn lúc (UTC); sau đó đăng nhập lại.")


class CertificateOut(BaseModel):
    sha256: str
    subject: str
    serial_number: str
    not_after: datetime
    bound_at: datetime


class MeOut(BaseModel):
    username: str
    grants: list[GrantOut]
    certificates: list[CertificateOut]


@router.post(
    "/auth/login",
    summary="Đăng nhập",
    description="Đăng nhập bằng tên và mật khẩu (và mã xác thực hai bước nếu đã bật); trả về mã "
    "phiên ngắn hạn (15 phút). Sai 5 lần liên tiếp, tài khoản tạm khoá 15 phút (423).",
    response_model=TokenOut,
    responses=problem_responses(401, 403, 422, 423),
    openapi_extra=guarded(PUBLIC),
)
def post_login(body: LoginIn, state: StateDep) -> TokenOut:
    token = login(
        state.ctx, body.username, body.password, body.totp_code, policy=state.settings.policy
    )
    return TokenOut(access_token=token.value, username=token.username, expires_at=token.expires_at)


def grant_out(g: Grant) -> GrantOut:
    s = g.scope
    return GrantOut(
        role=str(g.role),
        role_label=g.role.label,
        scope=s.describe(),
        province=s.province,
        district=s.district,
        school=s.school,
        year=s.year,
        classes=sorted(s.classes),
        subject=s.subject,
        student=s.student,
        person_id=g.person_id,
    )


@router.get(
    "/me",
    summary="Tài khoản đang đăng nhập",
    description="Vai trò và phạm vi được giao (đọc mới từ cơ sở dữ liệu ở mỗi yêu cầu) và các "
    "chứng thư số gắn với tài khoản.",
    response_model=MeOut,
    responses=problem_responses(401),
    openapi_extra=guarded(AUTHENTICATED),
)
def get_me(principal: PrincipalDep, state: StateDep) -> MeOut:
    certs = certificates_of(state.ctx, principal.account_id)
    return MeOut(
        username=principal.account_id,
        grants=[grant_out(g) for g in principal.grants],
        certificates=[
            CertificateOut(
                sha256=c.sha256,
                subject=c.subject,
                serial_number=c.serial_number,
                not_after=c.not_after,
                bound_at=c.bound_at,
            )
            for c in certs
        ],
    )
