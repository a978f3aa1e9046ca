"""One JSON shape for every client error: {"error": ..., "fields": [{"field": ..., "message": ...}]}.

Route code raises `ApiError`; the handlers installed here turn it, request validation errors and every
way the database can be unavailable into that shape, so no input ever gets a 5xx with a traceback."""

import logging
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DBAPIError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from starlette.exceptions import HTTPException

from shared.errors import database_unavailable, sqlstate

log = logging.getLogger(__name__)
RETRY_AFTER_SECONDS = 5


class ApiError(Exception):
    def __init__(
        self,
        status: int,
        error: str,
        fields: Sequence[Mapping[str, str]] = (),
        headers: Mapping[str, str] | None = None,
        extra: Mapping[str, Any] | None = None,
    ) -> None:
        super().__init__(error)
        self.status, self.error, self.fields = status, error, [dict(f) for f in fields]
        self.headers = dict(headers or {})
        self.extra = dict(extra or {})

    @classmethod
    def field(cls, status: int, error: str, field: str, message: str, **kw: Any) -> "ApiError":
        return cls(status, error, [{"field": field, "message": message}], **kw)

    def response(self) -> JSONResponse:
        body = {"error": self.error, "fields": self.fields, **self.extra}
        return JSONResponse(body, status_code=self.status, headers=self.headers)


def field_errors(errors: Iterable[Any]) -> list[dict[str, str]]:
    out = []
    for err in errors:
        loc = [str(p) for p in err.get("loc", ()) if p not in ("body", "query", "path", "header")]
        out.append({"field": ".".join(loc) or "(body)", "message": str(err.get("msg", "invalid"))})
    return out


def invalid(fields: Sequence[dict[str, str]], error: str = "invalid_request", status: int = 422) -> JSONResponse:
    return JSONResponse({"error": error, "fields": list(fields)}, status_code=status)


def unavailable_response() -> JSONResponse:
    return JSONResponse(
        {"error": "database_unavailable", "fields": []},
        status_code=503,
        headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
    )


def install_error_handlers(app: FastAPI) -> None:
    async def on_api_error(_: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, ApiError)
        return exc.response()

    async def on_request_validation(_: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, RequestValidationError)
        return invalid(field_errors(exc.errors()))

    async def on_http_exception(_: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, HTTPException)
        error = {404: "not_found", 405: "method_not_allowed"}.get(exc.status_code, "invalid_request")
        body = {"error": error, "fields": [{"field": "(request)", "message": str(exc.detail)}]}
        return JSONResponse(body, status_code=exc.status_code, headers=exc.headers)

    async def on_dbapi_error(_: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, DBAPIError)
        if database_unavailable(exc):
            log.warning("database unavailable: %s", type(exc.orig).__name__)
            return unavailable_response()
        if sqlstate(exc).startswith("22"):
            return invalid([{"field": "(body)", "message": "a value the database cannot store"}])
        raise exc

    async def on_database_down(_: Request, exc: Exception) -> JSONResponse:
        log.warning("database unavailable: %s", type(exc).__name__)
        return unavailable_response()

    async def on_unexpected(_: Request, exc: Exception) -> JSONResponse:
        """A bug, not the caller's fault: logged with its traceback, answered without one."""
        log.error("unexpected error answering a request", exc_info=exc)
        return JSONResponse({"error": "internal_error", "fields": []}, status_code=500)

    app.add_exception_handler(ApiError, on_api_error)
    app.add_exception_handler(Exception, on_unexpected)
    app.add_exception_handler(RequestValidationError, on_request_validation)
    app.add_exception_handler(HTTPException, on_http_exception)
    app.add_exception_handler(DBAPIError, on_dbapi_error)
    for exc_type in (PoolTimeout, ConnectionError, OSError, TimeoutError):
        app.add_exception_handler(exc_type, on_database_down)
