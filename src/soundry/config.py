"""Dataclass configuration: the single source of truth, with YAML/JSON overlays and overrides.

A recipe's ``Config`` is a tree of dataclasses. Files overlay it (``-c file.yaml`` or a shipped
preset name), then ``key.sub=value`` strings override single fields. Unknown keys and values of
the wrong type fail at once with the key's full dotted name.
"""

from __future__ import annotations

import dataclasses
import json
import types
from collections.abc import Iterable, Mapping
from importlib import resources
from pathlib import Path
from typing import Any, Literal, TypeVar, Union, get_args, get_origin, get_type_hints

import yaml

from soundry.errors import ConfigError

T = TypeVar("T")


# ---------------------------------------------------------------- conversion

def _type_name(tp: Any) -> str:
    return getattr(tp, "__name__", None) or str(tp).replace("typing.", "")


def _coerce(value: Any, tp: Any, key: str) -> Any:
    """Check ``value`` against the annotation ``tp`` and convert where lossless."""
    origin = get_origin(tp)
    if tp is Any:
        return value
    if origin in (Union, types.UnionType):
        args = get_args(tp)
        if value is None and type(None) in args:
            return None
        errors = []
        for arg in args:
            if arg is type(None):
                continue
            try:
                return _coerce(value, arg, key)
            except ConfigError as exc:
                errors.append(str(exc))
        raise ConfigError(f"config key '{key}': {value!r} is not a valid {_type_name(tp)}")
    if origin is Literal:
        choices = get_args(tp)
        if value not in choices:
            raise ConfigError(f"config key '{key}': {value!r} is not one of {', '.join(map(repr, choices))}")
        return value
    if dataclasses.is_dataclass(tp):
        if isinstance(value, tp):
            return value
        if not isinstance(value, Mapping):
            raise ConfigError(f"config key '{key}' is a section; give it a mapping, not {value!r}")
        return from_dict(tp, value, prefix=key)
    if origin in (list, tuple) or tp in (list, tuple):
        if not isinstance(value, (list, tuple)):
            raise ConfigError(f"config key '{key}': expected a list, got {value!r}")
        args = get_args(tp)
        if origin is tuple and args and args[-1] is not Ellipsis:
            if len(args) != len(value):
                raise ConfigError(f"config key '{key}': expected {len(args)} items, got {len(value)}")
            return tuple(_coerce(v, a, f"{key}[{i}]") for i, (v, a) in enumerate(zip(value, args)))
        item = args[0] if args else Any
        items = [_coerce(v, item, f"{key}[{i}]") for i, v in enumerate(value)]
        return tuple(items) if (origin is tuple or tp is tuple) else items
    if origin is dict or tp is dict:
        if not isinstance(value, Mapping):
            raise ConfigError(f"config key '{key}': expected a mapping, got {value!r}")
        args = get_args(tp)
        vt = args[1] if len(args) == 2 else Any
        return {str(k): _coerce(v, vt, f"{key}.{k}") for k, v in value.items()}
    if tp is bool:
        if isinstance(value, bool):
            return value
        raise ConfigError(f"config key '{key}': expected true or false, got {value!r}")
    if tp is int:
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        if isinstance(value, float) and value.is_integer():
            return int(value)
        raise ConfigError(f"config key '{key}': expected an integer, got {value!r}")
    if tp is float:
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return float(value)
        raise ConfigError(f"config key '{key}': expected a number, got {value!r}")
    if tp is str:
        if isinstance(value, str):
            return value
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return str(value)
        raise ConfigError(f"config key '{key}': expected a string, got {value!r}")
    if isinstance(tp, type) and isinstance(value, tp):
        return value
    raise ConfigError(f"config key '{key}': cannot use {value!r} as {_type_name(tp)}")


def _hints(cls: type) -> dict[str, Any]:
    return get_type_hints(cls)


def from_dict(cls: type[T], data: Mapping[str, Any], prefix: str = "") -> T:
    """Build dataclass ``cls`` from ``data``; missing keys keep their defaults."""
    return merge(cls(), data, prefix=prefix)


def merge(base: T, overlay: Mapping[str, Any], prefix: str = "") -> T:
    """Return a copy of dataclass instance ``base`` with ``overlay`` applied recursively."""
    if not isinstance(overlay, Mapping):
        raise ConfigError(f"config section '{prefix or '<root>'}' must be a mapping, got {overlay!r}")
    cls = type(base)
    hints = _hints(cls)
    fields = {f.name for f in dataclasses.fields(cls)}
    changes: dict[str, Any] = {}
    for raw_key, value in overlay.items():
        key = str(raw_key)
        full = f"{prefix}.{key}" if prefix else key
        if key not in fields:
            known = ", ".join(sorted(fields))
            raise ConfigError(f"unknown config key '{full}' (known keys here: {known})")
        tp = hints[key]
        current = getattr(base, key)
        if dataclasses.is_dataclass(current) and isinstance(value, Mapping):
            changes[key] = merge(current, value, prefix=full)
        else:
            changes[key] = _coerce(value, tp, full)
    return dataclasses.replace(base, **changes)


def to_dict(cfg: Any) -> dict[str, Any]:
    """Plain nested dict (lists for tuples) of a dataclass config, ready for YAML or JSON."""

    def plain(v: Any) -> Any:
        if dataclasses.is_dataclass(v):
            return {f.name: plain(getattr(v, f.name)) for f in dataclasses.fields(v)}
        if isinstance(v, (list, tuple)):
            return [plain(x) for x in v]
        if isinstance(v, dict):
            return {str(k): plain(x) for k, x in v.items()}
        if isinstance(v, Path):
            return str(v)
        return v

    return plain(cfg)


# ---------------------------------------------------------------- files and overrides

def read_config_file(path: str | Path) -> dict[str, Any]:
    """Read a YAML or JSON mapping; a malformed file raises ConfigError naming it."""
    p = Path(path)
    if not p.is_file():
        raise ConfigError(f"config file not found: {p}")
    try:
        text = p.read_text(encoding="utf-8")
        data = json.loads(text) if p.suffix.lower() == ".json" else yaml.safe_load(text)
    except (yaml.YAMLError, json.JSONDecodeError, UnicodeDecodeError) as exc:
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise ConfigError(f"cannot parse config file {p}: {first}") from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ConfigError(f"config file {p} must hold a mapping of keys to values")
    return data


def parse_override(text: str) -> dict[str, Any]:
    """Turn ``"a.b.c=value"`` into ``{"a": {"b": {"c": value}}}``; the value is read as YAML."""
    if "=" not in text:
        raise ConfigError(f"override '{text}' must look like key.sub=value")
    key, raw = text.split("=", 1)
    key = key.strip()
    if not key or any(not part for part in key.split(".")):
        raise ConfigError(f"override '{text}' has an empty key")
    try:
        value = yaml.safe_load(raw) if raw.strip() else ""
    except yaml.YAMLError:
        value = raw
    out: dict[str, Any] = {}
    node = out
    parts = key.split(".")
    for part in parts[:-1]:
        node = node.setdefault(part, {})
    node[parts[-1]] = value
    return out


def preset_names(recipe: str) -> list[str]:
    """Names of the presets shipped for ``recipe`` (``configs/<recipe>/*.yaml``)."""
    root = resources.files("soundry") / "configs" / recipe
    if not root.is_dir():
        return []
    return sorted(p.name[:-5] for p in root.iterdir() if p.name.endswith(".yaml"))


def read_preset(recipe: str, name: str) -> dict[str, Any]:
    """The overlay mapping of shipped preset ``name`` for ``recipe``."""
    res = resources.files("soundry") / "configs" / recipe / f"{name}.yaml"
    if not res.is_file():
        names = ", ".join(preset_names(recipe)) or "none"
        raise ConfigError(f"no preset '{name}' for recipe '{recipe}' (shipped presets: {names}); "
                          "or pass a path to a .yaml/.json file")
    with resources.as_file(res) as path:
        return read_config_file(path)


def resolve_source(recipe: str, source: str | Path | Mapping[str, Any]) -> dict[str, Any]:
    """A ``-c`` value: a mapping, a config file path, or the name of a shipped preset."""
    if isinstance(source, Mapping):
        return dict(source)
    text = str(source)
    p = Path(text)
    if p.suffix.lower() in (".yaml", ".yml", ".json") or p.is_file():
        return read_config_file(p)
    return read_preset(recipe, text)


def load_config(cls: type[T], recipe: str, sources: Iterable[str | Path | Mapping[str, Any]] = (),
                overrides: Iterable[str] = (), base: T | None = None) -> T:
    """Resolve a recipe config: dataclass defaults, then each source in order, then overrides."""
    cfg = base if base is not None else cls()
    for src in sources:
        cfg = merge(cfg, resolve_source(recipe, src))
    for text in overrides:
        cfg = merge(cfg, parse_override(text))
    return cfg


def save_config(cfg: Any, path: str | Path) -> None:
    """Write the fully resolved config as YAML (written to a temp name, then renamed)."""
    p = Path(path)
    p.parent.mkdir(parents=True, exist_ok=True)
    tmp = p.with_name(p.name + ".tmp")
    tmp.write_text(yaml.safe_dump(to_dict(cfg), sort_keys=False), encoding="utf-8")
    tmp.replace(p)


__all__ = [
    "from_dict", "merge", "to_dict", "read_config_file", "parse_override", "preset_names",
    "read_preset", "resolve_source", "load_config", "save_config",
]
