"""Checkpoint fetch: cache layout, lock file, checksums, offline errors. Never touches the network."""

import hashlib
import io
import json
import socket
import sys
import urllib.error
import urllib.request

import pytest

import soundry.hub.download as download
from soundry.errors import CheckpointError
from soundry.hub import (LOCK_FILENAME, REGISTRY, Checkpoint, Source, checkpoint_path, fetch,
                         read_lock, verify)

REV = "0123456789abcdef0123456789abcdef01234567"
PAYLOAD_A = b"tiny checkpoint A" * 100
PAYLOAD_B = b"tiny checkpoint B" * 50


@pytest.fixture(autouse=True)
def isolated(tmp_path, monkeypatch):
    """Cache under tmp_path, online mode, two test entries, and no real connection possible."""
    def no_network(*args, **kwargs):
        raise AssertionError("a test tried to open a network connection")
    monkeypatch.setattr(socket.socket, "connect", no_network)
    monkeypatch.setenv("SOUNDRY_CACHE", str(tmp_path / "cache"))
    monkeypatch.delenv("SOUNDRY_OFFLINE", raising=False)
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    monkeypatch.setenv("SOUNDRY_QUIET", "1")
    monkeypatch.setitem(REGISTRY, "tiny-a", Checkpoint(
        name="tiny-a", family="beats", description="test", filename="a.pt",
        sources=(Source("hf", repo="me/a", filename="sub/a.pt", revision=REV, repo_type="dataset"),
                 Source("url", url="https://example.invalid/a.pt"),
                 Source("page", url="https://example.invalid/share/a"))))
    monkeypatch.setitem(REGISTRY, "tiny-b", Checkpoint(
        name="tiny-b", family="beats", description="test", filename="b.pt",
        sources=(Source("url", url="https://example.invalid/b.pt"),),
        sha256=hashlib.sha256(PAYLOAD_B).hexdigest()))
    return tmp_path / "cache" / "checkpoints"


class FakeHub:
    """Stands in for huggingface_hub.hf_hub_download: writes a payload where it would."""

    def __init__(self, payload=PAYLOAD_A, error=None):
        self.payload, self.error, self.calls = payload, error, []

    def __call__(self, *, repo_id, filename, revision=None, repo_type=None, local_dir=None, **kw):
        self.calls.append(dict(repo_id=repo_id, filename=filename, revision=revision, repo_type=repo_type))
        if self.error:
            raise self.error
        target = local_dir / filename
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(self.payload)
        return str(target)


class FakeResponse(io.BytesIO):
    def __init__(self, payload):
        super().__init__(payload)
        self.headers = {"Content-Length": str(len(payload))}


def fake_urlopen(payloads, calls):
    def urlopen(request, timeout=None):
        url = request.full_url
        calls.append(url)
        if url not in payloads:
            raise urllib.error.URLError("name resolution failed")
        return FakeResponse(payloads[url])
    return urlopen


def test_hf_download_lands_at_the_named_path_and_is_locked(isolated, monkeypatch):
    hub = FakeHub()
    monkeypatch.setattr(download, "_hf_hub_download", hub)
    path = fetch("tiny-a")
    assert path == isolated / "tiny-a" / "a.pt" == checkpoint_path("tiny-a")
    assert path.read_bytes() == PAYLOAD_A
    assert hub.calls == [dict(repo_id="me/a", filename="sub/a.pt", revision=REV, repo_type="dataset")]
    record = read_lock()["tiny-a"]
    assert record["sha256"] == hashlib.sha256(PAYLOAD_A).hexdigest() and record["size"] == len(PAYLOAD_A)
    assert record["revision"] == REV and "me/a" in record["source"] and record["fetched_at"]
    assert sorted(p.name for p in path.parent.iterdir()) == ["a.pt"]  # no .part or staging left
    assert fetch("tiny-a") == path and len(hub.calls) == 1           # cached: no second download


def test_url_download_with_published_sha(isolated, monkeypatch):
    calls = []
    monkeypatch.setattr(urllib.request, "urlopen", fake_urlopen({"https://example.invalid/b.pt": PAYLOAD_B}, calls))
    path = fetch("tiny-b")
    assert path.read_bytes() == PAYLOAD_B and calls == ["https://example.invalid/b.pt"]
    assert json.loads((isolated / LOCK_FILENAME).read_text())["tiny-b"]["sha256"] == REGISTRY["tiny-b"].sha256


def test_published_sha_mismatch_keeps_nothing(isolated, monkeypatch):
    monkeypatch.setattr(urllib.request, "urlopen", fake_urlopen({"https://example.invalid/b.pt": b"evil"}, []))
    with pytest.raises(CheckpointError, match="published"):
        fetch("tiny-b")
    assert not checkpoint_path("tiny-b").exists()
    assert list(checkpoint_path("tiny-b").parent.iterdir()) == []
    assert "tiny-b" not in read_lock()


def test_lock_guards_later_loads_and_mirrors(isolated, monkeypatch):
    monkeypatch.setattr(download, "_hf_hub_download", FakeHub())
    path = fetch("tiny-a")
    path.write_bytes(b"changed on disk")
    with pytest.raises(CheckpointError, match="recorded .* when it was first fetched"):
        fetch("tiny-a")
    path.unlink()
    # The hf source is gone; the url mirror serves different bytes: refused against the lock.
    monkeypatch.setattr(download, "_hf_hub_download", FakeHub(error=OSError("404")))
    monkeypatch.setattr(urllib.request, "urlopen", fake_urlopen({"https://example.invalid/a.pt": b"other"}, []))
    with pytest.raises(CheckpointError, match="lock"):
        fetch("tiny-a")
    assert not path.exists()
    # The same bytes from the mirror are accepted.
    monkeypatch.setattr(urllib.request, "urlopen", fake_urlopen({"https://example.invalid/a.pt": PAYLOAD_A}, []))
    assert fetch("tiny-a").read_bytes() == PAYLOAD_A


@pytest.mark.parametrize("variable", ["SOUNDRY_OFFLINE", "HF_HUB_OFFLINE"])
def test_offline_error_says_what_where_and_from_where(isolated, monkeypatch, variable):
    hub = FakeHub()
    monkeypatch.setattr(download, "_hf_hub_download", hub)
    monkeypatch.setenv(variable, "1")
    with pytest.raises(CheckpointError) as err:
        fetch("tiny-a")
    message = str(err.value)
    assert "offline" in message and "a.pt" in message
    assert str(isolated / "tiny-a" / "a.pt") in message
    assert f"https://huggingface.co/datasets/me/a/resolve/{REV}/sub/a.pt" in message
    assert "https://example.invalid/share/a" in message and hub.calls == []


def test_network_failure_lists_each_source_and_the_manual_route(isolated, monkeypatch):
    monkeypatch.setattr(download, "_hf_hub_download", FakeHub(error=ConnectionError("no route")))
    monkeypatch.setattr(urllib.request, "urlopen", fake_urlopen({}, []))
    with pytest.raises(CheckpointError) as err:
        fetch("tiny-a")
    message = str(err.value)
    assert "no route" in message and "name resolution failed" in message
    assert f"save it as {isolated / 'tiny-a' / 'a.pt'}" in message


def test_failover_to_the_next_source(isolated, monkeypatch):
    monkeypatch.setattr(download, "_hf_hub_download", FakeHub(error=OSError("gone")))
    monkeypatch.setattr(urllib.request, "urlopen", fake_urlopen({"https://example.invalid/a.pt": PAYLOAD_A}, []))
    assert fetch("tiny-a").read_bytes() == PAYLOAD_A
    assert read_lock()["tiny-a"]["source"] == "https://example.invalid/a.pt"


def test_unknown_name_lists_the_known_ones():
    with pytest.raises(CheckpointError, match="unknown checkpoint 'beats-large'.*beats-iter3-plus-as2m.*tiny-a"):
        fetch("beats-large")


def test_a_name_never_returns_another_file(isolated, monkeypatch):
    b_path = checkpoint_path("tiny-b")
    b_path.parent.mkdir(parents=True)
    b_path.write_bytes(PAYLOAD_B)
    stray = checkpoint_path("tiny-a").parent
    stray.mkdir(parents=True)
    (stray / "other.pt").write_bytes(b"stray")
    with pytest.raises(CheckpointError, match="a.pt"):
        fetch("tiny-a", offline=True)
    monkeypatch.setattr(download, "_hf_hub_download", FakeHub())
    assert fetch("tiny-a").read_bytes() == PAYLOAD_A
    assert fetch("tiny-b") == b_path


def test_verify_records_a_hand_placed_file(isolated, tmp_path):
    path = checkpoint_path("tiny-a")
    path.parent.mkdir(parents=True)
    path.write_bytes(PAYLOAD_A)
    assert fetch("tiny-a", offline=True) == path
    assert read_lock()["tiny-a"]["source"].startswith("local file")
    other = tmp_path / "copy.pt"
    other.write_bytes(b"not it")
    with pytest.raises(CheckpointError, match="sha256"):
        verify("tiny-a", other)
    with pytest.raises(CheckpointError, match="does not exist"):
        verify("tiny-a", tmp_path / "missing.pt")


def test_explicit_cache_dir_and_manual_only_entries(tmp_path):
    path = checkpoint_path("openbeats-base-i3", tmp_path / "elsewhere")
    assert path == tmp_path / "elsewhere" / "openbeats-base-i3" / "openbeats-base-i3.pt"
    with pytest.raises(CheckpointError, match="no automatic download source.*OpenBEATs-Base-i3"):
        fetch("openbeats-base-i3", cache_dir=tmp_path / "elsewhere")


def test_missing_huggingface_hub_falls_back_to_urls(isolated, monkeypatch):
    monkeypatch.setitem(sys.modules, "huggingface_hub", None)  # import fails as if not installed
    monkeypatch.setattr(urllib.request, "urlopen", fake_urlopen({}, []))
    with pytest.raises(CheckpointError, match="huggingface_hub is not installed"):
        fetch("tiny-a")
    monkeypatch.setattr(urllib.request, "urlopen", fake_urlopen({"https://example.invalid/a.pt": PAYLOAD_A}, []))
    assert fetch("tiny-a").read_bytes() == PAYLOAD_A
