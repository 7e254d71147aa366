"""Background ingest jobs: an upload is saved to a temp file and read by one worker thread;
the page polls the job for its state."""

from __future__ import annotations

import shutil
import tempfile
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from veeduria.present.web import integrations


@dataclass
class Job:
    id: str
    filename: str
    actor: str
    state: str = "queued"  # queued | running | done | failed
    progress: float = 0.0
    message: str = ""
    result: dict[str, Any] = field(default_factory=dict)
    created: float = field(default_factory=time.time)

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "filename": self.filename, "state": self.state,
                "progress": self.progress, "message": self.message, "result": self.result}


class JobRunner:
    def __init__(self, store: Any, upload_dir: Path | None, max_bytes: int) -> None:
        self.store = store
        self.max_bytes = max_bytes
        self._tmp = None
        if upload_dir is None:
            self._tmp = tempfile.TemporaryDirectory(prefix="veeduria-uploads-")
            upload_dir = Path(self._tmp.name)
        self.upload_dir = upload_dir
        self.upload_dir.mkdir(parents=True, exist_ok=True)
        self.jobs: dict[str, Job] = {}
        self._lock = threading.Lock()
        # One worker: ingest writes to the store, and SQLite has one writer at a time.
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="veeduria-ingest")
        self.on_change: list[Any] = []

    def path_for(self, job_id: str, suffix: str) -> Path:
        folder = self.upload_dir / job_id
        folder.mkdir(parents=True, exist_ok=True)
        return folder / f"upload{suffix}"

    def submit(self, job_id: str, path: Path, filename: str, meta: dict[str, Any], actor: str) -> Job:
        job = Job(job_id, filename, actor)
        with self._lock:
            self.jobs[job_id] = job
            # Keep the last 200 jobs only.
            for old in sorted(self.jobs.values(), key=lambda j: j.created)[:-200]:
                self.jobs.pop(old.id, None)
        self._pool.submit(self._run, job, path, meta)
        return job

    @staticmethod
    def new_id() -> str:
        return uuid.uuid4().hex

    def get(self, job_id: str) -> Job | None:
        return self.jobs.get(job_id)

    def _run(self, job: Job, path: Path, meta: dict[str, Any]) -> None:
        job.state, job.progress, job.message = "running", 0.2, "reading"
        folder = path.parent
        try:
            # Keep the original name visible to the pipeline (its type sniffing, the title).
            named = path.with_name(Path(job.filename).name or path.name)
            if named != path:
                path.rename(named)
                path = named
            result = integrations.ingest(self.store, path, meta, job.actor, self.max_bytes)
            result = result if isinstance(result, dict) else {"result": result}
            job.result = self._scrub(result, folder, job.filename)
            errors = job.result.get("errors") or []
            notes = errors + [w for w in job.result.get("warnings") or [] if "UTF-8" in str(w)]
            message = "; ".join(map(str, notes))[:500]
            if errors and not job.result.get("source_id"):
                job.state, job.progress, job.message = "failed", 1.0, message
            else:
                job.state, job.progress, job.message = "done", 1.0, message
        except Exception as exc:  # noqa: BLE001 - any failure is reported on the job page
            job.state, job.progress = "failed", 1.0
            job.message = self._scrub(f"{exc.__class__.__name__}: {exc}", folder, job.filename)[:500]
        finally:
            shutil.rmtree(folder, ignore_errors=True)
            for callback in self.on_change:
                callback()

    def _scrub(self, value: Any, folder: Path, filename: str) -> Any:
        """The result with the server's paths replaced by the uploaded file's name: where
        uploads are kept on the server is nobody's business."""
        if isinstance(value, str):
            for prefix in (str(folder / filename), str(folder), str(self.upload_dir)):
                value = value.replace(prefix + "/", "").replace(prefix, filename)
            return value
        if isinstance(value, dict):
            return {k: self._scrub(v, folder, filename) for k, v in value.items()}
        if isinstance(value, list):
            return [self._scrub(v, folder, filename) for v in value]
        return value

    def shutdown(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)
        if self._tmp is not None:
            self._tmp.cleanup()
