"""Email alerts over SMTP (aiosmtplib): plain text and HTML, with the signed claim link. SMTP cannot
be asked what was delivered, so after a crash mid-send the alert is sent again with the same
Message-ID, which mail clients use to show one message."""

from datetime import datetime
from email.message import EmailMessage
from email.utils import formatdate, parseaddr

import aiosmtplib

from services.notify.channels.base import ChannelContext, DeliveryError
from services.notify.message import email_html, email_subject, email_text
from shared.payloads import Assignment


def message_id_domain(sender: str) -> str:
    """The sender's domain, for Message-IDs (RFC 5322 asks for a domain the sender controls)."""
    address = parseaddr(sender)[1]
    domain = address.rpartition("@")[2].strip().lower()
    return domain if domain and "." in domain else "leadrelay.local"


class SmtpEmail:
    name = "email"

    def __init__(
        self,
        host: str,
        port: int,
        sender: str,
        username: str | None,
        password: str | None,
        starttls: bool,
        ca_file: str | None = None,
    ) -> None:
        self._host, self._port, self._sender = host, port, sender
        self._username, self._password, self._starttls = username, password, starttls
        self._ca_file = ca_file
        self._domain = message_id_domain(sender)

    def target(self, assignment: Assignment) -> str | None:
        return assignment.rep.email

    def message_id(self, local: str) -> str:
        """A stable Message-ID (a resend after a crash repeats it, and mail clients show one message)."""
        return f"<{local}@{self._domain}>"

    async def send(self, assignment: Assignment, target: str, claim_url: str | None) -> str:
        message = self._message(target, email_subject(assignment), f"<{assignment.assignment_id}.alert@{self._domain}>")
        message["X-Leadrelay-Assignment"] = str(assignment.assignment_id)
        message.set_content(email_text(assignment, claim_url))
        message.add_alternative(email_html(assignment, claim_url), subtype="html")
        return await self._deliver(message)

    async def send_text(self, target: str, subject: str, body: str, message_id: str) -> str:
        """A plain-text email (digests); returns its Message-ID."""
        message = self._message(target, subject, message_id)
        message.set_content(body)
        return await self._deliver(message)

    def _message(self, target: str, subject: str, message_id: str) -> EmailMessage:
        message = EmailMessage()
        message["From"] = self._sender
        message["To"] = target
        message["Subject"] = subject
        message["Message-ID"] = message_id
        message["Date"] = formatdate(localtime=False, usegmt=True)
        return message

    async def _deliver(self, message: EmailMessage) -> str:
        try:
            await aiosmtplib.send(
                message,
                hostname=self._host,
                port=self._port,
                username=self._username,
                password=self._password,
                start_tls=self._starttls,
                use_tls=self._port == 465,
                cert_bundle=self._ca_file,
                timeout=10,
            )
        except (aiosmtplib.SMTPException, OSError) as exc:
            raise DeliveryError(f"SMTP delivery failed: {exc}") from exc
        return str(message["Message-ID"])

    async def find_sent(self, assignment: Assignment, target: str, since: datetime) -> str | None:
        return None


def build(ctx: ChannelContext) -> SmtpEmail | None:
    """Email when an SMTP host is given."""
    s = ctx.settings
    if not s.smtp_host:
        return None
    password = s.smtp_password.get_secret_value() if s.smtp_password else None
    return SmtpEmail(
        s.smtp_host, s.smtp_port, s.smtp_from, s.smtp_username, password, s.smtp_uses_starttls, s.smtp_ca_file
    )
