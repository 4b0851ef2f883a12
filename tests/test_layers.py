"""Imports flow one way (docs/architecture.md): no package imports one above it."""

import ast
from pathlib import Path

import soundry

LAYERS = {
    "errors": 0, "config": 0, "progress": 0,
    "audio": 1,
    "data": 2, "testing": 2,
    "features": 3, "metrics": 3,
    "nn": 4, "models": 4, "hub": 4,
    "train": 5,
    "export": 6,
    "recipes": 7,
    "runtime": 8,
    "api": 9,
    "cli": 10, "serve": 10,
}
RUNTIME_ALLOWED = {"errors", "audio", "runtime"}
TOP_ALLOWED = {"api", "errors", "config", "progress", "cli", "serve"}


def _imports(path: Path):
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            yield node.module


def _package_of(module: str) -> str | None:
    parts = module.split(".")
    return parts[1] if parts[0] == "soundry" and len(parts) > 1 else None


def test_every_package_has_a_layer():
    root = Path(soundry.__file__).parent
    names = {p.stem if p.is_file() else p.name for p in root.iterdir()
             if (p.suffix == ".py" and p.stem != "__init__") or (p.is_dir() and (p / "__init__.py").exists())}
    assert names <= set(LAYERS), f"give these a layer in docs/architecture.md and here: {names - set(LAYERS)}"


def test_imports_only_go_down():
    root = Path(soundry.__file__).parent
    bad = []
    for path in root.rglob("*.py"):
        rel = path.relative_to(root)
        own = rel.parts[0].removesuffix(".py")
        if own == "__init__":
            continue
        for module in _imports(path):
            target = _package_of(module)
            if target is None or target == own:
                continue
            if target not in LAYERS:
                continue
            if own == "runtime" and target not in RUNTIME_ALLOWED:
                bad.append(f"{rel}: runtime must not import soundry.{target}")
            elif own in ("cli", "serve") and target not in TOP_ALLOWED:
                bad.append(f"{rel}: {own} may only call soundry.api, not soundry.{target}")
            elif LAYERS[target] > LAYERS[own]:
                bad.append(f"{rel} (layer {LAYERS[own]}) imports soundry.{target} (layer {LAYERS[target]})")
    assert not bad, "\n".join(bad)


def test_runtime_never_imports_torch():
    root = Path(soundry.__file__).parent / "runtime"
    for path in root.rglob("*.py"):
        mods = set(_imports(path))
        assert not any(m == "torch" or m.startswith("torch.") for m in mods), path
