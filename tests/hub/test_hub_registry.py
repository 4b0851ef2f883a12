"""The built-in checkpoint registry: well-formed, pinned where it claims, honest about checksums."""

import re

from soundry.hub import REGISTRY, default_cache_dir, list_checkpoints


def test_entries_are_well_formed():
    assert {"beats-iter3", "beats-iter3-plus-as2m", "beats-iter3-plus-as2m-cpt1",
            "beats-iter3-plus-as2m-cpt2", "openbeats-base-i3"} <= set(REGISTRY)
    filenames = set()
    for name, entry in REGISTRY.items():
        assert entry.name == name and entry.sources and entry.description and entry.license
        assert "/" not in entry.filename and entry.filename not in filenames
        filenames.add(entry.filename)
        assert entry.sha256 is None or re.fullmatch(r"[0-9a-f]{64}", entry.sha256)
        if entry.sha256:
            assert entry.checksum_note, f"{name}: say where the published sha256 comes from"
        for source in entry.sources:
            assert source.location().startswith("https://")
            if source.kind == "hf":
                assert source.pinned and source.filename.endswith(entry.filename)


def test_listing_and_default_cache(monkeypatch, tmp_path):
    assert [c.name for c in list_checkpoints("openbeats")] == ["openbeats-base-i3"]
    assert all(c.family == "beats" for c in list_checkpoints("beats"))
    monkeypatch.setenv("SOUNDRY_CACHE", str(tmp_path))
    assert default_cache_dir() == tmp_path / "checkpoints"
    monkeypatch.delenv("SOUNDRY_CACHE")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert default_cache_dir() == tmp_path / "xdg" / "soundry" / "checkpoints"
