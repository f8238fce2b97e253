"""Thresholds and settings: TOML profiles with dotted-key overrides.

A profile is the packaged ``hipform/profiles/default.toml`` with an optional user TOML
file merged over it, then ``section.key=value`` overrides (as given on the command
line) applied on top. Every key must exist in the default profile and keep its type
(int and float are interchangeable); anything else raises :class:`ConfigError` naming
the key and the value.

    >>> p = load_profile(None, overrides=["knee_valgus.flag=12"])
    >>> p.get("knee_valgus.flag")
    12.0
    >>> p.section("tempo.single_leg_squat")["eccentric_s"]
    3.0
"""

from __future__ import annotations

import copy
import math
import tomllib
from collections.abc import Iterable, Mapping
from importlib import resources
from pathlib import Path
from typing import Any

from hipform.errors import ConfigError

__all__ = ["Profile", "load_profile", "default_profile", "parse_override"]

_DEFAULT_NAME = "default.toml"


def _read_default() -> dict[str, Any]:
    text = resources.files("hipform.profiles").joinpath(_DEFAULT_NAME).read_text("utf-8")
    return tomllib.loads(text)


class Profile:
    """An immutable, validated set of settings (nested sections of scalars and lists).

    Use :meth:`get` with a dotted key (``"knee_valgus.flag"``) or :meth:`section` for a
    whole table (``"tempo.bridge"``), which returns a copy.
    """

    def __init__(self, data: Mapping[str, Any], source: str = "<default>") -> None:
        self._data: dict[str, Any] = copy.deepcopy(dict(data))
        self.source = source
        _validate(self._data)

    def get(self, key: str) -> Any:
        """Value at a dotted key; ConfigError naming the key if it does not exist."""
        node: Any = self._data
        for part in key.split("."):
            if not isinstance(node, dict) or part not in node:
                raise ConfigError(f"unknown profile key {key!r}")
            node = node[part]
        return copy.deepcopy(node)

    def section(self, key: str) -> dict[str, Any]:
        """A table (as a new dict) at a dotted key."""
        v = self.get(key)
        if not isinstance(v, dict):
            raise ConfigError(f"profile key {key!r} is a value, not a section")
        return v

    def to_dict(self) -> dict[str, Any]:
        """A deep copy of all settings."""
        return copy.deepcopy(self._data)

    def with_overrides(self, overrides: Iterable[str] | Mapping[str, Any]) -> Profile:
        """A new profile with dotted-key overrides (``["a.b=1"]`` or ``{"a.b": 1}``)."""
        data = copy.deepcopy(self._data)
        items: list[tuple[str, Any]]
        if isinstance(overrides, Mapping):
            items = [(str(k), v) for k, v in overrides.items()]
        else:
            items = [parse_override(s) for s in overrides]
        for key, raw in items:
            _set_dotted(data, key, raw, origin="override")
        return Profile(data, source=self.source + " + overrides")

    def __repr__(self) -> str:
        return f"Profile(source={self.source!r})"


def parse_override(text: str) -> tuple[str, str]:
    """Split ``"section.key=value"`` into (key, raw value string)."""
    if "=" not in text:
        raise ConfigError(f"override {text!r} must look like section.key=value")
    key, value = text.split("=", 1)
    key = key.strip()
    if not key or "." not in key:
        raise ConfigError(f"override {text!r}: key {key!r} must be a dotted section.key")
    return key, value.strip()


def _coerce(key: str, raw: Any, default: Any) -> Any:
    """Convert ``raw`` (a CLI string or a TOML value) to the type of ``default``."""
    def bad(why: str) -> ConfigError:
        return ConfigError(f"profile key {key!r}: invalid value {raw!r} ({why})")

    if isinstance(default, bool):
        if isinstance(raw, bool):
            return raw
        if isinstance(raw, str) and raw.lower() in ("true", "false", "1", "0", "yes", "no"):
            return raw.lower() in ("true", "1", "yes")
        raise bad("expected true or false")
    if isinstance(default, int | float):
        if isinstance(raw, bool):
            raise bad("expected a number")
        if isinstance(raw, int | float):
            val = float(raw)
        elif isinstance(raw, str):
            try:
                val = float(raw)
            except ValueError:
                raise bad("expected a number") from None
        else:
            raise bad("expected a number")
        if not math.isfinite(val):
            raise bad("must be finite")
        return val
    if isinstance(default, str):
        if not isinstance(raw, str):
            raise bad("expected text")
        return raw
    if isinstance(default, list):
        if isinstance(raw, str):
            items = [s.strip() for s in raw.split(",") if s.strip()]
        elif isinstance(raw, list):
            items = raw
        else:
            raise bad("expected a list")
        if not all(isinstance(s, str) for s in items):
            raise bad("expected a list of names")
        return list(items)
    raise bad("unsupported type")


def _set_dotted(data: dict[str, Any], key: str, raw: Any, origin: str) -> None:
    defaults = _read_default()
    parts = key.split(".")
    dnode: Any = defaults
    node: Any = data
    for part in parts[:-1]:
        if not isinstance(dnode, dict) or not isinstance(dnode.get(part), dict):
            raise ConfigError(f"unknown profile key {key!r} (from {origin}, value {raw!r})")
        dnode = dnode[part]
        node = node.setdefault(part, {})
    last = parts[-1]
    if not isinstance(dnode, dict) or last not in dnode or isinstance(dnode[last], dict):
        raise ConfigError(f"unknown profile key {key!r} (from {origin}, value {raw!r})")
    node[last] = _coerce(key, raw, dnode[last])


def _merge(base: dict[str, Any], over: Mapping[str, Any], prefix: str, origin: str) -> None:
    for k, v in over.items():
        key = f"{prefix}{k}"
        if isinstance(v, dict):
            if not isinstance(base.get(k), dict):
                raise ConfigError(f"unknown profile section {key!r} in {origin}")
            _merge(base[k], v, key + ".", origin)
        else:
            _set_dotted_root(base, k, v, key, origin)


def _set_dotted_root(node: dict[str, Any], k: str, v: Any, key: str, origin: str) -> None:
    if k not in node or isinstance(node[k], dict):
        raise ConfigError(f"unknown profile key {key!r} in {origin} (value {v!r})")
    node[k] = _coerce(key, v, node[k])


def _num(data: dict[str, Any], key: str) -> float:
    node: Any = data
    for part in key.split("."):
        node = node[part]
    return float(node)


def _validate(data: dict[str, Any]) -> None:
    """Cross-key rules: non-negative numbers, severe >= flag, sane segmentation."""

    def walk(node: dict[str, Any], prefix: str) -> None:
        for k, v in node.items():
            key = f"{prefix}{k}"
            if isinstance(v, dict):
                walk(v, key + ".")
            elif isinstance(v, int | float) and not isinstance(v, bool):
                if not math.isfinite(v) or v < 0:
                    raise ConfigError(f"profile key {key!r}: invalid value {v!r} (must be >= 0)")

    walk(data, "")
    for sec, node in data.items():
        if isinstance(node, dict) and "flag" in node and "severe" in node:
            if float(node["severe"]) < float(node["flag"]):
                raise ConfigError(
                    f"profile key '{sec}.severe': invalid value {node['severe']!r} "
                    f"(must be >= {sec}.flag = {node['flag']!r})"
                )
    seg = data.get("segmentation", {})
    if seg and _num(data, "segmentation.exit") >= _num(data, "segmentation.enter"):
        raise ConfigError(
            f"profile key 'segmentation.exit': invalid value {seg['exit']!r} "
            f"(must be below segmentation.enter = {seg['enter']!r})"
        )
    if seg and _num(data, "segmentation.exit") > 0.2 * _num(data, "segmentation.min_excursion"):
        raise ConfigError(
            f"profile key 'segmentation.exit': invalid value {seg['exit']!r} "
            "(must be at most 0.2 x segmentation.min_excursion, so tempo can be measured)"
        )
    src = seg.get("knee_source", "descent")
    if src not in ("descent", "metric"):
        raise ConfigError(
            f"profile key 'segmentation.knee_source': invalid value {src!r} "
            "(expected 'descent' or 'metric')"
        )
    for k in ("min_excursion", "min_excursion_frontal"):
        if k in data.get("segmentation_bridge", {}):
            if float(data["segmentation_bridge"][k]) <= 0:
                raise ConfigError(f"profile key 'segmentation_bridge.{k}': must be > 0")


def default_profile() -> Profile:
    """The packaged default profile."""
    return Profile(_read_default(), source="<default>")


def load_profile(
    path: str | Path | None = None,
    overrides: Iterable[str] | Mapping[str, Any] = (),
) -> Profile:
    """Load the default profile, merge a user TOML file over it, then apply overrides.

    Args:
        path: a TOML file holding only the keys to change, or None for the defaults.
        overrides: dotted-key overrides such as ``["knee_valgus.flag=12"]`` (CLI form)
            or a mapping ``{"knee_valgus.flag": 12}``.

    Raises:
        ConfigError: the file is missing or not TOML, a key is unknown, a value has the
            wrong type or breaks a rule; the message names the file/key and the value.
    """
    data = _read_default()
    source = "<default>"
    if path is not None:
        p = Path(path)
        if not p.is_file():
            raise ConfigError(f"{p}: profile file not found")
        try:
            user = tomllib.loads(p.read_text("utf-8"))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as e:
            raise ConfigError(f"{p}: not a valid TOML profile ({e})") from e
        _merge(data, user, "", str(p))
        source = str(p)
    prof = Profile(data, source=source)
    ov = overrides if isinstance(overrides, Mapping) else list(overrides)
    if ov:
        prof = prof.with_overrides(ov)
    return prof
