"""Reports from the web UI: a form (language, format, domains, date range), a background
job that builds the briefing with the same code as `veeduria report`, a page that follows
the job, and the download. Jobs and their files live in memory and a temp folder, like
upload jobs (veeduria/present/web/jobs.py); the last 50 are kept."""

from __future__ import annotations

import datetime as dt
import shutil
import tempfile
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse

from veeduria.present.web.app import WebError, check_csrf, render, state_of

FORMATS = {"html": ("text/html; charset=utf-8", "html"), "pdf": ("application/pdf", "pdf"),
           "md": ("text/markdown; charset=utf-8", "md")}
KEEP = 50

router = APIRouter()


@dataclass
class ReportJob:
    id: str
    options: dict[str, Any]
    state: str = "queued"  # queued | running | done | failed
    progress: float = 0.0
    message: str = ""
    path: Path | None = None
    filename: str = ""
    media_type: str = ""
    pages: int | None = None
    claims: int | None = None
    created: float = field(default_factory=time.time)

    def to_dict(self) -> dict[str, Any]:
        done = self.state == "done"
        return {"id": self.id, "state": self.state, "progress": self.progress, "message": self.message,
                "options": self.options, "filename": self.filename if done else None,
                "claims": self.claims, "download": f"/api/reports/{self.id}/file" if done else None}


# Stages build_report announces, with how far along each puts the job (for the bar).
STAGES = {"reading claims": 0.1, "writing the key findings": 0.2, "following ownership chains": 0.3,
          "drawing charts": 0.45, "screening": 0.55, "laying out the PDF": 0.7, "writing HTML": 0.8,
          "writing Markdown": 0.8}


class ReportRunner:
    def __init__(self, store: Any) -> None:
        self.store = store
        self._tmp = tempfile.TemporaryDirectory(prefix="veeduria-reports-")
        self.folder = Path(self._tmp.name)
        self.jobs: dict[str, ReportJob] = {}
        self._lock = threading.Lock()
        # One worker: a PDF uses a core fully; two at once would only slow both.
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="veeduria-report")

    def submit(self, options: dict[str, Any]) -> ReportJob:
        job = ReportJob(uuid.uuid4().hex, options)
        with self._lock:
            self.jobs[job.id] = job
            for old in sorted(self.jobs.values(), key=lambda j: j.created)[:-KEEP]:
                self.jobs.pop(old.id, None)
                if old.path is not None:
                    shutil.rmtree(old.path.parent, ignore_errors=True)
        self._pool.submit(self._run, job)
        return job

    def get(self, job_id: str) -> ReportJob | None:
        return self.jobs.get(job_id)

    def _run(self, job: ReportJob) -> None:
        from veeduria.present.report.commands import produce

        def step(message: str) -> None:
            job.message = message
            job.progress = max(job.progress, STAGES.get(message, job.progress))

        job.state, job.progress = "running", 0.05
        opts = job.options
        try:
            fmt = opts["format"]
            rep, data = produce(self.store, fmt=fmt, lang=opts["lang"], progress=step,
                                domains=tuple(opts["domains"]) or None, date_from=opts.get("from"),
                                date_to=opts.get("to"), full=bool(opts.get("full")))
            folder = self.folder / job.id
            folder.mkdir(parents=True, exist_ok=True)
            job.filename = f"veeduria-report-{opts['lang']}-{dt.date.today().isoformat()}.{FORMATS[fmt][1]}"
            job.path = folder / job.filename
            job.path.write_bytes(data)
            job.media_type = FORMATS[fmt][0]
            job.claims = rep.counts["claims"]
            job.state, job.progress, job.message = "done", 1.0, ""
        except Exception as exc:  # noqa: BLE001 - any failure is shown on the job page
            job.state, job.progress = "failed", 1.0
            job.message = f"{exc.__class__.__name__}: {exc}"[:500]

    def shutdown(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)
        self._tmp.cleanup()


def runner(request: Request) -> ReportRunner:
    st = state_of(request)
    if getattr(st, "reports", None) is None:
        st.reports = ReportRunner(st.store)
    return st.reports


def _options(form: Any, page_lang: str) -> dict[str, Any]:
    """Checked report options from a submitted form; WebError(422) with the reason."""
    from veeduria.vocab import domains as domain_vocab

    lang = str(form.get("lang") or page_lang)
    fmt = str(form.get("format") or "pdf")
    if lang not in ("en", "es"):
        raise WebError(422, f"unknown language {lang!r}")
    if fmt not in FORMATS:
        raise WebError(422, f"unknown format {fmt!r} (html, pdf or md)")
    chosen = [str(d) for d in form.getlist("domain")] if hasattr(form, "getlist") else list(form.get("domain") or [])
    unknown = [d for d in chosen if d not in domain_vocab()]
    if unknown:
        raise WebError(422, f"unknown domain {', '.join(unknown)}")
    out: dict[str, Any] = {"lang": lang, "format": fmt, "domains": chosen, "full": bool(form.get("full"))}
    for key in ("from", "to"):
        value = str(form.get(key) or "").strip()
        if value:
            try:
                dt.date.fromisoformat(value)
            except ValueError:
                raise WebError(422, f"bad {key} date {value!r}: expected YYYY-MM-DD") from None
            out[key] = value
    if out.get("from") and out.get("to") and out["from"] > out["to"]:
        raise WebError(422, "the start date is after the end date")
    return out


# --- pages ----------------------------------------------------------------------------------

@router.get("/report", response_class=HTMLResponse)
def report_form(request: Request) -> HTMLResponse:
    from veeduria.vocab import domains as domain_vocab

    return render(request, "reports.html", {"domains": list(domain_vocab()), "job": None})


@router.post("/report", dependencies=[Depends(check_csrf)])
async def report_submit(request: Request) -> RedirectResponse:
    job = runner(request).submit(_options(await request.form(), request.state.lang))
    return RedirectResponse(f"/report/jobs/{job.id}", status_code=303)


@router.get("/report/jobs/{job_id}", response_class=HTMLResponse)
def report_job_page(request: Request, job_id: str) -> HTMLResponse:
    from veeduria.vocab import domains as domain_vocab

    job = runner(request).get(job_id)
    if job is None:
        raise WebError(404, f"no report job {job_id!r}")
    return render(request, "reports.html", {"domains": list(domain_vocab()), "job": job})


# --- API ------------------------------------------------------------------------------------

@router.post("/api/reports", summary="Build a report in the background", status_code=202,
             dependencies=[Depends(check_csrf)])
async def api_report_submit(request: Request) -> dict[str, Any]:
    ctype = request.headers.get("content-type", "")
    form = await request.json() if ctype.startswith("application/json") else await request.form()
    return runner(request).submit(_options(form, request.state.lang)).to_dict()


@router.get("/api/reports/{job_id}", summary="State of a report job")
def api_report_job(request: Request, job_id: str) -> dict[str, Any]:
    job = runner(request).get(job_id)
    if job is None:
        raise WebError(404, f"no report job {job_id!r}")
    return job.to_dict()


@router.get("/api/reports/{job_id}/file", summary="Download a finished report")
def api_report_file(request: Request, job_id: str) -> FileResponse:
    job = runner(request).get(job_id)
    if job is None:
        raise WebError(404, f"no report job {job_id!r}")
    if job.state != "done" or job.path is None or not job.path.is_file():
        raise WebError(409, f"report job {job_id} is {job.state}, not ready")
    return FileResponse(job.path, media_type=job.media_type, filename=job.filename)
