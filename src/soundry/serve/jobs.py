"""Jobs: queue, start workers, cancel, resume, and notice workers that died.

The server holds no job state in memory that matters: everything is in the store, so a
restarted server sees what its predecessor left. :meth:`JobManager.tick` runs every half
second in a background thread: it reaps finished workers, marks jobs whose worker vanished
as ``interrupted`` and starts queued jobs while fewer than ``max_jobs`` are running.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

from soundry.config import preset_names
from soundry.serve.feed import FeedCache
from soundry.serve.settings import Home, ServeError, ServeSettings
from soundry.serve.store import ACTIVE, Store

_OVERRIDE = re.compile(r"^[A-Za-z_][A-Za-z0-9_.]*=.{0,200}$", re.DOTALL)
RESUMABLE = ("interrupted", "cancelled", "failed")


def pid_alive(pid: int | None, job_id: str | None = None) -> bool:
    """Whether ``pid`` runs (and is not a zombie); with ``job_id``, whether it is that job's worker."""
    if not pid:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    proc = Path(f"/proc/{pid}")
    if proc.is_dir():
        try:
            if (proc / "stat").read_text().split(") ", 1)[1].startswith("Z"):
                return False
            if job_id and job_id.encode() not in (proc / "cmdline").read_bytes():
                return False  # the pid was reused by an unrelated process
        except (OSError, IndexError):
            return False
    return True


def check_overrides(overrides: Any) -> list[str]:
    """``key.sub=value`` strings, checked for shape (the recipe checks names and types)."""
    if overrides is None:
        return []
    if not isinstance(overrides, list) or len(overrides) > 50:
        raise ServeError(422, "overrides must be a list of at most 50 'key=value' strings")
    for o in overrides:
        if not isinstance(o, str) or not _OVERRIDE.match(o) or any(ord(c) < 32 for c in o):
            raise ServeError(422, f"override {o!r} is not 'key.sub=value' (for example train.steps=200)")
    return list(overrides)


class JobManager:
    """Starts and watches worker processes for the jobs in the store."""

    def __init__(self, store: Store, home: Home, settings: ServeSettings, feeds: FeedCache | None = None):
        self.store, self.home, self.settings = store, home, settings
        self.feeds = feeds or FeedCache()
        self._procs: dict[str, subprocess.Popen] = {}
        self._pipes: dict[str, int] = {}
        self._lock = threading.RLock()
        self._halt = threading.Event()
        self._thread: threading.Thread | None = None

    # ------------------------------------------------------------ requests
    def start(self, project: dict[str, Any], preset: str | None, overrides: Any) -> dict[str, Any]:
        recipe = project["recipe"]
        presets = preset_names(recipe)
        if preset is not None and preset not in presets:
            raise ServeError(422, f"unknown preset {preset!r} for recipe '{recipe}'; choose one of "
                                  f"{', '.join(presets) or '(none)'}")
        overrides = check_overrides(overrides)
        if not self.store.samples(project["id"]):
            raise ServeError(409, "the project has no samples yet; upload some first")
        job = self.store.add_job(project["id"], recipe, preset, overrides)
        self.store.audit("job.start", job["id"], project=project["id"], preset=preset, overrides=overrides)
        self.tick()
        return self.store.job(job["id"])

    def cancel(self, job: dict[str, Any]) -> dict[str, Any]:
        jid = job["id"]
        if self.store.transition(jid, ("queued",), state="cancelled", finished=time.time(),
                                 error="cancelled before it started"):
            self.store.audit("job.cancel", jid)
            return self.store.job(jid)
        if job["state"] not in ACTIVE:
            raise ServeError(409, f"job {jid} is {job['state']}; only queued or running jobs can be cancelled")
        self.store.update_job(jid, cancel_requested=1)
        self.store.audit("job.cancel", jid)
        if pid_alive(job["pid"], jid):
            os.kill(job["pid"], signal.SIGTERM)  # the worker checkpoints (if it can) and stops
        return self.store.job(jid)

    def resume(self, job: dict[str, Any]) -> dict[str, Any]:
        jid = job["id"]
        if not self.store.transition(jid, RESUMABLE, state="queued", resume=1, cancel_requested=0,
                                     error=None, finished=None, pid=None):
            raise ServeError(409, f"job {jid} is {job['state']}; only interrupted, cancelled or failed "
                                  "jobs can be resumed")
        self.store.audit("job.resume", jid)
        self.tick()
        return self.store.job(jid)

    def status(self, job: dict[str, Any]) -> dict[str, Any]:
        progress = self.feeds.poll(self.home.run_dir(job["id"]) / "events.jsonl")
        out = {k: v for k, v in job.items() if k not in ("pid", "heartbeat")}
        out["progress"] = progress
        out["has_checkpoint"] = (self.home.run_dir(job["id"]) / "checkpoints" / "latest").is_file()
        out["running"] = job["state"] in ACTIVE
        return out

    def log_tail(self, job: dict[str, Any], lines: int = 200) -> str:
        path = self.home.worker_log(job["id"])
        if not path.is_file():
            return ""
        with path.open("rb") as fh:
            fh.seek(0, os.SEEK_END)
            fh.seek(max(0, fh.tell() - 256 * max(1, lines)))
            text = fh.read().decode("utf-8", errors="replace")
        return "\n".join(text.splitlines()[-lines:])

    # ------------------------------------------------------------ supervision
    def recover(self) -> list[str]:
        """At start-up: jobs left running by a dead server become ``interrupted`` (or re-queued)."""
        found = []
        for job in self.store.jobs(states=ACTIVE):
            if not pid_alive(job["pid"], job["id"]):
                self.store.transition(job["id"], ACTIVE, state="interrupted", finished=time.time(),
                                      error="the server stopped while the job ran; resume it")
                found.append(job["id"])
        for jid in found:
            self.store.audit("job.interrupted", jid)
            if self.settings.auto_resume:
                self.resume(self.store.job(jid))
        return found

    def tick(self) -> None:
        with self._lock:
            for jid, proc in list(self._procs.items()):
                code = proc.poll()
                if code is None:
                    continue
                del self._procs[jid]
                os.close(self._pipes.pop(jid))
                state = "interrupted" if code < 0 else "failed"
                self.store.transition(jid, ACTIVE, state=state, finished=time.time(),
                                      error=f"the worker ended unexpectedly (exit code {code}); see the log")
            now = time.time()
            running = 0
            for job in self.store.jobs(states=ACTIVE):
                if job["id"] in self._procs:
                    running += 1
                    continue
                stale = job["heartbeat"] is None or now - job["heartbeat"] > self.settings.heartbeat_timeout_s
                if not pid_alive(job["pid"], job["id"]) or stale:
                    self.store.transition(job["id"], ACTIVE, state="interrupted", finished=now,
                                          error="the job's worker is gone; resume it")
                else:
                    running += 1
            for job in self.store.jobs(states=("queued",)):
                if running >= self.settings.max_jobs:
                    break
                if self._spawn(job):
                    running += 1

    def _spawn(self, job: dict[str, Any]) -> bool:
        jid = job["id"]
        if not self.store.transition(jid, ("queued",), state="preparing", started=time.time(),
                                     heartbeat=time.time(), attempts=job["attempts"] + 1, pid=None):
            return False
        folder = self.home.job(jid)
        folder.mkdir(parents=True, exist_ok=True)
        env = dict(os.environ, PYTHONUNBUFFERED="1")
        # The worker reads this pipe; when the server dies the kernel closes our end, and the
        # worker stops at once instead of training on without anyone watching.
        read_end, write_end = os.pipe()
        cmd = [sys.executable, "-m", "soundry.serve.worker", "--home", str(self.home.root), "--job", jid,
               "--parent-fd", str(read_end)]
        try:
            with open(self.home.worker_log(jid), "ab") as log:
                proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                                        cwd=folder, env=env, start_new_session=True, pass_fds=(read_end,))
        except OSError as exc:
            os.close(write_end)
            self.store.transition(jid, ACTIVE, state="failed", finished=time.time(),
                                  error=f"could not start the worker: {exc}")
            return False
        finally:
            os.close(read_end)
        self._procs[jid] = proc
        self._pipes[jid] = write_end
        self.store.update_job(jid, pid=proc.pid)
        return True

    def start_supervisor(self) -> None:
        def loop() -> None:
            while not self._halt.wait(self.settings.supervise_every_s):
                try:
                    self.tick()
                except Exception as exc:  # noqa: BLE001 - keep supervising; say why once per failure
                    print(f"soundry serve: supervisor: {type(exc).__name__}: {exc}", file=sys.stderr)

        self._thread = threading.Thread(target=loop, name="soundry-jobs", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 20.0) -> None:
        """Stop supervising; running workers are asked to stop (their jobs become interrupted)."""
        self._halt.set()
        with self._lock:
            procs = list(self._procs.values())
        for p in procs:
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + timeout
        for p in procs:
            try:
                p.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                p.kill()
        with self._lock:
            for fd in self._pipes.values():
                os.close(fd)
            self._pipes.clear()
