"""The bearer token: made at first start, kept in ``home/token`` (readable by the owner only).

Every ``/api`` request must send ``Authorization: Bearer <token>``. The web page learns the
token from the login URL's fragment (``/#token=...``), which browsers never send to a server,
and keeps it in the tab's session storage.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from soundry.serve.settings import ServeError


def load_or_create_token(path: str | Path) -> str:
    """The token stored at ``path``, writing a new random one (0600) if there is none."""
    p = Path(path)
    if p.is_file():
        token = p.read_text(encoding="utf-8").strip()
        if len(token) >= 16:
            return token
    token = secrets.token_urlsafe(32)
    p.parent.mkdir(parents=True, exist_ok=True)
    tmp = p.with_name(p.name + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(token + "\n")
    os.replace(tmp, p)
    return token


def check_bearer(header: str | None, token: str | None) -> None:
    """Raise a 401 unless ``header`` is ``Bearer <token>`` (no check when ``token`` is None)."""
    if token is None:
        return
    if not header:
        raise ServeError(401, "missing token: send 'Authorization: Bearer <token>' "
                              "(the token is in the server's home folder, file 'token')")
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "bearer" or not secrets.compare_digest(value.strip().encode(), token.encode()):
        raise ServeError(401, "wrong token: use the token printed at start-up "
                              "(also in the server's home folder, file 'token')")


def login_url(host: str, port: int, token: str | None) -> str:
    """The address to open in a browser; the token rides in the fragment, never sent to a server."""
    shown = "127.0.0.1" if host in ("0.0.0.0", "::", "") else host
    if ":" in shown and not shown.startswith("["):
        shown = f"[{shown}]"
    base = f"http://{shown}:{port}/"
    return f"{base}#token={token}" if token else base
