"""``soundry serve``: run the web application with uvicorn."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from soundry.serve.auth import load_or_create_token, login_url
from soundry.serve.settings import Home, ServeError, ServeSettings, is_loopback


def check_bind(settings: ServeSettings) -> None:
    """Refuse to serve without a token on an address other machines can reach."""
    if not settings.auth and not is_loopback(settings.host):
        raise ServeError(2, f"refusing to serve {settings.host} without a token: other machines could "
                            "reach it; drop --no-token or bind to 127.0.0.1")


def main(home: str | Path = "soundry-home", host: str = "127.0.0.1", port: int = 8000, *,
         log_level: str = "info", **options: Any) -> int:
    """Serve ``home`` on ``host:port`` until interrupted; prints the login URL first.

    ``options`` are :class:`~soundry.serve.settings.ServeSettings` fields: ``max_jobs``,
    ``max_upload_mb``, ``import_roots``, ``auto_resume``, ``cors_origins``, ``auth``.
    """
    import uvicorn

    from soundry.serve.app import create_app

    settings = ServeSettings(home=home, host=host, port=port, **options)
    check_bind(settings)
    paths = Home(settings.home).create()
    token = load_or_create_token(paths.token_file) if settings.auth else None
    app = create_app(settings=settings)
    print(f"soundry serve: home {paths.root}", file=sys.stderr)
    if token:
        print(f"soundry serve: token in {paths.token_file}", file=sys.stderr)
    print(f"soundry serve: open {login_url(host, port, token)}", file=sys.stderr, flush=True)
    uvicorn.run(app, host=host, port=port, log_level=log_level, access_log=False,
                timeout_graceful_shutdown=5)
    return 0


def cli(argv: list[str] | None = None) -> int:
    """``python -m soundry.serve``: the same options as ``soundry serve``."""
    import argparse

    p = argparse.ArgumentParser(prog="soundry serve", description="Run the soundry job server and web page.")
    add_arguments(p)
    args = p.parse_args(argv)
    try:
        return run_from_args(args)
    except ServeError as exc:
        print(f"soundry: error: {exc}", file=sys.stderr)
        return 2


def add_arguments(p) -> None:
    """The ``soundry serve`` options, for the CLI's sub-parser."""
    p.add_argument("--home", default="soundry-home", help="server folder: database, token, samples, runs")
    p.add_argument("--host", default="127.0.0.1", help="address to bind (loopback by default)")
    p.add_argument("--port", type=int, default=8000)
    p.add_argument("--max-jobs", type=int, default=1, help="jobs that train at the same time")
    p.add_argument("--max-upload-mb", type=float, default=200.0, help="size cap of one uploaded file")
    p.add_argument("--import-root", action="append", default=[], metavar="DIR",
                   help="a server folder that projects may import from (repeatable)")
    p.add_argument("--auto-resume", action="store_true", help="resume interrupted jobs at start-up")
    p.add_argument("--cors-origin", action="append", default=[], metavar="ORIGIN",
                   help="allow browser calls from this origin (CORS is off by default)")
    p.add_argument("--no-token", action="store_true", help="serve without a token (loopback only)")


def run_from_args(args) -> int:
    return main(args.home, args.host, args.port, max_jobs=args.max_jobs, max_upload_mb=args.max_upload_mb,
                import_roots=args.import_root, auto_resume=args.auto_resume, cors_origins=args.cors_origin,
                auth=not args.no_token)
