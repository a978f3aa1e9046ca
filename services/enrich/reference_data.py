"""Reference data shipped with the repo: firmographics by domain and lists of mail domains."""

import csv
from dataclasses import dataclass
from pathlib import Path

from services.enrich.accounts import AccountMatcher
from shared.payloads import Company


def load_domain_list(path: Path) -> frozenset[str]:
    lines = (line.strip().lower() for line in path.read_text().splitlines())
    return frozenset(line for line in lines if line and not line.startswith("#"))


def load_companies(path: Path) -> dict[str, Company]:
    with path.open(newline="") as f:
        return {
            row["domain"].lower(): Company(
                name=row["name"],
                domain=row["domain"].lower(),
                industry=row["industry"],
                employees=int(row["employees"]),
                country=row["country"],
            )
            for row in csv.DictReader(f)
        }


@dataclass(frozen=True)
class ReferenceData:
    companies: dict[str, Company]
    free_mail: frozenset[str]
    disposable: frozenset[str]
    default_phone_region: str
    accounts: AccountMatcher | None = None
