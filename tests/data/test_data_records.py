"""Recording ids, slugs and manifest round trips."""

import re

import pytest

from soundry.data import Recording, read_manifest, recording_id, write_manifest
from soundry.data.records import relative_path, slugify
from soundry.errors import DataError

SAFE_ID = re.compile(r"^[a-z0-9_-]+/[a-z0-9-]+-[0-9a-f]{8}$")


def test_slugify_is_ascii_and_never_empty():
    assert slugify("Héllo  World!.wav") == "hello-world-wav"
    assert slugify("日本語") == "x"
    assert slugify("a" * 100) == "a" * 40


def test_recording_id_is_stable_and_filesystem_safe():
    rid = recording_id("Alice Smith", "Alice Smith/take 1/Hello World.wav")
    # A literal: the id must not change between runs, machines or releases.
    assert rid == "alice-smith/hello-world-a266e498"
    assert SAFE_ID.match(rid)
    assert recording_id("Alice Smith", "Alice Smith/take 1/Hello World.wav") == rid


def test_recording_ids_are_unique_when_slugs_collide():
    a = recording_id("spk", "spk/a b.wav")
    b = recording_id("spk", "spk/a-b.wav")
    assert a != b and a.split("-")[0] == b.split("-")[0]
    assert recording_id("x", "f.wav") != recording_id("y", "f.wav")
    assert recording_id("", "f.wav").startswith("_/f-")


def test_relative_path_is_posix_and_falls_back_to_absolute(tmp_path):
    assert relative_path(tmp_path / "a" / "b.wav", tmp_path) == "a/b.wav"
    outside = tmp_path.parent / "elsewhere.wav"
    assert relative_path(outside, tmp_path) == outside.absolute().as_posix()


def test_manifest_round_trip_keeps_every_field(tmp_path):
    recs = [
        Recording.make(tmp_path / "bob" / "x.wav", tmp_path, label="bob", transcript="hi there",
                       language="en", duration=1.5, sample_rate=16000, speaker="bob",
                       split="val", extra={"fold": 3}),
        Recording.make(tmp_path / "amy" / "y.flac", tmp_path, label="amy"),
    ]
    path = tmp_path / "out" / "manifest.jsonl"
    write_manifest(path, recs)
    back = read_manifest(path)
    assert back == recs
    assert len(path.read_text().splitlines()) == 2


def test_manifest_unknown_keys_go_to_extra_and_bad_lines_fail(tmp_path):
    path = tmp_path / "m.jsonl"
    path.write_text('{"id": "a/b-1", "path": "/x.wav", "relpath": "x.wav", "snr": 3}\n')
    assert read_manifest(path)[0].extra == {"snr": 3}
    path.write_text('{"id": "a/b-1", "path": "/x.wav", "relpath": "x.wav"}\n{oops\n')
    with pytest.raises(DataError, match="line 2"):
        read_manifest(path)
    path.write_text('{"path": "/x.wav"}\n')
    with pytest.raises(DataError, match="missing 'id'"):
        read_manifest(path)
