from datetime import UTC, datetime, timedelta
from uuid import uuid4

import pytest

from shared.claim_links import ExpiredLink, InvalidLink, make_digest_token, make_token, read_digest_token, read_token

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)


def test_a_link_names_its_assignment_and_rep_until_it_expires() -> None:
    assignment = uuid4()
    token = make_token("s3cret-value", assignment, "alice", NOW, timedelta(hours=1))
    grant = read_token("s3cret-value", token, NOW + timedelta(minutes=59))
    assert (grant.assignment_id, grant.rep_id) == (assignment, "alice")
    with pytest.raises(ExpiredLink):
        read_token("s3cret-value", token, NOW + timedelta(hours=1))


def test_forged_or_altered_links_are_refused() -> None:
    token = make_token("s3cret-value", uuid4(), "alice", NOW, timedelta(hours=1))
    body, mac = token.split(".")
    with pytest.raises(InvalidLink):
        read_token("other-secret", token, NOW)
    with pytest.raises(InvalidLink):
        read_token("s3cret-value", f"{body[:-2]}xx.{mac}", NOW)
    with pytest.raises(InvalidLink):
        read_token("s3cret-value", "garbage", NOW)


def test_a_digest_link_names_its_digest_and_is_no_claim_link() -> None:
    now = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
    token = make_digest_token("s3cret", 42, "maya", now, timedelta(hours=1))
    assert read_digest_token("s3cret", token, now) == 42
    for bad in (token[:-2] + "xx", token + "x" * 600):
        with pytest.raises(InvalidLink):
            read_digest_token("s3cret", bad, now)
    with pytest.raises(ExpiredLink):
        read_digest_token("s3cret", token, now + timedelta(hours=2))
    with pytest.raises(InvalidLink):
        read_token("s3cret", token, now)
