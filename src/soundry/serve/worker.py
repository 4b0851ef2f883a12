"""The job worker: ``python -m soundry.serve.worker --home DIR --job ID``.

Runs one job outside the web process: prepare -> train -> export through :mod:`soundry.api`,
writing its state, pid and a heartbeat to the store. SIGTERM means "stop": during training the
engine finishes the current step, saves a checkpoint and raises ``TrainingStopped``; outside
training the worker stops at once and the last checkpoint stands. The job ends ``cancelled`` if
a cancel was asked for, else ``interrupted``. If the server that started it dies, the worker
stops the same way (or exits after a grace period) and the job is ``interrupted``: the next
server start offers to resume it from the last checkpoint.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import threading
import time
import traceback
from pathlib import Path

from soundry import api
from soundry.errors import SoundryError, TrainingStopped
from soundry.progress import EventLog
from soundry.serve.settings import Home
from soundry.serve.store import ACTIVE, Store

HEARTBEAT_S = 1.0
EXIT_PARENT_GONE = 75
NICENESS = 10
GRACE_S = 30.0
SERVER_GONE = "the server stopped while the job ran; resume it"


class Stopped(BaseException):
    """Raised in the main thread by SIGTERM (a BaseException, so no `except Exception` swallows it)."""


def _on_sigterm(signum, frame):  # noqa: ARG001 - signal handler signature
    raise Stopped()


def _log(msg: str) -> None:
    print(f"[soundry serve] {time.strftime('%H:%M:%S')} {msg}", flush=True)


def _parent_gone(store: Store, job_id: str) -> None:
    store.transition(job_id, ACTIVE, state="interrupted", finished=time.time(), error=SERVER_GONE)
    _log("the server is gone and the job did not stop in time: interrupted")
    os._exit(EXIT_PARENT_GONE)


class ParentWatch(threading.Thread):
    """Stops the job as soon as the server dies.

    The server holds the write end of a pipe whose read end this worker got as ``parent_fd``:
    the kernel closes it when the server exits in any way (SIGKILL included), and the blocked
    read returns at once. Without a pipe, the parent pid is polled instead. The worker then
    sends itself SIGTERM (a checkpoint at the current step) and exits hard after ``GRACE_S``.
    """

    def __init__(self, store: Store, job_id: str, parent_fd: int | None):
        super().__init__(daemon=True)
        self.store, self.job_id, self.parent_fd = store, job_id, parent_fd
        self.parent = os.getppid()
        self.gone = threading.Event()

    def run(self) -> None:
        if self.parent_fd is not None:
            try:
                while os.read(self.parent_fd, 64):
                    pass
            except OSError:
                pass
        else:
            while os.getppid() == self.parent:
                time.sleep(0.2)
        self.gone.set()
        _log("the server is gone: stopping with a checkpoint")
        os.kill(os.getpid(), signal.SIGTERM)
        time.sleep(GRACE_S)
        _parent_gone(self.store, self.job_id)


class Heartbeat(threading.Thread):
    """Writes the job's heartbeat to the store every second."""

    def __init__(self, store: Store, job_id: str):
        super().__init__(daemon=True)
        self.store, self.job_id = store, job_id
        self.halt = threading.Event()

    def run(self) -> None:
        while not self.halt.wait(HEARTBEAT_S):
            try:
                self.store.update_job(self.job_id, heartbeat=time.time())
            except Exception:  # noqa: BLE001 - a busy database must not end the job
                pass


def has_checkpoint(run: Path) -> bool:
    return (run / "checkpoints" / "latest").is_file()


def run_job(home: Path, job_id: str, watch_parent: bool = True, parent_fd: int | None = None) -> str:
    """Run job ``job_id`` to its end; returns the final state written to the store.

    ``watch_parent``: end (as ``interrupted``) when the server process dies; ``parent_fd`` is
    the read end of the server's pipe (see :class:`ParentWatch`).
    """
    paths = Home(home)
    store = Store(paths.db)
    job = store.job(job_id)
    if job is None:
        raise SystemExit(f"no job {job_id} in {paths.db}")
    run = paths.run_dir(job_id)
    run.mkdir(parents=True, exist_ok=True)
    store.update_job(job_id, pid=os.getpid(), heartbeat=time.time())
    try:
        os.nice(NICENESS)  # training yields the CPU to the web process, which stays responsive
    except OSError:
        pass
    beat = Heartbeat(store, job_id)
    beat.start()
    watch = ParentWatch(store, job_id, parent_fd)
    if watch_parent:
        watch.start()
    signal.signal(signal.SIGTERM, _on_sigterm)
    config = [job["preset"]] if job["preset"] else []
    overrides = list(job["overrides"])

    def enter(state: str) -> None:
        store.transition(job_id, ACTIVE, state=state)
        _log(state)

    try:
        if job["resume"] and has_checkpoint(run):
            enter("training")
            _log(f"resuming {run} from its last checkpoint")
            api.train(job["recipe"], None, run, overrides=overrides, resume=True)
        else:
            enter("preparing")
            events = EventLog(run / "events.jsonl")
            prepared = api.prepare(paths.samples(job["project_id"]), run / "prepared", recipe=job["recipe"],
                                   config=config, overrides=overrides, events=events)
            report = getattr(prepared, "report", None) or {}
            if report and not report.get("ready", True):
                reasons = report.get("readiness", {}).get("reasons") or ["see the readiness report"]
                raise SoundryError("the samples are not ready for training: " + "; ".join(map(str, reasons)))
            enter("training")
            api.train(job["recipe"], run / "prepared", run, config=config, overrides=overrides)
        if store.job(job_id)["cancel_requested"]:
            raise Stopped()
        enter("exporting")
        bundle = api.export(run, paths.bundle_dir(job_id))
        final = "succeeded"
        store.transition(job_id, ACTIVE, state=final, finished=time.time(), bundle=str(bundle), error=None)
    except (Stopped, KeyboardInterrupt, TrainingStopped):  # TrainingStopped: the engine saved a checkpoint
        cancelled = bool(store.job(job_id)["cancel_requested"]) and not watch.gone.is_set()
        final = "cancelled" if cancelled else "interrupted"
        note = ("cancelled; resume continues from the last checkpoint" if cancelled
                else SERVER_GONE if watch.gone.is_set() else "stopped by a signal; resume it")
        store.transition(job_id, ACTIVE, state=final, finished=time.time(), error=note)
    except SoundryError as exc:
        final = "failed"
        store.transition(job_id, ACTIVE, state=final, finished=time.time(), error=str(exc))
    except Exception as exc:  # noqa: BLE001 - record every failure on the job, then show the traceback
        final = "failed"
        traceback.print_exc()
        store.transition(job_id, ACTIVE, state=final, finished=time.time(),
                         error=f"internal error: {type(exc).__name__}: {exc} (see the job's log)")
    finally:
        beat.halt.set()
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
    _log(f"job {final}")
    return final


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m soundry.serve.worker",
                                     description="Run one soundry serve job (started by the server).")
    parser.add_argument("--home", required=True, help="the server's home folder")
    parser.add_argument("--job", required=True, help="job id")
    parser.add_argument("--parent-fd", type=int, default=None,
                        help="read end of the server's pipe: its closing means the server is gone")
    parser.add_argument("--no-watch-parent", action="store_true",
                        help="keep running if the process that started this one ends")
    args = parser.parse_args(argv)
    final = run_job(Path(args.home), args.job, watch_parent=not args.no_watch_parent, parent_fd=args.parent_fd)
    return 0 if final == "succeeded" else 1


if __name__ == "__main__":
    sys.exit(main())
