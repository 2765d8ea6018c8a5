"""Version-guarded replacements for pyHanko internals that cost real time in signing.

Each patch names the pyHanko function it replaces and the version it was checked against; on any
other pyHanko version it refuses to apply (pyHanko's own code keeps running: correct, slower) and
``tests/fast_signing`` and ``tests/pades/test_lean_signing.py`` fail so the patch gets reviewed
against the new code.
"""

from __future__ import annotations

import binascii
import logging
import re
from typing import IO, Any

from pyhanko.pdf_utils import generic, misc
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.misc import PDF_DELIMITERS, PDF_WHITESPACE, is_regular_character
from pyhanko.version import __version__ as PYHANKO_VERSION

__all__ = [
    "PATCHED_PYHANKO_SERIES",
    "SignatureRevisionWriter",
    "apply_pyhanko_speedups",
    "decode_name_fast",
    "fast_hex_string_reader_applied",
    "fast_name_codec_applied",
    "fast_tokenizer_applied",
    "pyhanko_decode_name",
    "pyhanko_read_hex_string",
    "pyhanko_read_non_whitespace",
    "pyhanko_read_until_delimiter",
    "pyhanko_write_name",
    "read_hex_string_fast",
    "read_non_whitespace_fast",
    "read_until_delimiter_fast",
    "write_name_fast",
]

logger = logging.getLogger(__name__)

PATCHED_PYHANKO_SERIES = "0.38."

# pyHanko's own reader, kept for the fallback and for tests that compare the two.
pyhanko_read_hex_string = generic.read_hex_string_from_stream
_HEX_DIGITS_AND_WHITESPACE = generic.HEX_DIGITS + PDF_WHITESPACE
_FIRST_CHUNK, _CHUNK = 512, 64 * 1024  # most hex strings are short (/ID); /Contents is not


def read_hex_string_fast(stream: IO[bytes]) -> Any:
    """``pyhanko.pdf_utils.generic.read_hex_string_from_stream`` without a Python call per digit.

    pyHanko 0.38 reads a hex string one byte at a time through its tokenizer; a signature's
    ``/Contents`` is 10–20 K hex digits, so every earlier signature cost ~15 ms whenever a later
    signing or a verification opened its dictionary. This reads up to ``>`` in blocks and decodes
    with ``binascii``. Anything but hex digits and whitespace (a comment, a bad byte, no closing
    ``>``) goes back to pyHanko's reader, so results and errors are pyHanko's own.
    """
    start = stream.tell()
    stream.read(1)  # the opening "<"
    body = bytearray()
    size = _FIRST_CHUNK
    while True:
        chunk = stream.read(size)
        end = chunk.find(b">")
        if end >= 0:
            body += chunk[:end]
            break
        body += chunk
        if len(chunk) < size:  # no closing ">": let pyHanko raise its error
            stream.seek(start)
            return pyhanko_read_hex_string(stream)
        size = _CHUNK
    if body.translate(None, _HEX_DIGITS_AND_WHITESPACE):
        stream.seek(start)
        return pyhanko_read_hex_string(stream)
    stream.seek(start + 1 + len(body) + 1)
    digits = body.translate(None, PDF_WHITESPACE)
    if len(digits) % 2:
        digits += b"0"  # PDF 32000-1 7.3.4.3: a missing last digit is 0
    return generic.pdf_string(binascii.unhexlify(digits))


# pyHanko's name codec, kept for the fallback and for tests that compare the two.
pyhanko_decode_name = generic._decode_name
pyhanko_write_name = generic.NameObject.write_to_stream
# Bytes a name holds verbatim in both directions: printable ASCII, no delimiter, no "#" escape.
_NAME_VERBATIM = bytes(b for b in range(0x21, 0x7F) if b != 0x23 and is_regular_character(b))


def decode_name_fast(name_bytes: bytes) -> generic.NameObject:
    """``generic._decode_name`` without a Python call and a ``BytesIO`` write per byte.

    A name of verbatim bytes only (no ``#`` escape, nothing that must be escaped) decodes to
    itself; anything else goes to pyHanko's decoder, so escapes and errors are pyHanko's own.
    """
    if name_bytes.translate(None, _NAME_VERBATIM):
        return pyhanko_decode_name(name_bytes)
    return generic.NameObject("/" + name_bytes.decode("ascii"))


def write_name_fast(
    self: generic.NameObject, stream: IO[bytes], handler: Any = None, container_ref: Any = None
) -> None:
    """``NameObject.write_to_stream`` in one write when no byte needs an escape (nearly always);
    otherwise pyHanko's writer (escapes, and its error for a name without ``/``)."""
    encoded = self.encode("utf8")
    if encoded[:1] == b"/" and not encoded[1:].translate(None, _NAME_VERBATIM):
        stream.write(encoded)
        return
    pyhanko_write_name(self, stream, handler, container_ref)


# pyHanko's tokenizer steps, kept for the fallback and for tests that compare the two.
pyhanko_read_until_delimiter = misc.read_until_delimiter
pyhanko_read_non_whitespace = misc.read_non_whitespace
_DELIMITER = re.compile(b"[" + re.escape(PDF_WHITESPACE + PDF_DELIMITERS) + b"]")
_TOKEN_CHUNK = 64  # names, numbers and keywords are short; a longer one goes to pyHanko


def read_until_delimiter_fast(stream: IO[bytes]) -> bytes:
    """``misc.read_until_delimiter`` with one read and a regex instead of a read per byte.

    Same result and stream position: stopped at the delimiter (not consumed), or at the end of
    the stream. A token longer than the chunk goes to pyHanko's reader.
    """
    start = stream.tell()
    chunk = stream.read(_TOKEN_CHUNK)
    found = _DELIMITER.search(chunk)
    if found is not None:
        stream.seek(start + found.start())
        return chunk[: found.start()]
    if len(chunk) < _TOKEN_CHUNK:
        return chunk  # the stream ended inside the token: pyHanko returns it, at the end
    stream.seek(start)
    return pyhanko_read_until_delimiter(stream)


def read_non_whitespace_fast(
    stream: IO[bytes], seek_back: bool = False, allow_eof: bool = False
) -> bytes:
    """``misc.read_non_whitespace`` skipping a run of whitespace in one read.

    The next non-whitespace byte, consumed unless ``seek_back``. A comment, a run of whitespace
    longer than the chunk, or the end of the stream go to pyHanko's reader (its comment skipping,
    its end-of-stream rule and error).
    """
    start = stream.tell()
    chunk = stream.read(_TOKEN_CHUNK)
    rest = chunk.lstrip(PDF_WHITESPACE)
    if rest and rest[:1] != b"%":
        at = start + len(chunk) - len(rest)
        stream.seek(at if seek_back else at + 1)
        return rest[:1]
    stream.seek(start)
    result: bytes = pyhanko_read_non_whitespace(  # type: ignore[no-untyped-call]
        stream, seek_back=seek_back, allow_eof=allow_eof
    )
    return result


def fast_tokenizer_applied() -> bool:
    return (
        getattr(generic, "read_until_delimiter", None) is read_until_delimiter_fast
        and getattr(generic, "read_non_whitespace", None) is read_non_whitespace_fast
        and misc.read_non_whitespace is read_non_whitespace_fast
    )


def fast_name_codec_applied() -> bool:
    return (
        generic._decode_name is decode_name_fast
        and generic.NameObject.write_to_stream is write_name_fast
    )


class SignatureRevisionWriter(IncrementalPdfFileWriter):
    """pyHanko's incremental writer, except that a signing revision leaves the metadata alone.

    pyHanko 0.38 rewrites the Info dictionary and the whole XMP packet in every revision it writes
    (``pdf:Producer`` becomes pyHanko, ``xmp:ModifyDate`` the clock), and does it twice per write
    (``IncrementalPdfFileWriter.write`` and ``BasePdfFileWriter.write`` both prepare the DOM):
    ~15% of a B-B signature and a few KB per revision. PDF/A needs Info and XMP to agree, which
    they do when neither changes; the signing time is in the signature's ``/M`` and the TSA token.
    On another pyHanko version the override steps aside (pyHanko's behaviour, correct).
    """

    def _update_meta(self) -> None:
        if not PYHANKO_VERSION.startswith(PATCHED_PYHANKO_SERIES):
            super()._update_meta()  # type: ignore[no-untyped-call]


def fast_hex_string_reader_applied() -> bool:
    return generic.read_hex_string_from_stream is read_hex_string_fast


def apply_pyhanko_speedups() -> bool:
    """Install the fast hex-string reader, name codec and tokenizer steps into pyHanko 0.38.x;
    idempotent.

    Returns whether they are in place. On another pyHanko version it changes nothing and logs why.
    """
    if fast_hex_string_reader_applied() and fast_name_codec_applied() and fast_tokenizer_applied():
        return True
    if not PYHANKO_VERSION.startswith(PATCHED_PYHANKO_SERIES):
        logger.warning(
            "pyHanko %s is not %sx: the fast hex-string reader and name codec are not applied "
            "(signing works, "
            "slower). Review signing/pyhanko_patches.py against this pyHanko version.",
            PYHANKO_VERSION,
            PATCHED_PYHANKO_SERIES,
        )
        return False
    if (
        generic.read_hex_string_from_stream not in (pyhanko_read_hex_string, read_hex_string_fast)
        or pyhanko_read_hex_string.__module__ != generic.__name__
    ):
        logger.warning("pyHanko's hex-string reader was replaced by someone else; leaving it.")
        return False
    if generic._decode_name not in (
        pyhanko_decode_name,
        decode_name_fast,
    ) or generic.NameObject.write_to_stream not in (pyhanko_write_name, write_name_fast):
        logger.warning("pyHanko's name codec was replaced by someone else; leaving it.")
        return False
    tokenizer = (
        (generic, "read_until_delimiter", pyhanko_read_until_delimiter, read_until_delimiter_fast),
        (generic, "read_non_whitespace", pyhanko_read_non_whitespace, read_non_whitespace_fast),
        (misc, "read_non_whitespace", pyhanko_read_non_whitespace, read_non_whitespace_fast),
    )
    if any(getattr(module, name) not in (ours, theirs) for module, name, theirs, ours in tokenizer):
        logger.warning("pyHanko's tokenizer was replaced by someone else; leaving it.")
        return False
    for module, name, _, ours in tokenizer:
        setattr(module, name, ours)
    generic.read_hex_string_from_stream = read_hex_string_fast
    generic._decode_name = decode_name_fast
    generic.NameObject.write_to_stream = write_name_fast  # type: ignore[method-assign]
    return True
