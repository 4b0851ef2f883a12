"""Results of a finished job: the bundle as a zip, and "try it" on an uploaded clip.

Try-it dispatches on the bundle's ``meta.json`` ``recipe``: one function per recipe in
:data:`TRY`, so a new recipe (``vc`` converts the clip into each voice) is one entry.
"""

from __future__ import annotations

import json
import os
import secrets
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from soundry import api
from soundry.errors import SoundryError
from soundry.serve.probe import probe_audio
from soundry.serve.settings import Home, ServeError, inside
from soundry.serve.uploads import ReceivedFile, remove_quietly, safe_filename


def bundle_of(home: Home, job: dict[str, Any]) -> Path:
    """The job's exported bundle folder; a 409 until the job has succeeded."""
    path = home.bundle_dir(job["id"])
    if job["state"] != "succeeded" or not (path / "meta.json").is_file():
        raise ServeError(409, f"job {job['id']} is {job['state']}; results exist once it has succeeded")
    return path


def read_bundle_meta(bundle: Path) -> dict[str, Any]:
    try:
        return json.loads((bundle / "meta.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        raise ServeError(500, "the bundle's meta.json is unreadable; export the run again") from None


def bundle_zip(home: Home, job: dict[str, Any]) -> Path:
    """``home/jobs/<job>/bundle.zip`` holding the bundle folder (made once, atomically)."""
    bundle = bundle_of(home, job)
    out = home.job(job["id"]) / "bundle.zip"
    if out.is_file() and out.stat().st_mtime >= max(p.stat().st_mtime for p in bundle.rglob("*")):
        return out
    tmp = out.with_name(f"bundle-{secrets.token_hex(4)}.zip.tmp")
    with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for path in sorted(bundle.rglob("*")):
            if path.is_file():
                zf.write(path, f"{job['id']}/{path.relative_to(bundle).as_posix()}")
    os.replace(tmp, out)
    return out


def _try_classify(bundle: Path, meta: dict[str, Any], clip: Path, out: Path) -> dict[str, Any]:
    pred = api.predict(bundle, [clip])[0]
    top = pred.top(10)
    return {"recipe": "classify", "label": pred.label,
            "labels": [{"label": str(k), "prob": float(v)} for k, v in top]}


def _try_vc(bundle: Path, meta: dict[str, Any], clip: Path, out: Path) -> dict[str, Any]:
    convert = getattr(api, "convert", None)
    if convert is None:
        raise ServeError(501, "this soundry has no voice conversion runtime yet (api.convert)")
    voices = [v if isinstance(v, str) else v.get("name") for v in meta.get("voices", [])]
    outputs = []
    for voice in voices:
        name = f"{safe_filename(str(voice))}.wav"
        convert(bundle, clip, out / name, voice=voice)
        outputs.append({"voice": voice, "file": name})
    return {"recipe": "vc", "outputs": outputs}


#: recipe name -> function(bundle, meta, clip, out_dir) -> JSON-ready result
TRY: dict[str, Callable[[Path, dict[str, Any], Path, Path], dict[str, Any]]] = {
    "classify": _try_classify,
    "vc": _try_vc,
}


def try_clip(home: Home, job: dict[str, Any], received: ReceivedFile) -> dict[str, Any]:
    """Run the job's bundle on one uploaded clip; outputs go to ``jobs/<job>/try/<id>/``."""
    bundle = bundle_of(home, job)
    meta = read_bundle_meta(bundle)
    handler = TRY.get(meta.get("recipe"))
    if handler is None:
        raise ServeError(501, f"no try-it for recipe '{meta.get('recipe')}' yet")
    try_id = secrets.token_hex(6)
    out = inside(home.job(job["id"]), "try", try_id)
    out.mkdir(parents=True, exist_ok=True)
    suffix = Path(safe_filename(received.filename)).suffix.lower()[:8] or ".audio"
    clip = out / f"input{suffix}"
    try:
        os.replace(received.path, clip)
        probe_audio(clip)
        result = handler(bundle, meta, clip, out)
    except SoundryError as exc:
        if isinstance(exc, ServeError):
            raise
        raise ServeError(422, str(exc).replace(str(clip), received.filename)) from None
    finally:
        remove_quietly(received.path)
    result["try_id"] = try_id
    for o in result.get("outputs", []):
        o["url"] = f"/api/jobs/{job['id']}/try/{try_id}/{o['file']}"
    return result


def try_output(home: Home, job: dict[str, Any], try_id: str, name: str) -> Path:
    """A file written by an earlier try-it; 404 for anything else."""
    if not try_id.isalnum() or len(try_id) > 32:
        raise ServeError(404, "unknown try-it result")
    path = inside(home.job(job["id"]), "try", try_id, safe_filename(name))
    if not path.is_file():
        raise ServeError(404, "unknown try-it result")
    return path
