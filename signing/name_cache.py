"""X.509 name comparison memoized per verification (asn1crypto 1.5.x).

Certificate path validation compares distinguished names all the time (issuer lookup, CRL
scope, OCSP responder, registry keys), and asn1crypto compares two names by preparing every
attribute value with RFC 4518 string preparation — a Python call per character, costly for
Vietnamese names with diacritics. pyHanko re-parses the same certificates, CRLs and OCSP responses
from the file for every signature, so the preparation asn1crypto caches on each parsed object is
done again and again: a học bạ with 15 signatures prepared ~3,800 values for 27 distinct strings.

Inside :func:`signing.validation_scope.verification_scope` this module answers three pure
functions from a memo: ``NameTypeAndValue._ldap_string_prep`` (by the string),
``RDNSequence.hashable`` (by the name's DER encoding) and ``RDNSequence.__eq__`` (by both
encodings). Each is a function of exactly those bytes, so the answer is asn1crypto's own; an error
(a prohibited character) is never remembered and is raised again by asn1crypto's code. Outside a
scope asn1crypto's code runs unchanged.

Checked against asn1crypto 1.5.1 (the last release); on another version it refuses to apply and
``tests/pades/test_validation_cache.py`` fails so the patch gets reviewed.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from asn1crypto import x509
from asn1crypto.version import __version__ as ASN1CRYPTO_VERSION

from signing.validation_scope import current_scope

__all__ = ["PATCHED_ASN1CRYPTO_SERIES", "install_name_cache", "name_cache_installed"]

logger = logging.getLogger(__name__)

PATCHED_ASN1CRYPTO_SERIES = "1.5."

# asn1crypto's own code, kept for the fallback and for the version check.
_string_prep: Callable[[Any, str], str] = x509.NameTypeAndValue._ldap_string_prep
_rdn_sequence_hashable: Callable[[Any], str] = x509.RDNSequence.hashable.fget
_rdn_sequence_eq: Callable[[Any, object], bool] = x509.RDNSequence.__eq__


def _memo_string_prep(self: x509.NameTypeAndValue, string: str) -> str:
    scope = current_scope()
    if scope is None:
        return _string_prep(self, string)
    table = scope.table("name.string_prep")
    prepared: str | None = table.get(string)
    if prepared is None:
        prepared = table[string] = _string_prep(self, string)
    return prepared


def _memo_hashable(self: x509.RDNSequence) -> str:
    scope = current_scope()
    if scope is None:
        return _rdn_sequence_hashable(self)
    table = scope.table("name.hashable")
    key = self.dump()
    value: str | None = table.get(key)
    if value is None:
        value = table[key] = _rdn_sequence_hashable(self)
    return value


def _memo_eq(self: x509.RDNSequence, other: object) -> bool:
    scope = current_scope()
    if scope is None or not isinstance(other, x509.RDNSequence):
        return _rdn_sequence_eq(self, other)
    table = scope.table("name.eq")
    key = (self.dump(), other.dump())
    equal: bool | None = table.get(key)
    if equal is None:
        equal = table[key] = _rdn_sequence_eq(self, other)
    return equal


def name_cache_installed() -> bool:
    return x509.NameTypeAndValue._ldap_string_prep is _memo_string_prep


def install_name_cache() -> bool:
    """Route asn1crypto's name preparation and comparison through the scoped memo; idempotent.

    Returns whether it is in place; on another asn1crypto version, or when someone else already
    replaced these methods, it changes nothing and logs why.
    """
    if name_cache_installed():
        return True
    if not ASN1CRYPTO_VERSION.startswith(PATCHED_ASN1CRYPTO_SERIES):
        logger.warning(
            "asn1crypto %s is not %sx: the name comparison cache is not applied (verification "
            "works, slower). Review signing/name_cache.py.",
            ASN1CRYPTO_VERSION,
            PATCHED_ASN1CRYPTO_SERIES,
        )
        return False
    originals = (
        x509.NameTypeAndValue._ldap_string_prep,
        x509.RDNSequence.hashable.fget,
        x509.RDNSequence.__eq__,
    )
    if originals != (_string_prep, _rdn_sequence_hashable, _rdn_sequence_eq) or any(
        f.__module__ != x509.__name__ for f in originals
    ):
        logger.warning("asn1crypto's name comparison was replaced by someone else; leaving it.")
        return False
    x509.NameTypeAndValue._ldap_string_prep = _memo_string_prep
    x509.RDNSequence.hashable = property(_memo_hashable)
    x509.RDNSequence.__eq__ = _memo_eq
    return True
