"""Work that verifying one record repeats for every signature, done once per verification.

pyHanko's ``ades_lta_validation`` validates one signature at a time, and each call starts from the
whole file: it reads the DSS of the last revision (``_dss_to_local_knowledge``), builds the
proof-of-existence index from every revision and document timestamp
(``_build_prima_facie_poe_index_from_pdf_timestamps``), then validates that document-timestamp
chain, the evidence record (``_validate_prima_facie_poe``). For a học bạ with 15 signatures that
is the same DSS parsed 15 times, the same index over the same bytes, and the same chain validated
against the same embedded material at the same validation time, 15 times. Inside
:func:`signing.validation_scope.verification_scope` each is computed for the first signature and
handed (copied) to the others; outside a scope pyHanko's own functions run unchanged.

Only successes are remembered: a DSS, an index or a chain that raises is computed again, and
raises again, for every signature, exactly as without the memo, so a damaged file meets pyHanko's
own code on every path. Each key holds every input the function reads (see :func:`_chain_key`),
so an honest file gets the answer pyHanko would have computed.

The patches replace private pyHanko functions and are checked against pyHanko 0.38.x and
pyhanko-certvalidator 0.33.x: on any other version they refuse to apply (pyHanko's own code keeps
running: correct, slower) and ``tests/pades/test_validation_cache.py`` fails so they get reviewed.
"""

from __future__ import annotations

import dataclasses
import hashlib
import inspect
import logging
from collections.abc import Awaitable, Callable, Sequence
from copy import copy
from typing import Any

from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.diff_analysis import DiffPolicy
from pyhanko.sign.validation import ades
from pyhanko.sign.validation.policy_decl import LocalKnowledge, SignatureValidationSpec
from pyhanko.version import __version__ as PYHANKO_VERSION
from pyhanko_certvalidator.ltv.poe import POEManager
from pyhanko_certvalidator.ltv.types import ValidationTimingInfo
from pyhanko_certvalidator.version import __version__ as CERTVALIDATOR_VERSION

from signing.name_cache import install_name_cache
from signing.validation_scope import current_scope

__all__ = [
    "PATCHED_CERTVALIDATOR_SERIES",
    "PATCHED_PYHANKO_SERIES",
    "install_validation_cache",
    "validation_cache_installed",
]

logger = logging.getLogger(__name__)

PATCHED_PYHANKO_SERIES = "0.38."
PATCHED_CERTVALIDATOR_SERIES = "0.33."

_BuildIndex = Callable[[PdfFileReader, bool, DiffPolicy | None], list[Any]]
_ReadDss = Callable[[PdfFileReader], LocalKnowledge]
_ValidateChain = Callable[..., Awaitable[POEManager]]

# pyHanko's own functions, kept for the fallback and for the version check.
_pyhanko_build_index: _BuildIndex = ades._build_prima_facie_poe_index_from_pdf_timestamps
_pyhanko_validate_chain: _ValidateChain = ades._validate_prima_facie_poe
_pyhanko_read_dss: _ReadDss = ades._dss_to_local_knowledge
_EXPECTED_PARAMETERS = {
    "_build_prima_facie_poe_index_from_pdf_timestamps": (
        "r",
        "include_content_ts",
        "diff_policy",
    ),
    "_validate_prima_facie_poe": ("prima_facie_poe_sets", "validation_spec", "cur_timing_info"),
    "_dss_to_local_knowledge": ("reader",),
}

POE_INDEX = "pyhanko.poe_index"
POE_CHAIN = "pyhanko.poe_chain"
DSS = "pyhanko.dss"


def _digest(data: bytes) -> bytes:
    return hashlib.sha256(data).digest()


def _memoized_build_index(
    r: PdfFileReader, include_content_ts: bool, diff_policy: DiffPolicy | None
) -> list[Any]:
    scope = current_scope()
    if scope is None:
        return _pyhanko_build_index(r, include_content_ts, diff_policy)
    # The index is a function of the file (one reader per verification, its embedded signatures
    # fixed before validation starts) and of these two arguments. The reader and the policy are
    # kept in the entry, so their identities cannot be reused while the scope lives.
    key = (id(r), include_content_ts, id(diff_policy))
    table = scope.table(POE_INDEX)
    hit = table.get(key)
    if hit is not None:
        scope.hits[POE_INDEX] += 1
        return list(hit[2])
    scope.misses[POE_INDEX] += 1
    index = _pyhanko_build_index(r, include_content_ts, diff_policy)
    table[key] = (r, diff_policy, tuple(index))
    return index


def _memoized_read_dss(reader: PdfFileReader) -> LocalKnowledge:
    scope = current_scope()
    if scope is None:
        return _pyhanko_read_dss(reader)
    # The DSS of the file's last revision: the same for every signature. Handing out the same
    # parsed objects also keeps what asn1crypto caches on them (key identifiers, prepared names)
    # for the certificate registries pyHanko builds from them again and again.
    table = scope.table(DSS)
    hit = table.get(id(reader))
    if hit is not None:
        scope.hits[DSS] += 1
        return _copy_knowledge(hit[1])
    scope.misses[DSS] += 1
    knowledge = _pyhanko_read_dss(reader)  # a DSS that cannot be read raises: not remembered
    table[id(reader)] = (reader, _copy_knowledge(knowledge))
    return knowledge


def _copy_knowledge(knowledge: LocalKnowledge) -> LocalKnowledge:
    """New lists around the same parsed objects, so no caller can change what the memo holds."""
    return LocalKnowledge(
        known_ocsps=list(knowledge.known_ocsps),
        known_crls=list(knowledge.known_crls),
        known_certs=list(knowledge.known_certs),
        known_poes=list(knowledge.known_poes),
        nonrevoked_assertions=list(knowledge.nonrevoked_assertions),
    )


def _knowledge_key(knowledge: LocalKnowledge) -> tuple[Any, ...]:
    return (
        tuple(_digest(c.ocsp_response_data.dump()) for c in knowledge.known_ocsps),
        tuple(_digest(c.crl_data.dump()) for c in knowledge.known_crls),
        tuple(_digest(c.dump()) for c in knowledge.known_certs),
        tuple((p.digest, p.poe_time, p.poe_type) for p in knowledge.known_poes),
        tuple((a.cert_sha256, a.at) for a in knowledge.nonrevoked_assertions),
    )


def _chain_key(
    poe_sets: Sequence[Any], spec: SignatureValidationSpec, timing: ValidationTimingInfo | None
) -> tuple[Any, ...] | None:
    """Everything ``_validate_prima_facie_poe`` reads, or None when it cannot be pinned down."""
    if timing is None:  # pyHanko would take "now" inside: not repeatable
        return None
    chain = tuple(
        (
            poe.pdf_revision,
            poe.timestamp_dt,
            _digest(poe.timestamp_token_signed_data.dump()),
            poe.doc_digest,
            poe.doc_hash_algo,
            frozenset(item.digest for item in poe.poes_implied),
        )
        for poe in poe_sets
    )
    # The policy objects come from the one spec a verification builds and pyHanko copies per
    # signature with dataclasses.replace, which keeps them: identity is exact and cheap. The
    # local knowledge is re-read from the DSS per signature (and may include the signature's own
    # archived revocation data), so it is compared by content. The fetcher backend is made per
    # call but LOCAL_ONLY never uses it; the fetching rule is compared by value.
    policies = tuple(
        id(getattr(spec, f.name))
        for f in dataclasses.fields(spec)
        if f.name not in ("local_knowledge", "revinfo_gathering_policy")
    )
    return (
        chain,
        policies,
        spec.revinfo_gathering_policy.online_fetching_rule,
        _knowledge_key(spec.local_knowledge),
        timing,
    )


async def _memoized_validate_chain(
    prima_facie_poe_sets: list[Any],
    validation_spec: SignatureValidationSpec,
    cur_timing_info: ValidationTimingInfo | None = None,
) -> POEManager:
    scope = current_scope()
    key = (
        None
        if scope is None
        else _chain_key(prima_facie_poe_sets, validation_spec, cur_timing_info)
    )
    if scope is None or key is None:
        return await _pyhanko_validate_chain(prima_facie_poe_sets, validation_spec, cur_timing_info)
    table = scope.table(POE_CHAIN)
    hit: tuple[SignatureValidationSpec, POEManager] | None = table.get(key)
    if hit is not None:
        scope.hits[POE_CHAIN] += 1
        return copy(hit[1])  # the caller registers the signature's own POE in its copy
    scope.misses[POE_CHAIN] += 1
    # raises on a chain that does not validate: then nothing is remembered
    poes = await _pyhanko_validate_chain(prima_facie_poe_sets, validation_spec, cur_timing_info)
    table[key] = (validation_spec, copy(poes))  # the spec keeps the key's identities alive
    return poes


_PATCHES: dict[str, tuple[Callable[..., Any], Callable[..., Any]]] = {
    "_build_prima_facie_poe_index_from_pdf_timestamps": (
        _pyhanko_build_index,
        _memoized_build_index,
    ),
    "_validate_prima_facie_poe": (_pyhanko_validate_chain, _memoized_validate_chain),
    "_dss_to_local_knowledge": (_pyhanko_read_dss, _memoized_read_dss),
}


def validation_cache_installed() -> bool:
    return all(getattr(ades, name) is memo for name, (_, memo) in _PATCHES.items())


def install_validation_cache() -> bool:
    """Route pyHanko's per-file LTA work (and asn1crypto's name comparison) through the scoped
    memos; idempotent.

    Returns whether all of it is in place. On another pyHanko/certvalidator version, or when a
    function no longer looks like the one this was written against, it changes nothing and logs
    why: verification stays correct, only slower.
    """
    names_ok = install_name_cache()
    if validation_cache_installed():
        return names_ok
    if not (
        PYHANKO_VERSION.startswith(PATCHED_PYHANKO_SERIES)
        and CERTVALIDATOR_VERSION.startswith(PATCHED_CERTVALIDATOR_SERIES)
    ):
        logger.warning(
            "pyHanko %s / pyhanko-certvalidator %s is not %sx / %sx: the verification cache is "
            "not applied (verification works, slower). Review signing/validation_cache.py.",
            PYHANKO_VERSION,
            CERTVALIDATOR_VERSION,
            PATCHED_PYHANKO_SERIES,
            PATCHED_CERTVALIDATOR_SERIES,
        )
        return False
    for name, (original, _) in _PATCHES.items():
        current = getattr(ades, name)
        if (
            current is not original
            or current.__module__ != ades.__name__
            or tuple(inspect.signature(current).parameters) != _EXPECTED_PARAMETERS[name]
        ):
            logger.warning("pyHanko's %s is not the expected one; leaving it.", name)
            return False
    for name, (_, memo) in _PATCHES.items():
        setattr(ades, name, memo)
    return names_ok
