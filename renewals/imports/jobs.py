"""Import jobs of the upload page: a job is a folder ``MEDIA_ROOT/imports/<job id>/`` holding the
uploaded file, ``status.json`` (read by the page's htmx poll) and ``errors.csv``. Files, not the
cache: the demo runs without Redis, and the web process must read what the worker wrote.
"""

import json
import logging
import os
import re
import uuid
from pathlib import Path

from django.conf import settings
from django.utils import timezone

from core.errors import ApplicationError
from renewals.imports.results import errors_csv
from renewals.imports.services import policies_import

logger = logging.getLogger(__name__)
JOB_ID = re.compile(r"^[0-9a-f]{32}$")
SHOWN_ERRORS = 500  # rows of errors kept in status.json for the page; the CSV has them all


def safe_filename(name: str) -> str:
    """An uploaded file's name reduced to safe characters (the extension decides the reader)."""
    stem = re.sub(r"[^A-Za-z0-9._-]+", "_", Path(name).name)[:80]
    return stem or "upload.csv"


def jobs_root() -> Path:
    return Path(settings.MEDIA_ROOT) / "imports"


def job_dir(job_id: str) -> Path:
    if not JOB_ID.match(job_id):
        raise ValueError("bad job id")
    return jobs_root() / job_id


def read_status(job_id: str) -> dict | None:
    try:
        return json.loads((job_dir(job_id) / "status.json").read_text(encoding="utf-8"))
    except (FileNotFoundError, ValueError):
        return None


def write_status(job_id: str, **changes) -> dict:
    status = read_status(job_id) or {}
    status.update(changes)
    path = job_dir(job_id) / "status.json"
    temporary = path.with_suffix(".tmp")
    temporary.write_text(json.dumps(status, default=str), encoding="utf-8")
    os.replace(temporary, path)  # readers never see half a file
    return status


def job_create(*, upload, user, dry_run: bool) -> str:
    """Save an uploaded file as a new job (status "queued") and answer its id."""
    job_id = uuid.uuid4().hex
    folder = job_dir(job_id)
    folder.mkdir(parents=True)
    name = safe_filename(upload.name)
    with open(folder / name, "wb") as target:
        for chunk in upload.chunks():
            target.write(chunk)
    write_status(
        job_id,
        id=job_id,
        file=name,
        dry_run=dry_run,
        user=user.get_username(),
        created_at=timezone.now().isoformat(),
        state="queued",
        percent=0,
        label="",
    )
    return job_id


def recent_jobs(limit: int = 10) -> list[dict]:
    root = jobs_root()
    if not root.exists():
        return []
    folders = sorted((p for p in root.iterdir() if JOB_ID.match(p.name)), key=os.path.getmtime, reverse=True)
    return [s for s in (read_status(p.name) for p in folders[:limit]) if s]


def job_run(job_id: str) -> None:
    """Import a queued job's file, writing its progress and then its result to the job's folder.

    A job that is gone or already finished (a redelivered message) is left alone; an unexpected
    error marks the job failed and is raised again for the worker's log.
    """
    status = read_status(job_id)
    if status is None or status.get("state") not in ("queued", "running"):
        return
    source = job_dir(job_id) / status["file"]
    last = {"percent": -1}

    def progress(percent, label):
        if percent != last["percent"]:
            last["percent"] = percent
            write_status(job_id, state="running", percent=percent, label=str(label))

    try:
        with open(source, "rb") as handle:
            result = policies_import(
                source=handle, filename=status["file"], dry_run=status.get("dry_run", False), progress=progress
            )
    except ApplicationError as exc:
        write_status(job_id, state="failed", message=str(exc.message), finished_at=timezone.now().isoformat())
        return
    except Exception:
        logger.exception("import job %s failed", job_id)
        write_status(
            job_id,
            state="failed",
            message="Unexpected error; nothing was saved.",
            finished_at=timezone.now().isoformat(),
        )
        raise
    (job_dir(job_id) / "errors.csv").write_text(errors_csv(result.errors), encoding="utf-8")
    write_status(
        job_id,
        state="done",
        percent=100,
        label="",
        result=result.as_dict(max_errors=SHOWN_ERRORS),
        finished_at=timezone.now().isoformat(),
    )
