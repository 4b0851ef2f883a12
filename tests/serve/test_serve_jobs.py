"""Jobs end to end with the real API: a tiny training, live events, bundle, try-it, cancel, resume."""

import io
import json
import zipfile

from serve_helpers import upload_corpus, wait_for

FINAL = ("succeeded", "failed", "cancelled", "interrupted")


def _status(c, h, jid):
    return c.get(f"/api/jobs/{jid}", headers=h).json()


def test_a_tiny_job_trains_streams_progress_and_gives_a_bundle(client, project, tiny_corpus):
    c, h = client
    pid = project["id"]
    assert upload_corpus(c, h, pid, tiny_corpus) == 8
    r = c.post(f"/api/projects/{pid}/jobs", headers=h, json={"preset": "tiny"})
    assert r.status_code == 201, r.text
    jid = r.json()["id"]
    statuses = []
    with c.stream("GET", f"/api/jobs/{jid}/events", headers=h) as stream:
        assert stream.headers["content-type"].startswith("text/event-stream")
        name = None
        for line in stream.iter_lines():
            if line.startswith("event:"):
                name = line.split(":", 1)[1].strip()
            elif line.startswith("data:") and name == "status":
                statuses.append(json.loads(line[5:]))
            elif line.startswith("data:") and name == "end":
                break
    final = _status(c, h, jid)
    assert final["state"] == "succeeded", (final["error"], c.get(f"/api/jobs/{jid}/log", headers=h).text)
    seen = [s["state"] for s in statuses]
    assert "training" in seen and seen[-1] == "succeeded"
    train = [s["progress"]["percent"] for s in statuses if s["progress"]["stage"] in ("train", "checkpoint", "eval")]
    assert train == sorted(train)
    p = final["progress"]
    assert p["percent"] == 100.0 and p["total"] == 8 and p["loss"] and p["checkpoint_step"] is not None
    assert "job succeeded" in c.get(f"/api/jobs/{jid}/log?lines=50", headers=h).text

    z = c.get(f"/api/jobs/{jid}/bundle.zip", headers=h)
    assert z.status_code == 200 and z.headers["content-type"] == "application/zip"
    names = zipfile.ZipFile(io.BytesIO(z.content)).namelist()
    assert f"{jid}/meta.json" in names

    clip = sorted(tiny_corpus.glob("*/*.wav"))[0]
    tried = c.post(f"/api/jobs/{jid}/try", headers=h, files={"file": (clip.name, clip.read_bytes(), "audio/wav")})
    assert tried.status_code == 200, tried.text
    result = tried.json()
    assert result["recipe"] == "classify"
    assert {x["label"] for x in result["labels"]} == {p.name for p in tiny_corpus.iterdir() if p.is_dir()}
    assert abs(sum(x["prob"] for x in result["labels"]) - 1.0) < 1e-3
    bad = c.post(f"/api/jobs/{jid}/try", headers=h, files={"file": ("x.wav", b"not audio", "audio/wav")})
    assert bad.status_code == 415
    assert c.get(f"/api/jobs/{jid}/try/{result['try_id']}/..%2F..%2Fserve.db", headers=h).status_code == 404


def test_cancel_keeps_a_checkpoint_and_resume_continues(client, project, tiny_corpus, home):
    c, h = client
    pid = project["id"]
    upload_corpus(c, h, pid, tiny_corpus)
    slow = ["train.steps=2000", "train.checkpoint_every=2", "train.eval_every=1000"]
    jid = c.post(f"/api/projects/{pid}/jobs", headers=h, json={"preset": "tiny", "overrides": slow}).json()["id"]
    queued = c.post(f"/api/projects/{pid}/jobs", headers=h, json={"preset": "tiny"}).json()
    assert queued["state"] == "queued"  # one job at a time by default
    assert c.post(f"/api/jobs/{queued['id']}/cancel", headers=h).json()["state"] == "cancelled"
    assert c.delete(f"/api/projects/{pid}", headers=h).status_code == 409

    first = wait_for(lambda: (s := _status(c, h, jid))["has_checkpoint"] or s["state"] in FINAL and s, 120,
                     what="a first checkpoint")
    assert first is True or first["state"] not in FINAL, (first, c.get(f"/api/jobs/{jid}/log", headers=h).text)
    assert c.post(f"/api/jobs/{jid}/resume", headers=h).status_code == 409  # still running
    c.post(f"/api/jobs/{jid}/cancel", headers=h)
    done = wait_for(lambda: (s := _status(c, h, jid))["state"] in FINAL and s, 60, what="the cancel")
    assert done["state"] == "cancelled" and done["has_checkpoint"]
    stopped_at = done["progress"]["step"]
    assert done["progress"]["checkpoint_step"] == stopped_at  # the engine saved the finished steps

    r = c.post(f"/api/jobs/{jid}/resume", headers=h)
    assert r.status_code == 200 and r.json()["state"] in ("queued", "preparing")
    again = wait_for(lambda: (s := _status(c, h, jid))["progress"]["step"] > stopped_at or s["state"] in FINAL and s,
                     120, what="steps after the resume")
    assert again is True, (again, c.get(f"/api/jobs/{jid}/log", headers=h).text)
    assert "resuming" in c.get(f"/api/jobs/{jid}/log", headers=h).text
    c.post(f"/api/jobs/{jid}/cancel", headers=h)
    wait_for(lambda: _status(c, h, jid)["state"] == "cancelled", 60, what="the second cancel")
    assert c.get(f"/api/jobs/{jid}/bundle.zip", headers=h).status_code == 409
