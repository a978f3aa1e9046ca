"""Whether a nurture decision is news. Pure: the batch handler reads the stored records once and
writes the changed ones once."""

from services.route.store.rows import NurtureRecord


def nurture_news(stored: NurtureRecord | None, new: NurtureRecord) -> tuple[NurtureRecord | None, bool]:
    """(the record to store, or None to keep the stored one; whether to emit lead.nurture).

    News is a first nurture or a new stage or score: stored and emitted. The same stage and score
    again is not news, unless it is the very input that recorded it (a redelivery), whose event is
    emitted again (same event id, so consumers drop it)."""
    if stored is None or stored.stage != new.stage or stored.score != new.score:
        return new, True
    return None, stored.cause == new.cause
