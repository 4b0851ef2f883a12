"""A server killed mid-job: on restart the job is interrupted, and resuming it finishes it."""

import json
import os
import sqlite3
import time

import httpx
from serve_helpers import wait_for

from soundry.serve.jobs import pid_alive
from soundry.serve.launch import ServerProcess
from soundry.serve.store import Store


def _worker_pid(home, jid):
    db = sqlite3.connect(home / "serve.db")
    try:
        return db.execute("SELECT pid FROM jobs WHERE id = ?", (jid,)).fetchone()[0]
    finally:
        db.close()


def _train_steps(events_path, start_line=0):
    lines = events_path.read_text().splitlines()[start_line:]
    return [e["step"] for e in map(json.loads, lines) if e.get("stage") == "train" and "loss" in e]


def test_killed_server_leaves_an_interrupted_job_that_resumes(tmp_path, tiny_corpus):
    home = tmp_path / "home"
    server = ServerProcess(home).start()
    try:
        with httpx.Client(base_url=server.url, headers=server.headers, timeout=60) as c:
            pid = c.post("/api/projects", json={"name": "restart", "recipe": "classify"}).json()["id"]
            for spk in sorted(p for p in tiny_corpus.iterdir() if p.is_dir()):
                files = [("files", (f.name, f.read_bytes(), "audio/wav")) for f in sorted(spk.glob("*.wav"))]
                assert c.post(f"/api/projects/{pid}/samples", data={"label": spk.name}, files=files).status_code == 201
            overrides = ["train.steps=60", "train.checkpoint_every=4", "train.eval_every=1000"]
            jid = c.post(f"/api/projects/{pid}/jobs", json={"preset": "tiny", "overrides": overrides}).json()["id"]
        latest = home / "jobs" / jid / "run" / "checkpoints" / "latest"
        wait_for(latest.is_file, 120, every=0.05, what="the first checkpoint")
        worker = _worker_pid(home, jid)
        server.kill()
        wait_for(lambda: not pid_alive(worker, jid), 15, what="the worker to notice the server is gone")
        checkpoint = (home / "jobs" / jid / "run" / latest.read_text().strip()).name
        saved_step = int(checkpoint.split("-")[-1])
        assert saved_step < 60, "training ended before the kill; the test needs a longer job"
        events = home / "jobs" / jid / "run" / "events.jsonl"
        lines_before = len(events.read_text().splitlines())

        server = ServerProcess(home).start()
        with httpx.Client(base_url=server.url, headers=server.headers, timeout=60) as c:
            job = c.get(f"/api/jobs/{jid}").json()
            assert job["state"] == "interrupted" and job["has_checkpoint"]
            assert "resume" in job["error"]
            assert c.post(f"/api/jobs/{jid}/resume").json()["state"] in ("queued", "preparing")
            final = wait_for(lambda: (s := c.get(f"/api/jobs/{jid}").json())["state"] in
                             ("succeeded", "failed", "cancelled", "interrupted") and s, 180, every=0.3,
                             what="the resumed job to end")
            assert final["state"] == "succeeded", c.get(f"/api/jobs/{jid}/log").text
            assert final["progress"]["step"] == 60 and final["attempts"] == 2
            assert c.get(f"/api/jobs/{jid}/bundle.zip").status_code == 200
        resumed = _train_steps(events, lines_before)
        assert resumed and resumed[0] == saved_step + 1  # only the steps after the checkpoint were redone
        assert resumed[-1] == 60
    finally:
        server.kill()


def test_start_up_marks_orphaned_jobs_and_can_requeue_them(make_client, home, tmp_path):
    home.mkdir(parents=True)
    store = Store(home / "serve.db").init()
    project = store.add_project("p", "classify")
    lost = store.add_job(project["id"], "classify", "tiny", [])
    store.update_job(lost["id"], state="training", pid=2 ** 22 + 4321, heartbeat=time.time())
    c, h = make_client(max_jobs=0)
    job = c.get(f"/api/jobs/{lost['id']}", headers=h).json()
    assert job["state"] == "interrupted"

    other = tmp_path / "home2"
    other.mkdir()
    store2 = Store(other / "serve.db").init()
    p2 = store2.add_project("p", "classify")
    lost2 = store2.add_job(p2["id"], "classify", "tiny", [])
    store2.update_job(lost2["id"], state="preparing", pid=None, heartbeat=None)
    c2, h2 = make_client(other, auto_resume=True, max_jobs=0)
    job2 = c2.get(f"/api/jobs/{lost2['id']}", headers=h2).json()
    assert job2["state"] == "queued" and job2["resume"] == 1
    assert [e["action"] for e in c2.get("/api/audit", headers=h2).json()][:2] == ["job.resume", "job.interrupted"]
    assert os.path.exists(other / "token")
