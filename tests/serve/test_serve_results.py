"""Try-it dispatches on the bundle's recipe; the zip holds the bundle. No training needed."""

import json
import shutil
import zipfile

import pytest
from serve_helpers import wav_bytes

from soundry import api
from soundry.serve.results import bundle_zip, try_clip, try_output
from soundry.serve.settings import Home, ServeError
from soundry.serve.uploads import ReceivedFile

JOB = {"id": "j_0123456789ab", "state": "succeeded"}


def _bundle(home: Home, meta: dict) -> None:
    bundle = home.bundle_dir(JOB["id"])
    bundle.mkdir(parents=True)
    (bundle / "meta.json").write_text(json.dumps(meta))
    (bundle / "model.onnx").write_bytes(b"weights")


def _received(home: Home, name="clip.wav", data=None) -> ReceivedFile:
    path = home.tmp / "up-test.part"
    path.write_bytes(wav_bytes() if data is None else data)
    return ReceivedFile("file", name, path, path.stat().st_size)


def test_vc_bundles_convert_the_clip_into_each_voice(tmp_path, monkeypatch):
    home = Home(tmp_path / "home").create()
    _bundle(home, {"recipe": "vc", "format_version": 1, "voices": ["alice", {"name": "bob"}]})
    calls = []

    def fake_convert(bundle, clip, out, voice):
        calls.append(voice)
        shutil.copy(clip, out)

    monkeypatch.setattr(api, "convert", fake_convert, raising=False)
    result = try_clip(home, JOB, _received(home))
    assert calls == ["alice", "bob"] and [o["voice"] for o in result["outputs"]] == ["alice", "bob"]
    for out in result["outputs"]:
        assert out["url"] == f"/api/jobs/{JOB['id']}/try/{result['try_id']}/{out['file']}"
        assert try_output(home, JOB, result["try_id"], out["file"]).read_bytes() == wav_bytes()
    assert not (home.tmp / "up-test.part").exists()


def test_try_refuses_unknown_recipes_unfinished_jobs_and_non_audio(tmp_path):
    home = Home(tmp_path / "home").create()
    with pytest.raises(ServeError) as exc:
        try_clip(home, JOB, _received(home))
    assert exc.value.status == 409
    _bundle(home, {"recipe": "tts", "format_version": 1})
    with pytest.raises(ServeError) as exc:
        try_clip(home, JOB, _received(home))
    assert exc.value.status == 501
    with pytest.raises(ServeError) as exc:
        try_clip(home, {**JOB, "state": "failed"}, _received(home))
    assert exc.value.status == 409
    for bad in ("../x", "abc/../../x"):
        with pytest.raises(ServeError):
            try_output(home, JOB, bad, "x.wav")


def test_bundle_zip_holds_every_bundle_file_under_the_job_id(tmp_path):
    home = Home(tmp_path / "home").create()
    _bundle(home, {"recipe": "classify", "format_version": 1})
    z = bundle_zip(home, JOB)
    assert sorted(zipfile.ZipFile(z).namelist()) == [f"{JOB['id']}/meta.json", f"{JOB['id']}/model.onnx"]
    assert bundle_zip(home, JOB) == z
