"""BagIt bags as bytes: what we write is a complete, valid RFC 8493 bag, byte-deterministic, and
the validator notices every kind of damage."""

from __future__ import annotations

import hashlib
import unicodedata

from hypothesis import given
from hypothesis import strategies as st

from archive.bagit import (
    BagCode,
    build_bag,
    decode_path,
    encode_path,
    manifest_bytes,
    parse_bag_info,
    parse_manifest,
    validate_bag,
)

PAYLOAD = {"record.pdf": b"%PDF-1.7\n...", "record.json": '{"tên": "Mai"}'.encode()}
INFO = [("Source-Organization", "Trường THCS Bản Xèo"), ("Bagging-Date", "2026-06-30")]


def codes(files: dict[str, bytes]) -> set[BagCode]:
    return {f.code for f in validate_bag(files).findings}


def test_a_built_bag_has_the_rfc_8493_layout_and_validates() -> None:
    bag = build_bag(PAYLOAD, INFO)
    assert sorted(bag) == [
        "bag-info.txt",
        "bagit.txt",
        "data/record.json",
        "data/record.pdf",
        "manifest-sha256.txt",
        "manifest-sha512.txt",
        "tagmanifest-sha256.txt",
        "tagmanifest-sha512.txt",
    ]
    assert bag["bagit.txt"] == b"BagIt-Version: 1.0\nTag-File-Character-Encoding: UTF-8\n"
    sha = hashlib.sha256(PAYLOAD["record.pdf"]).hexdigest()
    assert f"{sha}  data/record.pdf\n".encode() in bag["manifest-sha256.txt"]
    tag_listed = parse_manifest(bag["tagmanifest-sha512.txt"])[0]
    assert sorted(tag_listed) == sorted(
        ["bagit.txt", "bag-info.txt", "manifest-sha256.txt", "manifest-sha512.txt"]
    )
    report = validate_bag(bag)
    assert report.ok, report.findings
    assert report.info_value("Source-Organization") == "Trường THCS Bản Xèo"
    octets = sum(len(b) for b in PAYLOAD.values())
    assert report.info_value("Payload-Oxum") == f"{octets}.2"


def test_identical_input_gives_identical_bytes() -> None:
    assert build_bag(PAYLOAD, INFO) == build_bag(dict(reversed(PAYLOAD.items())), INFO)


def test_bag_info_is_nfc_whatever_the_input() -> None:
    nfd = unicodedata.normalize("NFD", "Trường THCS Bản Xèo")
    assert nfd != "Trường THCS Bản Xèo"
    bag = build_bag(PAYLOAD, [("Source-Organization", nfd)])
    assert "Source-Organization: Trường THCS Bản Xèo\n".encode() in bag["bag-info.txt"]


def test_every_kind_of_damage_is_reported_with_its_code() -> None:
    bag = build_bag(PAYLOAD, INFO)
    flipped = dict(bag, **{"data/record.pdf": b"%PDF-1.7\n..!"})
    assert codes(flipped) == {BagCode.CHECKSUM_MISMATCH}  # same size: only a checksum tells
    missing = {k: v for k, v in bag.items() if k != "data/record.json"}
    assert codes(missing) == {BagCode.MISSING_FILE, BagCode.OXUM_MISMATCH}
    extra = dict(bag, **{"data/smuggled.txt": b"x"})
    assert codes(extra) == {BagCode.UNLISTED_FILE, BagCode.OXUM_MISMATCH}
    no_declaration = {k: v for k, v in bag.items() if k != "bagit.txt"}
    assert BagCode.DECLARATION in codes(no_declaration)
    no_sha512 = {k: v for k, v in bag.items() if k != "manifest-sha512.txt"}
    assert BagCode.NO_MANIFEST in codes(no_sha512)
    edited_info = dict(bag, **{"bag-info.txt": bag["bag-info.txt"] + b"Extra: 1\n"})
    assert codes(edited_info) == {BagCode.CHECKSUM_MISMATCH}
    escaping = dict(bag, **{"manifest-sha256.txt": b"00  ../etc/passwd\n"})
    assert BagCode.UNSAFE_PATH in codes(escaping)
    garbage = dict(bag, **{"manifest-sha256.txt": b"no-path-here\n"})
    assert BagCode.SYNTAX in codes(garbage)


def test_bag_info_continuation_lines_are_joined() -> None:
    pairs, bad = parse_bag_info(b"External-Description: Hoc ba\n  lop 8A1\nBroken line\n")
    assert pairs == [("External-Description", "Hoc ba lop 8A1")]
    assert bad == ["Broken line"]


names = st.text(
    alphabet=st.sampled_from("abcxyzĐđơướ0123456789 _-%.\n"), min_size=1, max_size=12
).filter(lambda n: n.strip() == n and not n.startswith(".") and "\n" not in n[:1])


@given(st.dictionaries(names, st.binary(max_size=64), min_size=1, max_size=5))
def test_any_payload_round_trips_through_the_manifests(payload: dict[str, bytes]) -> None:
    bag = build_bag(payload, INFO)
    assert validate_bag(bag).ok
    entries, bad = parse_manifest(bag["manifest-sha256.txt"])
    assert not bad
    assert entries == {
        f"data/{name}": hashlib.sha256(data).hexdigest() for name, data in payload.items()
    }
    assert (
        manifest_bytes({f"data/{n}": d for n, d in payload.items()}, "sha256")
        == bag["manifest-sha256.txt"]
    )


@given(names)
def test_path_encoding_round_trips(name: str) -> None:
    assert decode_path(encode_path(name)) == name
    assert "\n" not in encode_path(name)
