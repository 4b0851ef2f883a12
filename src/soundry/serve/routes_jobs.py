"""HTTP routes for jobs, live progress (Server-Sent Events), logs and results (under ``/api``)."""

from __future__ import annotations

import asyncio
import json
import mimetypes
import time
from typing import Any

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import FileResponse, JSONResponse, PlainTextResponse, StreamingResponse
from pydantic import BaseModel, Field

from soundry.serve.results import bundle_zip, try_clip, try_output
from soundry.serve.routes_projects import get_project, services
from soundry.serve.settings import ServeError, check_id
from soundry.serve.uploads import receive_form

router = APIRouter()
SSE_POLL_S = 0.5
SSE_KEEPALIVE_S = 15.0


class JobIn(BaseModel):
    preset: str | None = Field(None, description="a shipped preset of the recipe, e.g. tiny, demo, small")
    overrides: list[str] = Field(default_factory=list, description="config overrides such as train.steps=200")


def get_job(request: Request, job_id: str) -> dict[str, Any]:
    job = services(request).store.job(check_id(job_id))
    if job is None:
        raise ServeError(404, f"unknown job {job_id}; GET /api/jobs lists them")
    return job


@router.get("/jobs", summary="List jobs (optionally of one project)")
def list_jobs(request: Request, project: str | None = None) -> list[dict[str, Any]]:
    svc = services(request)
    if project is not None:
        get_project(request, project)
    return [svc.jobs.status(j) for j in svc.store.jobs(project)]


@router.post("/projects/{project_id}/jobs", status_code=201, summary="Start training: queued, then "
             "preparing -> training -> exporting -> succeeded")
def start_job(request: Request, project_id: str, body: JobIn) -> dict[str, Any]:
    project = get_project(request, project_id)
    svc = services(request)
    return svc.jobs.status(svc.jobs.start(project, body.preset, body.overrides))


@router.get("/jobs/{job_id}", summary="Job status with progress (stage, step, total, percent, rate, ETA, metrics)",
            response_class=JSONResponse)
def job_status(request: Request, job_id: str) -> JSONResponse:
    # a plain JSONResponse skips response-model validation: this is the endpoint clients poll
    return JSONResponse(services(request).jobs.status(get_job(request, job_id)))


@router.get("/jobs/{job_id}/events", summary="Live job status as Server-Sent Events ('status' events)",
            response_class=StreamingResponse)
async def job_events(request: Request, job_id: str) -> StreamingResponse:
    svc = services(request)
    await run_in_threadpool(get_job, request, job_id)

    async def stream():
        last, sent = None, 0.0
        yield "retry: 2000\n\n"
        while not await request.is_disconnected():
            job = await run_in_threadpool(svc.store.job, job_id)
            if job is None:
                yield "event: end\ndata: {}\n\n"
                return
            status = await run_in_threadpool(svc.jobs.status, job)
            payload = json.dumps(status, default=str)
            now = time.monotonic()
            if payload != last:
                yield f"event: status\ndata: {payload}\n\n"
                last, sent = payload, now
            elif now - sent > SSE_KEEPALIVE_S:
                yield ": keep-alive\n\n"
                sent = now
            if job["state"] not in ("queued", "preparing", "training", "exporting"):
                yield f"event: end\ndata: {json.dumps({'state': job['state']})}\n\n"
                return
            await asyncio.sleep(SSE_POLL_S)

    return StreamingResponse(stream(), media_type="text/event-stream",
                             headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})


@router.get("/jobs/{job_id}/log", response_class=PlainTextResponse, summary="The last lines of the job's log")
def job_log(request: Request, job_id: str, lines: int = 200) -> str:
    if not 1 <= lines <= 5000:
        raise ServeError(422, "lines must be between 1 and 5000")
    return services(request).jobs.log_tail(get_job(request, job_id), lines)


@router.post("/jobs/{job_id}/cancel", summary="Cancel: the worker checkpoints, then stops")
def cancel_job(request: Request, job_id: str) -> dict[str, Any]:
    svc = services(request)
    return svc.jobs.status(svc.jobs.cancel(get_job(request, job_id)))


@router.post("/jobs/{job_id}/resume", summary="Resume an interrupted, cancelled or failed job from its last checkpoint")
def resume_job(request: Request, job_id: str) -> dict[str, Any]:
    svc = services(request)
    return svc.jobs.status(svc.jobs.resume(get_job(request, job_id)))


@router.get("/jobs/{job_id}/bundle.zip", summary="Download the exported bundle as a zip",
            response_class=FileResponse)
def download_bundle(request: Request, job_id: str) -> FileResponse:
    job = get_job(request, job_id)
    svc = services(request)
    path = bundle_zip(svc.home, job)
    svc.store.audit("bundle.download", job_id)
    return FileResponse(path, media_type="application/zip", filename=f"soundry-{job_id}.zip")


@router.post("/jobs/{job_id}/try", summary="Try the result on a clip (multipart 'file'): labels with "
             "probabilities (classify) or the clip converted into each voice (vc)",
             openapi_extra={"requestBody": {"content": {"multipart/form-data": {"schema": {
                 "type": "object", "required": ["file"],
                 "properties": {"file": {"type": "string", "format": "binary"}}}}}}})
async def try_it(request: Request, job_id: str) -> dict[str, Any]:
    svc = services(request)
    job = await run_in_threadpool(get_job, request, job_id)
    form = await receive_form(request, svc.home.tmp, svc.settings.max_upload_bytes, 1)
    try:
        if not form.files:
            raise ServeError(400, "no clip in the request; send one 'file' part")
        return await run_in_threadpool(try_clip, svc.home, job, form.files[0])
    finally:
        form.discard()


@router.get("/jobs/{job_id}/try/{try_id}/{name}", summary="An audio file made by try-it",
            response_class=FileResponse)
def try_file(request: Request, job_id: str, try_id: str, name: str) -> FileResponse:
    path = try_output(services(request).home, get_job(request, job_id), try_id, name)
    return FileResponse(path, media_type=mimetypes.guess_type(path.name)[0] or "audio/wav")


@router.get("/audit", summary="The audit log, newest first")
def audit_log(request: Request, limit: int = 100) -> list[dict[str, Any]]:
    return services(request).store.audit_log(max(1, min(limit, 1000)))
