"""Parsing an untrusted body: JSON objects no deeper than MAX_DEPTH, and no NUL character in any key or
value (PostgreSQL cannot store U+0000 in text). Each refusal is an ApiError naming where it is."""

from collections.abc import Iterable
from typing import Any

import orjson

from shared.http_errors import ApiError

MAX_DEPTH = 32


def _path(parent: str, key: object) -> str:
    return f"{parent}.{key}" if parent else str(key)


def _children(value: Any) -> Iterable[tuple[object, Any]] | None:
    if isinstance(value, dict):
        return value.items()
    if isinstance(value, list):
        return enumerate(value)
    return None


def refuse_hostile(value: Any, where: str = "") -> None:
    """Raise 422 for a value nested deeper than MAX_DEPTH or holding a NUL character anywhere."""
    stack: list[tuple[str, Any, int]] = [(where, value, 0)]
    while stack:
        path, node, depth = stack.pop()
        if depth > MAX_DEPTH:
            raise ApiError.field(422, "invalid_request", path or "(body)", f"nested deeper than {MAX_DEPTH} levels")
        if isinstance(node, str):
            if "\x00" in node:
                raise ApiError.field(422, "invalid_request", path or "(body)", "contains a NUL character")
            continue
        children = _children(node)
        if children is None:
            continue
        for key, child in children:
            if isinstance(key, str) and "\x00" in key:
                raise ApiError.field(422, "invalid_request", path or "(body)", "a key contains a NUL character")
            stack.append((_path(path, key), child, depth + 1))


def json_object(raw: bytes) -> dict[str, Any]:
    """The body as a JSON object, refused with 422 (naming the field) when it is not a safe one."""
    try:
        body = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise ApiError.field(422, "invalid_request", "(body)", f"not valid JSON: {exc}") from exc
    if not isinstance(body, dict):
        raise ApiError.field(422, "invalid_request", "(body)", "expected a JSON object")
    refuse_hostile(body)
    return body


def form_values(pairs: Iterable[tuple[str, str]]) -> dict[str, str]:
    """Decoded form pairs as a dict (last value wins), refusing NUL characters."""
    values: dict[str, str] = {}
    for key, value in pairs:
        refuse_hostile({key: value})
        values[key] = value
    return values
