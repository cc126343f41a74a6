"""Dialled-number and area-code parsing: rows of input -> normalized form or reason."""

from __future__ import annotations

import pytest

from routing import InvalidNumber, parse_area_code, parse_dialled


@pytest.mark.parametrize(
    ("text", "normalized", "area_code"),
    [
        ("12330", "12330", None),
        ("01012330", "01012330", "010"),
        ("02112330", "02112330", "021"),
        ("02912330", "02912330", "029"),
        ("075512330", "075512330", "0755"),
        ("057112330", "057112330", "0571"),
        ("039112330", "039112330", "0391"),
        # separators a person or a trunk may add
        ("021-12330", "02112330", "021"),
        (" 021 12330 ", "02112330", "021"),
        ("(0755) 12330", "075512330", "0755"),
        # country code: the area code's leading 0 is dropped ...
        ("+862112330", "02112330", "021"),
        ("+86 21 12330", "02112330", "021"),
        ("+8675512330", "075512330", "0755"),
        ("+861012330", "01012330", "010"),
        ("00862112330", "02112330", "021"),
        ("008675512330", "075512330", "0755"),
        ("862112330", "02112330", "021"),
        ("8675512330", "075512330", "0755"),
        # ... or kept by some trunks
        ("+8602112330", "02112330", "021"),
        ("008602112330", "02112330", "021"),
        # country code and the bare service number
        ("+8612330", "12330", None),
        ("008612330", "12330", None),
        ("8612330", "12330", None),
    ],
)
def test_accepted_numbers(text: str, normalized: str, area_code: str | None) -> None:
    parsed = parse_dialled(text)
    assert (parsed.normalized, parsed.area_code) == (normalized, area_code)


@pytest.mark.parametrize(
    ("text", "reason_part"),
    [
        ("", "empty number"),
        ("  - ", "empty number"),
        ("abc", "characters other than digits"),
        ("0211233O", "characters other than digits: 'O'"),
        ("021#12330", "characters other than digits: '#'"),
        ("02112331", "does not end with 12330"),
        ("110", "does not end with 12330"),
        ("1233", "does not end with 12330"),
        ("01112330", "impossible area code 011"),
        ("01912330", "impossible area code 019"),
        ("00112330", "001 is an international prefix"),
        ("0012330", "00 is an international prefix"),
        ("512330", "area code 5 must start with 0"),
        ("212330", "area code 2 must start with 0"),
        ("07512330", "impossible area code 075 (0[3-9]XX codes have 4 digits)"),
        ("021112330", "impossible area code 0211 (02X codes have 3 digits)"),
        ("0755112330", "too long"),
        ("1" * 40, "too long"),
        ("+12125551234", "outside China"),
        ("+4412330", "outside China"),
        ("+86", "does not end with 12330"),
        ("+861112330", "impossible area code 011"),
        ("12330 ext 5", "characters other than digits"),
    ],
)
def test_rejected_numbers(text: str, reason_part: str) -> None:
    with pytest.raises(InvalidNumber) as caught:
        parse_dialled(text)
    assert reason_part in caught.value.reason
    assert caught.value.text == text


@pytest.mark.parametrize(
    ("text", "expected"),
    [("021", "021"), (" 0755 ", "0755"), ("010", "010")],
)
def test_trunk_area_codes_accepted(text: str, expected: str) -> None:
    assert parse_area_code(text) == expected


@pytest.mark.parametrize(
    ("text", "reason_part"),
    [
        ("", "empty area code"),
        ("21", "must start with 0"),
        ("011", "impossible area code 011"),
        ("0211", "02X codes have 3 digits"),
        ("075", "0[3-9]XX codes have 4 digits"),
        ("0086", "international prefix"),
        ("02a", "non-digits"),
        ("${TRUNK_AREA}", "non-digits"),
    ],
)
def test_trunk_area_codes_rejected(text: str, reason_part: str) -> None:
    with pytest.raises(InvalidNumber) as caught:
        parse_area_code(text)
    assert reason_part in caught.value.reason
