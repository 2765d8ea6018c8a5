"""The per-verification memos change how fast a report is made, never what it says.

Every report here is made twice, with the memos and with pyHanko's and asn1crypto's own code
(no verification scope: the patched functions then run the originals), and must be identical, for
the honest record and for every kind of tampering the verifier catches.
"""

from __future__ import annotations

import asyncio
import io
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from functools import partial
from typing import Any

import pytest
from asn1crypto import x509 as asn1_x509
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.validation import ades

import signing.name_cache as name_cache
import signing.validation_cache as validation_cache
import signing.verify as verify_module
from pades.documents import (
    SLOTS,
    append_page_content,
    corrupt_signature_container,
    flip_byte_in_revision,
    remove_signature,
    rewrite,
)
from signing.devpki import DevPki
from signing.devpki.pki import UNTRUSTED_ROOT
from signing.diff_cache import MemoizedDiffPolicy
from signing.validation_scope import ValidationScope, current_scope, verification_scope
from signing.verify import VerificationReport, verify_pdf

_Tamper = Callable[[bytes], bytes]
TAMPERINGS: dict[str, _Tamper] = {
    "honest": lambda pdf: pdf,
    **{
        f"flipped byte in revision {r}": partial(flip_byte_in_revision, revision=r)
        for r in range(len(SLOTS) + 2)
    },
    "appended content": append_page_content,
    "removed signature": lambda pdf: remove_signature(pdf, "gvcn"),
    "rewritten file": rewrite,
    "unreadable container": lambda pdf: corrupt_signature_container(pdf, 3),
}


def _verify(
    pdf: bytes, pki: DevPki, monkeypatch: pytest.MonkeyPatch, *, cached: bool, untrusted: bool
) -> tuple[VerificationReport, list[ValidationScope]]:
    """One verification, with the memos or without them; returns the scopes it opened."""
    scopes: list[ValidationScope] = []

    @contextmanager
    def recording_scope() -> Iterator[ValidationScope]:
        with verification_scope() as scope:
            scopes.append(scope)
            yield scope

    def no_scope() -> AbstractContextManager[None]:
        return nullcontext()

    with monkeypatch.context() as patch:
        patch.setattr(verify_module, "verification_scope", recording_scope if cached else no_scope)
        roots = [pki.authority_certificate(UNTRUSTED_ROOT)] if untrusted else pki.trust_roots()
        report = verify_pdf(pdf, trust_roots=roots, demo_mode=True)
    return report, scopes


def test_the_patches_apply_to_the_pinned_library_versions() -> None:
    # Fails when pyHanko, pyhanko-certvalidator or asn1crypto moves on: review the patches then.
    assert validation_cache.install_validation_cache()
    assert validation_cache.validation_cache_installed()
    assert name_cache.name_cache_installed()


@pytest.mark.parametrize("case", sorted(TAMPERINGS))
def test_report_is_identical_with_and_without_the_memos(
    signed_record: bytes, dev_pki: DevPki, monkeypatch: pytest.MonkeyPatch, case: str
) -> None:
    pdf = TAMPERINGS[case](signed_record)
    cached, scopes = _verify(pdf, dev_pki, monkeypatch, cached=True, untrusted=False)
    plain, none = _verify(pdf, dev_pki, monkeypatch, cached=False, untrusted=False)

    assert cached.to_json() == plain.to_json()
    assert cached.bottom_line is (case == "honest")
    assert len(scopes) == 1 and none == []


def test_an_untrusted_root_fails_the_same_with_the_memos(
    signed_record: bytes, dev_pki: DevPki, monkeypatch: pytest.MonkeyPatch
) -> None:
    cached, (scope,) = _verify(signed_record, dev_pki, monkeypatch, cached=True, untrusted=True)
    plain, _ = _verify(signed_record, dev_pki, monkeypatch, cached=False, untrusted=True)

    assert cached.to_json() == plain.to_json()
    assert not cached.bottom_line
    # The timestamp chain does not validate: a failure is never remembered, so pyHanko's own
    # code ran (and failed) for every signature.
    assert scope.hits[validation_cache.POE_CHAIN] == 0
    assert scope.misses[validation_cache.POE_CHAIN] == len(SLOTS)


def test_per_file_work_is_done_once_per_verification(
    signed_record: bytes, dev_pki: DevPki, monkeypatch: pytest.MonkeyPatch
) -> None:
    _, (scope,) = _verify(signed_record, dev_pki, monkeypatch, cached=True, untrusted=False)

    for table in (validation_cache.POE_INDEX, validation_cache.POE_CHAIN, validation_cache.DSS):
        assert (scope.misses[table], scope.hits[table]) == (1, len(SLOTS) - 1), table
    assert scope.table("name.eq") and scope.table("name.string_prep")
    _, (second,) = _verify(signed_record, dev_pki, monkeypatch, cached=True, untrusted=False)
    assert second is not scope and second.misses[validation_cache.POE_CHAIN] == 1  # starts empty


def test_the_memos_live_only_inside_a_scope() -> None:
    assert current_scope() is None
    with verification_scope() as outer:
        with verification_scope() as inner:
            assert current_scope() is inner and inner is not outer
        assert current_scope() is outer
    assert current_scope() is None

    async def scope_of_task() -> ValidationScope:
        with verification_scope() as scope:
            await asyncio.sleep(0)  # let the other task run inside its own scope
            assert current_scope() is scope
            return scope

    async def two_at_once() -> list[ValidationScope]:
        return list(await asyncio.gather(scope_of_task(), scope_of_task()))

    first, second = asyncio.run(two_at_once())
    assert first is not second


def test_the_pyhanko_functions_run_unchanged_outside_a_scope(signed_record: bytes) -> None:
    assert validation_cache.install_validation_cache()
    reader = PdfFileReader(io.BytesIO(signed_record))
    policy = MemoizedDiffPolicy()

    def index() -> list[Any]:
        return ades._build_prima_facie_poe_index_from_pdf_timestamps(reader, True, policy)

    first, second = index(), index()
    assert first[0] is not second[0]  # built anew each time: nothing remembered
    assert [(p.pdf_revision, p.doc_digest) for p in first] == [
        (p.pdf_revision, p.doc_digest) for p in second
    ]
    with verification_scope():
        first, second = index(), index()
    assert first[0] is second[0]  # the same entries, handed out again


def _name(common_name: str, organisation: str = "Trường THCS Suối Mây") -> asn1_x509.Name:
    return asn1_x509.Name.build({"common_name": common_name, "organization_name": organisation})


def _names() -> list[asn1_x509.Name]:
    """Freshly built each time, so asn1crypto's per-object caches start empty."""
    return [
        _name("Lò Văn Sơn"),
        _name("LÒ VĂN SƠN"),  # RFC 5280 comparison ignores case
        _name("Lò  Văn   Sơn "),  # … and collapses spaces
        _name("Lo\u0300 Va\u0306n So\u031bn"),  # NFD: the same name after preparation
        _name("Lò Văn Sơn", "Trường TH Bản Xèo"),
        _name("Phàn Thị Mùi"),
    ]


def _compare_all() -> tuple[list[list[bool]], list[str]]:
    names = _names()
    return [[a == b for b in names] for a in names], [n.hashable for n in names]


def test_name_comparison_answers_as_asn1crypto_does() -> None:
    assert name_cache.install_name_cache()
    outside = _compare_all()
    with verification_scope() as scope:
        inside, again = _compare_all(), _compare_all()
    assert inside == outside == again
    assert outside[0][0] == [True, True, True, True, False, False]
    assert scope.table("name.eq") and scope.table("name.hashable")
    assert scope.table("name.string_prep")


def test_a_name_asn1crypto_rejects_is_rejected_every_time() -> None:
    assert name_cache.install_name_cache()
    bad = _name("Lò Văn Sơn\ue000")  # a private-use character: RFC 4518 prohibits it
    with verification_scope() as scope:
        for _ in range(2):
            with pytest.raises(ValueError):
                bad.hashable  # noqa: B018  # the property raises
        assert "Lò Văn Sơn\ue000" not in scope.table("name.string_prep")


def test_another_library_version_leaves_the_library_alone(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, (original, _) in validation_cache._PATCHES.items():
        monkeypatch.setattr(ades, name, original)
    monkeypatch.setattr(validation_cache, "PYHANKO_VERSION", "0.39.0")

    assert not validation_cache.install_validation_cache()
    assert not validation_cache.validation_cache_installed()
    assert all(getattr(ades, n) is o for n, (o, _) in validation_cache._PATCHES.items())


def test_another_asn1crypto_version_leaves_it_alone(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(asn1_x509.NameTypeAndValue, "_ldap_string_prep", name_cache._string_prep)
    monkeypatch.setattr(asn1_x509.RDNSequence, "__eq__", name_cache._rdn_sequence_eq)
    monkeypatch.setattr(
        asn1_x509.RDNSequence, "hashable", property(name_cache._rdn_sequence_hashable)
    )
    monkeypatch.setattr(name_cache, "ASN1CRYPTO_VERSION", "1.6.0")

    assert not name_cache.install_name_cache()
    assert asn1_x509.NameTypeAndValue._ldap_string_prep is name_cache._string_prep
    assert asn1_x509.RDNSequence.__eq__ is name_cache._rdn_sequence_eq
