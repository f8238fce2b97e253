"""Re-test comparison: pure functions, no database, no plotting.

A change between two sessions counts as real only when its size exceeds the measure's
*smallest detectable difference* (SDD, also called minimal detectable change: the change
that measurement error alone produces in fewer than 5 % of re-tests,
SDD = 1.96 x sqrt(2) x SEM). Smaller changes are reported as "within measurement error".

All four measures are *fault* measures, signed so that + is the fault direction (knee
medial, pelvis dropping away from the stance leg, lumbar arching, trunk leaning), so a
decrease is "improved" and an increase "worse".

Defaults (degrees), all overridable (``sdd={"hip_drop": 3.0}`` or
``hipform progress --sdd hip_drop=3``):

=================  =====  ===========================================================
measure            SDD    source
=================  =====  ===========================================================
knee_valgus        8.0    2D frontal-plane projection angle; Munro, Herrington &
                          Carolan 2012 (J Sport Rehabil 21:7-11): between-day changes
                          under about 8 degrees are within measurement error.
hip_drop           4.0    hipform's conservative default: 2D pelvic drop is a smaller
                          angle measured from two close landmarks; no validated
                          webcam/pose-estimation value exists.
lumbar_extension   8.0    hipform's default; no validated value exists for this
                          pose-estimation proxy.
trunk_lean         6.0    hipform's default; no validated value for this proxy.
=================  =====  ===========================================================
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass
from typing import Any

from hipform.errors import ConfigError
from hipform.store import session_measures

__all__ = [
    "DEFAULT_SDD",
    "IMPROVED",
    "MEASURE_LABELS",
    "NO_DATA",
    "WITHIN_ERROR",
    "WORSE",
    "Change",
    "asymmetry",
    "classify_change",
    "compare_measures",
    "compare_sessions",
    "parse_sdd_overrides",
    "session_measures",
]

#: Smallest detectable difference per measure, degrees (see the module docstring).
DEFAULT_SDD: dict[str, float] = {
    "knee_valgus": 8.0,
    "hip_drop": 4.0,
    "lumbar_extension": 8.0,
    "trunk_lean": 6.0,
}

MEASURE_LABELS: dict[str, str] = {
    "knee_valgus": "Knee valgus",
    "hip_drop": "Hip drop",
    "lumbar_extension": "Lumbar arching",
    "trunk_lean": "Trunk lean",
}

IMPROVED = "improved"
WORSE = "worse"
WITHIN_ERROR = "within measurement error"
NO_DATA = "no data"
_SIDE_ORDER = {"left": 0, "right": 1, "both": 2}


@dataclass(frozen=True)
class Change:
    """The change of one measure on one side between two sessions.

    ``before``/``after`` are session values in degrees (mean per-rep peak), ``delta`` =
    after - before, ``sdd`` the threshold used; ``verdict`` is one of ``"improved"``,
    ``"worse"``, ``"within measurement error"``, ``"no data"``.
    """

    measure: str
    side: str
    before: float | None
    after: float | None
    delta: float | None
    sdd: float
    verdict: str

    @property
    def real(self) -> bool:
        """True when the change exceeds the smallest detectable difference."""
        return self.verdict in (IMPROVED, WORSE)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def classify_change(
    before: float | None, after: float | None, sdd: float, *, lower_is_better: bool = True
) -> str:
    """Verdict for one change. Real only when ``|after - before| > sdd`` (strictly).

    Args:
        before, after: values in degrees; None (or NaN) gives ``"no data"``.
        sdd: smallest detectable difference, degrees, > 0.
        lower_is_better: True for fault measures (a decrease is "improved").
    """
    if before is None or after is None or before != before or after != after:
        return NO_DATA
    delta = after - before
    if abs(delta) <= sdd:
        return WITHIN_ERROR
    return IMPROVED if (delta < 0) == lower_is_better else WORSE


def _merged_sdd(sdd: Mapping[str, float] | None) -> dict[str, float]:
    out = dict(DEFAULT_SDD)
    for k, v in (sdd or {}).items():
        if not (isinstance(v, int | float) and v > 0):
            raise ConfigError(f"smallest detectable difference for {k!r} must be > 0, got {v!r}")
        out[k] = float(v)
    return out


def compare_measures(
    before: Mapping[str, Mapping[str, float | None]],
    after: Mapping[str, Mapping[str, float | None]],
    sdd: Mapping[str, float] | None = None,
) -> list[Change]:
    """Compare two ``{measure: {side: degrees}}`` maps (see
    :func:`hipform.store.session_measures`). Every measure/side present in either map
    gives one :class:`Change`, ordered by measure then side."""
    table = _merged_sdd(sdd)
    order = list(DEFAULT_SDD) + sorted((set(before) | set(after)) - set(DEFAULT_SDD))
    out: list[Change] = []
    for m in order:
        if m not in before and m not in after:
            continue
        b_sides, a_sides = before.get(m, {}), after.get(m, {})
        sides = sorted(set(b_sides) | set(a_sides), key=lambda s: (_SIDE_ORDER.get(s, 9), s))
        limit = table.get(m, 8.0)
        for s in sides:
            b, a = b_sides.get(s), a_sides.get(s)
            verdict = classify_change(b, a, limit)
            delta = None if verdict == NO_DATA else a - b  # type: ignore[operator]
            out.append(Change(m, s, b, a, delta, limit, verdict))
    return out


def compare_sessions(
    before: Mapping[str, Any], after: Mapping[str, Any], sdd: Mapping[str, float] | None = None
) -> list[Change]:
    """Re-test comparison of two sessions (analysis dicts, :meth:`Store.get_session`
    dicts, or :meth:`Store.trend` rows carrying ``measures``)."""
    return compare_measures(_measures_of(before), _measures_of(after), sdd)


def _measures_of(s: Mapping[str, Any]) -> Mapping[str, Mapping[str, float | None]]:
    if "measures" in s and "reps" not in s:
        return s["measures"]
    return session_measures(dict(s))


def asymmetry(
    measures: Mapping[str, Mapping[str, float | None]],
) -> dict[str, float]:
    """Left minus right, degrees, for each measure that has both sides in one session."""
    out = {}
    for m, sides in measures.items():
        left, right = sides.get("left"), sides.get("right")
        if left is not None and right is not None:
            out[m] = left - right
    return out


def parse_sdd_overrides(items: Iterable[str]) -> dict[str, float]:
    """Parse ``["knee_valgus=6", "hip_drop=3.5"]`` into a dict; raises ConfigError."""
    out: dict[str, float] = {}
    for item in items:
        name, sep, value = item.partition("=")
        name = name.strip()
        if not sep or name not in DEFAULT_SDD:
            raise ConfigError(
                f"--sdd expects MEASURE=DEGREES with MEASURE in {', '.join(DEFAULT_SDD)}; "
                f"got {item!r}"
            )
        try:
            v = float(value)
        except ValueError as e:
            raise ConfigError(f"--sdd {item!r}: {value!r} is not a number") from e
        if not v > 0:
            raise ConfigError(f"--sdd {item!r}: must be > 0")
        out[name] = v
    return out
