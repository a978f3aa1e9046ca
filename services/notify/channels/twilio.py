"""SMS through Twilio's REST API: POST /2010-04-01/Accounts/{sid}/Messages.json, form fields, basic
auth. 429 honours Retry-After, 5xx and connection errors back off, 4xx errors are final. Status
callbacks are verified with X-Twilio-Signature (base64 HMAC-SHA1 of the URL and the sorted params)."""

import base64
import hashlib
import hmac
from collections.abc import Mapping
from datetime import datetime, timedelta

import httpx

from services.notify.channels.base import ChannelContext, DeliveryError
from services.notify.message import sms_reference, sms_text
from shared.backoff import Backoff, retry_after_seconds
from shared.payloads import Assignment


def twilio_signature(auth_token: str, url: str, params: Mapping[str, str]) -> str:
    data = url + "".join(k + params[k] for k in sorted(params))
    return base64.b64encode(hmac.new(auth_token.encode(), data.encode(), hashlib.sha1).digest()).decode()


class TwilioSms:
    name = "sms"

    def __init__(
        self,
        http: httpx.AsyncClient,
        base_url: str,
        account_sid: str,
        auth_token: str,
        from_number: str,
        status_callback: str | None,
        max_attempts: int = 5,
    ) -> None:
        self._http = http
        self._url = f"{base_url.rstrip('/')}/2010-04-01/Accounts/{account_sid}/Messages.json"
        self._auth = (account_sid, auth_token)
        self._from = from_number
        self._callback = status_callback
        self._max_attempts = max_attempts

    def target(self, assignment: Assignment) -> str | None:
        return assignment.rep.phone

    async def find_sent(self, assignment: Assignment, target: str, since: datetime) -> str | None:
        """Twilio's message list, filtered by recipient and day, searched for this alert's reference."""
        params = {"To": target, "DateSent>": (since - timedelta(days=1)).date().isoformat(), "PageSize": "100"}
        try:
            response = await self._http.get(self._url, params=params, auth=self._auth)
        except httpx.TransportError as exc:
            raise DeliveryError(f"cannot ask Twilio whether the SMS went out: {exc!r}") from exc
        if response.status_code != 200:
            raise DeliveryError(f"cannot ask Twilio whether the SMS went out: HTTP {response.status_code}")
        ref = sms_reference(assignment)
        found = [m for m in response.json().get("messages", []) if ref in str(m.get("body", ""))]
        return str(found[0]["sid"]) if found else None

    async def send(self, assignment: Assignment, target: str, claim_url: str | None) -> str:
        return await self.send_text(target, sms_text(assignment, claim_url))

    async def send_text(self, target: str, text: str) -> str:
        """One SMS with this text; returns Twilio's message SID."""
        form = {"To": target, "From": self._from, "Body": text}
        if self._callback:
            form["StatusCallback"] = self._callback
        last = "no attempt made"
        backoff = Backoff("twilio_api")
        for _ in range(self._max_attempts):
            try:
                response = await self._http.post(self._url, data=form, auth=self._auth)
            except httpx.TransportError as exc:
                last = f"connection error: {exc!r}"
                await backoff.wait()
                continue
            if response.status_code == 429:
                last = "rate limited"
                await backoff.wait(retry_after=min(retry_after_seconds(response.headers.get("Retry-After")), 30.0))
                continue
            if response.status_code >= 500:
                last = f"HTTP {response.status_code}"
                await backoff.wait()
                continue
            body = response.json()
            if response.status_code >= 400:
                raise DeliveryError(f"Twilio refused the SMS: {body.get('code')} {body.get('message')}")
            return str(body["sid"])
        raise DeliveryError(f"Twilio SMS failed after {self._max_attempts} attempts: {last}")


def build(ctx: ChannelContext) -> TwilioSms | None:
    """SMS when the Twilio settings are given."""
    s = ctx.settings
    if not (s.twilio_account_sid and s.twilio_auth_token and s.twilio_from):
        return None
    token = s.twilio_auth_token.get_secret_value()
    return TwilioSms(
        ctx.http, s.twilio_api_url, s.twilio_account_sid, token, s.twilio_from, s.twilio_status_callback_url
    )
