"""Visible signature stamps: the signer's name, role and signing time, in Vietnamese.

The stamp is the signature widget's appearance stream, drawn when a slot is signed. It must stay
PDF/A: the font is embedded (Spectral, OFL, from ``fontpkg-spectral``), nothing is transparent, and
the text is real text (a ToUnicode map makes it searchable and copyable).

Why not pyHanko's ``TextStampStyle`` with a ``GlyphAccumulatorFactory``: it re-reads, shapes and
subsets the TrueType font for every stamp (~85 ms, ~25 ms on a pre-subset font, measured on this
project's machines), which alone is many times the cost of the signature. Vietnamese in NFC needs
no shaping: every letter with its tone mark is one precomposed glyph in Spectral. So the font is
subset once per process to Vietnamese + Latin, and each stamp embeds that ready-made program
(~10 KB) and encodes text as glyph ids with a dictionary lookup.
"""

from __future__ import annotations

import functools
import hashlib
import io
import unicodedata
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import IO, Any

import fontpkg_spectral
from fontTools import subset, ttLib  # type: ignore[import-untyped]
from pyhanko.pdf_utils import generic, layout, misc
from pyhanko.pdf_utils.content import ResourceType
from pyhanko.pdf_utils.form_tools import get_single_field_annot
from pyhanko.pdf_utils.generic import pdf_name
from pyhanko.pdf_utils.writer import BasePdfFileWriter
from pyhanko.sign.fields import enumerate_sig_fields
from pyhanko.stamp import BaseStampStyle
from pyhanko.stamp.base import BaseStamp

from signing.errors import SigningError

__all__ = [
    "VIETNAM_TIME",
    "AppearanceError",
    "StampFont",
    "StampText",
    "VietnameseStamp",
    "VietnameseStampStyle",
    "format_signing_time",
    "stamp_font",
]

# Vietnam has kept UTC+7 without daylight saving since 1975; a fixed offset needs no tz database.
VIETNAM_TIME = timezone(timedelta(hours=7), "ICT")

# The subset tag is fixed (six capitals, as PDF requires) so that the same stamp gives the same
# bytes; every stamp embeds exactly the same subset, so one tag for all of them is truthful.
_SUBSET_TAG = "HSDTVN"
_FONT_FILE = "Spectral-Regular.ttf"
_FONT_RESOURCE = "/HsdtStamp"

# Dark blue, the colour Vietnamese offices use for signature stamps. DeviceRGB is fine in PDF/A
# because the rendered record carries an sRGB output intent.
_INK = b"0.05 0.15 0.55"


# pyHanko's PDF object constructors are unannotated; these typed shims keep mypy --strict useful.
def _dict(entries: dict[str, Any]) -> generic.DictionaryObject:
    return generic.DictionaryObject(  # type: ignore[no-untyped-call]
        {pdf_name(k): v for k, v in entries.items()}
    )


def _int(value: int) -> generic.NumberObject:
    return generic.NumberObject(value)  # type: ignore[no-untyped-call]


class _Serialised(generic.PdfObject):
    """An object written from bytes prepared once.

    For the font's ``/W`` array: ~900 numbers that pyHanko would otherwise build and write one
    object at a time in every first stamp of a record (~10% of a B-B signature). Numbers only, so
    nothing in it is ever encrypted or renumbered.
    """

    def __init__(self, data: bytes) -> None:
        self.data = data

    def write_to_stream(
        self, stream: IO[bytes], handler: Any = None, container_ref: Any = None
    ) -> None:
        stream.write(self.data)


class AppearanceError(SigningError):
    """A stamp cannot be drawn (a character the stamp font does not have, a field too small)."""

    code = "stamp.error"


def _vietnamese_charset() -> frozenset[str]:
    vowels = "aăâeêioôơuưy"
    letters = vowels + "bcdđghklmnpqrstvx" + "fjwz"
    tones = ("", "\u0300", "\u0301", "\u0303", "\u0309", "\u0323")
    chars = {chr(c) for c in range(0x20, 0x7F)}
    chars |= {chr(c) for c in range(0xC0, 0x180)}  # Latin-1 letters and Latin Extended-A
    chars |= set("–—‘’“”…·•°№")
    for base in letters:
        for ch in (base, base.upper()):
            marks = tones if ch.lower() in vowels else ("",)
            for tone in marks:
                composed = unicodedata.normalize("NFC", ch + tone)
                if len(composed) == 1:
                    chars.add(composed)
    return frozenset(chars)


@dataclass(frozen=True)
class StampFont:
    """A TrueType font subset once, ready to embed as a Type0/CIDFontType2 font (CID = glyph id)."""

    postscript_name: str
    units_per_em: int
    glyph_of: dict[int, int]  # code point → glyph id
    advance: tuple[int, ...]  # glyph id → advance width in font units
    widths: tuple[int, ...]  # glyph id → advance width in PDF glyph space (1/1000 em)
    ascent: int
    descent: int
    cap_height: int
    bbox: tuple[int, int, int, int]
    italic_angle: float
    stem_v: int
    program_deflated: bytes  # the subset TrueType program, Flate-compressed
    program_sha256: bytes  # of the uncompressed program: recognises it in an earlier revision
    to_unicode_deflated: bytes  # ToUnicode CMap for every glyph, Flate-compressed

    @functools.cached_property
    def widths_array(self) -> bytes:
        """``/W``'s value as pyHanko writes ``[0 [w0 w1 …]]`` (same bytes), serialised once."""
        return b"[ 0 [ " + b"".join(b"%d " % w for w in self.widths) + b"] ]"

    def glyph_ids(self, text: str) -> list[int]:
        """Glyph ids for ``text`` (normalised to NFC first: NFD input would render broken)."""
        out: list[int] = []
        for ch in unicodedata.normalize("NFC", text):
            gid = self.glyph_of.get(ord(ch))
            if gid is None:
                raise AppearanceError(
                    f"Phông chữ của dấu chữ ký không có ký tự «{ch}» (U+{ord(ch):04X}) "
                    f"trong «{text}».",
                )
            out.append(gid)
        return out

    def text_width(self, text: str, size: float) -> float:
        """Width of ``text`` set at ``size`` points (no kerning: the stamp does not shape)."""
        units = sum(self.advance[g] for g in self.glyph_ids(text))
        return units * size / self.units_per_em

    @property
    def base_font(self) -> generic.NameObject:
        return pdf_name(f"/{_SUBSET_TAG}+{self.postscript_name}")

    def find_or_embed(self, writer: BasePdfFileWriter) -> generic.IndirectObject:
        """The font of an earlier stamp in the same file if it is this very font, else a new one.

        Reusing it saves ~16 KB per signature after the first; the new appearance only refers
        to unchanged objects of an earlier revision, which difference analysis accepts.
        """
        return self._find_in_earlier_stamps(writer) or self.embed(writer)

    def _find_in_earlier_stamps(self, writer: BasePdfFileWriter) -> generic.IndirectObject | None:
        previous = getattr(writer, "prev", None)  # only incremental writers have history
        if previous is None:
            return None
        for _, _, field_ref in enumerate_sig_fields(previous, filled_status=True):
            try:
                annot = get_single_field_annot(field_ref.get_object())
                fonts = annot["/AP"]["/N"]["/Resources"]["/Font"]
                ref = fonts.raw_get(_FONT_RESOURCE)
                if isinstance(ref, generic.IndirectObject) and self._is_this_font(ref):
                    return ref
            except (KeyError, TypeError, ValueError, misc.PdfError):
                continue
        return None

    def _is_this_font(self, ref: generic.IndirectObject) -> bool:
        type0 = ref.get_object()  # type: ignore[no-untyped-call]
        if type0.get("/BaseFont") != self.base_font:
            return False
        descendant = type0["/DescendantFonts"][0].get_object()
        program = descendant["/FontDescriptor"]["/FontFile2"].data
        return hashlib.sha256(program).digest() == self.program_sha256

    def embed(self, writer: BasePdfFileWriter) -> generic.IndirectObject:
        """Write the font objects into ``writer``; return the Type0 font's reference."""
        deflate = {"/Filter": pdf_name("/FlateDecode")}
        program = writer.add_object(
            generic.StreamObject(_dict(deflate), encoded_data=self.program_deflated)
        )
        descriptor = writer.add_object(
            _dict(
                {
                    "/Type": pdf_name("/FontDescriptor"),
                    "/FontName": self.base_font,
                    # Serif (2) + Symbolic (4): a CID font's glyphs are not in a standard set.
                    "/Flags": _int(6),
                    "/FontBBox": generic.ArrayObject(_int(v) for v in self.bbox),
                    "/ItalicAngle": generic.FloatObject(self.italic_angle),  # type: ignore[no-untyped-call]
                    "/Ascent": _int(self.ascent),
                    "/Descent": _int(self.descent),
                    "/CapHeight": _int(self.cap_height),
                    "/StemV": _int(self.stem_v),
                    "/FontFile2": program,
                }
            )
        )
        system_info = {
            "/Registry": generic.pdf_string("Adobe"),
            "/Ordering": generic.pdf_string("Identity"),
            "/Supplement": _int(0),
        }
        cid_font = writer.add_object(
            _dict(
                {
                    "/Type": pdf_name("/Font"),
                    "/Subtype": pdf_name("/CIDFontType2"),
                    "/BaseFont": self.base_font,
                    "/CIDSystemInfo": _dict(system_info),
                    "/FontDescriptor": descriptor,
                    "/CIDToGIDMap": pdf_name("/Identity"),
                    # All glyphs from CID 0. Indirect: a later stamp that recognises this font
                    # reads this dictionary, and would otherwise parse ~900 numbers to do so.
                    "/W": writer.add_object(_Serialised(self.widths_array)),
                }
            )
        )
        to_unicode = writer.add_object(
            generic.StreamObject(_dict(deflate), encoded_data=self.to_unicode_deflated)
        )
        return writer.add_object(
            _dict(
                {
                    "/Type": pdf_name("/Font"),
                    "/Subtype": pdf_name("/Type0"),
                    "/BaseFont": self.base_font,
                    "/Encoding": pdf_name("/Identity-H"),
                    "/DescendantFonts": generic.ArrayObject([cid_font]),
                    "/ToUnicode": to_unicode,
                }
            )
        )


def _to_unicode_cmap(unicode_of: dict[int, int]) -> bytes:
    lines = [
        "/CIDInit /ProcSet findresource begin",
        "12 dict begin",
        "begincmap",
        "/CIDSystemInfo << /Registry (Adobe) /Ordering (UCS) /Supplement 0 >> def",
        "/CMapName /Adobe-Identity-UCS def",
        "/CMapType 2 def",
        "1 begincodespacerange",
        "<0000> <FFFF>",
        "endcodespacerange",
    ]
    pairs = sorted(unicode_of.items())
    for start in range(0, len(pairs), 100):  # at most 100 entries per bfchar block
        chunk = pairs[start : start + 100]
        lines.append(f"{len(chunk)} beginbfchar")
        lines.extend(f"<{gid:04X}> <{cp:04X}>" for gid, cp in chunk)
        lines.append("endbfchar")
    lines += ["endcmap", "CMapName currentdict /CMap defineresource pop", "end", "end"]
    return "\n".join(lines).encode("ascii")


def load_stamp_font(path: Path, charset: frozenset[str]) -> StampFont:
    """Subset the TrueType font at ``path`` to ``charset`` (the glyphs it has) and measure it."""
    tt = ttLib.TTFont(path)
    wanted = [ord(c) for c in charset if ord(c) in tt.getBestCmap()]
    options = subset.Options()
    # No shaping at stamp time, so layout tables would be dead weight; hinting likewise.
    options.layout_features = []
    options.drop_tables += ["GSUB", "GPOS", "GDEF", "meta"]
    options.hinting = False
    options.notdef_outline = True
    options.name_IDs = ["*"]
    subsetter = subset.Subsetter(options=options)
    subsetter.populate(unicodes=wanted)
    subsetter.subset(tt)

    order = tt.getGlyphOrder()
    gid_by_name = {name: gid for gid, name in enumerate(order)}
    glyph_of = {cp: gid_by_name[name] for cp, name in tt.getBestCmap().items()}
    hmtx = tt["hmtx"]
    advance = tuple(hmtx[name][0] for name in order)
    unicode_of: dict[int, int] = {}
    for cp, gid in sorted(glyph_of.items()):
        unicode_of.setdefault(gid, cp)

    buf = io.BytesIO()
    tt.save(buf)
    head, hhea, os2 = tt["head"], tt["hhea"], tt["OS/2"]
    name_record = tt["name"].getName(6, 3, 1) or tt["name"].getName(6, 1, 0)
    postscript_name = name_record.toUnicode() if name_record else path.stem
    return StampFont(
        postscript_name=postscript_name,
        units_per_em=head.unitsPerEm,
        glyph_of=glyph_of,
        advance=advance,
        widths=tuple(round(w * 1000 / head.unitsPerEm) for w in advance),
        ascent=hhea.ascent,
        descent=hhea.descent,
        cap_height=getattr(os2, "sCapHeight", hhea.ascent),
        bbox=(head.xMin, head.yMin, head.xMax, head.yMax),
        italic_angle=float(getattr(tt["post"], "italicAngle", 0)),
        stem_v=int(10 + 220 * (os2.usWeightClass - 50) / 900),
        program_deflated=zlib.compress(buf.getvalue(), 9),
        program_sha256=hashlib.sha256(buf.getvalue()).digest(),
        to_unicode_deflated=zlib.compress(_to_unicode_cmap(unicode_of), 9),
    )


@functools.cache
def stamp_font() -> StampFont:
    """The stamp font, subset on first use and kept for the life of the process (~0.2 s once)."""
    return load_stamp_font(
        Path(fontpkg_spectral.ROOT) / "files" / _FONT_FILE, _vietnamese_charset()
    )


def format_signing_time(at: datetime) -> str:
    """``Ký ngày 28/11/2025 15:07`` in Vietnam time. ``at`` must be timezone-aware."""
    if at.tzinfo is None:
        raise ValueError("signing time must be timezone-aware")
    local = at.astimezone(VIETNAM_TIME)
    return f"Ký ngày {local:%d/%m/%Y %H:%M}"


@dataclass(frozen=True)
class StampText:
    """What a stamp says. Normalised to NFC so that the font lookup and the PDF text agree."""

    signer_name: str
    role_label: str
    signed_at: datetime

    def parts(self) -> tuple[str, str, str]:
        """Name, role and ``Ký ngày …``, in NFC."""
        return (
            unicodedata.normalize("NFC", " ".join(self.signer_name.split())),
            unicodedata.normalize("NFC", " ".join(self.role_label.split())),
            format_signing_time(self.signed_at),
        )

    def layouts(self) -> tuple[tuple[tuple[str, float], ...], ...]:
        """The ways to set the stamp, preferred first: lines with their natural sizes (pt).

        The renderer's fields range from 147×45 pt (homeroom teacher, principal) to 131×23 pt
        (a subject row of the học bạ): three lines where they fit, else fewer, longer ones.
        """
        name, role, when = self.parts()
        first, second = _halves(name)
        return (
            ((name, 10.5), (role, 8.5), (when, 8.0)),
            ((first, 10.0), (second, 10.0), (role, 8.5), (when, 8.0)),  # a school's long name
            ((f"{name} – {when}", 9.0), (role, 8.0)),
            ((f"{name} – {role}", 9.0), (when, 8.0)),
            ((f"{name} – {role} – {when}", 8.0),),
        )


def _halves(text: str) -> tuple[str, str]:
    """Split at the space that best balances the two parts (by characters)."""
    words = text.split(" ")
    if len(words) < 2:
        return text, ""
    cut = min(
        range(1, len(words)),
        key=lambda i: abs(len(" ".join(words[:i])) - len(" ".join(words[i:]))),
    )
    return " ".join(words[:cut]), " ".join(words[cut:])


_LEADING = 1.2
_READABLE = 6.0  # pt: take the first layout whose every line is at least this big
_MIN_SIZE = 4.0  # pt: below this the stamp would be a smudge; refuse instead


@dataclass(frozen=True, kw_only=True)
class VietnameseStampStyle(BaseStampStyle):
    """pyHanko stamp style for one signature: draws ``text`` in the widget's box."""

    text: StampText
    border_width: int = 0  # the border is drawn by the stamp itself, in the ink colour

    def create_stamp(
        self, writer: BasePdfFileWriter, box: layout.BoxConstraints, text_params: dict[str, Any]
    ) -> VietnameseStamp:
        # text_params (pyHanko's %(signer)s/%(ts)s) is ignored: the stamp text is fixed up front
        # so that it shows the same time as the signature dictionary's /M.
        return VietnameseStamp(writer, self.text, box, stamp_font(), self)


class VietnameseStamp(BaseStamp):
    """The appearance stream: a thin frame and centred lines of text in the stamp font."""

    def __init__(
        self,
        writer: BasePdfFileWriter,
        text: StampText,
        box: layout.BoxConstraints,
        font: StampFont,
        style: VietnameseStampStyle | None = None,
    ) -> None:
        super().__init__(writer=writer, style=style, box=box)
        self.text = text
        self.font = font
        self._writer = writer

    def render(self) -> bytes:
        width, height = float(self.box.width), float(self.box.height)
        lines, sizes = _choose_layout(self.font, self.text, width, height)
        font_ref = self.font.find_or_embed(self._writer)
        self.set_resource(ResourceType.FONT, pdf_name(_FONT_RESOURCE), font_ref)

        # Centre the block of lines vertically; each line box is size × leading high, with the
        # baseline a little above its bottom (room for descenders and the dot below "ạ").
        top = (height + sum(size * _LEADING for size in sizes)) / 2
        ops = [
            b"q",
            _INK + b" RG",
            b"0.6 w",
            b"%.2f %.2f %.2f %.2f re S" % (0.3, 0.3, width - 0.6, height - 0.6),
            b"BT",
            _INK + b" rg",
        ]
        for line, size in zip(lines, sizes, strict=True):
            top -= size * _LEADING
            baseline = top + 0.3 * size
            gids = self.font.glyph_ids(line)
            x = (width - self.font.text_width(line, size)) / 2
            hexed = "".join(f"{g:04X}" for g in gids).encode("ascii")
            ops.append(
                b"%s %.2f Tf 1 0 0 1 %.2f %.2f Tm <%s> Tj"
                % (_FONT_RESOURCE.encode(), size, x, baseline, hexed)
            )
        ops += [b"ET", b"Q"]
        return b"\n".join(ops)


def _choose_layout(
    font: StampFont, text: StampText, width: float, height: float
) -> tuple[tuple[str, ...], tuple[float, ...]]:
    padding = min(3.0, 0.1 * height)
    avail_w, avail_h = width - 2 * padding, height - 2 * padding
    fitted = []
    for option in text.layouts():  # the first readable one wins: measure no further
        lines = tuple(line for line, _ in option)
        sizes = _fit_sizes(font, option, avail_w, avail_h)
        if min(sizes) >= _READABLE:
            return lines, sizes
        fitted.append((lines, sizes))
    lines, sizes = max(fitted, key=lambda option: min(option[1]))
    if min(sizes) < _MIN_SIZE:
        raise AppearanceError(
            f"Ô chữ ký quá nhỏ ({width:.0f}×{height:.0f} pt) để ghi «{text.parts()[0]}» cho dễ "
            "đọc. Kết xuất lại hồ sơ với ô chữ ký lớn hơn.",
        )
    return lines, sizes


def _fit_sizes(
    font: StampFont, option: Sequence[tuple[str, float]], avail_w: float, avail_h: float
) -> tuple[float, ...]:
    """Each line at its natural size, shrunk to the width, then all together to the height."""
    sizes = []
    for line, natural in option:
        at_one = font.text_width(line, 1.0)
        sizes.append(min(natural, avail_w / at_one) if at_one else natural)
    block = sum(s * _LEADING for s in sizes)
    if block > avail_h:
        sizes = [s * avail_h / block for s in sizes]
    # Keep the lines of one stamp within a modest range of sizes: a tiny first line under a
    # large date reads as a mistake.
    ceiling = 1.3 * min(sizes)
    return tuple(min(s, ceiling) for s in sizes)
