"""The B-B speed-ups (docs/signing.md, "Performance"): same bytes read and written as pyHanko's
own code, and signing revisions that leave the rendered metadata alone."""

from __future__ import annotations

import io
import re
from typing import Any

import pikepdf
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pyhanko.pdf_utils import generic, misc
from pyhanko.pdf_utils.misc import PdfReadError, PdfStreamError, PdfWriteError

from signing import pyhanko_patches
from signing.appearance import stamp_font
from signing.pyhanko_patches import (
    PATCHED_PYHANKO_SERIES,
    SignatureRevisionWriter,
    apply_pyhanko_speedups,
    decode_name_fast,
    fast_name_codec_applied,
    fast_tokenizer_applied,
    pyhanko_decode_name,
    pyhanko_read_non_whitespace,
    pyhanko_read_until_delimiter,
    pyhanko_write_name,
    read_non_whitespace_fast,
    read_until_delimiter_fast,
    write_name_fast,
)

# PDF whitespace, delimiters, "#" escapes, comments and ordinary token bytes, mixed.
_PIECES = [b" ", b"\n", b"\r\n", b"\t", b"\f", b"\x00", b"%c\n", b"/", b"[", b"<<", b")", b"#"]
_PIECES += [b"Name", b"12.5", b"-3", b"true", b"R", b"obj", b"\xc3\xa9", b"#20", b"#4", b"x" * 70]
token_soup = st.lists(st.sampled_from(_PIECES), max_size=12).map(b"".join)


def _outcome(fn: Any, data: bytes, start: int, **kwargs: Any) -> tuple[Any, ...]:
    stream = io.BytesIO(data)
    stream.seek(start)
    try:
        value = fn(stream, **kwargs)
    except (PdfStreamError, PdfReadError) as e:
        return ("error", type(e), str(e))
    return (type(value), value, stream.tell())


@settings(max_examples=400)
@given(token_soup, st.integers(0, 20))
def test_read_until_delimiter_as_pyhanko(data: bytes, start: int) -> None:
    start = min(start, len(data))
    ours = _outcome(read_until_delimiter_fast, data, start)
    assert ours == _outcome(pyhanko_read_until_delimiter, data, start)


@settings(max_examples=400)
@given(token_soup, st.integers(0, 20), st.booleans(), st.booleans())
def test_read_non_whitespace_as_pyhanko(
    data: bytes, start: int, seek_back: bool, allow_eof: bool
) -> None:
    start = min(start, len(data))
    kwargs = {"seek_back": seek_back, "allow_eof": allow_eof}
    ours = _outcome(read_non_whitespace_fast, data, start, **kwargs)
    assert ours == _outcome(pyhanko_read_non_whitespace, data, start, **kwargs)


@pytest.mark.parametrize(
    "data", [b"", b"   ", b" " * 100 + b"x", b"%only a comment", b"Name", b"N" * 200 + b" "]
)
def test_tokenizer_edges_as_pyhanko(data: bytes) -> None:
    for seek_back, allow_eof in [(False, False), (True, True), (False, True)]:
        kwargs = {"seek_back": seek_back, "allow_eof": allow_eof}
        ours = _outcome(read_non_whitespace_fast, data, 0, **kwargs)
        assert ours == _outcome(pyhanko_read_non_whitespace, data, 0, **kwargs)
    ours = _outcome(read_until_delimiter_fast, data, 0)
    assert ours == _outcome(pyhanko_read_until_delimiter, data, 0)


names = st.lists(st.sampled_from([*_PIECES[7:], b"A", b"-", b".", b"\x7f", b" "])).map(b"".join)


@settings(max_examples=400)
@given(names)
def test_name_decoding_as_pyhanko(name_bytes: bytes) -> None:
    def decode(fn: Any) -> tuple[Any, ...]:
        try:
            value = fn(name_bytes)
        except PdfReadError as e:
            return ("error", str(e))
        return (type(value), value)

    assert decode(decode_name_fast) == decode(pyhanko_decode_name)


@settings(max_examples=400)
@given(st.text(max_size=12), st.booleans())
def test_name_writing_as_pyhanko(text: str, slash: bool) -> None:
    name = generic.NameObject(("/" if slash else "") + text)

    def write(fn: Any) -> tuple[Any, ...]:
        stream = io.BytesIO()
        try:
            fn(name, stream)
        except (PdfWriteError, StopIteration) as e:  # pyHanko's error for "" is StopIteration
            return ("error", type(e), str(e))
        return ("ok", stream.getvalue())

    assert write(write_name_fast) == write(pyhanko_write_name)


def test_patches_are_in_place_and_reached_by_pyhanko() -> None:
    # Fails on a pyHanko upgrade on purpose: review signing/pyhanko_patches.py, then the pin.
    assert apply_pyhanko_speedups()
    assert fast_name_codec_applied() and fast_tokenizer_applied()
    # pyHanko looks these up by their global names at call time.
    assert "_decode_name" in generic.NameObject.read_from_stream.__code__.co_names
    assert "read_until_delimiter" in generic.NameObject.read_from_stream.__code__.co_names
    assert "read_non_whitespace" in generic.read_object.__code__.co_names
    no_container: Any = None
    value: Any = generic.read_object(io.BytesIO(b"[ /Type /Sig 12 true ]"), no_container)
    assert value == ["/Type", "/Sig", 12, True]


def test_refuses_another_pyhanko_version(monkeypatch: pytest.MonkeyPatch) -> None:
    stock = [
        (generic, "_decode_name", pyhanko_decode_name),
        (generic.NameObject, "write_to_stream", pyhanko_write_name),
        (generic, "read_until_delimiter", pyhanko_read_until_delimiter),
        (generic, "read_non_whitespace", pyhanko_read_non_whitespace),
        (misc, "read_non_whitespace", pyhanko_read_non_whitespace),
    ]
    for owner, name, value in stock:
        monkeypatch.setattr(owner, name, value)
    monkeypatch.setattr(pyhanko_patches, "PYHANKO_VERSION", "0.39.0")
    assert not PATCHED_PYHANKO_SERIES.startswith("0.39")
    assert apply_pyhanko_speedups() is False
    assert all(getattr(owner, name) is value for owner, name, value in stock)


def test_font_widths_are_written_as_pyhanko_writes_them() -> None:
    font = stamp_font()
    stream = io.BytesIO()
    number: Any = generic.NumberObject  # unannotated upstream
    widths = generic.ArrayObject(number(w) for w in font.widths)
    generic.ArrayObject([number(0), widths]).write_to_stream(stream)
    assert font.widths_array == stream.getvalue()


def _metadata(pdf: bytes) -> tuple[bytes, dict[str, str]]:
    with pikepdf.open(io.BytesIO(pdf)) as doc:
        return doc.Root.Metadata.read_bytes(), {str(k): str(v) for k, v in doc.docinfo.items()}


def test_signing_leaves_info_and_xmp_as_rendered(record_pdf: bytes, signed_record: bytes) -> None:
    xmp, info = _metadata(signed_record)
    assert (xmp, info) == _metadata(record_pdf)
    assert b"pyHanko" not in xmp and "pyHanko" not in info.get("/Producer", "")
    # One packet in the whole file: no revision (signatures, DSS, timestamp) wrote another.
    assert len(re.findall(rb"<x:xmpmeta", signed_record)) == 1


def test_on_another_pyhanko_version_the_writer_updates_metadata(
    record_pdf: bytes, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(pyhanko_patches, "PYHANKO_VERSION", "0.39.0")
    writer = SignatureRevisionWriter(io.BytesIO(record_pdf))
    writer._update_meta()
    assert writer.objects  # pyHanko's own update marked Info/XMP for writing
