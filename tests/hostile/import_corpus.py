"""Malformed import files, generated from the good fixtures by one deliberate damage each.

Each case names the file it writes, how it is built (bytes, deterministic), the finding code
``hsdt check`` must report and a one-line description for docs/hostile-inputs.md. Nothing here
is stored in git: the good fixtures plus these recipes are the corpus.
"""

from __future__ import annotations

import io
import json
import re
import zipfile
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from importers import xlsx_fixtures

GOOD = Path(__file__).parents[1] / "fixtures" / "good"
NAME = "Lù Thị Mỷ"  # the first student of minimal-thcs.json and toan-8a1.csv


@dataclass(frozen=True)
class ImportCase:
    name: str  # also the file name's stem
    suffix: str  # .json, .csv, .xlsx
    build: Callable[[], bytes]
    code: str  # the finding code that must be reported
    what: str  # for the docs table

    @property
    def filename(self) -> str:
        return f"{self.name}{self.suffix}"


# ---------------------------------------------------------------- JSON


@cache
def good_json() -> bytes:
    return (GOOD / "minimal-thcs.json").read_bytes()


def _json(edit: Callable[[dict[str, object]], None]) -> Callable[[], bytes]:
    def build() -> bytes:
        tree = json.loads(good_json())
        edit(tree)
        return json.dumps(tree, ensure_ascii=False).encode("utf-8")

    return build


def _student(tree: dict[str, object]) -> dict[str, object]:
    return tree["classes"][0]["students"][0]["student"]  # type: ignore[index, no-any-return]


def _set_student(key: str, value: object) -> Callable[[], bytes]:
    return _json(lambda t: _student(t).__setitem__(key, value))


def _text_replace(old: bytes, new: bytes) -> Callable[[], bytes]:
    def build() -> bytes:
        data = good_json()
        assert old in data, old
        return data.replace(old, new, 1)

    return build


def _scores() -> bytes:
    return b'"regular": ['


def _nested(depth: int) -> bytes:
    head = b'{"format": "hsdt/school-year", "format_version": 1, "x": '
    return head + b'{"a": ' * depth + b"1" + b"}" * depth + b"}"


JSON_CASES = [
    ImportCase(
        "json-too-large",
        ".json",
        lambda: good_json() + b" " * (65 << 20),
        "file.too_large",
        "valid JSON followed by 65 MiB of blanks (over the 64 MiB file limit)",
    ),
    ImportCase(
        "json-truncated",
        ".json",
        lambda: good_json()[: len(good_json()) // 2],
        "file.unreadable",
        "JSON cut in half (upload interrupted)",
    ),
    ImportCase(
        "json-deep-arrays",
        ".json",
        lambda: b"[" * 200_000 + b"]" * 200_000,
        "file.unreadable",
        "200 000 nested arrays (parser recursion)",
    ),
    ImportCase(
        "json-deep-objects",
        ".json",
        lambda: _nested(5_000),
        "file.unreadable",
        "5 000 nested objects inside a well-formed document",
    ),
    ImportCase(
        "json-deep-moderate",
        ".json",
        lambda: _nested(200),
        "file.unreadable",
        "200 nested objects (below the parser's limit, above ours)",
    ),
    ImportCase(
        "json-duplicate-keys",
        ".json",
        _text_replace(
            b'"format": "hsdt/school-year",',
            b'"format": "hsdt/school-year", "format": "hsdt/school-year",',
        ),
        "file.unreadable",
        "a key twice in one object (which one wins?)",
    ),
    ImportCase(
        "json-nan",
        ".json",
        _text_replace(_scores(), _scores() + b"NaN, "),
        "file.unreadable",
        "NaN as a score",
    ),
    ImportCase(
        "json-infinity",
        ".json",
        _text_replace(_scores(), _scores() + b"Infinity, "),
        "file.unreadable",
        "Infinity as a score",
    ),
    ImportCase(
        "json-huge-integer",
        ".json",
        _text_replace(_scores(), _scores() + b"9" * 10_000 + b", "),
        "file.unreadable",
        "a 10 000-digit integer score (int parsing limit)",
    ),
    ImportCase(
        "json-huge-exponent",
        ".json",
        _text_replace(_scores(), _scores() + b"1e999999999, "),
        "score.out_of_range",
        "a score of 1e999999999",
    ),
    ImportCase(
        "json-tiny-exponent",
        ".json",
        _text_replace(_scores(), _scores() + b"1e-999999999, "),
        "score.decimals",
        "a score of 1e-999999999 (a billion decimals)",
    ),
    ImportCase(
        "json-score-string",
        ".json",
        _text_replace(_scores(), _scores() + '"tám", '.encode()),
        "score.not_a_number",
        "a score written as a word",
    ),
    ImportCase(
        "json-root-array",
        ".json",
        lambda: b"[" + good_json() + b"]",
        "schema.format",
        "the dataset wrapped in an array",
    ),
    ImportCase(
        "json-wrong-version",
        ".json",
        _text_replace(b'"format_version": 1', b'"format_version": 2'),
        "schema.format",
        "a future format version",
    ),
    ImportCase(
        "json-student-as-list",
        ".json",
        _set_student("full_name", ["Lù", "Thị", "Mỷ"]),
        "schema.invalid",
        "a name given as a list",
    ),
    ImportCase(
        "json-date-feb-30",
        ".json",
        _set_student("date_of_birth", "2013-02-30"),
        "schema.invalid",
        "30 February",
    ),
    ImportCase(
        "json-utf16",
        ".json",
        lambda: good_json().decode().encode("utf-16"),
        "file.encoding",
        "UTF-16 with BOM",
    ),
    ImportCase(
        "json-windows-1258",
        ".json",
        lambda: good_json().decode().encode("cp1258", errors="replace"),
        "file.encoding",
        "saved as Windows-1258",
    ),
    ImportCase(
        "json-nul-bytes",
        ".json",
        lambda: good_json().replace(b"\n", b"\x00\n", 3),
        "file.wrong_type",
        "NUL bytes in the text (binary)",
    ),
    ImportCase(
        "json-bom-then-garbage",
        ".json",
        lambda: b"\xef\xbb\xbf\xef\xbb\xbf" + good_json(),
        "file.unreadable",
        "two UTF-8 BOMs",
    ),
    ImportCase(
        "json-non-nfc",
        ".json",
        _set_student("full_name", "Lu\u0300 Thi\u0323 My\u0309"),
        "text.nfd",
        "a name in decomposed form (NFD)",
    ),
    ImportCase(
        "json-formula-name",
        ".json",
        _set_student("full_name", "=cmd|' /C calc'!A0"),
        "text.formula",
        "CSV/DDE injection in a name",
    ),
    ImportCase(
        "json-control-chars",
        ".json",
        _set_student("full_name", "Lù Thị\u0000Mỷ"),
        "text.control",
        "a NUL escaped inside a name",
    ),
    ImportCase(
        "json-bidi-override",
        ".json",
        _set_student("full_name", "Lù Thị \u202eỷM"),
        "text.control",
        "a right-to-left override in a name",
    ),
    ImportCase(
        "json-lone-surrogate",
        ".json",
        _text_replace(NAME.encode(), b"\\ud800" + "Mỷ".encode()),
        "text.control",
        "an unpaired UTF-16 surrogate escape",
    ),
    ImportCase(
        "json-huge-text",
        ".json",
        _set_student("full_name", "A" * 5_000_000),
        "text.too_long",
        "a 5 MB name",
    ),
]

# ---------------------------------------------------------------- CSV


@cache
def good_csv() -> bytes:
    return (GOOD / "toan-8a1.csv").read_bytes()


def _csv_text() -> str:
    return good_csv().decode("utf-8-sig")


def _csv(edit: Callable[[str], str]) -> Callable[[], bytes]:
    return lambda: edit(_csv_text()).encode("utf-8")


def _tcvn3(text: str) -> bytes:
    # TCVN3 (ABC) puts Vietnamese letters on Latin-1 code points: what a legacy font shows as
    # "Lù Thị Mỷ" is stored as these bytes.
    return text.replace(NAME, "Lï ThÞ Mû").encode("cp1252", errors="replace")


CSV_CASES = [
    ImportCase(
        "csv-utf16",
        ".csv",
        lambda: _csv_text().encode("utf-16"),
        "file.encoding",
        "«Unicode Text» (UTF-16) export",
    ),
    ImportCase(
        "csv-utf16-no-bom",
        ".csv",
        lambda: _csv_text().encode("utf-16-le"),
        "file.wrong_type",
        "UTF-16LE without BOM (NUL every other byte)",
    ),
    ImportCase(
        "csv-windows-1258",
        ".csv",
        lambda: _csv_text().encode("cp1258", errors="replace"),
        "file.encoding",
        "saved as Windows-1258",
    ),
    ImportCase(
        "csv-tcvn3",
        ".csv",
        lambda: _tcvn3(_csv_text()),
        "text.legacy_encoding",
        "names typed in TCVN3 (ABC)",
    ),
    ImportCase(
        "csv-double-bom",
        ".csv",
        lambda: b"\xef\xbb\xbf" + good_csv(),
        "template.header",
        "two BOMs before the header",
    ),
    ImportCase(
        "csv-nul-late",
        ".csv",
        lambda: good_csv() + b"\n" + b" " * 5000 + b"2025-2026\x00,x\n",
        "file.wrong_type",
        "a NUL byte past the first 4 KiB",
    ),
    ImportCase(
        "csv-mixed-delimiters",
        ".csv",
        _csv(lambda t: t.replace("1,1008300001", "1;1008300001")),
        "schema.invalid",
        "one row separated by semicolons, the rest by commas",
    ),
    ImportCase(
        "csv-semicolon-header-comma-rows",
        ".csv",
        _csv(lambda t: t.split("\n", 1)[0].replace(",", ";") + "\n" + t.split("\n", 1)[1]),
        "schema.invalid",
        "header by semicolons, rows by commas",
    ),
    ImportCase(
        "csv-injection-name",
        ".csv",
        _csv(lambda t: t.replace(NAME, "=cmd|' /C calc'!A0")),
        "text.formula",
        "DDE payload in the name column",
    ),
    ImportCase(
        "csv-injection-plus",
        ".csv",
        _csv(lambda t: t.replace(NAME, '+HYPERLINK("http://x")')),
        "text.formula",
        "formula starting with + in a name",
    ),
    ImportCase(
        "csv-injection-at",
        ".csv",
        _csv(lambda t: t.replace("Chăm chỉ", "@SUM(1+1)*cmd|'/C calc'!A0")),
        "text.formula",
        "formula starting with @ in a comment",
    ),
    ImportCase(
        "csv-injection-score",
        ".csv",
        _csv(lambda t: t.replace(',8,9,"7,5"', ',=1+9,9,"7,5"')),
        "score.not_a_number",
        "formula in a score cell",
    ),
    ImportCase(
        "csv-long-field",
        ".csv",
        _csv(lambda t: t.replace("Chăm chỉ", "x" * 300_000)),
        "file.unreadable",
        "a 300 000-character field (over the CSV field limit)",
    ),
    ImportCase(
        "csv-long-text",
        ".csv",
        _csv(lambda t: t.replace("Chăm chỉ", "x" * 100_000)),
        "text.too_long",
        "a 100 000-character comment",
    ),
    ImportCase(
        "csv-many-columns",
        ".csv",
        _csv(lambda t: t.replace("\r\n", "," * 200_000 + "\r\n", 1)),
        "file.too_large",
        "a header line with 200 000 empty columns",
    ),
    ImportCase(
        "csv-unterminated-quote",
        ".csv",
        _csv(lambda t: t.replace('"7,5"', '"7,5')),
        "schema.invalid",
        "a quote that is never closed",
    ),
    ImportCase(
        "csv-header-only",
        ".csv",
        _csv(lambda t: t.split("\n", 1)[0] + "\n"),
        "file.empty",
        "the header and nothing else",
    ),
    ImportCase(
        "csv-score-nan",
        ".csv",
        _csv(lambda t: t.replace(',8,9,"7,5"', ',NaN,9,"7,5"')),
        "score.not_a_number",
        "NaN as a score",
    ),
    ImportCase(
        "csv-score-exponent",
        ".csv",
        _csv(lambda t: t.replace(',8,9,"7,5"', ',1e9999,9,"7,5"')),
        "score.not_a_number",
        "1e9999 as a score",
    ),
    ImportCase(
        "csv-cr-only",
        ".csv",
        _csv(lambda t: t.replace(",8,9,", ",8\r9,")),
        "file.unreadable",
        "a bare CR inside a row (old Mac line ending)",
    ),
    ImportCase(
        "csv-million-rows",
        ".csv",
        _csv(lambda t: t + ",,,,,,,,\n" * 1_000_000),
        "file.too_large",
        "a million (blank) rows",
    ),
    ImportCase(
        "csv-is-xlsx",
        ".csv",
        lambda: _workbook_bytes(),
        "file.wrong_type",
        "a workbook renamed .csv",
    ),
    ImportCase(
        "csv-nfd",
        ".csv",
        _csv(lambda t: t.replace(NAME, "Lu\u0300 Thi\u0323 My\u0309")),
        "text.nfd",
        "names in decomposed form (NFD)",
    ),
    ImportCase(
        "csv-control-char",
        ".csv",
        _csv(lambda t: t.replace(NAME, "Lù Thị\u0007Mỷ")),
        "text.control",
        "a BEL control character in a name",
    ),
]

# ---------------------------------------------------------------- XLSX


@cache
def _workbook_bytes() -> bytes:
    out = io.BytesIO()
    xlsx_fixtures.good_workbook().save(out)
    return out.getvalue()


def _members() -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(_workbook_bytes())) as z:
        return {n: z.read(n) for n in z.namelist()}


def _zip(members: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in members.items():
            z.writestr(zipfile.ZipInfo(name, (2020, 1, 1, 0, 0, 0)), data, zipfile.ZIP_DEFLATED)
    return out.getvalue()


def _sheet_path(title: str) -> str:
    """The zip member of a sheet, by its title (from workbook.xml and its relationships)."""
    members = _members()
    book = members["xl/workbook.xml"].decode()
    rels = members["xl/_rels/workbook.xml.rels"].decode()
    rid = re.search(rf'<sheet [^>]*name="{re.escape(title)}"[^>]*r:id="(rId\d+)"', book)
    if rid is None:
        rid = re.search(rf'<sheet [^>]*r:id="(rId\d+)"[^>]*name="{re.escape(title)}"', book)
    assert rid is not None, title
    target = re.search(rf'<Relationship [^>]*Id="{rid.group(1)}"[^>]*Target="([^"]+)"', rels)
    if target is None:
        target = re.search(rf'Target="([^"]+)"[^>]*Id="{rid.group(1)}"', rels)
    assert target is not None
    return "xl/" + target.group(1).removeprefix("/xl/")


def _edit_member(
    name: str | Callable[[], str], edit: Callable[[bytes], bytes]
) -> Callable[[], bytes]:
    def build() -> bytes:
        members = _members()
        key = name() if callable(name) else name
        members[key] = edit(members[key])
        return _zip(members)

    return build


_SST = b'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><si><t>%s</t></si></sst>'


def _add_member(name: str, data: bytes) -> Callable[[], bytes]:
    return lambda: _zip({**_members(), name: data})


def _edit_book(edit: Callable[[object], None]) -> Callable[[], bytes]:
    def build() -> bytes:
        wb = xlsx_fixtures.good_workbook()
        edit(wb)
        out = io.BytesIO()
        wb.save(out)
        return out.getvalue()

    return build


def _gdcd() -> str:
    return _sheet_path("GDCD")


def _students() -> str:
    return _sheet_path("Học sinh")


_DOCTYPE_LAUGHS = (
    b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
    + b"".join(
        b'<!ENTITY lol%d "%s">' % (i, (b"&lol%d;" % (i - 1) if i > 1 else b"&lol;") * 10)
        for i in range(1, 10)
    )
    + b"]>"
)
_DOCTYPE_XXE = b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'


def _with_doctype(doctype: bytes, entity: bytes) -> Callable[[bytes], bytes]:
    def edit(xml: bytes) -> bytes:
        body = re.sub(rb"^<\?xml[^>]*\?>", b"", xml)
        # the entity goes into the first inline/shared string or cell value there is
        body = re.sub(rb"<t>[^<]*</t>|<t [^>]*>[^<]*</t>", b"<t>" + entity + b"</t>", body, count=1)
        return doctype + body

    return edit


def _shared_strings_bomb() -> bytes:
    """sharedStrings.xml that inflates to 1 GiB from ~1 MB: one honest deflate stream, sizes
    declared truthfully, so only a size cap (not a CRC or header check) can refuse it."""
    members = _members()
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in members.items():
            if name != "xl/sharedStrings.xml":
                z.writestr(name, data)
        info = zipfile.ZipInfo("xl/sharedStrings.xml", (2020, 1, 1, 0, 0, 0))
        info.compress_type = zipfile.ZIP_DEFLATED
        info._compresslevel = 1  # type: ignore[attr-defined]  # speed: the data is one letter
        with z.open(info, "w", force_zip64=True) as f:
            f.write(
                b'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><si><t>'
            )
            chunk = b"A" * (1 << 24)
            for _ in range(64):  # 1 GiB of one letter in one string
                f.write(chunk)
            f.write(b"</t></si></sst>")
    return out.getvalue()


@cache
def shared_strings_bomb() -> bytes:
    return _shared_strings_bomb()


def _declared_bomb() -> bytes:
    """A member whose local and central headers claim 5 GiB (a lie the CRC would catch late)."""
    data = bytearray(_workbook_bytes())
    for sig in (b"PK\x01\x02",):
        for m in re.finditer(re.escape(sig), bytes(data)):
            # central directory: uncompressed size at offset 24 (4 bytes)
            data[m.start() + 24 : m.start() + 28] = (0xFFFFFFF0).to_bytes(4, "little")
            break
    return bytes(data)


def _understated_size() -> bytes:
    """The central directory says a worksheet inflates to 100 bytes: zipfile stops there and the
    CRC check fails, so the understated size cannot smuggle a bomb past the cap."""
    data = bytearray(_workbook_bytes())
    at = -1
    for m in re.finditer(rb"PK\x01\x02", bytes(data)):
        name_length = int.from_bytes(data[m.start() + 28 : m.start() + 30], "little")
        name = bytes(data[m.start() + 46 : m.start() + 46 + name_length])
        if name.startswith(b"xl/worksheets/"):
            at = m.start()
            break
    assert at >= 0
    data[at + 24 : at + 28] = (100).to_bytes(4, "little")
    return bytes(data)


def _many_members() -> bytes:
    members = _members()
    for i in range(20_000):
        members[f"xl/media/junk{i}.bin"] = b""
    return _zip(members)


def _row_at_the_end(xml: bytes) -> bytes:
    row = b'<row r="1048576"><c r="A1048576" t="inlineStr"><is><t>x</t></is></c></row>'
    return xml.replace(b"</sheetData>", row + b"</sheetData>")


def _formula_score(xml: bytes) -> bytes:
    # GDCD D3 (HK1 TX1) becomes a formula with no cached value, as a script would write it
    return re.sub(rb'<c r="D3"[^>]*>.*?</c>', b'<c r="D3"><f>AVERAGE(E3:F3)</f></c>', xml, count=1)


def _formula_name(xml: bytes) -> bytes:
    return re.sub(
        rb'<c r="C3"[^>]*>.*?</c>',
        b'<c r="C3" t="str"><f>HYPERLINK("http://evil","x")</f><v>x</v></c>',
        xml,
        count=1,
    )


def _dde_text(xml: bytes) -> bytes:
    return xml.replace(b"L&#249; Th&#7883; M&#7927;", b"=cmd|' /C calc'!A0", 1)


def _merge(wb: object) -> None:
    ws = wb["GDCD"]  # type: ignore[index]
    ws.merge_cells("D3:G3")


def _huge_cell(wb: object) -> None:
    wb["Học sinh"].cell(3, 7, "Bản Xèo " * 4000)  # type: ignore[index]  # 32 000 chars


def _wide_header(wb: object) -> None:
    wb["GDCD"].cell(2, 16384, "XFD")  # type: ignore[index]


def _rename(wb: object) -> None:
    wb["Học sinh"].title = "Students"  # type: ignore[index]


def _score_text(wb: object) -> None:
    wb["GDCD"].cell(3, 4, "bảy")  # type: ignore[index]


def _score_bool(wb: object) -> None:
    wb["GDCD"].cell(3, 4, True)  # type: ignore[index]


def _score_date(wb: object) -> None:
    from datetime import date

    wb["GDCD"].cell(3, 4, date(2025, 9, 8))  # type: ignore[index]


def _corrupt_central_directory() -> bytes:
    data = bytearray(_workbook_bytes())
    at = bytes(data).rfind(b"PK\x05\x06")
    data[at + 16 : at + 20] = (len(data) * 2).to_bytes(4, "little")  # directory offset past EOF
    return bytes(data)


def _flip_deflate() -> bytes:
    data = bytearray(_workbook_bytes())
    at = bytes(data).find(b"PK\x03\x04", 100)  # the second member's compressed bytes
    for i in range(at + 60, at + 90):
        data[i] ^= 0xFF
    return bytes(data)


def _ods() -> bytes:
    return _zip(
        {
            "mimetype": b"application/vnd.oasis.opendocument.spreadsheet",
            "content.xml": b"<office:document-content/>",
        }
    )


def _no_workbook() -> bytes:
    members = _members()
    del members["xl/workbook.xml"]
    return _zip(members)


def _rels_missing() -> bytes:
    members = _members()
    del members["xl/_rels/workbook.xml.rels"]
    return _zip(members)


XLSX_CASES = [
    ImportCase(
        "xlsx-truncated",
        ".xlsx",
        lambda: _workbook_bytes()[: len(_workbook_bytes()) // 2],
        "file.unreadable",
        "workbook cut in half",
    ),
    ImportCase(
        "xlsx-central-directory-lie",
        ".xlsx",
        _corrupt_central_directory,
        "file.unreadable",
        "end-of-central-directory pointing past the file",
    ),
    ImportCase(
        "xlsx-corrupt-deflate",
        ".xlsx",
        _flip_deflate,
        "file.unreadable",
        "30 flipped bytes inside a compressed member",
    ),
    ImportCase(
        "xlsx-no-workbook-part",
        ".xlsx",
        _no_workbook,
        "file.wrong_type",
        "a zip without xl/workbook.xml",
    ),
    ImportCase(
        "xlsx-no-relationships",
        ".xlsx",
        _rels_missing,
        "file.unreadable",
        "workbook relationships part missing",
    ),
    ImportCase(
        "xlsx-is-text",
        ".xlsx",
        lambda: "Họ và tên,Toán\n".encode(),
        "file.wrong_type",
        "a CSV renamed .xlsx",
    ),
    ImportCase(
        "xlsx-is-xls",
        ".xlsx",
        lambda: b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 504,
        "file.wrong_type",
        "an Excel 97 (.xls) / encrypted OLE file renamed .xlsx",
    ),
    ImportCase(
        "xlsx-is-ods", ".xlsx", _ods, "file.wrong_type", "an OpenDocument sheet renamed .xlsx"
    ),
    ImportCase(
        "xlsx-sheet-renamed",
        ".xlsx",
        _edit_book(_rename),
        "template.sheet",
        "«Học sinh» renamed «Students»",
    ),
    ImportCase(
        "xlsx-formula-score",
        ".xlsx",
        _edit_member(_gdcd, _formula_score),
        "cell.formula",
        "a score that is a formula with no computed value",
    ),
    ImportCase(
        "xlsx-formula-name",
        ".xlsx",
        _edit_member(_gdcd, _formula_name),
        "cell.formula",
        "HYPERLINK formula in a name cell",
    ),
    ImportCase(
        "xlsx-merged-cells",
        ".xlsx",
        _edit_book(_merge),
        "cell.merged",
        "four ĐĐGtx cells merged into one",
    ),
    ImportCase(
        "xlsx-huge-cell",
        ".xlsx",
        _edit_book(_huge_cell),
        "text.too_long",
        "a 32 000-character cell (Excel's maximum)",
    ),
    ImportCase(
        "xlsx-wide-header",
        ".xlsx",
        _edit_book(_wide_header),
        "file.too_large",
        "a header cell in column XFD (16 384)",
    ),
    ImportCase(
        "xlsx-dimension-lie",
        ".xlsx",
        _edit_member(
            _gdcd,
            lambda x: re.sub(rb'<dimension ref="[^"]*"/>', b'<dimension ref="A1:XFD1048576"/>', x),
        ),
        "file.too_large",
        "sheet claims A1:XFD1048576",
    ),
    ImportCase(
        "xlsx-last-row",
        ".xlsx",
        _edit_member(_gdcd, _row_at_the_end),
        "file.too_large",
        "a cell on row 1 048 576",
    ),
    ImportCase(
        "xlsx-shared-strings-bomb",
        ".xlsx",
        shared_strings_bomb,
        "file.too_large",
        "sharedStrings.xml inflating to 1 GiB",
    ),
    ImportCase(
        "xlsx-declared-size-lie",
        ".xlsx",
        _declared_bomb,
        "file.too_large",
        "central directory claims a 4 GiB member",
    ),
    ImportCase(
        "xlsx-understated-size",
        ".xlsx",
        _understated_size,
        "file.unreadable",
        "central directory understates a worksheet's size (CRC fails)",
    ),
    ImportCase("xlsx-many-members", ".xlsx", _many_members, "file.too_large", "20 000 zip members"),
    ImportCase(
        "xlsx-billion-laughs-strings",
        ".xlsx",
        _add_member("xl/sharedStrings.xml", _DOCTYPE_LAUGHS + _SST % b"&lol9;"),
        "file.unreadable",
        "billion laughs in sharedStrings.xml",
    ),
    ImportCase(
        "xlsx-billion-laughs-sheet",
        ".xlsx",
        _edit_member(_students, _with_doctype(_DOCTYPE_LAUGHS, b"&lol9;")),
        "file.unreadable",
        "billion laughs in a worksheet",
    ),
    ImportCase(
        "xlsx-xxe-workbook",
        ".xlsx",
        _edit_member("xl/workbook.xml", _with_doctype(_DOCTYPE_XXE, b"&xxe;")),
        "file.unreadable",
        "external entity (file:///etc/passwd) in workbook.xml",
    ),
    ImportCase(
        "xlsx-xxe-sheet",
        ".xlsx",
        _edit_member(_students, _with_doctype(_DOCTYPE_XXE, b"&xxe;")),
        "file.unreadable",
        "external entity in a worksheet",
    ),
    ImportCase(
        "xlsx-malformed-sheet-xml",
        ".xlsx",
        _edit_member(_gdcd, lambda x: x[: len(x) // 2]),
        "file.unreadable",
        "worksheet XML cut in half",
    ),
    ImportCase(
        "xlsx-score-text",
        ".xlsx",
        _edit_book(_score_text),
        "score.not_a_number",
        "«bảy» in a score cell",
    ),
    ImportCase(
        "xlsx-score-boolean",
        ".xlsx",
        _edit_book(_score_bool),
        "score.not_a_number",
        "TRUE in a score cell",
    ),
    ImportCase(
        "xlsx-score-date",
        ".xlsx",
        _edit_book(_score_date),
        "score.not_a_number",
        "a date in a score cell",
    ),
    ImportCase(
        "xlsx-formula-as-text",
        ".xlsx",
        _edit_member(_students, _dde_text),
        "text.formula",
        "DDE payload stored as a text cell (not a formula) in «Họ và tên»",
    ),
    ImportCase(
        "xlsx-formula-dde",
        ".xlsx",
        _edit_book(lambda wb: wb["Học sinh"].cell(3, 7, "=cmd|' /C calc'!A0")),  # type: ignore[index]
        "cell.formula",
        "DDE formula cell in «Nơi sinh»",
    ),
]

CASES = [*JSON_CASES, *CSV_CASES, *XLSX_CASES]
_ = zlib  # (kept for readers: the bomb is one deflate stream written by zipfile)
