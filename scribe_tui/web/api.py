"""The JSON API under ``/api``: status, jobs, a job with its chunks, the event stream (read:
viewer), and retry, cancel, priority, pause, resume and workers (control: operator). Commands
go through the engine's SupervisorAPI, on a store thread; errors are ``{"error": "..."}``."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any, TypeVar

from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, Field

from scribe_tui.languages import LANGUAGES, normalise
from scribe_tui.web import reads
from scribe_tui.web.access import Operator, Viewer
from scribe_tui.web.reads import JOB_STATUSES, MAX_PAGE, SORTS, JobQuery

T = TypeVar("T")

router = APIRouter(prefix="/api")

MAX_PRIORITY_STEP = 1000
MAX_WORKERS = 256


class PriorityChange(BaseModel):
    delta: int = Field(..., ge=-MAX_PRIORITY_STEP, le=MAX_PRIORITY_STEP, description="added to the job's priority")


class WorkerTarget(BaseModel):
    target: int = Field(..., ge=1, le=MAX_WORKERS, description="worker processes wanted")


def _web(request: Request):  # type: ignore[no-untyped-def]
    return request.app.state.web


async def _on_store(request: Request, fn: Callable[..., T], *args: Any) -> T:
    web = _web(request)
    return await web.threads.call(fn, web.engine, *args)


def job_query(status: str | None, language: str | None, q: str | None, sort: str, limit: int,
              offset: int) -> JobQuery:
    """Check ``GET /api/jobs``'s parameters; HTTP 400 names the one that is wrong."""
    if status and status not in JOB_STATUSES:
        raise HTTPException(400, f"unknown status {status!r} (one of {', '.join(JOB_STATUSES)})")
    code = normalise(language) if language else None
    if code and code not in LANGUAGES:
        raise HTTPException(400, f"unknown language {language!r}")
    if sort not in SORTS:
        raise HTTPException(400, f"unknown sort {sort!r} (one of {', '.join(SORTS)})")
    return JobQuery(status=status or None, language=code or None, text=(q or "").strip() or None, sort=sort,
                    limit=limit, offset=offset)


@router.get("/session", summary="who you are signed in as, and the CSRF token a browser page sends back")
async def session(caller: Viewer, request: Request) -> dict[str, Any]:
    tokens = _web(request).tokens
    return {"role": caller.role, "auth": caller.via, "can_control": caller.role.can_control,
            "csrf_token": tokens.csrf_for(caller.role) if caller.via == "cookie" else None}


@router.get("/status", summary="the engine's state: counts, throughput, ETA, spend, failures, workers, providers")
async def status(caller: Viewer, request: Request) -> dict[str, Any]:
    return await _web(request).live.current()


@router.get("/jobs", summary="jobs, filtered, sorted and paged")
async def jobs(caller: Viewer, request: Request,
               status: Annotated[str | None, Query(description="one of " + ", ".join(JOB_STATUSES))] = None,
               language: Annotated[str | None, Query(description="target language code, e.g. he")] = None,
               q: Annotated[str | None, Query(description="text the document's path contains")] = None,
               sort: Annotated[str, Query(description="one of " + ", ".join(SORTS))] = "id",
               limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 100,
               offset: Annotated[int, Query(ge=0)] = 0) -> dict[str, Any]:
    query = job_query(status, language, q, sort, limit, offset)
    return await _on_store(request, reads.read_jobs, query)


@router.get("/jobs/{job_id}", summary="a job with its chunks: source and translation side by side")
async def job(caller: Viewer, request: Request, job_id: int) -> dict[str, Any]:
    detail = await _on_store(request, reads.read_job, job_id)
    if detail is None:
        raise HTTPException(404, f"no job {job_id}")
    return detail


@router.get("/events", summary="server-sent events: a 'status' event (as GET /api/status) about once a second",
            response_class=StreamingResponse)
async def events(caller: Viewer, request: Request) -> StreamingResponse:
    return StreamingResponse(_web(request).live.stream(), media_type="text/event-stream",
                             headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"})


# ---- control: operator only --------------------------------------------------------------------


async def _job_command(request: Request, job_id: int, command: Callable[..., Any], *args: Any) -> dict[str, Any]:
    """Run ``command`` on an existing job (404 otherwise) and answer with the job afterwards."""
    web = _web(request)

    def run(engine: Any) -> tuple[Any, dict[str, Any] | None]:
        if engine.store.job(job_id) is None:
            return None, None
        result = command(engine, *args)
        return result, reads.read_job_row(engine, job_id)

    result, row = await web.threads.call(run, web.engine)
    if row is None:
        raise HTTPException(404, f"no job {job_id}")
    web.live.poke()
    return {"changed": bool(result), "job": row}


@router.post("/jobs/{job_id}/retry", summary="requeue a failed, dead-lettered or cancelled job")
async def retry(caller: Operator, request: Request, job_id: int) -> dict[str, Any]:
    return await _job_command(request, job_id, lambda engine: engine.retry([job_id]))


@router.post("/jobs/{job_id}/cancel", summary="cancel a job that has not completed")
async def cancel(caller: Operator, request: Request, job_id: int) -> dict[str, Any]:
    def cancel_one(engine: Any) -> bool:
        before = engine.store.job(job_id)
        engine.cancel([job_id])
        return before is not None and before.status not in ("completed", "cancelled")

    return await _job_command(request, job_id, cancel_one)


@router.post("/jobs/{job_id}/priority", summary="add delta to a job's priority (higher runs first)")
async def priority(caller: Operator, request: Request, job_id: int, change: PriorityChange) -> dict[str, Any]:
    def change_priority(engine: Any) -> bool:
        engine.change_priority(job_id, change.delta)
        return change.delta != 0

    return await _job_command(request, job_id, change_priority)


@router.post("/pause", summary="stop dispatching new chunks (in-flight ones finish)")
async def pause(caller: Operator, request: Request) -> dict[str, Any]:
    await _on_store(request, lambda engine: engine.pause())
    _web(request).live.poke()
    return {"paused": True}


@router.post("/resume", summary="dispatch again")
async def resume(caller: Operator, request: Request) -> dict[str, Any]:
    await _on_store(request, lambda engine: engine.resume())
    _web(request).live.poke()
    return {"paused": False}


@router.post("/workers", summary="set the number of worker processes")
async def workers(caller: Operator, request: Request, body: WorkerTarget) -> dict[str, Any]:
    target = await _on_store(request, lambda engine: engine.scale_to(body.target))
    _web(request).live.poke()
    return {"target": target}


@router.get("/openapi.json", include_in_schema=False)
async def openapi(caller: Viewer, request: Request) -> dict[str, Any]:
    return request.app.openapi()

