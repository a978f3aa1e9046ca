"""Lead-to-account matching (enrich, pure) and route giving a matched lead to the account's owner."""

from services.enrich.accounts import AccountMatcher, registrable
from services.route.availability import RepLoad
from services.route.engine import decide
from services.route.state import Snapshot
from shared.business.routing import Account, AccountMatching
from shared.payloads import AccountMatch
from tests.unit.routing_fixtures import TUESDAY_15_UTC, config, scored

ACME = Account(domain="acme.com", domains=["acme.co.uk"], name="Acme Corporation", owner="erin")
INITECH = Account(domain="initech.com", name="Initech", owner="chen")
MATCHER = AccountMatcher([ACME, INITECH], AccountMatching())


def test_registrable_domains_fold_subdomains_by_the_bundled_suffix_list() -> None:
    assert registrable("eu.acme.co.uk") == ("acme.co.uk", "acme")
    assert registrable("a.b.acme.com") == ("acme.com", "acme")
    assert registrable("localhost") == ("localhost", "localhost")


def test_domains_subdomains_other_country_tlds_and_names_match_with_a_confidence() -> None:
    exact = MATCHER.match("acme.co.uk", None, free_mail=False)
    sub = MATCHER.match("eu.acme.co.uk", None, free_mail=False)
    other_tld = MATCHER.match("acme.de", None, free_mail=False)
    by_name = MATCHER.match("gmail.com", "ACME Corp.", free_mail=True)
    assert exact and (exact.owner, exact.method, exact.confidence) == ("erin", "domain", 1.0)
    assert sub and (sub.method, sub.confidence) == ("subdomain", 0.95)
    assert "eu.acme.co.uk is a subdomain of acme.co.uk" in sub.reason
    assert other_tld and (other_tld.method, other_tld.confidence) == ("other_tld", 0.8)
    assert by_name and (by_name.owner, by_name.method, by_name.confidence) == ("erin", "company_name", 0.9)
    assert "'ACME Corp.' is 100% like account name 'Acme Corporation'" in by_name.reason
    assert MATCHER.match(None, "Acme Rockets Ltd", free_mail=False) is None, "another company"
    typo = MATCHER.match(None, "Initec Inc", free_mail=False)
    assert typo and typo.owner == "chen" and 0.8 <= typo.confidence < 0.9
    assert MATCHER.match("gmail.com", None, free_mail=True) is None, "free mail never matches by domain"
    assert MATCHER.match("umbrella.com", "Umbrella", free_mail=False) is None


def matched(owner: str, confidence: float, method: str = "subdomain") -> AccountMatch:
    reason = "eu.globex.co.uk is a subdomain of globex.co.uk, a domain of account globex.com"
    return AccountMatch(
        domain="globex.com", name="Globex", owner=owner, confidence=confidence, method=method, reason=reason
    )


def test_route_gives_a_matched_lead_to_the_owner_with_the_reason_in_the_trace() -> None:
    lead = scored(employees=50)
    lead = lead.model_copy(update={"lead": lead.lead.model_copy(update={"account": matched("erin", 0.95)})})
    d = decide(config(), lead, Snapshot({}, {}, {}), TUESDAY_15_UTC)
    assert (d.outcome, d.rep_id) == ("assigned", "erin")
    assert "owner of account Globex (subdomain match)" in d.reason
    assert any("a subdomain of globex.co.uk" in step for step in d.trace)


def test_an_unsure_match_or_an_away_owner_leaves_the_lead_to_the_pool() -> None:
    lead = scored(employees=50)
    unsure = lead.model_copy(update={"lead": lead.lead.model_copy(update={"account": matched("erin", 0.5)})})
    d = decide(config(), unsure, Snapshot({}, {}, {}), TUESDAY_15_UTC)
    assert d.rep_id != "erin" and any("below the 0.80 needed" in step for step in d.trace)
    sure = lead.model_copy(update={"lead": lead.lead.model_copy(update={"account": matched("erin", 1.0)})})
    away = Snapshot({"erin": RepLoad(paused=True)}, {}, {})
    d = decide(config(), sure, away, TUESDAY_15_UTC)
    assert d.rep_id != "erin" and any("owner erin is unavailable (paused)" in step for step in d.trace)


def test_enrich_matches_a_subdomain_lead_and_gives_it_the_accounts_firmographics() -> None:
    from datetime import UTC, datetime
    from uuid import uuid4

    from services.enrich.config import EnrichSettings
    from services.enrich.handler import enrich
    from services.enrich.reference_data import ReferenceData, load_companies, load_domain_list
    from shared.payloads import CapturedLead, LeadFields

    s = EnrichSettings()
    globex = Account(domain="globex.com", domains=["globex.co.uk"], name="Globex Corporation", owner="erin")
    ref = ReferenceData(
        companies=load_companies(s.companies_csv),
        free_mail=load_domain_list(s.free_mail_list),
        disposable=load_domain_list(s.disposable_list),
        default_phone_region="US",
        accounts=AccountMatcher([globex], AccountMatching()),
    )
    lead = CapturedLead(
        source="website",
        received_at=datetime.now(UTC),
        receipt_id=uuid4(),
        fields=LeadFields(email="jane@eu.globex.co.uk"),
    )
    enriched = enrich(lead, ref)
    assert enriched.account is not None and enriched.account.owner == "erin" and enriched.account.method == "subdomain"
    assert enriched.company is not None and enriched.company.name == "Globex"
    assert "accounts" in enriched.enrichment_sources


def test_sticky_routing_keeps_a_person_with_the_rep_who_has_their_open_lead() -> None:
    from services.route.state import ExistingOwner

    other = ExistingOwner("chen", "0b0e5a7e-0000-4000-8000-000000000001", "phone")
    d = decide(config(), scored(employees=50), Snapshot({}, {}, {}), TUESDAY_15_UTC, existing=other)
    assert (d.outcome, d.rep_id) == ("assigned", "chen") and "open lead (same phone)" in d.reason
    away = Snapshot({"chen": RepLoad(paused=True)}, {}, {})
    d = decide(config(), scored(employees=50), away, TUESDAY_15_UTC, existing=other)
    assert d.rep_id != "chen" and any("chen is unavailable (paused); the pool's policy applies" in s for s in d.trace)
