"""One FINESS rule for the importers and the API (gis.identifiers)."""

from __future__ import annotations

import pytest

from gis.identifiers import FINESS_PATTERN, INSEE_RE, is_finess


@pytest.mark.parametrize("value", ["750712184", "930000001", "970100013", "2A0002622", "2B0005722"])
def test_valid_finess(value):
    assert is_finess(value)


@pytest.mark.parametrize(
    "value", ["9D0000001", "9A0000001", "2C0000001", "93000001", "9300000011", "93000000A", " 930000001",
              "2a0002622", "", None, 930000001],
)
def test_invalid_finess(value):
    assert not is_finess(value)


def test_pattern_is_anchored_for_fastapi():
    assert FINESS_PATTERN.startswith("^") and FINESS_PATTERN.endswith("$")


def test_insee_codes():
    assert INSEE_RE.match("93066") and INSEE_RE.match("2A004") and not INSEE_RE.match("9306")
