"""Constant-time comparison of secrets and signatures as bytes.

`hmac.compare_digest` raises TypeError on a str holding non-ASCII characters, so a hostile header
would become a 500; everything is encoded to UTF-8 bytes first (lone surrogates kept)."""

import hmac


def _bytes(value: str | bytes) -> bytes:
    return value if isinstance(value, bytes) else value.encode("utf-8", "surrogatepass")


def same_secret(given: str | bytes | None, expected: str | bytes) -> bool:
    """True when `given` equals `expected`; False for None or an empty value."""
    if not given:
        return False
    return hmac.compare_digest(_bytes(given), _bytes(expected))
