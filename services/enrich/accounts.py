"""Lead-to-account matching: which configured account a lead belongs to, how sure, and why. Pure.

In order, the first that holds wins:
1. the email's registrable domain is one of the account's domains (`acme.co.uk`), or a subdomain of
   one (`eu.acme.co.uk`): confidence 1.0 and 0.95;
2. the same name under another public suffix (`acme.de` for `acme.com`), when exactly one account
   has that name: 0.8;
3. the company name the lead gave is close to the account's name, both without legal suffixes
   (Inc, Ltd, Corp., GmbH...; rapidfuzz token_sort_ratio, at least `name_min_similarity`): the
   similarity scaled to at most 0.9.
Free-mail addresses only match by company name. Registrable domains come from tldextract's bundled
Public Suffix List snapshot: nothing is fetched at run time."""

from collections import defaultdict

import tldextract
from rapidfuzz import fuzz, process, utils

from shared.business.routing import Account, AccountMatching
from shared.payloads import AccountMatch

SUFFIXES = tldextract.TLDExtract(suffix_list_urls=(), cache_dir=None)
LEGAL_SUFFIXES = frozenset(
    "inc incorporated ltd limited llc llp corp corporation co company gmbh ag sa sas bv nv plc pty oy ab as".split()
)


def company_key(name: str) -> str:
    """A company name for comparison: lower case, punctuation gone, legal suffixes dropped."""
    words = utils.default_process(name).split()
    kept = [w for w in words if w not in LEGAL_SUFFIXES]
    return " ".join(kept or words)


def registrable(domain: str) -> tuple[str, str]:
    """(registrable domain, its name without the suffix): eu.acme.co.uk -> (acme.co.uk, acme)."""
    parts = SUFFIXES(domain.lower().strip("."))
    if not parts.suffix or not parts.domain:
        return domain.lower(), domain.lower()
    return f"{parts.domain}.{parts.suffix}", parts.domain


class AccountMatcher:
    def __init__(self, accounts: list[Account], policy: AccountMatching) -> None:
        self.policy = policy
        self._by_domain: dict[str, Account] = {}
        self._by_label: dict[str, list[Account]] = defaultdict(list)
        for account in accounts:
            for d in account.all_domains:
                reg, label = registrable(d)
                self._by_domain[reg] = account
                if account not in self._by_label[label]:
                    self._by_label[label].append(account)
        self._names = {company_key(a.name): a for a in accounts if a.name}

    def match(self, email_domain: str | None, company: str | None, free_mail: bool) -> AccountMatch | None:
        if email_domain and not free_mail:
            found = self._by_registrable(email_domain)
            if found is not None:
                return found
        if company:
            return self._by_name(company)
        return None

    def _by_registrable(self, email_domain: str) -> AccountMatch | None:
        reg, label = registrable(email_domain)
        account = self._by_domain.get(reg)
        if account is not None:
            if reg == email_domain.lower():
                return _found(account, 1.0, "domain", f"email domain {reg} is account {account.domain}'s")
            why = f"{email_domain} is a subdomain of {reg}, a domain of account {account.domain}"
            return _found(account, 0.95, "subdomain", why)
        candidates = self._by_label.get(label, [])
        if len(candidates) == 1:
            account = candidates[0]
            why = f"{reg} is {label} under another suffix than account {account.domain}"
            return _found(account, 0.8, "other_tld", why)
        return None

    def _by_name(self, company: str) -> AccountMatch | None:
        if not self._names:
            return None
        best = process.extractOne(company_key(company), list(self._names), scorer=fuzz.token_sort_ratio)
        if best is None or best[1] < self.policy.name_min_similarity:
            return None
        key, similarity = best[0], float(best[1])
        account = self._names[key]
        why = f"company {company!r} is {similarity:.0f}% like account name {account.name!r}"
        return _found(account, round(0.9 * similarity / 100, 3), "company_name", why)


def _found(account: Account, confidence: float, method: str, reason: str) -> AccountMatch:
    return AccountMatch(
        domain=account.domain,
        name=account.name,
        owner=account.owner,
        confidence=confidence,
        method=method,
        reason=reason,
    )
