"""Progressive profiling: a later submission for the same person fills what the lead is missing. Pure.

Precedence: a signed vendor source or an API key (trusted) before a public form. A trusted
submission's values replace what only a public form had said; otherwise known values win and empty
ones are filled. A public form never changes an existing lead (capture records it as a touch)."""

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
