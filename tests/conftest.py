"""Shared fixtures: a tiny demo corpus made once per test session (numpy synthesiser)."""

import os

import pytest


@pytest.fixture(autouse=True)
def _quiet_and_offline(monkeypatch):
    # Tests never touch a hub; progress lines would only clutter the output.
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("SOUNDRY_OFFLINE", "1")
    monkeypatch.setenv("SOUNDRY_QUIET", os.environ.get("SOUNDRY_QUIET", "1"))


@pytest.fixture(scope="session")
def tiny_corpus(tmp_path_factory):
    """2 speakers x 4 sentences, deterministic; do not modify it (shared by the session)."""
    from soundry.testing import make_demo_corpus

    root = tmp_path_factory.mktemp("corpus") / "data"
    make_demo_corpus(root, speakers=2, sentences=4, engine="numpy", progress=False)
    return root
