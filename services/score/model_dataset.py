"""A generated dataset where the signal is known: leads with firmographics and behaviour, each
converting with a probability set by a hidden logistic formula. The rules see part of that signal
(titles, industries, sizes, pricing views), in their own fixed points; the formula also rewards
things the rules do not score (countries, the source, webinar depth, repeat visits) and punishes
free mail harder. So a model that learns should beat the rules, and its probabilities should match
the observed rates. Deterministic for a seed. Pure."""

import math
import random
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from services.score.engine import score_lead
from services.score.model import features
from services.score.training import Example
from shared.business.scoring import Scoring
from shared.payloads import Activity, Company, EnrichedLead, LeadFields

INDUSTRIES = ["Software", "Financial Services", "Healthcare", "Retail", "Education", "Manufacturing", "Media"]
COUNTRIES = ["US", "DE", "GB", "FR", "BR", "IN", "JP"]
SOURCES = ["website", "typeform", "calendly", "webflow"]
TITLES = {"senior": ["VP of Sales", "Head of Growth", "CTO"], "manager": ["Sales Manager"], "other": ["Analyst", ""]}
START = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)


@dataclass(frozen=True)
class GeneratedLead:
    lead: EnrichedLead
    activities: list[Activity]
    probability: float
    """The hidden truth: the chance this lead converts."""
    label: int


def _truth(senior: bool, manager: bool, industry: str, country: str, source: str, employees: int,
           free_mail: bool, pricing: int, webinars: int, visits: int) -> float:  # fmt: skip
    z = -2.0
    z += 1.3 * senior + 0.5 * manager
    z += 0.7 * (industry in ("Software", "Financial Services", "Healthcare"))
    z += 1.1 * (country in ("DE", "GB")) - 0.6 * (country in ("BR", "IN"))
    z += 0.9 * (source == "calendly") - 0.4 * (source == "webflow")
    z += 0.5 * (200 <= employees <= 5000) - 0.7 * (employees < 50)
    z += -2.0 * free_mail
    z += 0.6 * math.log1p(pricing) + 1.2 * math.log1p(webinars) + 0.5 * math.log1p(visits)
    return 1.0 / (1.0 + math.exp(-z))


def generate(n: int, seed: int) -> list[GeneratedLead]:
    rng = random.Random(seed)
    out = []
    for i in range(n):
        level = rng.choices(["senior", "manager", "other"], weights=[0.25, 0.3, 0.45])[0]
        title = rng.choice(TITLES[level])
        industry, country, source = rng.choice(INDUSTRIES), rng.choice(COUNTRIES), rng.choice(SOURCES)
        employees = int(math.exp(rng.uniform(math.log(5), math.log(20000))))
        free_mail = rng.random() < 0.25
        pricing, webinars, visits = (
            rng.choices([0, 1, 2, 4], [0.5, 0.25, 0.15, 0.1])[0],
            rng.choices([0, 1, 3], [0.7, 0.2, 0.1])[0],
            int(rng.expovariate(0.25)),
        )
        domain = "gmail.com" if free_mail else f"c{i}.example.com"
        company = None if free_mail else Company(
            name=f"Company {i}", domain=domain, industry=industry, employees=employees, country=country
        )  # fmt: skip
        lead = EnrichedLead(
            source=source,
            fields=LeadFields(email=f"lead{i}@{domain}", title=title or None, country=country),
            email=f"lead{i}@{domain}",
            email_domain=domain,
            phone_e164=None,
            first_name=None,
            last_name=None,
            is_free_mail=free_mail,
            is_disposable=False,
            company=company,
            enrichment_sources=["generated"],
        )
        at = START + timedelta(hours=i)
        activities = [Activity(kind="page_view", occurred_at=at, properties={"url": "https://x.io/pricing"})] * pricing
        activities += [Activity(kind="webinar_attended", occurred_at=at)] * webinars
        activities += [Activity(kind="page_view", occurred_at=at, properties={"url": "https://x.io/blog"})] * visits
        p = _truth(level == "senior", level == "manager", industry, country, source, employees, free_mail,
                   pricing, webinars, visits)  # fmt: skip
        out.append(GeneratedLead(lead, activities, p, int(rng.random() < p)))
    return out


def examples(leads: list[GeneratedLead], scoring: Scoring) -> list[Example]:
    """Each lead as the trainer sees it: its features, its outcome, and what the rules alone say."""
    found = []
    for g in leads:
        rules = score_lead(g.lead, g.activities, scoring, g.activities[-1].occurred_at if g.activities else START)
        found.append(Example(features(g.lead, g.activities), g.label, rules.total, g.probability))
    return found
