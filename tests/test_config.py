from dataclasses import dataclass, field
from typing import Literal

import pytest

from soundry.config import load_config, merge, parse_override, read_config_file, save_config, to_dict
from soundry.errors import ConfigError


@dataclass
class Inner:
    rate: int = 16000
    gain: float = 1.0
    mode: Literal["a", "b"] = "a"
    rates: list[int] = field(default_factory=lambda: [16000])
    maybe: float | None = None


@dataclass
class Outer:
    name: str = "x"
    inner: Inner = field(default_factory=Inner)
    flag: bool = False


def test_override_nested_value_and_types():
    cfg = load_config(Outer, "none", [], ["inner.rate=24000", "inner.gain=2", "flag=true",
                                           "inner.rates=[8000, 16000]", "inner.maybe=null"])
    assert cfg.inner.rate == 24000 and cfg.inner.gain == 2.0 and isinstance(cfg.inner.gain, float)
    assert cfg.flag is True and cfg.inner.rates == [8000, 16000] and cfg.inner.maybe is None


def test_unknown_key_names_the_full_key():
    with pytest.raises(ConfigError, match=r"inner\.rte"):
        load_config(Outer, "none", [], ["inner.rte=1"])


@pytest.mark.parametrize("override, key", [("inner.rate=fast", "inner.rate"), ("flag=3", "flag"),
                                           ("inner.mode=c", "inner.mode"), ("inner.rates=[a]", r"inner.rates\[0\]"),
                                           ("inner=5", "inner")])
def test_wrong_types_fail_with_key(override, key):
    with pytest.raises(ConfigError, match=key):
        load_config(Outer, "none", [], [override])


def test_file_overlay_then_override_order(tmp_path):
    f = tmp_path / "c.yaml"
    f.write_text("name: fromfile\ninner:\n  rate: 8000\n")
    cfg = load_config(Outer, "none", [f], ["inner.rate=22050"])
    assert cfg.name == "fromfile" and cfg.inner.rate == 22050 and cfg.inner.gain == 1.0


def test_json_overlay_and_bad_file(tmp_path):
    f = tmp_path / "c.json"
    f.write_text('{"inner": {"gain": 0.5}}')
    assert load_config(Outer, "none", [f]).inner.gain == 0.5
    bad = tmp_path / "bad.yaml"
    bad.write_text("a: [unclosed\n")
    with pytest.raises(ConfigError, match="cannot parse"):
        read_config_file(bad)
    with pytest.raises(ConfigError, match="not found"):
        read_config_file(tmp_path / "missing.yaml")


def test_unknown_preset_lists_shipped_ones():
    with pytest.raises(ConfigError, match="tiny"):
        load_config(Outer, "classify", ["nonexistent-preset"])


def test_save_and_reload_round_trip(tmp_path):
    cfg = merge(Outer(), {"inner": {"rates": [1, 2]}, "name": "y"})
    save_config(cfg, tmp_path / "config.yaml")
    again = load_config(Outer, "none", [tmp_path / "config.yaml"])
    assert again == cfg and to_dict(again)["inner"]["rates"] == [1, 2]


def test_parse_override_rejects_malformed():
    with pytest.raises(ConfigError):
        parse_override("novalue")
    with pytest.raises(ConfigError):
        parse_override("a..b=1")
    assert parse_override("a.b=hello world") == {"a": {"b": "hello world"}}
