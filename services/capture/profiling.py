"""Progressive profiling: a later submission for the same person fills what the lead is missing. Pure.

Precedence: a signed vendor source or an API key (trusted) before a public form. A trusted
submission's values replace what only a public form had said; otherwise known values win and empty
ones are filled. A public form (a website's own, or a vendor form visitors type into) never changes
an existing lead: capture records it as a touch, and what it says differently waits for ops."""

from shared.payloads import LeadFields

SCALARS = ("email", "phone", "name", "first_name", "last_name", "company", "title", "country", "notes")


def merge(known: LeadFields, new: LeadFields, new_wins: bool = False) -> LeadFields:
    """Known values win (unless `new_wins`); empty ones are filled from the new submission."""
    first, second = (new, known) if new_wins else (known, new)
    filled = {f: getattr(first, f) or getattr(second, f) for f in SCALARS}
    return LeadFields(
        **filled,
        utm={**second.utm, **first.utm},
        extra={**second.extra, **first.extra},
    )


REVIEWED = ("phone", "name", "first_name", "last_name", "company", "title", "country")
"""What a visitor may propose for a person already known: the email is how they were matched, and
notes are kept with the touch."""


def _same(field: str, a: str, b: str) -> bool:
    if field == "phone":
        return "".join(c for c in a if c.isdigit()) == "".join(c for c in b if c.isdigit())
    return " ".join(a.split()).casefold() == " ".join(b.split()).casefold()


def proposals(known: LeadFields, new: LeadFields) -> dict[str, tuple[str | None, str]]:
    """What a public submission says differently about a known person: field -> (current, proposed).
    Filling an empty field is a proposal too: a visitor can type anyone's email."""
    found: dict[str, tuple[str | None, str]] = {}
    for field in REVIEWED:
        proposed, current = getattr(new, field), getattr(known, field)
        if proposed and not (current and _same(field, current, proposed)):
            found[field] = (current, proposed)
    return found


def with_value(known: LeadFields, field: str, value: str) -> LeadFields:
    """The lead with one reviewed value accepted."""
    if field not in REVIEWED:
        raise ValueError(f"{field} is not a reviewed field")
    return known.model_copy(update={field: value})
