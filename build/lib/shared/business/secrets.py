"""Secrets in the business rules file, given inline or, better, by reference:

    secret: {secret_env: TYPEFORM_SECRET}          # read from this environment variable
    secret: {secret_file: /run/secrets/typeform}   # read from this file (trailing newline dropped)

Resolved once when the file is loaded; a missing variable or file is a config error naming the field."""

import os
from pathlib import Path
from typing import Annotated, Any

from pydantic import BeforeValidator, SecretStr


def resolve(value: Any) -> Any:
    if not isinstance(value, dict):
        return value
    if set(value) == {"secret_env"}:
        found = os.environ.get(str(value["secret_env"]))
        if not found:
            raise ValueError(f"environment variable {value['secret_env']!r} is not set")
        return found
    if set(value) == {"secret_file"}:
        try:
            return Path(str(value["secret_file"])).read_text().rstrip("\n")
        except OSError as exc:
            raise ValueError(f"cannot read secret file {value['secret_file']!r}: {exc.strerror}") from exc
    raise ValueError("give the secret inline, as {secret_env: NAME} or as {secret_file: PATH}")


SecretRef = Annotated[SecretStr, BeforeValidator(resolve)]
