"""The HTTP API without training: projects, samples, readiness, import, schema, CORS."""

from serve_helpers import upload, wav_bytes


def test_projects_are_created_listed_and_deleted(client, home):
    c, h = client
    r = c.post("/api/projects", headers=h, json={"name": "alice", "recipe": "classify"})
    assert r.status_code == 201
    pid = r.json()["id"]
    assert [p["id"] for p in c.get("/api/projects", headers=h).json()] == [pid]
    assert (home / "projects" / pid / "samples").is_dir()
    assert c.delete(f"/api/projects/{pid}", headers=h).json() == {"deleted": pid}
    assert c.get("/api/projects", headers=h).json() == []
    assert not (home / "projects" / pid).exists()
    assert c.get(f"/api/projects/{pid}", headers=h).status_code == 404


def test_unknown_recipe_is_refused_with_the_choices(client):
    c, h = client
    r = c.post("/api/projects", headers=h, json={"name": "x", "recipe": "nope"})
    assert r.status_code == 422 and "classify" in r.json()["error"]["message"]


def test_recipes_list_their_presets(client):
    c, h = client
    recipes = {r["name"]: r["presets"] for r in c.get("/api/recipes", headers=h).json()}
    assert "tiny" in recipes["classify"]


def test_upload_adds_checks_and_deduplicates(client, project, home):
    c, h = client
    pid = project["id"]
    r = upload(c, h, pid, [("one.wav", wav_bytes(1.0, 440)), ("two.wav", wav_bytes(0.5, 660))], "alice")
    assert r.status_code == 201 and r.json()["added"] == 2
    again = upload(c, h, pid, [("copy.wav", wav_bytes(1.0, 440))], "bob")
    assert again.status_code == 200 and again.json()["results"][0]["status"] == "duplicate"
    samples = c.get(f"/api/projects/{pid}/samples", headers=h).json()
    assert [(s["label"], s["filename"]) for s in samples] == [("alice", "one.wav"), ("alice", "two.wav")]
    assert abs(samples[0]["duration"] - 1.0) < 1e-3 and samples[0]["sample_rate"] == 16000
    assert (home / "projects" / pid / "samples" / "alice" / "one.wav").read_bytes() == wav_bytes(1.0, 440)
    assert list((home / "tmp").iterdir()) == []  # nothing left half-received


def test_same_name_new_content_gets_a_fresh_name(client, project):
    c, h = client
    upload(c, h, project["id"], [("take.wav", wav_bytes(1.0, 440))])
    r = upload(c, h, project["id"], [("take.wav", wav_bytes(1.0, 550))])
    assert r.json()["results"][0]["sample"]["filename"] == "take-2.wav"


def test_samples_play_relabel_and_delete(client, project, home):
    c, h = client
    sample = upload(c, h, project["id"], [("a.wav", wav_bytes())]).json()["results"][0]["sample"]
    audio = c.get(f"/api/samples/{sample['id']}/audio", headers=h)
    assert audio.status_code == 200 and audio.content == wav_bytes()
    assert audio.headers["content-type"].startswith("audio/")
    moved = c.patch(f"/api/samples/{sample['id']}", headers=h, json={"label": "bob"}).json()
    assert moved["label"] == "bob"
    samples_dir = home / "projects" / project["id"] / "samples"
    assert (samples_dir / "bob" / "a.wav").is_file() and not (samples_dir / "alice").exists()
    assert c.delete(f"/api/samples/{sample['id']}", headers=h).status_code == 200
    assert not (samples_dir / "bob" / "a.wav").exists()
    assert c.get(f"/api/samples/{sample['id']}/audio", headers=h).status_code == 404


def test_readiness_reports_per_label_and_a_verdict(client, project):
    c, h = client
    empty = c.get(f"/api/projects/{project['id']}/readiness", headers=h).json()
    assert empty["ready"] is False and "no samples" in empty["reasons"][0]
    upload(c, h, project["id"], [("a.wav", wav_bytes(2.0, 300)), ("b.wav", wav_bytes(2.0, 350, seed=1))], "alice")
    r = c.get(f"/api/projects/{project['id']}/readiness?preset=tiny", headers=h)
    assert r.status_code == 200, r.text
    report = r.json()
    assert set(report["labels"]) == {"alice"}
    row = report["labels"]["alice"]
    assert row["files"] == 2 and abs(row["minutes"] - 4 / 60) < 1e-3
    assert isinstance(report["ready"], bool) and "min_files" in report["thresholds"]
    assert (report["ready"] and not report["reasons"]) or (not report["ready"] and report["reasons"])
    unknown = c.get(f"/api/projects/{project['id']}/readiness?preset=huge", headers=h)
    assert unknown.status_code == 422


def test_import_only_from_allowed_roots(make_client, tmp_path):
    allowed = tmp_path / "allowed"
    (allowed / "corpus" / "carol").mkdir(parents=True)
    (allowed / "corpus" / "carol" / "x.wav").write_bytes(wav_bytes(1.0, 500))
    (allowed / "corpus" / "carol" / "notes.txt").write_text("not audio")
    (allowed / "corpus" / "carol" / "link.wav").symlink_to(tmp_path / "secret.wav")
    (tmp_path / "secret.wav").write_bytes(wav_bytes(1.0, 700))
    c, h = make_client(import_roots=[allowed])
    pid = c.post("/api/projects", headers=h, json={"name": "x", "recipe": "classify"}).json()["id"]
    r = c.post(f"/api/projects/{pid}/import", headers=h, json={"folder": str(allowed / "corpus")})
    assert r.status_code == 200, r.text
    by_file = {x["file"]: x for x in r.json()["results"]}
    assert by_file["carol/x.wav"]["status"] == "added"
    assert by_file["carol/notes.txt"]["code"] == 415
    assert by_file["carol/link.wav"]["code"] == 403
    for outside in (str(tmp_path), str(allowed / ".." / "secret.wav"), "/etc"):
        r = c.post(f"/api/projects/{pid}/import", headers=h, json={"folder": outside})
        assert r.status_code == 403, outside


def test_import_is_off_without_roots(client, project):
    c, h = client
    r = c.post(f"/api/projects/{project['id']}/import", headers=h, json={"folder": "/tmp"})
    assert r.status_code == 403 and "--import-root" in r.json()["error"]["message"]


def test_openapi_schema_is_served_and_the_page_has_no_external_assets(client):
    c, _ = client
    schema = c.get("/openapi.json").json()
    assert "/api/projects/{project_id}/samples" in schema["paths"] and "/api/jobs/{job_id}/events" in schema["paths"]
    page = c.get("/").text
    assert "<script" in page and "http://" not in page and "https://" not in page
    for asset in ("app.js", "api.js", "jobs.js", "samples.js", "style.css"):
        body = c.get(f"/static/{asset}").text
        assert "https://" not in body and "http://" not in body, asset


def test_cors_is_off_by_default_and_on_for_named_origins(make_client, tmp_path):
    c, h = make_client()
    r = c.get("/api/projects", headers={**h, "Origin": "http://evil.example"})
    assert "access-control-allow-origin" not in r.headers
    c2, h2 = make_client(tmp_path / "home2", cors_origins=["http://app.example"])
    r = c2.get("/api/projects", headers={**h2, "Origin": "http://app.example"})
    assert r.headers["access-control-allow-origin"] == "http://app.example"


def test_audit_log_records_actions(client, project):
    c, h = client
    actions = [e["action"] for e in c.get("/api/audit", headers=h).json()]
    assert actions[0] == "project.create"


def test_a_second_server_on_the_same_home_is_refused(make_client):
    import pytest

    from soundry.serve.settings import ServeError

    make_client()
    with pytest.raises(ServeError, match="another soundry serve"):
        make_client()
