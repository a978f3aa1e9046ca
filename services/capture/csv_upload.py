"""Reading and importing a CSV upload without holding up the event loop: the body is read in chunks
under a byte cap, the rows are counted against a row cap before anything is stored, and parsing and
storing go in slices that yield to the loop between them."""

import asyncio
import csv
import hashlib
import io
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from fastapi import Request

from services.capture.config import CaptureSettings
from services.capture.csv_import import Row, read_rows
from services.capture.lead_batch import LeadItem, accept_lead
from shared.db import Database
from shared.http_errors import ApiError

SLICE = 250


@dataclass(frozen=True)
class Upload:
    text: str
    sha256: str


def _too_large(limit: int) -> ApiError:
    return ApiError.field(413, "too_large", "file", f"larger than {limit} bytes")


async def _chunks_of_body(request: Request, limit: int) -> bytes:
    data = bytearray()
    async for chunk in request.stream():
        data += chunk
        if len(data) > limit:
            raise _too_large(limit)
    return bytes(data)


async def _chunks_of_form(request: Request, limit: int) -> bytes:
    async with request.form(max_files=1, max_fields=10) as form:
        upload = form.get("file")
        if upload is None or isinstance(upload, str):
            raise ApiError.field(422, "invalid_request", "file", "upload the CSV as the form field 'file'")
        data = bytearray()
        while chunk := await upload.read(64 * 1024):
            data += chunk
            if len(data) > limit:
                raise _too_large(limit)
        return bytes(data)


async def read_upload(request: Request, limit: int) -> Upload:
    """The CSV from a multipart upload (field `file`) or a text/csv body, at most `limit` bytes."""
    if request.headers.get("content-type", "").startswith("multipart/form-data"):
        raw = await _chunks_of_form(request, limit)
    else:
        raw = await _chunks_of_body(request, limit)
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ApiError.field(422, "invalid_request", "file", "the file is not UTF-8 text") from exc
    if "\x00" in text:
        raise ApiError.field(422, "invalid_request", "file", "the file contains NUL characters")
    return Upload(text, hashlib.sha256(raw).hexdigest())


async def count_rows(text: str, cap: int) -> int:
    """Records below the header, counted in slices; refuses (413) as soon as there are more than `cap`."""
    reader = csv.reader(io.StringIO(text))
    count = -1
    try:
        for count, _ in enumerate(reader):
            if count > cap:
                raise ApiError.field(413, "too_large", "file", f"more than {cap} rows; split the file")
            if count % 2000 == 0:
                await asyncio.sleep(0)
    except csv.Error as exc:
        raise ApiError.field(422, "invalid_request", "file", f"not a CSV file: {exc}") from exc
    return max(count, 0)


@dataclass
class ImportResult:
    file_hash: str
    rows: int = 0
    accepted: int = 0
    duplicates: int = 0
    errors: list[dict[str, Any]] = field(default_factory=list)

    def answer(self) -> dict[str, Any]:
        return {
            "import_id": self.file_hash[:16],
            "rows": self.rows,
            "accepted": self.accepted,
            "duplicates": self.duplicates,
            "rejected": len(self.errors),
            "errors": self.errors[:1000],
        }


async def import_rows(
    db: Database, settings: CaptureSettings, upload: Upload, *, source: str, namespace: str
) -> ImportResult:
    if await count_rows(upload.text, settings.max_import_rows) == 0:
        raise ApiError.field(422, "invalid_request", "file", "no rows below the header")
    result = ImportResult(upload.sha256)
    rows = read_rows(upload.text)
    while True:
        batch: list[Row] = []
        for row in rows:
            batch.append(row)
            if len(batch) == SLICE:
                break
        if not batch:
            break
        for row in batch:
            result.rows += 1
            if row.fields is None:
                result.errors.append({"row": row.number, "fields": row.errors})
                continue
            item = LeadItem(
                source=source,
                namespace=namespace,
                idempotency_key=f"{upload.sha256}:{row.number}",
                body_hash=hashlib.sha256(f"{upload.sha256}:{row.number}".encode()).hexdigest(),
                fields=row.fields,
                window=timedelta(hours=settings.dedupe_window_hours),
            )
            accepted = await accept_lead(db, settings, item)
            result.duplicates += accepted.replayed
            result.accepted += not accepted.replayed
        await asyncio.sleep(0)
    return result
