"""``soundry serve [--home DIR] [--host 127.0.0.1] [--port 8000]``: job server and web page."""

from __future__ import annotations


def register(sub) -> None:
    from soundry.serve.server import add_arguments, run_from_args

    p = sub.add_parser("serve", help="run the job server and its web page (samples, readiness, training)",
                       description="Serve the HTTP API and the web page on loopback. The first start "
                                   "creates a bearer token in the home folder and prints a login URL.")
    add_arguments(p)
    p.set_defaults(func=run_from_args)
