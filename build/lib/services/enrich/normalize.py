"""Normalising what people type into forms. Pure functions."""

import phonenumbers


def normalize_email(email: str | None) -> str | None:
    if not email:
        return None
    return email.strip().lower()


def email_domain(email: str | None) -> str | None:
    if not email or "@" not in email:
        return None
    return email.rsplit("@", 1)[1]


def normalize_phone(phone: str | None, region: str) -> str | None:
    """E.164 (`+14155550123`) when the number parses and is possible, else None."""
    if not phone:
        return None
    try:
        parsed = phonenumbers.parse(phone, region)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_possible_number(parsed):
        return None
    return str(phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164))


def _cap(word: str) -> str:
    """Capitalise a name part, keeping inner capitals people typed (McDonald, DeVries)."""
    if word.isupper() or word.islower():
        return "-".join(p[:1].upper() + p[1:].lower() for p in word.split("-"))
    return word


def split_name(name: str | None, first: str | None, last: str | None) -> tuple[str | None, str | None]:
    """First and last name from separate fields when given, else from the full name."""
    if first or last:
        return (_cap(first.strip()) if first else None, _cap(last.strip()) if last else None)
    if not name or not name.strip():
        return None, None
    parts = [_cap(p) for p in name.split()]
    if len(parts) == 1:
        return parts[0], None
    return " ".join(parts[:-1]), parts[-1]
