"""Progressive profiling: a later submission for the same email fills what the lead is missing. Pure."""

from shared.payloads import LeadFields

SCALARS = ("email", "phone", "name", "first_name", "last_name", "company", "title", "country", "notes")


def merge(known: LeadFields, new: LeadFields) -> LeadFields:
    """Known values win; empty ones are filled from the new submission; new keys are added."""
    filled = {f: getattr(known, f) or getattr(new, f) for f in SCALARS}
    return LeadFields(
        **filled,
        utm={**new.utm, **known.utm},
        extra={**new.extra, **known.extra},
    )
