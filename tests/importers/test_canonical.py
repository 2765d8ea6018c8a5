"""Canonical JSON: one byte sequence per dataset, exact decimals, lossless round trips."""

from __future__ import annotations

import json
import unicodedata
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from records.canonical import (
    canonical_json,
    dataset_from_json,
    dataset_to_json,
    parse_json,
    pretty_json,
)
from records.model import Dataset, Pass, TermScores

GOOD = Path(__file__).parents[1] / "fixtures" / "good"


def small_school() -> Dataset:
    return dataset_from_json((GOOD / "small-school.json").read_bytes())


def test_canonical_form_is_sorted_compact_utf8_nfc_and_exact() -> None:
    obj = {
        "b": [Decimal("8.5"), Decimal("10.0"), Decimal("7"), 3, True, None],
        "a": unicodedata.normalize("NFD", "Lù Thị Mỷ"),
        "d": date(2012, 3, 14),
        "c": Pass.CD,
    }
    assert canonical_json(obj) == (
        '{"a":"Lù Thị Mỷ","b":[8.5,10,7,3,true,null],"c":"CĐ","d":"2012-03-14"}'.encode()
    )


def test_equal_scores_give_equal_bytes() -> None:
    # an Excel cell (9.0), a JSON integer (9) and a typed "9,00" are one score
    forms = [Decimal("9"), Decimal("9.0"), Decimal("9.00"), 9]
    assert {canonical_json([f]) for f in forms} == {b"[9]"}
    assert canonical_json([Decimal("100"), Decimal("0.50"), Decimal("-0.0")]) == b"[100,0.5,0]"


def test_floats_nan_and_negative_zero() -> None:
    with pytest.raises(TypeError, match="Decimal"):
        canonical_json({"score": 8.1})
    with pytest.raises(ValueError):
        canonical_json([Decimal("NaN")])
    assert canonical_json([Decimal("-0"), Decimal("-0.0")]) == b"[0,0]"


def test_parse_keeps_decimals_exact_and_rejects_what_json_should_not_allow() -> None:
    parsed = parse_json(b'\xef\xbb\xbf{"x": [8.1, 10.0, 7, 1e1]}')
    assert parsed == {"x": [Decimal("8.1"), Decimal("10.0"), 7, Decimal("1E+1")]}
    assert str(parsed["x"][1]) == "10.0" and isinstance(parsed["x"][2], int)
    with pytest.raises(ValueError, match="duplicate"):
        parse_json(b'{"a": 1, "a": 2}')
    with pytest.raises(ValueError):
        parse_json(b'{"a": NaN}')


@given(
    st.decimals(allow_nan=False, allow_infinity=False, places=None)
    | st.decimals(min_value=0, max_value=10, places=1)
)
def test_any_decimal_survives_the_round_trip_exactly(value: Decimal) -> None:
    data = canonical_json([value])
    back = parse_json(data)[0]
    assert back == value  # the exact value (an integral one reads back as int)
    assert canonical_json([back]) == data  # and the bytes are a fixed point


def test_dataset_round_trip_is_byte_exact() -> None:
    ds = small_school()
    data = dataset_to_json(ds)
    assert dataset_from_json(data) == ds
    assert dataset_to_json(dataset_from_json(data)) == data
    assert json.loads(data)["format"] == "hsdt/school-year"
    # the human-readable form reads back to the same dataset
    assert dataset_from_json(pretty_json(ds.model_dump(mode="python"))) == ds


scores = st.decimals(min_value=0, max_value=10, places=1) | st.decimals(
    min_value=-100, max_value=100, places=3
)


@settings(max_examples=60)
@given(
    regular=st.lists(scores, max_size=6),
    midterm=st.none() | scores,
    final=st.none() | scores,
)
def test_dataset_with_any_scores_round_trips(
    regular: list[Decimal], midterm: Decimal | None, final: Decimal | None
) -> None:
    ds = small_school()
    cls = ds.classes[0]
    first = cls.students[0]
    assert first.secondary is not None
    term = TermScores(regular=regular, midterm=midterm, final=final)
    toan = first.secondary.subjects["TOAN"].model_copy(update={"term1": term})
    year = first.secondary.model_copy(
        update={"subjects": {**first.secondary.subjects, "TOAN": toan}}
    )
    student = first.model_copy(update={"secondary": year})
    changed = ds.model_copy(
        update={"classes": [cls.model_copy(update={"students": [student]}), *ds.classes[1:]]}
    )
    data = dataset_to_json(changed)
    back = dataset_from_json(data)
    assert back == changed
    assert dataset_to_json(back) == data
