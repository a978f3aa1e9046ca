"""One JSON shape for every client error: {"error": ..., "fields": [{"field": ..., "message": ...}]}."""

from collections.abc import Iterable, Sequence
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import ValidationError
from sqlalchemy.exc import InterfaceError, OperationalError


def field_errors(errors: Iterable[Any]) -> list[dict[str, str]]:
    out = []
    for err in errors:
        loc = [str(p) for p in err.get("loc", ()) if p not in ("body", "query", "path", "header")]
        out.append({"field": ".".join(loc) or "(body)", "message": str(err.get("msg", "invalid"))})
    return out


def invalid(fields: Sequence[dict[str, str]], error: str = "invalid_request", status: int = 422) -> JSONResponse:
    return JSONResponse({"error": error, "fields": list(fields)}, status_code=status)


def from_validation_error(exc: ValidationError) -> JSONResponse:
    return invalid(field_errors(exc.errors()))


def install_error_handlers(app: FastAPI) -> None:
    async def on_request_validation(_: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, RequestValidationError)
        return invalid(field_errors(exc.errors()))

    async def on_database_down(_: Request, exc: Exception) -> JSONResponse:
        return JSONResponse({"error": "database_unavailable", "fields": []}, status_code=503)

    app.add_exception_handler(RequestValidationError, on_request_validation)
    for exc_type in (OperationalError, InterfaceError, ConnectionError, OSError):
        app.add_exception_handler(exc_type, on_database_down)
