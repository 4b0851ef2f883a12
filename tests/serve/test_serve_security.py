"""Hostile requests get clear 4xx answers, and nothing is written outside the home folder."""

import tempfile

import pytest
from serve_helpers import files_under, upload, wav_bytes


@pytest.fixture
def guarded_tmp(tmp_path, monkeypatch):
    """Point the system temp folder into tmp_path, to see whether anything spools there."""
    systmp = tmp_path / "systmp"
    systmp.mkdir()
    monkeypatch.setenv("TMPDIR", str(systmp))
    monkeypatch.setattr(tempfile, "tempdir", str(systmp))
    yield systmp
    assert files_under(systmp) == set(), "a request wrote to the system temp folder"
    assert {p.name for p in tmp_path.iterdir()} <= {"home", "systmp", "home2"}


def raw_multipart(filename: bytes, data: bytes, label: bytes = b"alice") -> tuple[bytes, str]:
    b = b"soundryboundary42"
    body = (b"--" + b + b'\r\nContent-Disposition: form-data; name="label"\r\n\r\n' + label + b"\r\n"
            b"--" + b + b'\r\nContent-Disposition: form-data; name="files"; filename="' + filename + b'"\r\n'
            b"Content-Type: audio/wav\r\n\r\n" + data + b"\r\n--" + b + b"--\r\n")
    return body, f"multipart/form-data; boundary={b.decode()}"


def test_every_api_route_needs_the_token(client, project):
    c, h = client
    paths = c.get("/openapi.json").json()["paths"]
    checked = 0
    for path, methods in paths.items():
        if not path.startswith("/api"):
            continue
        url = (path.replace("{project_id}", project["id"]).replace("{job_id}", "j_000000000000")
               .replace("{sample_id}", "s_000000000000").replace("{try_id}", "abc").replace("{name}", "x.wav"))
        for method in methods:
            for headers in ({}, {"Authorization": "Bearer wrong-token-0123456789"}, {"Authorization": "token"}):
                r = c.request(method.upper(), url, headers=headers)
                assert r.status_code == 401, (method, url, headers, r.status_code)
                assert r.headers["www-authenticate"] == "Bearer" and r.json()["error"]["message"]
                checked += 1
    assert checked > 40


@pytest.mark.parametrize("filename", [b"../../evil.wav", b"/etc/evil.wav", b"..\\evil.wav", b"a\x00b.wav",
                                      b"x\x1b[31m.wav", b"\xff\xfe.wav", b".."])
def test_path_like_or_odd_file_names_are_refused(client, project, home, guarded_tmp, filename):
    c, h = client
    body, ctype = raw_multipart(filename, wav_bytes())
    r = c.post(f"/api/projects/{project['id']}/samples", headers={**h, "Content-Type": ctype}, content=body)
    assert r.status_code == 400, r.text
    assert r.json()["error"]["message"]
    assert not any(home.parent.rglob("evil.wav"))
    assert c.get(f"/api/projects/{project['id']}/samples", headers=h).json() == []


@pytest.mark.parametrize("label", [b"../../outside", b"/abs", b"a\x00", b".."])
def test_path_like_labels_are_refused(client, project, home, guarded_tmp, label):
    c, h = client
    body, ctype = raw_multipart(b"ok.wav", wav_bytes(), label)
    r = c.post(f"/api/projects/{project['id']}/samples", headers={**h, "Content-Type": ctype}, content=body)
    assert r.status_code == 400, r.text
    assert not (home / "projects" / "outside").exists() and not (home.parent / "outside").exists()


def test_oversize_uploads_are_cut_off(make_client, home, guarded_tmp):
    c, h = make_client(max_upload_mb=0.05)
    pid = c.post("/api/projects", headers=h, json={"name": "x", "recipe": "classify"}).json()["id"]
    r = upload(c, h, pid, [("big.wav", wav_bytes(seconds=3.0))])
    assert r.status_code == 413 and "upload cap" in r.json()["error"]["message"]
    assert list((home / "tmp").iterdir()) == []
    assert upload(c, h, pid, [("small.wav", wav_bytes(seconds=0.5))]).status_code == 201


def test_files_that_are_not_audio_are_refused(client, project, guarded_tmp):
    c, h = client
    cases = [("notes.wav", b"RIFF but not really a wav file at all"), ("script.sh", b"#!/bin/sh\nrm -rf /\n"),
             ("empty.wav", b""), ("page.mp3", b"<html>" * 100)]
    for name, data in cases:
        r = upload(c, h, project["id"], [(name, data)])
        assert r.status_code == 415, (name, r.text)
        assert r.json()["results"][0]["status"] == "rejected"
    mixed = upload(c, h, project["id"], [("good.wav", wav_bytes()), ("bad.wav", b"nope")])
    assert mixed.status_code == 201 and (mixed.json()["added"], mixed.json()["rejected"]) == (1, 1)


def test_unknown_ids_and_addresses_are_404(client, guarded_tmp):
    c, h = client
    for url in ("/api/projects/p_000000000000", "/api/projects/p_000000000000/samples", "/api/jobs/j_000000000000",
                "/api/jobs/j_000000000000/log", "/api/samples/s_000000000000/audio", "/api/projects/..%2F..%2Fetc",
                "/api/projects/p_..%2F..%2F..", "/api/nothing", "/static/../serve.db", "/static/..%2F..%2Fapp.py"):
        r = c.get(url, headers=h)
        assert r.status_code == 404, (url, r.status_code)
    assert c.post("/api/jobs/j_000000000000/cancel", headers=h).status_code == 404
    assert c.delete("/api/samples/s_000000000000", headers=h).status_code == 404


def test_malformed_json_and_wrong_fields_are_clear(client, project, guarded_tmp):
    c, h = client
    json_h = {**h, "Content-Type": "application/json"}
    r = c.post("/api/projects", headers=json_h, content=b'{"name": "x", ')
    assert r.status_code == 400 and "not valid JSON" in r.json()["error"]["message"]
    r = c.post("/api/projects", headers=json_h, content=b'{"recipe": "classify"}')
    assert r.status_code == 422 and "name" in r.json()["error"]["message"]
    r = c.post(f"/api/projects/{project['id']}/jobs", headers=json_h, content=b'{"overrides": "train.steps=1"}')
    assert r.status_code == 422
    r = c.post(f"/api/projects/{project['id']}/jobs", headers=h, json={"preset": "tiny", "overrides": ["$(reboot)"]})
    assert r.status_code == 422 and "key.sub=value" in r.json()["error"]["message"]
    r = c.post(f"/api/projects/{project['id']}/samples", headers={**h, "Content-Type": "application/json"}, content=b"{}")
    assert r.status_code == 415
    r = c.post(f"/api/projects/{project['id']}/samples", headers={**h, "Content-Type": "multipart/form-data; boundary=zz"},
               content=b"garbage without boundaries")
    assert r.status_code == 400


def test_jobs_need_samples_and_results_need_success(client, project, guarded_tmp):
    c, h = client
    r = c.post(f"/api/projects/{project['id']}/jobs", headers=h, json={"preset": "tiny"})
    assert r.status_code == 409 and "no samples" in r.json()["error"]["message"]
    r = c.post(f"/api/projects/{project['id']}/jobs", headers=h, json={"preset": "nope"})
    assert r.status_code == 422
