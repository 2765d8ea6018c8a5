"""The hex-string reader patched into pyHanko reads exactly what pyHanko's own reader reads."""

from __future__ import annotations

import io
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.misc import PdfStreamError
from pyhanko.pdf_utils.reader import PdfFileReader

from signing import pyhanko_patches
from signing.backends import CachedKeySigner
from signing.pyhanko_patches import (
    PATCHED_PYHANKO_SERIES,
    apply_pyhanko_speedups,
    fast_hex_string_reader_applied,
    pyhanko_read_hex_string,
    read_hex_string_fast,
)

_WHITESPACE = " \n\r\t\f\x00"


def _both(data: bytes) -> tuple[tuple[type, Any, int], tuple[type, Any, int]]:
    """(type, value, position after) from our reader and from pyHanko's, on the same input."""
    results = []
    for reader in (read_hex_string_fast, pyhanko_read_hex_string):
        stream = io.BytesIO(data)
        value = reader(stream)
        results.append((type(value), value, stream.tell()))
    return results[0], results[1]


@st.composite
def hex_strings(draw: st.DrawFn) -> bytes:
    """``<…>`` as writers produce it: any case, any PDF whitespace, maybe an odd digit count."""
    payload = draw(st.binary(max_size=300))
    digits = payload.hex()
    if draw(st.booleans()):
        digits = digits.upper()
    if digits and draw(st.booleans()):
        digits = digits[:-1]  # odd: the last digit is taken as followed by 0
    chars = list(digits)
    for _ in range(draw(st.integers(0, 12))):
        chars.insert(draw(st.integers(0, len(chars))), draw(st.sampled_from(_WHITESPACE)))
    tail = draw(st.binary(max_size=20))
    return b"<" + "".join(chars).encode("latin-1") + b">" + tail


@settings(max_examples=300)
@given(hex_strings())
def test_same_value_and_position_as_pyhanko(data: bytes) -> None:
    ours, theirs = _both(data)
    assert ours == theirs


@pytest.mark.parametrize(
    "data",
    [
        b"<>",
        b"<FEFF0054007200B0001EDD006E0067> /Next",  # UTF-16BE text: "Trường"
        b"<41 4>",
        b"<" + b"0A" * 20_000 + b">\nendobj",  # a signature's /Contents, longer than one block
        b"<41% a comment, which pyHanko's tokenizer skips\n42>",
    ],
)
def test_examples_read_as_pyhanko_reads_them(data: bytes) -> None:
    ours, theirs = _both(data)
    assert ours == theirs


@pytest.mark.parametrize("data", [b"<41G2>", b"<4142", b"<" + b"41" * 40_000])
def test_malformed_strings_raise_pyhankos_error(data: bytes) -> None:
    for reader in (read_hex_string_fast, pyhanko_read_hex_string):
        with pytest.raises(PdfStreamError):
            reader(io.BytesIO(data))


def test_patch_is_in_place_and_reached_by_pyhankos_parser(
    field_signers: dict[str, tuple[CachedKeySigner, str]],
) -> None:
    # Fails on a pyHanko upgrade on purpose: review signing/pyhanko_patches.py, then the pin.
    assert field_signers  # constructing a CachedKeySigner applies the patch
    assert generic.read_hex_string_from_stream is read_hex_string_fast
    assert fast_hex_string_reader_applied()
    assert pyhanko_read_hex_string.__module__ == "pyhanko.pdf_utils.generic"
    # pyHanko's object parser looks the reader up by this global name at call time.
    assert "read_hex_string_from_stream" in generic.read_object.__code__.co_names
    no_container: Any = None  # a bare string belongs to no object
    value: Any = generic.read_object(io.BytesIO(b"<3082 01>"), no_container)
    assert value == b"\x30\x82\x01"


def test_signature_contents_of_a_signed_record_read_the_same(
    signed_primary_record: bytes, monkeypatch: pytest.MonkeyPatch
) -> None:
    def contents(pdf: bytes) -> list[bytes]:
        reader = PdfFileReader(io.BytesIO(pdf))
        return [bytes(s.sig_object["/Contents"]) for s in reader.embedded_signatures]

    patched = contents(signed_primary_record)
    monkeypatch.setattr(generic, "read_hex_string_from_stream", pyhanko_read_hex_string)
    assert contents(signed_primary_record) == patched
    assert len(patched) == 4  # three slots and the document timestamp


def test_refuses_on_another_pyhanko_version(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(generic, "read_hex_string_from_stream", pyhanko_read_hex_string)
    monkeypatch.setattr(pyhanko_patches, "PYHANKO_VERSION", "0.39.0")

    assert not PATCHED_PYHANKO_SERIES.startswith("0.39")
    assert apply_pyhanko_speedups() is False
    assert generic.read_hex_string_from_stream is pyhanko_read_hex_string
