"""TOML profiles: defaults, user files, dotted-key overrides, errors naming key and value."""

from __future__ import annotations

from pathlib import Path

import pytest

from hipform.config import Profile, default_profile, load_profile, parse_override
from hipform.errors import ConfigError


def test_defaults_from_the_literature() -> None:
    p = load_profile()
    assert p.get("knee_valgus.flag") == 10.0 and p.get("knee_valgus.severe") == 15.0
    assert p.get("hip_drop.flag") == 5.0
    assert p.get("lumbar_extension.flag") == 10.0
    assert p.get("trunk_lean.flag") == 10.0
    assert p.section("tempo.single_leg_squat") == {
        "eccentric_s": 3.0, "concentric_s": 2.0, "fast_ratio": 0.5}
    assert 150 <= p.get("cues.debounce_ms") <= 300 and p.get("cues.cooldown_ms") == 4000
    assert p.to_dict() == default_profile().to_dict()


def test_overrides() -> None:
    p = load_profile(None, overrides=["knee_valgus.flag=12", "cues.priority=hip_drop,knee_valgus",
                                      "tempo.bridge.hold_s = 3"])
    assert p.get("knee_valgus.flag") == 12.0
    assert p.get("cues.priority") == ["hip_drop", "knee_valgus"]
    assert p.get("tempo.bridge.hold_s") == 3.0
    q = default_profile().with_overrides({"hip_drop.flag": 6})
    assert q.get("hip_drop.flag") == 6.0 and isinstance(q, Profile)
    assert parse_override("a.b=c=d") == ("a.b", "c=d")


@pytest.mark.parametrize(
    ("override", "pattern"),
    [
        ("knee_valgus.flag=abc", r"knee_valgus\.flag.*'abc'"),
        ("knee_valgus.flag=-3", r"knee_valgus\.flag.*-3"),
        ("knee_valgus.flag=nan", r"knee_valgus\.flag.*nan"),
        ("knee_valgus.flagg=12", r"knee_valgus\.flagg.*12"),
        ("kneevalgus.flag=12", r"kneevalgus\.flag"),
        ("knee_valgus=12", r"knee_valgus"),
        ("knee_valgus.flag", r"section\.key=value"),
        ("knee_valgus.severe=8", r"knee_valgus\.severe.*8"),
        ("segmentation.exit=20", r"segmentation\.exit.*20"),
        ("tempo.bridge=3", r"tempo\.bridge"),
    ],
)
def test_bad_overrides_name_key_and_value(override: str, pattern: str) -> None:
    with pytest.raises(ConfigError, match=pattern):
        load_profile(None, overrides=[override])


def test_user_file_merges_over_defaults(tmp_path: Path) -> None:
    f = tmp_path / "mine.toml"
    f.write_text("[knee_valgus]\nflag = 8\nsevere = 12\n[tempo.step_down]\neccentric_s = 2.5\n")
    p = load_profile(f, overrides=["knee_valgus.flag=9"])
    assert p.get("knee_valgus.flag") == 9.0 and p.get("knee_valgus.severe") == 12.0
    assert p.get("tempo.step_down.eccentric_s") == 2.5
    assert p.get("hip_drop.flag") == 5.0
    assert str(f) in p.source


def test_bad_files(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="nope.toml"):
        load_profile(tmp_path / "nope.toml")
    bad = tmp_path / "bad.toml"
    bad.write_text("[knee_valgus\nflag = 8\n")
    with pytest.raises(ConfigError, match="bad.toml"):
        load_profile(bad)
    unk = tmp_path / "unk.toml"
    unk.write_text("[knee_valgus]\nthreshold = 8\n")
    with pytest.raises(ConfigError, match=r"knee_valgus\.threshold.*unk\.toml"):
        load_profile(unk)
    typ = tmp_path / "typ.toml"
    typ.write_text("[hip_drop]\nflag = \"five\"\n")
    with pytest.raises(ConfigError, match=r"hip_drop\.flag.*five"):
        load_profile(typ)


def test_config_error_is_value_error() -> None:
    with pytest.raises(ValueError):
        load_profile(None, overrides=["hip_drop.flag=x"])
    with pytest.raises(ConfigError, match="nosuch"):
        load_profile().get("nosuch.key")


def test_packaged_profile_is_found() -> None:
    from importlib import resources

    assert resources.files("hipform.profiles").joinpath("default.toml").is_file()
