"""The arithmetic of reports, pure: the time histogram's buckets, nearest-rank percentiles, rates.

Times (to accept, to resolve) are whole seconds. The rollups keep them as a fixed log-scale histogram of
``BUCKETS`` counts: bucket 0 holds 0-9 s, bucket k (1..62) holds ``[BOUNDS[k], BOUNDS[k + 1])`` where the
bounds grow by 2^(1/3) from 10 s, and bucket 63 holds everything from ``BOUNDS[63]`` (about 192 days) on.
A percentile read from the histogram is the representative of the bucket holding the nearest-rank value:
the geometric middle of the bucket (5 s for bucket 0, the lower bound for the last), so it is within
``RESOLUTION`` of the exact value (and within 5 s below 10 s).
"""

from __future__ import annotations

import math
from bisect import bisect_right
from collections.abc import Sequence

BUCKETS = 64
# BOUNDS[k] is the lower bound (seconds) of bucket k; integers, so SQL (width_bucket) and Python agree exactly.
BOUNDS: tuple[int, ...] = (0, *(round(10 * 2 ** ((k - 1) / 3)) for k in range(1, BUCKETS)))
assert len(set(BOUNDS)) == BUCKETS and list(BOUNDS) == sorted(BOUNDS)


def representative(bucket: int) -> int:
    """The value a percentile falling in ``bucket`` is reported as (seconds)."""
    if bucket == 0:
        return BOUNDS[1] // 2
    if bucket == BUCKETS - 1:
        return BOUNDS[-1]
    return round(math.sqrt(BOUNDS[bucket] * BOUNDS[bucket + 1]))


def _worst_relative_error() -> float:
    worst = 0.0
    for k in range(1, BUCKETS - 1):
        low, high, rep = BOUNDS[k], BOUNDS[k + 1] - 1, representative(k)
        worst = max(worst, abs(rep - low) / low, abs(high - rep) / high)
    return worst


# The largest relative error of a histogram percentile for times of 10 s up to the last bucket's bound.
RESOLUTION = _worst_relative_error()
RESOLUTION_TEXT = (
    f"Percentiles from the rollups come from a log-scale histogram (buckets 2^(1/3) wide from 10 s to "
    f"{BOUNDS[-1] // 86400} days): within ±{math.ceil(RESOLUTION * 100)}% of the exact value, within 5 s "
    f"below 10 s; times of {BOUNDS[-1] // 86400} days or more are reported as {BOUNDS[-1]} s."
)


def bucket_of(seconds: int) -> int:
    """The bucket of a time in whole seconds (negative times count as 0)."""
    return bisect_right(BOUNDS, max(0, seconds)) - 1


# Nearest rank, in integers: the ceil(q * n)-th smallest value. (Floating point would make 0.9 * 70 round up
# to rank 64.)
QUANTILES = {"median": (1, 2), "p90": (9, 10)}


def rank(n: int, quantile: tuple[int, int]) -> int:
    """1-based nearest rank of ``quantile`` (numerator, denominator) among ``n`` values."""
    numerator, denominator = quantile
    return (n * numerator + denominator - 1) // denominator


def exact_percentile(values: Sequence[int], quantile: tuple[int, int]) -> int | None:
    """The nearest-rank percentile: the smallest value such that at least that share of values is at or
    below it. None for no values."""
    if not values:
        return None
    return sorted(values)[rank(len(values), quantile) - 1]


def histogram_percentile(histogram: Sequence[int], quantile: tuple[int, int]) -> int | None:
    """The representative of the bucket holding the nearest-rank value; None for an empty histogram."""
    n = sum(histogram)
    if n <= 0:
        return None
    wanted = rank(n, quantile)
    seen = 0
    for bucket, count in enumerate(histogram):
        seen += count
        if seen >= wanted:
            return representative(bucket)
    return representative(BUCKETS - 1)


def rate(numerator: int, denominator: int) -> float | None:
    """numerator / denominator to four places; None when nothing is due."""
    if denominator <= 0:
        return None
    return round(numerator / denominator, 4)


def change_rate(current: int, previous: int) -> float | None:
    """(current - previous) / previous to four places; None when there was nothing before."""
    if previous <= 0:
        return None
    return round((current - previous) / previous, 4)
