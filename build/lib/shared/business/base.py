"""The building blocks of the business rules file: strict models and field conditions."""

import re
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator


class Strict(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)


class NumberRange(Strict):
    min: float | None = None
    max: float | None = None


class Condition(Strict):
    """A test on one field, given as a dotted path. Exactly one of equals / in / range / regex /
    contains."""

    field: str
    equals: Any = None
    in_: list[Any] | None = Field(default=None, alias="in")
    range: NumberRange | None = None
    regex: str | None = None
    contains: str | None = None

    @field_validator("regex")
    @classmethod
    def _compiles(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                re.compile(value)
            except re.error as exc:
                raise ValueError(f"not a valid regular expression: {exc}") from exc
        return value

    @model_validator(mode="after")
    def _one_matcher(self) -> "Condition":
        given = [m for m in ("equals", "in_", "range", "regex", "contains") if getattr(self, m) is not None]
        if len(given) != 1:
            raise ValueError("give exactly one of equals, in, range, regex, contains")
        return self
