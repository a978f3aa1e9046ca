"""Which failures are the infrastructure's (wait and retry) and which are the message's (dead-letter)."""

import asyncio

from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError


def is_transient(exc: BaseException) -> bool:
    """A database or network outage is not the message's fault: keep the partition waiting instead of
    dead-lettering every lead that arrives during the outage."""
    if isinstance(exc, OperationalError | InterfaceError | ConnectionError | TimeoutError | asyncio.TimeoutError):
        return True
    if isinstance(exc, DBAPIError) and exc.connection_invalidated:
        return True
    return isinstance(exc, OSError)
