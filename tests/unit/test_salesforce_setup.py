"""Salesforce setup mistakes are named before the first lead: the client-credentials flow needs the
org's My Domain token URL, and emails reach SOQL as escaped literals."""

from services.notify.channels.salesforce import soql_text, token_url_problem


def test_the_token_url_must_be_the_orgs_my_domain() -> None:
    assert token_url_problem("https://acme.my.salesforce.com/services/oauth2/token") is None
    missing = token_url_problem(None)
    assert missing is not None and "LEADRELAY_SALESFORCE_TOKEN_URL is required" in missing
    for host in ("login.salesforce.com", "test.salesforce.com", "LOGIN.salesforce.com"):
        problem = token_url_problem(f"https://{host}/services/oauth2/token")
        assert problem is not None and "My Domain" in problem, host


def test_soql_literals_are_escaped() -> None:
    assert soql_text("o'brien@example.com") == "'o\\'brien@example.com'"
    assert soql_text("a\\' OR Id != null") == "'a\\\\\\' OR Id != null'"
