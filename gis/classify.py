"""Deterministic classification of choropleth values: quantiles, natural breaks, equal intervals.

Every method returns the *upper bounds* of the classes, ascending, the last one being the maximum;
a value ``v`` belongs to the first class whose bound is ``>= v``.

- **Natural breaks** are exact Fisher-Jenks (minimum within-class sum of squared deviations), computed
  by dynamic programming on the distinct values weighted by their counts, vectorised with numpy. The
  result is the same on every call. Above :data:`JENKS_MAX_VALUES` distinct values the optimisation
  runs on that many evenly spaced order statistics of the data (a deterministic subset, no random
  sample); the breaks are then snapped back to data values.
- **Quantiles** use linear interpolation between order statistics (``numpy.percentile``), like
  ``mapclassify.Quantiles``; **equal intervals** cut ``[min, max]`` into ``k`` equal widths.

Bounds are then made readable without changing which class any value falls in: each bound is moved
to the shortest decimal number (integers first) lying between the highest value it covers and the
next value. Counts therefore get integer bounds ("de 1 à 2", never "de 1 à 1,40"), rates rounded ones.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence

import numpy as np

from gis.errors import InvalidInput
from gis.text import strip_accents

MIN_CLASSES = 3
MAX_CLASSES = 7
JENKS_MAX_VALUES = 1500
_BLOCK = 256

METHODS: dict[str, str] = {
    "quantiles": "Quantiles (effectifs égaux)",
    "seuils-naturels": "Seuils naturels (Jenks)",
    "amplitudes-egales": "Amplitudes égales",
}
_METHOD_ALIASES = {"quantiles": "quantiles", "naturalbreaks": "seuils-naturels", "jenks": "seuils-naturels",
                   "fisherjenks": "seuils-naturels", "seuilsnaturels": "seuils-naturels",
                   "equalinterval": "amplitudes-egales", "amplitudesegales": "amplitudes-egales"}


def method_key(value: str | None) -> str:
    """Normalise a classification method name.

    Parameters
    ----------
    value : str or None
        A French key (``quantiles``, ``seuils-naturels``, ``amplitudes-egales``) or a mapclassify
        name (``NaturalBreaks``, ``EqualInterval``…); None means ``quantiles``.

    Returns
    -------
    str
        One of the keys of :data:`METHODS`.

    Raises
    ------
    InvalidInput
        If the name is unknown (French message).
    """
    key = re.sub(r"[^a-z0-9]+", "", strip_accents(value or "quantiles").lower())
    for k in METHODS:
        if k.replace("-", "") == key:
            return k
    if key in _METHOD_ALIASES:
        return _METHOD_ALIASES[key]
    raise InvalidInput("Méthode de discrétisation inconnue : quantiles, seuils-naturels ou amplitudes-egales.")


def check_classes(k: int | str | None) -> int:
    """Validate a requested number of classes.

    Parameters
    ----------
    k : int, str or None
        The number asked for (a form field may give a string).

    Returns
    -------
    int
        ``k`` as an integer between :data:`MIN_CLASSES` and :data:`MAX_CLASSES`.

    Raises
    ------
    InvalidInput
        If ``k`` is not an integer from 3 to 7 (French message).
    """
    try:
        number = int(str(k).strip())
    except (TypeError, ValueError):
        number = 0
    if not MIN_CLASSES <= number <= MAX_CLASSES:
        raise InvalidInput(f"Nombre de classes invalide : entre {MIN_CLASSES} et {MAX_CLASSES}.")
    return number


def classify(values: Sequence[float], k: int, method: str) -> list[float]:
    """Upper bounds of the classes of ``values``.

    Parameters
    ----------
    values : sequence of float
        The values to classify (any order; NaN not allowed).
    k : int
        Number of classes wanted; reduced to the number of distinct values (and to at most 7).
    method : str
        A key of :data:`METHODS` (see :func:`method_key`).

    Returns
    -------
    list of float
        Ascending upper bounds, the last one equal to the maximum; empty if ``values`` is.

    Examples
    --------
    >>> classify([1, 1, 2, 2, 3, 10, 11, 12], 2, "seuils-naturels")
    [3.0, 12.0]
    >>> classify([1, 2, 3, 4, 5, 6], 3, "quantiles")
    [2.0, 4.0, 6.0]
    """
    if len(values) == 0:
        return []
    y = np.sort(np.asarray(values, dtype=float))
    distinct = np.unique(y)
    k = max(1, min(int(k), MAX_CLASSES, len(distinct)))
    if k == 1:
        return [float(distinct[-1])]
    if method == "seuils-naturels":
        raw = fisher_jenks(y, k)
    elif method == "amplitudes-egales":
        width = (distinct[-1] - distinct[0]) / k
        raw = [float(distinct[0] + width * i) for i in range(1, k)]
    else:
        raw = [float(q) for q in np.percentile(y, [100.0 * i / k for i in range(1, k)])]
    return _readable_bounds(raw, distinct)


def _readable_bounds(raw: Sequence[float], distinct: np.ndarray) -> list[float]:
    """Inner bounds snapped to short numbers (same partition), duplicates dropped, the max appended."""
    bounds: list[float] = []
    top = float(distinct[-1])
    for b in raw:
        # values <= b are distinct[:idx]; a bound within float noise of a value covers that value
        idx = int(np.searchsorted(distinct, b + 1e-9 * max(1.0, abs(b)), side="right"))
        if idx == 0 or idx >= len(distinct):
            continue  # empty class or a bound at the maximum
        nice = _shortest_between(float(b), float(distinct[idx - 1]), float(distinct[idx]))
        if not bounds or nice > bounds[-1]:
            bounds.append(nice)
    bounds.append(top)
    return bounds


def _shortest_between(b: float, lo: float, hi: float) -> float:
    """Return the number with fewest decimals in ``[lo, hi)``, nearest to ``b``; ``lo`` if none is found."""
    for d in range(7):
        f = 10.0**d
        c = round(b * f) / f
        if c < lo:
            c = math.ceil(lo * f) / f
        elif c >= hi:
            c = math.ceil(hi * f - 1) / f
        if lo <= c < hi:
            return c + 0.0
    return lo


def fisher_jenks(values: Sequence[float] | np.ndarray, k: int) -> list[float]:
    """Exact Fisher-Jenks natural breaks.

    Parameters
    ----------
    values : sequence of float
        The data (any order).
    k : int
        Number of classes (at least 2, at most the number of distinct values).

    Returns
    -------
    list of float
        The ``k - 1`` inner upper bounds (data values); the last class ends at the maximum.

    Notes
    -----
    Dynamic programming over the sorted distinct values weighted by their counts, in
    ``O(k·n²)`` vectorised operations, by blocks of 256 columns (a few MB of memory). With more than
    :data:`JENKS_MAX_VALUES` distinct values, it runs on that many evenly spaced order statistics of
    the sorted data, each of weight 1: deterministic, no random sampling.
    """
    y = np.sort(np.asarray(values, dtype=float))
    x, w = np.unique(y, return_counts=True)
    if len(x) > JENKS_MAX_VALUES:
        picks = np.linspace(0, len(y) - 1, JENKS_MAX_VALUES).round().astype(int)
        x, w = np.unique(y[picks], return_counts=True)
    k = min(k, len(x))
    if k < 2:
        return []
    ends = _jenks_class_ends(x - x.mean(), w.astype(float), k)
    return [float(x[e - 1]) for e in ends[:-1]]


def _one_class_costs(cw: np.ndarray, c1: np.ndarray, c2: np.ndarray, t: np.ndarray) -> np.ndarray:
    """``cost[s, j]``: squared deviations of values ``s..t[j]-1`` as one class (inf when empty)."""
    s = np.arange(int(t[-1]))[:, None]
    size = cw[t][None, :] - cw[s]
    sums = c1[t][None, :] - c1[s]
    np.square(sums, out=sums)
    valid = size > 0
    np.divide(sums, size, out=sums, where=valid)
    cost: np.ndarray = c2[t][None, :] - c2[s]
    cost -= sums
    cost[~valid] = np.inf
    return cost


def _jenks_class_ends(x: np.ndarray, w: np.ndarray, k: int) -> list[int]:
    """Return number of values in classes ``1..m`` for ``m = 1..k`` of the optimal partition.

    ``best[t]``: least cost of the first ``t`` values in ``m - 1`` classes; the one-class costs are
    computed by blocks of :data:`_BLOCK` columns (a few MB at most, whatever ``n``).
    """
    n = len(x)
    cw = np.concatenate(([0.0], np.cumsum(w)))
    c1 = np.concatenate(([0.0], np.cumsum(w * x)))
    c2 = np.concatenate(([0.0], np.cumsum(w * x * x)))
    best = c2 - np.divide(c1 * c1, cw, out=np.zeros_like(c1), where=cw > 0)  # one class
    best[0] = np.inf
    choice = np.zeros((k + 1, n + 1), dtype=np.int64)
    for m in range(2, k + 1):
        new = np.full(n + 1, np.inf)
        for start in range(m, n + 1, _BLOCK):
            t = np.arange(start, min(start + _BLOCK, n + 1))
            total = _one_class_costs(cw, c1, c2, t)
            total += best[: int(t[-1])][:, None]
            arg = np.argmin(total, axis=0)
            choice[m, t] = arg
            new[t] = total[arg, np.arange(len(t))]
        best = new
    ends = [n]
    for m in range(k, 1, -1):
        ends.append(int(choice[m, ends[-1]]))
    return ends[::-1]


def _fr(value: float) -> str:
    """French number: narrow no-break space for thousands, decimal comma, true minus sign."""
    decimals = next((d for d in range(7) if abs(value - round(value, d)) < 1e-9), 6)
    text = f"{value:,.{decimals}f}"
    return text.replace(",", "\u202f").replace(".", ",").replace("-", "\u2212")


def class_labels(bins: Sequence[float], lower: float, *, integers: bool = False) -> list[str]:
    """French legend text of classes.

    Parameters
    ----------
    bins : sequence of float
        Upper bounds from :func:`classify`.
    lower : float
        The smallest classified value.
    integers : bool
        True when every value is an integer (counts): classes then read "de 3 à 5" instead of
        "plus de 2 à 5".

    Returns
    -------
    list of str
        One label per class.

    Examples
    --------
    >>> class_labels([2.0, 5.0, 9.0], 1.0, integers=True)
    ['de 1 à 2', 'de 3 à 5', 'de 6 à 9']
    >>> class_labels([2.5, 9.0], 0.5)
    ['de 0,5 à 2,5', 'plus de 2,5 à 9']
    """
    out = []
    for i, b in enumerate(bins):
        lo = lower if i == 0 else bins[i - 1]
        if i > 0 and integers:
            lo = math.floor(lo) + 1
        if lo == b:
            out.append(_fr(b))
        elif i == 0 or integers:
            out.append(f"de {_fr(lo)} à {_fr(b)}")
        else:
            out.append(f"plus de {_fr(lo)} à {_fr(b)}")
    return out


__all__ = ["JENKS_MAX_VALUES", "MAX_CLASSES", "METHODS", "MIN_CLASSES", "check_classes", "class_labels",
           "classify", "fisher_jenks", "method_key"]
