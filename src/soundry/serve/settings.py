"""Server settings and the layout of the server's home folder.

Everything the server writes lives under ``home``::

    home/serve.db                      SQLite: projects, samples, jobs, audit log
    home/token                         the bearer token (mode 0600)
    home/tmp/                          uploads being received (renamed into place when checked)
    home/projects/<project>/samples/<label>/<file>
    home/projects/<project>/readiness/ prepare output for the readiness report
    home/jobs/<job>/run/               the run folder (events.jsonl, checkpoints/, prepared/)
    home/jobs/<job>/bundle/            the exported bundle
    home/jobs/<job>/worker.log         the worker's stdout and stderr
    home/jobs/<job>/try/               clips uploaded to "try it" and their outputs

:func:`inside` is the one gate every path built from a request passes: it resolves the path and
refuses anything that is not below the given root.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass, field
from pathlib import Path

from soundry.errors import SoundryError

#: Ids are made by the server (prefix + 12 hex digits); anything else is an unknown id.
ID_RE = re.compile(r"^[pjs]_[0-9a-f]{12}$")


class ServeError(SoundryError):
    """A request the server refuses; ``status`` is the HTTP status code to answer with."""

    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status
        self.message = message


@dataclass
class ServeSettings:
    """What ``soundry serve`` can be told.

    ``max_upload_mb`` caps one uploaded file, ``max_jobs`` the number of jobs that train at
    once, ``import_roots`` the server-side folders that ``import`` may read from,
    ``auto_resume`` re-queues interrupted jobs at start-up, ``cors_origins`` enables CORS for
    those origins (off when empty), ``auth=False`` serves without a token (loopback only).
    """

    home: Path
    host: str = "127.0.0.1"
    port: int = 8000
    max_upload_mb: float = 200.0
    max_files_per_request: int = 500
    max_jobs: int = 1
    import_roots: list[Path] = field(default_factory=list)
    auto_resume: bool = False
    cors_origins: list[str] = field(default_factory=list)
    auth: bool = True
    heartbeat_timeout_s: float = 30.0
    supervise_every_s: float = 0.5

    def __post_init__(self) -> None:
        self.home = Path(self.home).expanduser().resolve()
        self.import_roots = [Path(p).expanduser().resolve() for p in self.import_roots]

    @property
    def max_upload_bytes(self) -> int:
        return int(self.max_upload_mb * 1024 * 1024)


class Home:
    """Paths under the server's home folder (see the module docstring)."""

    def __init__(self, root: str | Path):
        self.root = Path(root).expanduser().resolve()

    def create(self) -> Home:
        for sub in ("tmp", "projects", "jobs"):
            (self.root / sub).mkdir(parents=True, exist_ok=True)
        return self

    @property
    def db(self) -> Path:
        return self.root / "serve.db"

    @property
    def token_file(self) -> Path:
        return self.root / "token"

    @property
    def tmp(self) -> Path:
        return self.root / "tmp"

    def project(self, project_id: str) -> Path:
        return inside(self.root / "projects", check_id(project_id))

    def samples(self, project_id: str) -> Path:
        return self.project(project_id) / "samples"

    def readiness(self, project_id: str) -> Path:
        return self.project(project_id) / "readiness"

    def job(self, job_id: str) -> Path:
        return inside(self.root / "jobs", check_id(job_id))

    def run_dir(self, job_id: str) -> Path:
        return self.job(job_id) / "run"

    def bundle_dir(self, job_id: str) -> Path:
        return self.job(job_id) / "bundle"

    def worker_log(self, job_id: str) -> Path:
        return self.job(job_id) / "worker.log"


def check_id(value: str) -> str:
    """``value`` if it has the shape of a server-made id; a 404 otherwise."""
    if not isinstance(value, str) or not ID_RE.match(value):
        raise ServeError(404, f"unknown id {value!r}: ids look like p_0123456789ab; list them first")
    return value


def inside(root: Path, *parts: str) -> Path:
    """``root/parts...`` resolved, or a 400 if it would leave ``root`` (``..``, absolute, links)."""
    base = Path(root).resolve()
    path = base.joinpath(*parts).resolve()
    if path != base and base not in path.parents:
        raise ServeError(400, "that path leaves the server's folder; use a plain name")
    return path


def is_loopback(host: str) -> bool:
    """Whether ``host`` only accepts connections from this machine."""
    if host in ("localhost", "localhost.localdomain"):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False
