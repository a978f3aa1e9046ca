"""lead.captured -> lead.enriched."""

from collections.abc import Sequence
from dataclasses import dataclass, field, replace

from services.enrich.accounts import AccountMatcher, registrable
from services.enrich.normalize import email_domain, normalize_email, normalize_phone, split_name
from services.enrich.reference_data import ReferenceData
from shared.events import EnvelopeBase, Event, LeadCapturedEvent, LeadEnrichedEvent, follow_event
from shared.live_config import Applied, LiveConfig
from shared.payloads import CapturedLead, EnrichedLead
from shared.runtime import Stage
from shared.topics import Topic

COUNTRY_CODES = {
    "united states": "US",
    "usa": "US",
    "canada": "CA",
    "united kingdom": "GB",
    "uk": "GB",
    "germany": "DE",
    "france": "FR",
    "netherlands": "NL",
}


def phone_region(country: str | None, default: str) -> str:
    if not country:
        return default
    code = COUNTRY_CODES.get(country.strip().lower(), country.strip().upper())
    return code if len(code) == 2 else default


def enrich(captured: CapturedLead, ref: ReferenceData) -> EnrichedLead:
    f = captured.fields
    email = normalize_email(f.email)
    domain = email_domain(email)
    first, last = split_name(f.name, f.first_name, f.last_name)
    is_free = domain in ref.free_mail if domain else False
    company = None
    if domain and not is_free:
        company = ref.companies.get(domain) or ref.companies.get(registrable(domain)[0])
    account = (
        ref.accounts.match(domain, f.company or (company.name if company else None), is_free) if ref.accounts else None
    )
    if company is None and account is not None:
        company = ref.companies.get(account.domain)
    sources = ["normalize"] + (["companies.csv"] if company else []) + (["accounts"] if account else [])
    return EnrichedLead(
        source=captured.source,
        fields=f,
        email=email,
        email_domain=domain,
        phone_e164=normalize_phone(f.phone, phone_region(f.country, ref.default_phone_region)),
        first_name=first,
        last_name=last,
        is_free_mail=is_free,
        is_disposable=domain in ref.disposable if domain else False,
        company=company,
        enrichment_sources=sources,
        account=account,
    )


@dataclass
class EnrichDeps:
    """The reference data, with the accounts of the routing version in force (a published version
    may add or move accounts): one matcher per version, built when it is first used."""

    ref: ReferenceData
    live: LiveConfig
    matchers: dict[int, ReferenceData] = field(default_factory=dict)

    def reference(self, applied: Applied) -> ReferenceData:
        if applied.version not in self.matchers:
            accounts = AccountMatcher(applied.config.accounts, applied.config.routing.account_matching)
            self.matchers = {applied.version: replace(self.ref, accounts=accounts)}
        return self.matchers[applied.version]


async def handle(event: Event, deps: EnrichDeps | ReferenceData) -> Sequence[EnvelopeBase]:
    assert isinstance(event, LeadCapturedEvent)
    if isinstance(deps, ReferenceData):
        data = enrich(event.data, deps)
    else:
        async with deps.live.use() as applied:
            data = enrich(event.data, deps.reference(applied))
    return [follow_event(LeadEnrichedEvent, event, producer="enrich", data=data)]


STAGE: Stage[EnrichDeps | ReferenceData] = Stage(name="enrich", inputs=[Topic.LEAD_CAPTURED], handle=handle)
