"""Which failures are the infrastructure's (wait and retry) and which are the message's (dead-letter)."""

import asyncio

from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError

# SQLSTATE classes that mean "the database cannot serve you now": connection exception (08),
# insufficient resources such as too many connections (53), operator intervention such as a
# shutdown or restart (57).
UNAVAILABLE_CLASSES = ("08", "53", "57")


def sqlstate(exc: DBAPIError) -> str:
    orig = exc.orig
    return str(getattr(orig, "sqlstate", None) or getattr(orig, "pgcode", None) or "")


def database_unavailable(exc: DBAPIError) -> bool:
    """The database is down, restarting or out of connections: not the request's fault."""
    state = sqlstate(exc)
    return exc.connection_invalidated or not state or state[:2] in UNAVAILABLE_CLASSES


def is_transient(exc: BaseException) -> bool:
    """A database or network outage is not the message's fault: keep the partition waiting instead of
    dead-lettering every lead that arrives during the outage."""
    if isinstance(exc, OperationalError | InterfaceError | ConnectionError | TimeoutError | asyncio.TimeoutError):
        return True
    if isinstance(exc, DBAPIError) and exc.connection_invalidated:
        return True
    if isinstance(exc, DBAPIError) and sqlstate(exc)[:2] in UNAVAILABLE_CLASSES:
        return True
    return isinstance(exc, OSError)
