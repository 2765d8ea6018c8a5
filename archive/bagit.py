"""BagIt (RFC 8493) as bytes: a bag is a mapping of relative paths to file contents.

Written and validated here rather than with the ``bagit`` library, which works on directories and
stamps the current date: an archival package lives in an object store, one object per file, and
identical input must give identical bytes (the package is addressed by a hash of its tag manifest).
``export_bag`` in ``archive.package`` writes the same bytes to a directory for other BagIt tools.

Validation returns a report; it never raises on a bad bag.
"""

from __future__ import annotations

import hashlib
import unicodedata
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum

BAGIT_TXT = "bagit.txt"
BAG_INFO_TXT = "bag-info.txt"
PAYLOAD_DIR = "data/"
ALGORITHMS = ("sha256", "sha512")
DECLARATION = b"BagIt-Version: 1.0\nTag-File-Character-Encoding: UTF-8\n"
_KNOWN_ALGORITHMS = {"md5", "sha1", "sha224", "sha256", "sha384", "sha512"}


class BagCode(StrEnum):
    DECLARATION = "bag-declaration"  # bagit.txt missing or not BagIt 1.0 / UTF-8
    NO_MANIFEST = "bag-no-manifest"  # a required payload manifest is missing
    SYNTAX = "bag-syntax"  # a manifest or bag-info.txt line that cannot be parsed
    UNSAFE_PATH = "bag-unsafe-path"  # absolute, '..', or payload/tag mixed up
    UNKNOWN_ALGORITHM = "bag-unknown-algorithm"
    MISSING_FILE = "bag-missing-file"  # listed in a manifest, not in the bag
    UNLISTED_FILE = "bag-unlisted-file"  # in the bag, not in a manifest
    CHECKSUM_MISMATCH = "bag-checksum-mismatch"
    OXUM_MISMATCH = "bag-oxum-mismatch"


@dataclass(frozen=True)
class BagFinding:
    code: BagCode
    path: str
    message: str

    def to_json(self) -> dict[str, str]:
        return {"code": self.code.value, "path": self.path, "message": self.message}


_Add = Callable[[BagCode, str, str], None]


@dataclass(frozen=True)
class BagReport:
    findings: tuple[BagFinding, ...]
    info: tuple[tuple[str, str], ...]

    @property
    def ok(self) -> bool:
        return not self.findings

    def info_value(self, label: str) -> str | None:
        return next((v for k, v in self.info if k.lower() == label.lower()), None)


# ---------------------------------------------------------------------- writing


def encode_path(path: str) -> str:
    """RFC 8493 §2.1.3: percent-encode '%', CR and LF in manifest paths."""
    return path.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def decode_path(encoded: str) -> str:
    return (
        encoded.replace("%0A", "\n")
        .replace("%0a", "\n")
        .replace("%0D", "\r")
        .replace("%0d", "\r")
        .replace("%25", "%")
    )


def manifest_bytes(files: Mapping[str, bytes], algorithm: str) -> bytes:
    lines = [
        f"{hashlib.new(algorithm, files[path]).hexdigest()}  {encode_path(path)}\n"
        for path in sorted(files)
    ]
    return "".join(lines).encode("utf-8")


def bag_info_bytes(info: Sequence[tuple[str, str]]) -> bytes:
    lines = []
    for label, value in info:
        label, value = unicodedata.normalize("NFC", label), unicodedata.normalize("NFC", value)
        if not label or ":" in label or label != label.strip() or "\n" in label:
            raise ValueError(f"bag-info label {label!r} is not a valid BagIt label")
        if "\n" in value or "\r" in value:
            raise ValueError(f"bag-info value for {label} must be one line")
        lines.append(f"{label}: {value}\n")
    return "".join(lines).encode("utf-8")


def payload_oxum(payload: Mapping[str, bytes]) -> str:
    return f"{sum(len(b) for b in payload.values())}.{len(payload)}"


def build_bag(payload: Mapping[str, bytes], info: Sequence[tuple[str, str]]) -> dict[str, bytes]:
    """The complete bag: payload under data/, manifests and tag manifests in SHA-256 and SHA-512.

    ``payload`` paths are relative to data/. ``info`` is written to bag-info.txt in the given
    order, followed by Payload-Oxum. Same input, same bytes.
    """
    files = {PAYLOAD_DIR + name: data for name, data in payload.items()}
    tags: dict[str, bytes] = {
        BAGIT_TXT: DECLARATION,
        BAG_INFO_TXT: bag_info_bytes([*info, ("Payload-Oxum", payload_oxum(files))]),
    }
    for algorithm in ALGORITHMS:
        tags[f"manifest-{algorithm}.txt"] = manifest_bytes(files, algorithm)
    for algorithm in ALGORITHMS:
        tags[f"tagmanifest-{algorithm}.txt"] = manifest_bytes(
            {k: v for k, v in tags.items() if not k.startswith("tagmanifest-")}, algorithm
        )
    return dict(sorted({**files, **tags}.items()))


# ---------------------------------------------------------------------- reading


def parse_bag_info(raw: bytes) -> tuple[list[tuple[str, str]], list[str]]:
    """(label, value) pairs, and the lines that could not be parsed. Continuation lines (leading
    whitespace) extend the previous value, as RFC 8493 §2.2.2 allows."""
    pairs: list[tuple[str, str]] = []
    bad: list[str] = []
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        return [], ["(not UTF-8)"]
    for line in text.splitlines():
        if line[:1] in (" ", "\t") and pairs:
            label, value = pairs[-1]
            pairs[-1] = (label, f"{value} {line.strip()}")
        elif ":" in line and line.split(":", 1)[0].strip():
            label, value = line.split(":", 1)
            pairs.append((label.strip(), value.strip()))
        elif line.strip():
            bad.append(line)
    return pairs, bad


def parse_manifest(raw: bytes) -> tuple[dict[str, str], list[str]]:
    """path → lowercase hex digest, and the lines that could not be parsed."""
    entries: dict[str, str] = {}
    bad: list[str] = []
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        return {}, ["(not UTF-8)"]
    for line in text.splitlines():
        parts = line.split(maxsplit=1)
        if len(parts) != 2 or decode_path(parts[1]) in entries:
            bad.append(line)
            continue
        entries[decode_path(parts[1])] = parts[0].lower()
    return entries, bad


def _unsafe(path: str) -> bool:
    parts = path.split("/")
    return path.startswith("/") or ".." in parts or "" in parts or "\\" in path


def validate_bag(
    files: Mapping[str, bytes], *, required_algorithms: Sequence[str] = ALGORITHMS
) -> BagReport:
    """Check that the bag is complete and valid (RFC 8493 §3), with every tag file covered by
    every tag manifest and the payload manifests in ``required_algorithms`` present."""
    findings: list[BagFinding] = []

    def add(code: BagCode, path: str, message: str) -> None:
        findings.append(BagFinding(code, path, message))

    if files.get(BAGIT_TXT) is None:
        add(BagCode.DECLARATION, BAGIT_TXT, "thiếu bagit.txt")
    else:
        declared = dict(parse_bag_info(files[BAGIT_TXT])[0])
        if declared.get("BagIt-Version") not in ("1.0", "0.97"):
            add(BagCode.DECLARATION, BAGIT_TXT, f"BagIt-Version không được hỗ trợ: {declared}")
        if declared.get("Tag-File-Character-Encoding", "").upper() != "UTF-8":
            add(BagCode.DECLARATION, BAGIT_TXT, "Tag-File-Character-Encoding phải là UTF-8")

    payload = {p: b for p, b in files.items() if p.startswith(PAYLOAD_DIR)}
    tag_files = {p: b for p, b in files.items() if not p.startswith(PAYLOAD_DIR)}
    for path in files:
        if _unsafe(path):
            add(BagCode.UNSAFE_PATH, path, "đường dẫn tuyệt đối, có '..' hoặc có đoạn rỗng")

    manifests = _manifests(files, "manifest-", add)
    for algorithm in required_algorithms:
        if algorithm not in manifests:
            add(BagCode.NO_MANIFEST, f"manifest-{algorithm}.txt", "thiếu manifest bắt buộc")
    for algorithm, entries in manifests.items():
        _check_entries(files, entries, algorithm, f"manifest-{algorithm}.txt", True, add)
        for path in sorted(set(payload) - set(entries)):
            add(BagCode.UNLISTED_FILE, path, f"tệp dữ liệu không có trong manifest-{algorithm}.txt")

    tag_manifests = _manifests(files, "tagmanifest-", add)
    covered = {p for p in tag_files if not p.startswith("tagmanifest-")}
    if not tag_manifests:
        add(BagCode.NO_MANIFEST, "tagmanifest-sha256.txt", "không có tag manifest")
    for algorithm, entries in tag_manifests.items():
        _check_entries(files, entries, algorithm, f"tagmanifest-{algorithm}.txt", False, add)
        for path in sorted(covered - set(entries)):
            add(BagCode.UNLISTED_FILE, path, f"tệp thẻ không có trong tagmanifest-{algorithm}.txt")

    info: list[tuple[str, str]] = []
    if BAG_INFO_TXT in files:
        info, bad = parse_bag_info(files[BAG_INFO_TXT])
        for line in bad:
            add(BagCode.SYNTAX, BAG_INFO_TXT, f"không đọc được dòng {line!r}")
        oxum = dict(info).get("Payload-Oxum")
        if oxum is not None and oxum != payload_oxum(payload):
            add(
                BagCode.OXUM_MISMATCH,
                BAG_INFO_TXT,
                f"Payload-Oxum ghi {oxum} nhưng dữ liệu thực tế là {payload_oxum(payload)}",
            )
    return BagReport(tuple(findings), tuple(info))


def _manifests(files: Mapping[str, bytes], prefix: str, add: _Add) -> dict[str, dict[str, str]]:
    found: dict[str, dict[str, str]] = {}
    for path in sorted(files):
        if not (path.startswith(prefix) and path.endswith(".txt") and "/" not in path):
            continue
        algorithm = path[len(prefix) : -len(".txt")]
        if algorithm not in _KNOWN_ALGORITHMS:
            add(BagCode.UNKNOWN_ALGORITHM, path, f"không biết thuật toán checksum {algorithm!r}")
            continue
        entries, bad = parse_manifest(files[path])
        for line in bad:
            add(BagCode.SYNTAX, path, f"không đọc được dòng {line!r}")
        found[algorithm] = entries
    return found


def _check_entries(
    files: Mapping[str, bytes],
    entries: Mapping[str, str],
    algorithm: str,
    manifest: str,
    payload: bool,
    add: _Add,
) -> None:
    for path, expected in sorted(entries.items()):
        if _unsafe(path) or path.startswith(PAYLOAD_DIR) != payload:
            add(BagCode.UNSAFE_PATH, path, f"{manifest} không được liệt kê đường dẫn này")
        elif path not in files:
            add(BagCode.MISSING_FILE, path, f"có trong {manifest} nhưng không có trong gói")
        else:
            actual = hashlib.new(algorithm, files[path]).hexdigest()
            if actual != expected:
                add(
                    BagCode.CHECKSUM_MISMATCH,
                    path,
                    f"{algorithm} thực tế {actual}, {manifest} ghi {expected}",
                )
