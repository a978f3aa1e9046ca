"""Form answers to our lead fields. A source's `field_map` (config) names the target of a vendor field by
its ref or label; an unmapped answer is guessed from its label, most specific hint first, so that
"Company name" is a company and not the person's name. Whatever maps to nothing stays in `extra`
under its own key."""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

HINTS: dict[str, tuple[str, ...]] = {
    "email": ("email", "e-mail"),
    "phone": ("phone", "mobile"),
    "company": ("company", "organization", "organisation"),
    "first_name": ("first_name", "firstname", "first name", "given name"),
    "last_name": ("last_name", "lastname", "last name", "surname", "family name"),
    "title": ("job title", "job_title", "title", "job", "role", "position"),
    "country": ("country",),
    "notes": ("message", "notes", "comments"),
    "name": ("full_name", "full name", "your name", "name"),
}


def normalise(label: str) -> str:
    return " ".join(label.strip().lower().replace(":", " ").split())


def guess(labels: Sequence[str]) -> str | None:
    """Our field for a label: an exact hint first, then a hint inside the label, most specific first."""
    keys = [normalise(label) for label in labels if label]
    for ours, hints in HINTS.items():
        if any(k in hints for k in keys):
            return ours
    for ours, hints in HINTS.items():
        if any(h in k for k in keys for h in hints):
            return ours
    return None


@dataclass
class Answers:
    """Collects a form's answers, then maps them: configured targets first, guesses after."""

    field_map: Mapping[str, str]
    _answers: list[tuple[tuple[str, ...], str, Any, str | None]] = field(default_factory=list)

    def add(self, labels: Sequence[str], value: Any, *, key: str, hint: str | None = None) -> None:
        """One answer, known by `labels` (ref, title, label); `key` names it in extra; `hint` is the
        adapter's own knowledge (a Typeform email-typed answer)."""
        self._answers.append((tuple(labels), key, value, hint))

    def _configured(self, labels: Sequence[str]) -> str | None:
        wanted = {normalise(label) for label in labels if label}
        return next((target for name, target in self.field_map.items() if normalise(name) in wanted), None)

    def mapped(self) -> tuple[dict[str, Any], dict[str, Any]]:
        mapped: dict[str, Any] = {}
        extra: dict[str, Any] = {}
        guessed = []
        for labels, key, value, hint in self._answers:
            target = self._configured(labels)
            if target is None:
                guessed.append((labels, key, value, hint))
            elif target.startswith("extra."):
                extra[target.removeprefix("extra.")] = value
            elif target != "ignore":
                mapped[target] = value
        for labels, key, value, hint in guessed:
            ours = hint or guess(labels)
            if ours is not None and ours not in mapped:
                mapped[ours] = value
            else:
                extra[key] = value
        return mapped, extra
