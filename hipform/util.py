"""Small standard-library helpers shared by the report, history store and batch summary.

Stdlib only (no numpy): :mod:`hipform.store` and the report writers import it cheaply.
"""

from __future__ import annotations

import math
from typing import Any

__all__ = ["finite_float"]


def finite_float(x: Any) -> float | None:
    """``float(x)`` when that is finite, else None.

    None, booleans, NaN, +/-inf and anything ``float()`` rejects give None. Strings that
    parse as numbers ("3.5") and numpy scalars are accepted, e.g. values read back from
    JSON, CSV or SQLite.
    """
    if x is None or isinstance(x, bool):
        return None
    try:
        f = float(x)
    except (TypeError, ValueError):
        return None
    return f if math.isfinite(f) else None
