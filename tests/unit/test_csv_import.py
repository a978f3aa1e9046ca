from services.capture.csv_import import parse_csv

TRADE_SHOW = """First Name,Last Name,E-mail,Company Name,Job Title,Phone Number,Booth Notes
Ana,Souza,ana.souza@umbrellahealth.com,Umbrella Health,Head of Growth,+44 20 7946 0958,wants a demo
Ben,Ito,not-an-email,Initech,CTO,,
,,,,,,
Cara,Diaz,,Globex,VP Sales,,
Dev,Rao,dev.rao@hooli.com,Hooli,,,
"""


def test_rows_map_headers_and_report_errors_by_spreadsheet_row() -> None:
    rows = parse_csv(TRADE_SHOW)
    assert [r.number for r in rows] == [2, 3, 5, 6]
    good = rows[0].fields
    assert good is not None
    assert (good.email, good.first_name, good.company, good.title) == (
        "ana.souza@umbrellahealth.com",
        "Ana",
        "Umbrella Health",
        "Head of Growth",
    )
    assert good.extra == {"booth_notes": "wants a demo"}
    assert [e["field"] for e in rows[1].errors] == ["email"]
    assert [e["field"] for e in rows[2].errors] == ["email", "phone"]
    assert rows[3].fields is not None and rows[3].errors == []


def test_empty_file_has_no_rows() -> None:
    assert parse_csv("") == []
    assert parse_csv("email\n") == []
