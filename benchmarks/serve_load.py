"""Job server under load: status latency while a job trains and clients upload samples.

    .venv/bin/python benchmarks/serve_load.py [--clients 20] [--seconds 20] [--upload-every 5]

Starts ``soundry serve`` on a temporary home folder, uploads the demo corpus (numpy
synthesiser), starts a ``tiny`` training long enough to outlast the run, then runs ``--clients``
concurrent clients for ``--seconds``: each polls ``GET /api/jobs/ID`` every ``--interval`` seconds
(0: back to back, a stress test whose latency is mostly queueing) and every ``--upload-every``-th
request uploads a fresh 1 s WAV instead. Prints status latency p50/p95/p99 (aim: p95 < 100 ms),
upload latency, request counts and how far the job got meanwhile.
"""

from __future__ import annotations

import argparse
import asyncio
import io
import statistics
import tempfile
import time
from pathlib import Path

import httpx
import numpy as np
import soundfile as sf

from soundry.serve.launch import ServerProcess
from soundry.testing import make_demo_corpus


def _wav(seed: int, seconds: float = 1.0, rate: int = 16000) -> bytes:
    rng = np.random.default_rng(seed)
    t = np.arange(int(seconds * rate)) / rate
    x = 0.3 * np.sin(2 * np.pi * rng.uniform(100, 1000) * t) + 0.02 * rng.standard_normal(t.size)
    buf = io.BytesIO()
    sf.write(buf, x.astype(np.float32), rate, format="WAV", subtype="PCM_16")
    return buf.getvalue()


def _pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    values = sorted(values)
    return values[min(len(values) - 1, int(round(q / 100 * (len(values) - 1))))]


async def _client(i: int, base: str, headers: dict, pid: str, jid: str, until: float, every: int,
                  interval: float, status_ms: list[float], upload_ms: list[float], errors: list[str]) -> None:
    async with httpx.AsyncClient(base_url=base, headers=headers, timeout=30) as c:
        n = 0
        await asyncio.sleep(interval * i / 20)  # spread the clients over one interval
        while time.monotonic() < until:
            n += 1
            t0 = time.perf_counter()
            if every and n % every == 0:
                files = {"files": (f"load-{i}-{n}.wav", _wav(i * 100000 + n), "audio/wav")}
                r = await c.post(f"/api/projects/{pid}/samples", data={"label": f"load{i % 4}"}, files=files)
                (upload_ms if r.status_code in (200, 201) else errors).append(
                    (time.perf_counter() - t0) * 1000 if r.status_code in (200, 201) else f"upload {r.status_code}")
            else:
                r = await c.get(f"/api/jobs/{jid}")
                if r.status_code == 200:
                    status_ms.append((time.perf_counter() - t0) * 1000)
                else:
                    errors.append(f"status {r.status_code}")
            await asyncio.sleep(max(0.0, interval - (time.perf_counter() - t0)))


async def _load(server: ServerProcess, pid: str, jid: str, clients: int, seconds: float, every: int,
                interval: float):
    status_ms: list[float] = []
    upload_ms: list[float] = []
    errors: list[str] = []
    until = time.monotonic() + seconds
    await asyncio.gather(*(_client(i, server.url, server.headers, pid, jid, until, every, interval, status_ms,
                                   upload_ms, errors) for i in range(clients)))
    return status_ms, upload_ms, errors


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--clients", type=int, default=20)
    ap.add_argument("--seconds", type=float, default=20.0)
    ap.add_argument("--interval", type=float, default=0.25, help="seconds between one client's requests")
    ap.add_argument("--upload-every", type=int, default=5, help="every Nth request of a client is an upload (0: none)")
    ap.add_argument("--steps", type=int, default=100000, help="training steps (the job is cancelled at the end)")
    args = ap.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "data"
        make_demo_corpus(data, speakers=2, sentences=6, engine="numpy", progress=False)
        with ServerProcess(Path(tmp) / "home") as server, httpx.Client(base_url=server.url, headers=server.headers,
                                                                      timeout=60) as c:
            pid = c.post("/api/projects", json={"name": "load", "recipe": "classify"}).json()["id"]
            for spk in sorted(p for p in data.iterdir() if p.is_dir()):
                files = [("files", (f.name, f.read_bytes(), "audio/wav")) for f in sorted(spk.glob("*.wav"))]
                c.post(f"/api/projects/{pid}/samples", data={"label": spk.name}, files=files).raise_for_status()
            job = c.post(f"/api/projects/{pid}/jobs", json={
                "preset": "tiny", "overrides": [f"train.steps={args.steps}", "train.eval_every=1000000",
                                                "train.checkpoint_every=200"]}).json()
            jid = job["id"]
            t0 = time.monotonic()
            while c.get(f"/api/jobs/{jid}").json()["progress"]["stage"] != "train":
                if time.monotonic() - t0 > 180:
                    raise SystemExit("the job did not start training within 180 s")
                time.sleep(0.2)
            step0 = c.get(f"/api/jobs/{jid}").json()["progress"]["step"]
            status_ms, upload_ms, errors = asyncio.run(_load(server, pid, jid, args.clients, args.seconds,
                                                             args.upload_every, args.interval))
            final = c.get(f"/api/jobs/{jid}").json()
            c.post(f"/api/jobs/{jid}/cancel")

    print(f"clients {args.clients} every {args.interval:g} s, {args.seconds:g} s, job state {final['state']}, "
          f"steps {step0} -> {final['progress']['step']} during the load")
    print(f"status:  {len(status_ms)} requests ({len(status_ms) / args.seconds:.0f}/s)  "
          f"p50 {_pct(status_ms, 50):.1f} ms  p95 {_pct(status_ms, 95):.1f} ms  p99 {_pct(status_ms, 99):.1f} ms  "
          f"(aim: p95 < 100 ms)")
    if upload_ms:
        print(f"uploads: {len(upload_ms)} requests  p50 {_pct(upload_ms, 50):.1f} ms  p95 {_pct(upload_ms, 95):.1f} ms"
              f"  mean {statistics.fmean(upload_ms):.1f} ms")
    if errors:
        print(f"errors:  {len(errors)} ({', '.join(sorted(set(errors))[:5])})")


if __name__ == "__main__":
    main()
