from services.enrich.config import EnrichSettings
from services.enrich.handler import enrich, handle
from services.enrich.normalize import email_domain, normalize_email, normalize_phone, split_name
from services.enrich.reference_data import ReferenceData, load_companies, load_domain_list
from shared.events import LeadEnrichedEvent
from tests.unit.factories import captured

SETTINGS = EnrichSettings()
REF = ReferenceData(
    companies=load_companies(SETTINGS.companies_csv),
    free_mail=load_domain_list(SETTINGS.free_mail_list),
    disposable=load_domain_list(SETTINGS.disposable_list),
    default_phone_region="US",
)


def test_shipped_company_dataset_has_hundreds_of_distinct_domains() -> None:
    assert len(REF.companies) >= 300
    assert REF.companies["initech.com"].industry == "Software"


def test_normalisers() -> None:
    assert normalize_email("  Dana.Reyes@Initech.COM ") == "dana.reyes@initech.com"
    assert email_domain("dana@initech.com") == "initech.com"
    assert normalize_phone("(415) 555-0134", "US") == "+14155550134"
    assert normalize_phone("030 1234567", "DE") == "+49301234567"
    assert normalize_phone("call me", "US") is None
    assert split_name("dana maria REYES", None, None) == ("Dana Maria", "Reyes")
    assert split_name(None, "ronald", "McDonald") == ("Ronald", "McDonald")
    assert split_name("Cher", None, None) == ("Cher", None)


def test_work_email_gets_firmographics() -> None:
    lead = enrich(captured(email="Dana@Initech.com", name="dana reyes", phone="415 555 0134").data, REF)
    assert lead.email == "dana@initech.com"
    assert lead.company is not None and lead.company.name == "Initech"
    assert (lead.first_name, lead.last_name) == ("Dana", "Reyes")
    assert lead.phone_e164 == "+14155550134"
    assert not lead.is_free_mail and not lead.is_disposable
    assert lead.enrichment_sources == ["normalize", "companies.csv"]


def test_free_mail_and_disposable_are_flagged_without_company() -> None:
    free = enrich(captured(email="dana@gmail.com").data, REF)
    throwaway = enrich(captured(email="x@mailinator.com").data, REF)
    assert free.is_free_mail and free.company is None
    assert throwaway.is_disposable


async def test_handler_emits_one_enriched_event_for_the_same_lead() -> None:
    event = captured(email="dana@initech.com")
    [out] = await handle(event, REF)
    assert isinstance(out, LeadEnrichedEvent)
    assert out.lead_id == event.lead_id and out.causation_id == event.event_id
