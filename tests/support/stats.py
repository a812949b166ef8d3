"""Summary statistics shared by `make bench` and `make soak`."""

from __future__ import annotations

import math
from collections.abc import Iterable


def percentile(samples: Iterable[float], pct: float) -> float:
    """Nearest-rank percentile (`pct` in 0..100) of samples in any order; 0.0 for none."""
    ordered = sorted(samples)
    if not ordered:
        return 0.0
    return ordered[min(len(ordered) - 1, max(0, math.ceil(pct / 100 * len(ordered)) - 1))]
