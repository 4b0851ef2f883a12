"""The recipe registry: one explicit line per recipe, imported lazily by name.

A recipe module satisfies ``soundry.train.Recipe``: ``name``, ``Config``, ``build``,
``train_step``, ``eval_step``, ``export`` (and optionally ``resolve_config`` and ``evaluate``).
"""

from __future__ import annotations

import importlib
from types import ModuleType

from soundry.errors import ConfigError

RECIPES: dict[str, str] = {
    "classify": "soundry.recipes.classify",
    "vc": "soundry.recipes.vc",
    "vc-content": "soundry.recipes.vc_content",
}


def recipe_names() -> list[str]:
    """Names of every registered recipe."""
    return sorted(RECIPES)


def get_recipe(name: str) -> ModuleType:
    """Import and return the recipe module registered as ``name``."""
    if name not in RECIPES:
        raise ConfigError(f"unknown recipe '{name}' (available: {', '.join(recipe_names())})")
    return importlib.import_module(RECIPES[name])
