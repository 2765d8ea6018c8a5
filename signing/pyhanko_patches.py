"""Version-guarded replacements for pyHanko internals that cost real time in signing.

Each patch names the pyHanko function it replaces and the version it was checked against; on any
other pyHanko version it refuses to apply (pyHanko's own code keeps running: correct, slower) and
``tests/fast_signing`` fails so the patch gets reviewed against the new code.
"""

from __future__ import annotations

import binascii
import logging
from typing import IO, Any

from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.misc import PDF_WHITESPACE
from pyhanko.version import __version__ as PYHANKO_VERSION

__all__ = [
    "PATCHED_PYHANKO_SERIES",
    "apply_pyhanko_speedups",
    "fast_hex_string_reader_applied",
    "pyhanko_read_hex_string",
    "read_hex_string_fast",
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


def fast_hex_string_reader_applied() -> bool:
    return generic.read_hex_string_from_stream is read_hex_string_fast


def apply_pyhanko_speedups() -> bool:
    """Install :func:`read_hex_string_fast` into pyHanko 0.38.x; idempotent.

    Returns whether it is in place. On another pyHanko version it changes nothing and logs why.
    """
    if fast_hex_string_reader_applied():
        return True
    if not PYHANKO_VERSION.startswith(PATCHED_PYHANKO_SERIES):
        logger.warning(
            "pyHanko %s is not %sx: the fast hex-string reader is not applied (signing works, "
            "slower). Review signing/pyhanko_patches.py against this pyHanko version.",
            PYHANKO_VERSION,
            PATCHED_PYHANKO_SERIES,
        )
        return False
    if (
        generic.read_hex_string_from_stream is not pyhanko_read_hex_string
        or pyhanko_read_hex_string.__module__ != generic.__name__
    ):
        logger.warning("pyHanko's hex-string reader was replaced by someone else; leaving it.")
        return False
    generic.read_hex_string_from_stream = read_hex_string_fast
    return True
