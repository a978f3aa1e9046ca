"""Email alerts over SMTP (aiosmtplib): plain text and HTML, with the signed claim link."""

from email.message import EmailMessage
from email.utils import make_msgid

import aiosmtplib

from services.notify.channels.base import DeliveryError
from services.notify.message import email_html, email_subject, email_text
from shared.payloads import Assignment


class SmtpEmail:
    name = "email"

    def __init__(
        self, host: str, port: int, sender: str, username: str | None, password: str | None, starttls: bool
    ) -> None:
        self._host, self._port, self._sender = host, port, sender
        self._username, self._password, self._starttls = username, password, starttls

    def target(self, assignment: Assignment) -> str | None:
        return assignment.rep.email

    async def send(self, assignment: Assignment, target: str, claim_url: str | None) -> str:
        message = EmailMessage()
        message["From"] = self._sender
        message["To"] = target
        message["Subject"] = email_subject(assignment)
        message["Message-ID"] = make_msgid(idstring=str(assignment.assignment_id), domain="leadrelay.local")
        message["X-Leadrelay-Assignment"] = str(assignment.assignment_id)
        message.set_content(email_text(assignment, claim_url))
        message.add_alternative(email_html(assignment, claim_url), subtype="html")
        try:
            await aiosmtplib.send(
                message,
                hostname=self._host,
                port=self._port,
                username=self._username,
                password=self._password,
                start_tls=self._starttls,
                timeout=10,
            )
        except (aiosmtplib.SMTPException, OSError) as exc:
            raise DeliveryError(f"SMTP delivery failed: {exc}") from exc
        return str(message["Message-ID"])
