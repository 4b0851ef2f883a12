"""Receive multipart uploads straight to disk, and make names safe.

Starlette's own form parser spools files to the system's temporary folder; this one writes
each file part to ``home/tmp/`` as it arrives, hashing it on the way, and stops at once with
a 413 when a file passes the size cap, so nothing is ever written outside the home folder.
"""

from __future__ import annotations

import hashlib
import os
import re
import secrets
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

from soundry.serve.settings import ServeError

_FIELD_LIMIT = 64 * 1024
_UNSAFE = re.compile(r"[^\w\-. ()+,]", re.UNICODE)


def _odd(text: str) -> bool:
    return any(unicodedata.category(c)[0] == "C" for c in text)


def safe_filename(name: str, max_len: int = 120) -> str:
    """A file name safe to create in a folder; a 400 for paths, ``..`` or control bytes.

    Path-like names are refused rather than silently shortened, so a client learns that
    ``../x.wav`` or ``/etc/x.wav`` is not a file name. Other odd characters become ``_``.
    """
    if not isinstance(name, str) or not name.strip():
        raise ServeError(400, "a file has no name; give every uploaded file a name")
    if _odd(name):
        raise ServeError(400, f"file name {name!r} holds control characters; rename the file")
    if "/" in name or "\\" in name or name.strip(". ") == "":
        raise ServeError(400, f"file name {name!r} is a path; send a plain file name such as take1.wav")
    if name.startswith((".", "~")):
        raise ServeError(400, f"file name {name!r} is hidden or special; rename it to start with a letter")
    clean = unicodedata.normalize("NFC", name)
    clean = _UNSAFE.sub("_", clean).strip(" .")
    clean = re.sub(r"_+", "_", clean)
    if len(clean) > max_len:
        stem, dot, ext = clean.rpartition(".")
        clean = (stem[: max_len - len(ext) - 1] + "." + ext) if dot and len(ext) <= 8 else clean[:max_len]
    if not clean:
        raise ServeError(400, f"file name {name!r} has no usable characters; rename the file")
    return clean


def safe_label(label: str) -> str:
    """A label (speaker or class) usable as a folder name; a 400 for paths or control bytes."""
    if not isinstance(label, str) or not label.strip():
        raise ServeError(400, "the label is empty; give a speaker or class name")
    if _odd(label) or "/" in label or "\\" in label or label.strip().startswith("."):
        raise ServeError(400, f"label {label!r} is not a plain name; use letters, digits, '-' or '_'")
    clean = _UNSAFE.sub("_", unicodedata.normalize("NFC", label.strip()))[:64].strip(" .")
    if not clean:
        raise ServeError(400, f"label {label!r} has no usable characters")
    return clean


@dataclass
class ReceivedFile:
    """One file part written to ``path`` (under ``home/tmp``) with its size and sha256."""

    field: str
    filename: str
    path: Path
    size: int = 0
    sha256: str = ""


@dataclass
class ReceivedForm:
    fields: dict[str, list[str]] = field(default_factory=dict)
    files: list[ReceivedFile] = field(default_factory=list)

    def value(self, name: str, default: str | None = None) -> str | None:
        return (self.fields.get(name) or [default])[0]

    def discard(self) -> None:
        """Remove every received file still in the temporary folder."""
        for f in self.files:
            f.path.unlink(missing_ok=True)


class _Receiver:
    """Callbacks for python-multipart's streaming parser."""

    def __init__(self, tmp: Path, max_file_bytes: int, max_files: int):
        self.tmp, self.max_file_bytes, self.max_files = tmp, max_file_bytes, max_files
        self.form = ReceivedForm()
        self._headers: dict[bytes, bytes] = {}
        self._hname = self._hvalue = b""
        self._fh = None
        self._hash = None
        self._field: str | None = None
        self._value = bytearray()
        self._file: ReceivedFile | None = None

    def callbacks(self) -> dict:
        return {"on_part_begin": self.part_begin, "on_part_data": self.part_data,
                "on_part_end": self.part_end, "on_header_field": self.header_field,
                "on_header_value": self.header_value, "on_header_end": self.header_end,
                "on_headers_finished": self.headers_finished}

    def part_begin(self) -> None:
        self._headers, self._hname, self._hvalue = {}, b"", b""

    def header_field(self, data: bytes, start: int, end: int) -> None:
        self._hname += data[start:end]

    def header_value(self, data: bytes, start: int, end: int) -> None:
        self._hvalue += data[start:end]

    def header_end(self) -> None:
        self._headers[self._hname.lower()] = self._hvalue
        self._hname, self._hvalue = b"", b""

    def headers_finished(self) -> None:
        from python_multipart.multipart import parse_options_header

        _, opts = parse_options_header(self._headers.get(b"content-disposition", b""))
        try:
            name = opts.get(b"name", b"").decode("utf-8")
            raw = opts.get(b"filename")
            filename = raw.decode("utf-8") if raw is not None else None
        except UnicodeDecodeError:
            raise ServeError(400, "a field or file name is not valid UTF-8; rename the file") from None
        self._field, self._value = name, bytearray()
        if filename is None:
            return
        if len(self.form.files) >= self.max_files:
            raise ServeError(413, f"too many files in one request (at most {self.max_files}); send them in batches")
        path = self.tmp / f"up-{secrets.token_hex(8)}.part"
        self._file = ReceivedFile(name, filename, path)
        self.form.files.append(self._file)
        self._fh = open(path, "wb")  # noqa: SIM115 - closed in part_end or on error
        self._hash = hashlib.sha256()

    def part_data(self, data: bytes, start: int, end: int) -> None:
        chunk = data[start:end]
        if self._file is None:
            self._value += chunk
            if len(self._value) > _FIELD_LIMIT:
                raise ServeError(413, f"form field '{self._field}' is longer than {_FIELD_LIMIT} bytes")
            return
        self._file.size += len(chunk)
        if self._file.size > self.max_file_bytes:
            raise ServeError(413, f"'{self._file.filename}' is larger than the upload cap of "
                                  f"{self.max_file_bytes / 1048576:g} MB; split or compress it")
        self._hash.update(chunk)
        self._fh.write(chunk)

    def part_end(self) -> None:
        if self._file is not None:
            self._fh.close()
            self._file.sha256 = self._hash.hexdigest()
            self._fh = self._file = None
        else:
            try:
                text = self._value.decode("utf-8")
            except UnicodeDecodeError:
                raise ServeError(400, f"form field '{self._field}' is not valid UTF-8") from None
            self.form.fields.setdefault(self._field or "", []).append(text)

    def close(self) -> None:
        if self._fh is not None:
            self._fh.close()


async def receive_form(request, tmp: Path, max_file_bytes: int, max_files: int) -> ReceivedForm:
    """Parse a ``multipart/form-data`` request body, streaming file parts to ``tmp``."""
    from python_multipart.multipart import MultipartParser, parse_options_header

    ctype, opts = parse_options_header(request.headers.get("content-type", ""))
    if ctype != b"multipart/form-data" or b"boundary" not in opts:
        raise ServeError(415, "send the files as multipart/form-data (a form with one or more 'files' parts)")
    length = request.headers.get("content-length")
    if length and length.isdigit() and int(length) > max_file_bytes * max_files + 1048576:
        raise ServeError(413, "the request is larger than the upload cap allows")
    tmp.mkdir(parents=True, exist_ok=True)
    rec = _Receiver(tmp, max_file_bytes, max_files)
    parser = MultipartParser(opts[b"boundary"], rec.callbacks())
    try:
        async for chunk in request.stream():
            parser.write(chunk)
        parser.finalize()
    except BaseException as exc:
        rec.close()
        rec.form.discard()
        if isinstance(exc, ServeError):
            raise
        if isinstance(exc, Exception) and type(exc).__module__.startswith("python_multipart"):
            raise ServeError(400, f"the multipart body is malformed ({exc})") from None
        raise
    return rec.form


def remove_quietly(path: Path) -> None:
    try:
        os.unlink(path)
    except OSError:
        pass
