"""Each account holds the SHA-256 fingerprints of its signing certificates; a certificate
belongs to one account only; unbinding keeps past signatures attributable."""

from __future__ import annotations

from datetime import timedelta

import pytest
from cryptography.hazmat.primitives.serialization import Encoding

from accounts.conftest import School
from accounts.helpers import SCHOOL_ADMIN, T0, TEACHER, advance, certificate
from service.accounts import (
    CertificateBindingError,
    account_of_certificate,
    bind_certificate,
    certificate_belongs_to,
    certificates_of,
    fingerprint,
    unbind_certificate,
)
from service.authz import Forbidden


def test_a_bound_certificate_belongs_to_its_account_only(school: School) -> None:
    ctx = school.ctx
    cert = certificate("Giàng Thị Mai")
    info = bind_certificate(ctx, school.school_admin, TEACHER.username, cert)
    assert (
        info.sha256
        == fingerprint(cert.public_bytes(Encoding.DER))
        == fingerprint(cert.public_bytes(Encoding.PEM))
    )
    assert certificate_belongs_to(ctx, TEACHER.username, cert)
    assert certificate_belongs_to(ctx, "GIANG.THI.MAI", cert.public_bytes(Encoding.PEM))
    assert not certificate_belongs_to(ctx, SCHOOL_ADMIN.username, cert)
    assert not certificate_belongs_to(ctx, TEACHER.username, certificate("Giàng Thị Mai"))
    assert [c.sha256 for c in certificates_of(ctx, TEACHER.username)] == [info.sha256]
    # binding again is a no-op; binding to someone else is refused
    assert bind_certificate(ctx, school.school_admin, TEACHER.username, cert) == info
    with pytest.raises(CertificateBindingError, match="chỉ thuộc một người"):
        bind_certificate(ctx, school.province_admin, SCHOOL_ADMIN.username, cert)


def test_unbinding_keeps_past_signatures_attributable(school: School) -> None:
    ctx = school.ctx
    cert = certificate("Giàng Thị Mai")
    bind_certificate(ctx, school.school_admin, TEACHER.username, cert)
    signed_at = ctx.clock.now() + timedelta(hours=1)
    advance(ctx, days=30)
    unbind_certificate(ctx, school.school_admin, TEACHER.username, fingerprint(cert))
    assert not certificate_belongs_to(ctx, TEACHER.username, cert)
    assert certificate_belongs_to(ctx, TEACHER.username, cert, at=signed_at)
    assert account_of_certificate(ctx, cert, at=T0 - timedelta(days=1)) is None  # before binding
    assert certificates_of(ctx, TEACHER.username) == []
    with pytest.raises(CertificateBindingError, match="chỉ thuộc một người"):  # for good
        bind_certificate(ctx, school.school_admin, TEACHER.username, cert)


def test_unusable_certificates_are_refused(school: School) -> None:
    ctx = school.ctx
    expired = certificate("Giàng Thị Mai", not_before=T0 - timedelta(days=400), days=365)
    with pytest.raises(CertificateBindingError, match="hết hạn"):
        bind_certificate(ctx, school.school_admin, TEACHER.username, expired)
    with pytest.raises(CertificateBindingError, match="không đọc được"):
        bind_certificate(ctx, school.school_admin, TEACHER.username, b"not a certificate")
    with pytest.raises(Forbidden):  # binding is an administrator's act, within scope
        bind_certificate(ctx, school.school_admin, "qt.so.laocai", certificate("Hoàng Văn Sơn"))
