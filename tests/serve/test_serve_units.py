"""Pure pieces of the job server: names, paths, tokens, the progress feed, override checks."""

import json
import stat

import pytest

from soundry.serve.auth import check_bearer, load_or_create_token, login_url
from soundry.serve.feed import MAX_POINTS, ProgressFeed
from soundry.serve.jobs import check_overrides, pid_alive
from soundry.serve.server import check_bind
from soundry.serve.settings import ServeError, ServeSettings, check_id, inside, is_loopback
from soundry.serve.uploads import safe_filename, safe_label


@pytest.mark.parametrize("name,expected", [
    ("take 1.wav", "take 1.wav"), ("émile.flac", "émile.flac"), ("a;rm -rf.wav", "a_rm -rf.wav"),
    ("x$(id).wav", "x_(id).wav"), ("a..b.wav", "a..b.wav")])
def test_safe_filename_keeps_plain_names_and_replaces_odd_characters(name, expected):
    assert safe_filename(name) == expected


@pytest.mark.parametrize("name", ["../x.wav", "/etc/passwd", "a/b.wav", "a\\b.wav", "..", ".", "",
                                  "x\x00.wav", "x\n.wav", ".hidden.wav", "~x.wav"])
def test_safe_filename_refuses_paths_hidden_names_and_control_bytes(name):
    with pytest.raises(ServeError) as exc:
        safe_filename(name)
    assert exc.value.status == 400


def test_safe_filename_shortens_long_names_keeping_the_extension():
    assert safe_filename("a" * 300 + ".wav") == "a" * 116 + ".wav"


@pytest.mark.parametrize("label", ["../up", "a/b", ".git", "x\x01", " "])
def test_safe_label_refuses_paths(label):
    with pytest.raises(ServeError):
        safe_label(label)


def test_inside_refuses_escapes(tmp_path):
    assert inside(tmp_path, "a", "b.wav") == (tmp_path / "a" / "b.wav").resolve()
    for bad in ("..", "../x", "/etc"):
        with pytest.raises(ServeError):
            inside(tmp_path, bad)


def test_check_id_only_accepts_server_made_ids():
    assert check_id("p_0123456789ab") == "p_0123456789ab"
    for bad in ("p_../../etc", "1", "p_0123456789abc", "x_0123456789ab"):
        with pytest.raises(ServeError) as exc:
            check_id(bad)
        assert exc.value.status == 404


def test_loopback_detection():
    assert is_loopback("127.0.0.1") and is_loopback("::1") and is_loopback("localhost")
    assert not is_loopback("0.0.0.0") and not is_loopback("192.168.1.2") and not is_loopback("example.com")


def test_binding_outside_loopback_without_a_token_is_refused(tmp_path):
    check_bind(ServeSettings(home=tmp_path, host="0.0.0.0"))  # with a token: fine
    check_bind(ServeSettings(home=tmp_path, host="127.0.0.1", auth=False))
    with pytest.raises(ServeError, match="without a token"):
        check_bind(ServeSettings(home=tmp_path, host="0.0.0.0", auth=False))


def test_token_is_made_once_private_and_checked(tmp_path):
    path = tmp_path / "token"
    token = load_or_create_token(path)
    assert load_or_create_token(path) == token and len(token) >= 32
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    check_bearer(f"Bearer {token}", token)
    for header in (None, "", "Bearer nope", f"Basic {token}", token):
        with pytest.raises(ServeError) as exc:
            check_bearer(header, token)
        assert exc.value.status == 401
    assert login_url("0.0.0.0", 8000, token) == f"http://127.0.0.1:8000/#token={token}"


def test_overrides_must_be_key_value_strings():
    assert check_overrides(["train.steps=4", "data.readiness.min_files=1"]) == ["train.steps=4",
                                                                               "data.readiness.min_files=1"]
    for bad in ("train.steps", ["; rm -rf /"], ["a=b\nc"], [1], ["=3"]):
        with pytest.raises(ServeError) as exc:
            check_overrides(bad)
        assert exc.value.status == 422


def test_pid_alive_tells_our_process_from_a_missing_one():
    import os

    assert pid_alive(os.getpid()) and not pid_alive(None) and not pid_alive(2 ** 22 + 12345)


def _event(fh, **ev):
    fh.write(json.dumps({"time": ev.pop("time", 0.0), **ev}) + "\n")


def test_feed_reads_events_incrementally_with_rate_and_eta(tmp_path):
    path = tmp_path / "events.jsonl"
    feed = ProgressFeed(path)
    assert feed.poll()["stage"] is None  # no file yet
    with path.open("w") as fh:
        _event(fh, stage="prepare", done=3, total=6)
    s = feed.poll()
    assert (s["stage"], s["step"], s["total"], s["percent"]) == ("prepare", 3, 6, 50.0)
    with path.open("a") as fh:
        _event(fh, stage="train", step=10, total_steps=100, loss=2.0, lr=0.1, time=100.0)
        _event(fh, stage="train", step=30, total_steps=100, loss=1.0, lr=0.1, time=110.0)
        _event(fh, stage="checkpoint", step=30, total_steps=100)
        fh.write('{"stage": "train", "step": 4')  # a torn line waits for its end
    s = feed.poll()
    assert s["step"] == 30 and s["percent"] == 30.0 and s["rate"] == pytest.approx(2.0)
    assert s["eta_s"] == pytest.approx(35.0) and s["checkpoint_step"] == 30
    assert s["metrics"] == {"loss": 1.0, "lr": 0.1} and s["loss"] == [[10, 2.0], [30, 1.0]]
    with path.open("a") as fh:
        fh.write('0, "total_steps": 100, "loss": 0.5, "steps_per_s": 4.0, "eta_s": 15}\n')
        _event(fh, stage="eval", step=40, accuracy=0.9)
    s = feed.poll()
    assert s["step"] == 40 and s["rate"] == 4.0 and s["eta_s"] == 15 and s["eval"] == {"accuracy": 0.9}
    with path.open("a") as fh:  # resumed from the checkpoint at 30: the curve drops later points
        _event(fh, stage="train", step=32, total_steps=100, loss=0.9)
        _event(fh, stage="done", step=100, total_steps=100)
    s = feed.poll()
    assert s["loss"][-1] == [32, 0.9] and [40, 0.5] not in s["loss"]
    assert s["percent"] == 100.0 and s["stage"] == "done"


def test_feed_keeps_the_loss_curve_bounded(tmp_path):
    path = tmp_path / "events.jsonl"
    with path.open("w") as fh:
        for i in range(3 * MAX_POINTS):
            _event(fh, stage="train", step=i + 1, total_steps=3 * MAX_POINTS, loss=1.0 / (i + 1))
    s = ProgressFeed(path).poll()
    assert len(s["loss"]) <= MAX_POINTS and s["loss"][0][0] == 1 and s["loss"][-1][0] == 3 * MAX_POINTS
