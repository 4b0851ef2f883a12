"""HTTP routes for projects, samples and readiness (under ``/api``)."""

from __future__ import annotations

import mimetypes
from typing import Any

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import FileResponse, JSONResponse
from pydantic import BaseModel, Field

from soundry import api
from soundry.config import preset_names
from soundry.serve.settings import ServeError, check_id
from soundry.serve.uploads import receive_form, safe_label

router = APIRouter()


class ProjectIn(BaseModel):
    name: str = Field(min_length=1, max_length=100, description="a voice or a dataset name")
    recipe: str = Field(description="the recipe it trains, e.g. classify")
    description: str = Field("", max_length=2000)


class LabelIn(BaseModel):
    label: str = Field(min_length=1, max_length=64, description="speaker or class")


class ImportIn(BaseModel):
    folder: str = Field(min_length=1, max_length=4096, description="a folder under an allowed import root")
    label: str | None = Field(None, max_length=64, description="one label for every file (else sub-folders)")


def services(request: Request):
    return request.app.state.services


def get_project(request: Request, project_id: str) -> dict[str, Any]:
    project = services(request).store.project(check_id(project_id))
    if project is None:
        raise ServeError(404, f"unknown project {project_id}; GET /api/projects lists them")
    return project


def get_sample(request: Request, sample_id: str) -> dict[str, Any]:
    sample = services(request).store.sample(check_id(sample_id))
    if sample is None:
        raise ServeError(404, f"unknown sample {sample_id}; GET /api/projects/ID/samples lists them")
    return sample


@router.get("/recipes", summary="Recipes and their presets")
def list_recipes() -> list[dict[str, Any]]:
    return [{"name": r, "presets": preset_names(r)} for r in api.recipe_names()]


@router.get("/projects", summary="List projects")
def list_projects(request: Request) -> list[dict[str, Any]]:
    return services(request).store.projects()


@router.post("/projects", status_code=201, summary="Create a project (a voice or a dataset, tied to a recipe)")
def create_project(request: Request, body: ProjectIn) -> dict[str, Any]:
    if body.recipe not in api.recipe_names():
        raise ServeError(422, f"unknown recipe {body.recipe!r}; choose one of {', '.join(api.recipe_names())}")
    if any(ord(c) < 32 for c in body.name):
        raise ServeError(422, "the project name holds control characters")
    svc = services(request)
    project = svc.store.add_project(body.name.strip(), body.recipe, body.description)
    svc.home.samples(project["id"]).mkdir(parents=True, exist_ok=True)
    svc.store.audit("project.create", project["id"], name=project["name"], recipe=body.recipe)
    return project


@router.get("/projects/{project_id}", summary="One project")
def read_project(request: Request, project_id: str) -> dict[str, Any]:
    return get_project(request, project_id)


@router.delete("/projects/{project_id}", summary="Delete a project, its samples and its jobs' files")
def delete_project(request: Request, project_id: str) -> dict[str, Any]:
    from soundry.serve.samples import remove_tree
    from soundry.serve.store import ACTIVE

    project = get_project(request, project_id)
    svc = services(request)
    if svc.store.jobs(project_id, states=(*ACTIVE, "queued")):
        raise ServeError(409, "a job of this project is queued or running; cancel it first")
    jobs = svc.store.jobs(project_id)
    svc.store.delete_project(project_id)
    for job in jobs:
        remove_tree(svc.home.job(job["id"]))
    remove_tree(svc.home.project(project_id))
    svc.store.audit("project.delete", project_id, name=project["name"])
    return {"deleted": project_id}


@router.get("/projects/{project_id}/samples", summary="List samples with duration and quality")
def list_samples(request: Request, project_id: str) -> list[dict[str, Any]]:
    get_project(request, project_id)
    return services(request).store.samples(project_id)


@router.post("/projects/{project_id}/samples", summary="Upload samples (multipart: 'files' parts and a 'label')",
             openapi_extra={"requestBody": {"content": {"multipart/form-data": {"schema": {
                 "type": "object", "required": ["label", "files"],
                 "properties": {"label": {"type": "string"},
                                "files": {"type": "array", "items": {"type": "string", "format": "binary"}}}}}}}})
async def upload_samples(request: Request, project_id: str) -> JSONResponse:
    project = await run_in_threadpool(get_project, request, project_id)
    svc = services(request)
    form = await receive_form(request, svc.home.tmp, svc.settings.max_upload_bytes,
                              svc.settings.max_files_per_request)
    try:
        if not form.files:
            raise ServeError(400, "no files in the upload; send one or more 'files' parts")
        label = safe_label(form.value("label") or "")
        results = []
        for received in form.files:
            results.append(await run_in_threadpool(svc.samples.add, project["id"], label, received))
    finally:
        form.discard()
    counts = {k: sum(r["status"] == k for r in results) for k in ("added", "duplicate", "rejected")}
    svc.store.audit("samples.upload", project["id"], label=label, **counts)
    body = {"results": results, **counts}
    if counts["rejected"] == len(results):
        first = results[0]
        body["error"] = {"status": first["code"], "message": f"{first['file']}: {first['error']}"}
        return JSONResponse(body, status_code=first["code"])
    return JSONResponse(body, status_code=201 if counts["added"] else 200)


@router.post("/projects/{project_id}/import", summary="Import a server-side folder (allowed roots only)")
def import_folder(request: Request, project_id: str, body: ImportIn) -> dict[str, Any]:
    project = get_project(request, project_id)
    svc = services(request)
    results = svc.samples.import_folder(project["id"], body.folder, body.label)
    counts = {k: sum(r["status"] == k for r in results) for k in ("added", "duplicate", "rejected")}
    svc.store.audit("samples.import", project["id"], folder=body.folder, **counts)
    return {"results": results, **counts}


@router.get("/samples/{sample_id}/audio", summary="The sample's audio file (to play it)")
def sample_audio(request: Request, sample_id: str) -> FileResponse:
    sample = get_sample(request, sample_id)
    path = services(request).samples.path_of(sample)
    if not path.is_file():
        raise ServeError(404, "the sample's file is missing on the server")
    media = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    return FileResponse(path, media_type=media, filename=sample["filename"])


@router.patch("/samples/{sample_id}", summary="Change a sample's label (speaker or class)")
def relabel_sample(request: Request, sample_id: str, body: LabelIn) -> dict[str, Any]:
    sample = get_sample(request, sample_id)
    svc = services(request)
    updated = svc.samples.relabel(sample, body.label)
    svc.store.audit("sample.relabel", sample_id, label=updated["label"])
    return updated


@router.delete("/samples/{sample_id}", summary="Delete a sample")
def delete_sample(request: Request, sample_id: str) -> dict[str, Any]:
    sample = get_sample(request, sample_id)
    svc = services(request)
    svc.samples.delete(sample)
    svc.store.audit("sample.delete", sample_id, file=f"{sample['label']}/{sample['filename']}")
    return {"deleted": sample_id}


@router.get("/projects/{project_id}/readiness", summary="Readiness report and verdict against the recipe")
def readiness(request: Request, project_id: str, preset: str | None = None) -> dict[str, Any]:
    project = get_project(request, project_id)
    if preset is not None and preset not in preset_names(project["recipe"]):
        raise ServeError(422, f"unknown preset {preset!r}; choose one of {', '.join(preset_names(project['recipe']))}")
    return services(request).readiness.report(project, preset)
