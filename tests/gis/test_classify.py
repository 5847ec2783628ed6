"""Classification (gis.classify): exact and deterministic Fisher-Jenks, readable bounds that keep
every value in its class, French labels, 3 to 7 classes."""

from __future__ import annotations

import itertools
import random

import numpy as np
import pytest

from gis.classify import check_classes, class_labels, classify, fisher_jenks, method_key
from gis.errors import InvalidInput


def _ssd(values, inner_bounds) -> float:
    y = np.sort(np.asarray(values, dtype=float))
    total, lo = 0.0, -np.inf
    for b in [*inner_bounds, np.inf]:
        seg = y[(y > lo) & (y <= b)]
        total += float(((seg - seg.mean()) ** 2).sum()) if len(seg) else 0.0
        lo = b
    return total


def _brute_force(values, k) -> float:
    y = sorted(values)
    return min(_ssd(y, [y[c - 1] for c in cuts]) for cuts in itertools.combinations(range(1, len(y)), k - 1))


def test_fisher_jenks_is_exact_on_small_sets():
    rng = random.Random(7)
    for _ in range(150):
        n = rng.randint(3, 10)
        values = [round(rng.lognormvariate(1, 1), 1) for _ in range(n)]
        k = rng.randint(2, min(5, len(set(values))))
        assert _ssd(values, fisher_jenks(values, k)) == pytest.approx(_brute_force(values, k), abs=1e-9)


def test_natural_breaks_are_the_same_on_every_call():
    rng = np.random.default_rng(3)
    values = list(rng.lognormal(2, 1, 1300).round(2))  # like a rate over the IDF communes
    results = {tuple(classify(values, 5, "seuils-naturels")) for _ in range(30)}
    assert len(results) == 1
    big = list(rng.lognormal(2, 1, 20_000))  # above JENKS_MAX_VALUES: deterministic subset
    assert len({tuple(classify(big, 7, "seuils-naturels")) for _ in range(3)}) == 1


def test_obvious_groups_are_found():
    assert classify([1, 1, 2, 2, 3, 10, 11, 12, 50, 52], 3, "seuils-naturels") == [3.0, 12.0, 52.0]


@pytest.mark.parametrize("method", ["quantiles", "seuils-naturels", "amplitudes-egales"])
def test_counts_get_integer_bounds_and_keep_their_classes(method):
    rng = np.random.default_rng(11)
    counts = list(rng.poisson(3, 500)) + [0, 40]
    bins = classify(counts, 5, method)
    assert all(float(b).is_integer() for b in bins) and bins == sorted(bins) and bins[-1] == 40
    raw_quantiles = np.percentile(np.asarray(counts, dtype=float), [20, 40, 60, 80])
    if method == "quantiles":  # same partition as the interpolated quantiles
        for v in set(counts):
            raw_class = int(np.searchsorted(raw_quantiles, v - 1e-9))
            assert sum(1 for b in bins if b < v) <= raw_class


def test_rates_get_short_bounds_between_values():
    values = [0.1234, 0.5678, 1.2345, 2.3456, 3.4567, 10.987, 11.234]
    bins = classify(values, 3, "amplitudes-egales")
    assert bins[-1] == 11.234
    for b in bins[:-1]:
        assert len(repr(b).split(".")[1]) <= 2  # at most 2 decimals
    # every value is in the class whose bound is the first >= value, as with the raw bounds
    raw = [0.1234 + (11.234 - 0.1234) * i / 3 for i in (1, 2)]
    for v in values:
        assert sum(1 for b in raw if b < v) == sum(1 for b in bins[:-1] if b < v)


def test_labels_for_counts_and_rates():
    assert class_labels([1.0, 2.0, 5.0, 13.0], 1.0, integers=True) == ["1", "2", "de 3 à 5", "de 6 à 13"]
    assert class_labels([2.5, 1250.0], 0.5) == ["de 0,5 à 2,5", "plus de 2,5 à 1\u202f250"]
    assert class_labels([4.0], 4.0) == ["4"]


@pytest.mark.parametrize("k", [3, 7, "5"])
def test_classes_accepted(k):
    assert check_classes(k) == int(k)


@pytest.mark.parametrize("k", [0, 1, 2, 8, "douze", None, "2.5"])
def test_classes_refused_in_french(k):
    with pytest.raises(InvalidInput, match="Nombre de classes invalide : entre 3 et 7."):
        check_classes(k)


def test_methods():
    assert method_key("NaturalBreaks") == method_key("Jenks") == method_key("seuils naturels") == "seuils-naturels"
    assert method_key(None) == "quantiles" and method_key("EqualInterval") == "amplitudes-egales"
    with pytest.raises(InvalidInput, match="Méthode de discrétisation inconnue"):
        method_key("au pif")
    assert classify([], 5, "quantiles") == [] and classify([3, 3], 5, "quantiles") == [3.0]
