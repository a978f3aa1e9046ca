"""Which escalations go one by one and which join their window's digest. Pure: the digest store reads
what the windows already hold and writes the result, one statement each for the whole batch."""

from dataclasses import dataclass
from uuid import UUID

from services.notify.digests import Escalation

DigestKey = tuple[str, str]
"""(channel, target): one digest per recipient per window."""


@dataclass(frozen=True)
class Admitted:
    escalation: Escalation
    digest_id: int
    individual: bool


def admit_in_order(
    escalations: list[Escalation],
    digest_of: dict[DigestKey, int],
    sent_alone: dict[int, int],
    known: set[tuple[UUID, str]],
    threshold: int,
) -> list[Admitted]:
    """Each escalation not counted before (`known`: its assignment and channel), in order: one of
    the first `threshold` of its window goes alone, the rest into the digest. An escalation twice
    in one batch counts once."""
    alone = dict(sent_alone)
    seen = set(known)
    admitted = []
    for e in escalations:
        key = (e.assignment.assignment_id, e.channel)
        if key in seen:
            continue
        seen.add(key)
        digest_id = digest_of[(e.channel, e.target)]
        individual = alone.get(digest_id, 0) < threshold
        alone[digest_id] = alone.get(digest_id, 0) + int(individual)
        admitted.append(Admitted(e, digest_id, individual))
    return admitted
