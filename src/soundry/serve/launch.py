"""Run ``soundry serve`` as a child process (for tests, benchmarks and scripts).

    with ServerProcess(home) as server:
        requests go to server.url with server.headers
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port that was free a moment ago on ``host``."""
    with socket.socket() as s:
        s.bind((host, 0))
        return s.getsockname()[1]


class ServerProcess:
    """``python -m soundry.serve --home HOME --port PORT`` in a child process.

    ``start()`` waits until ``/api/health`` answers; ``kill()`` ends it at once (SIGKILL, as a
    crash would); ``stop()`` asks it to shut down. Its output goes to ``home/server.log``.
    """

    def __init__(self, home: str | Path, port: int | None = None, args: list[str] | None = None,
                 env: dict[str, str] | None = None):
        self.home = Path(home)
        self.port = port or free_port()
        self.args = list(args or [])
        self.env = env
        self.proc: subprocess.Popen | None = None
        self.token: str | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"} if self.token else {}

    def start(self, timeout: float = 60.0) -> ServerProcess:
        self.home.mkdir(parents=True, exist_ok=True)
        cmd = [sys.executable, "-m", "soundry.serve", "--home", str(self.home), "--port", str(self.port),
               *self.args]
        log = open(self.home / "server.log", "ab")  # noqa: SIM115 - the child holds it
        self.proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                                     env={**os.environ, **(self.env or {})})
        log.close()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"the server exited with {self.proc.returncode}; see {self.home / 'server.log'}")
            token_file = self.home / "token"
            if token_file.is_file() and "--no-token" not in self.args:
                self.token = token_file.read_text().strip()
            try:
                self.request("GET", "/api/health", timeout=2)
                return self
            except (OSError, urllib.error.URLError):
                time.sleep(0.1)
        self.kill()
        raise TimeoutError(f"the server did not answer within {timeout} s; see {self.home / 'server.log'}")

    def request(self, method: str, path: str, body: Any = None, timeout: float = 30.0) -> Any:
        """One JSON call; returns the decoded answer (raises ``urllib.error.HTTPError`` on 4xx/5xx)."""
        data = None if body is None else json.dumps(body).encode()
        headers = {**self.headers, **({"Content-Type": "application/json"} if data else {})}
        req = urllib.request.Request(self.url + path, data=data, method=method, headers=headers)
        with urllib.request.urlopen(req, timeout=timeout) as resp:  # noqa: S310 - loopback only
            raw = resp.read()
            return json.loads(raw) if resp.headers.get_content_type() == "application/json" else raw

    def kill(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(10)

    def stop(self, timeout: float = 30.0) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.kill()

    def __enter__(self) -> ServerProcess:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
