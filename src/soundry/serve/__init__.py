"""The job server: an HTTP API and a web page on top of :mod:`soundry.api`.

    from soundry import serve
    serve.main("soundry-home", host="127.0.0.1", port=8000)   # blocks; prints the login URL
    app = serve.create_app("soundry-home")                      # an ASGI app for tests or uvicorn

FastAPI and uvicorn are imported only when one of these is called.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any


def create_app(home: str | Path | None = None, **options: Any):
    """The FastAPI app for server home ``home`` (see :func:`soundry.serve.app.create_app`)."""
    from soundry.serve.app import create_app as _create_app

    return _create_app(home, **options)


def main(home: str | Path = "soundry-home", host: str = "127.0.0.1", port: int = 8000, **options: Any) -> int:
    """Run the server until interrupted (see :func:`soundry.serve.server.main`)."""
    from soundry.serve.server import main as _main

    return _main(home, host, port, **options)


__all__ = ["create_app", "main"]
