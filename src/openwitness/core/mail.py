"""Sending mail through the SMTP server the operator configures (``OPENWITNESS_SMTP_URL``).

Python's own ``smtplib`` and ``email`` do the work; this only reads the URL and checks an
address before it goes into a header, so that a line break in it can never add a header.
"""

from __future__ import annotations

import smtplib
from email.errors import HeaderParseError
from email.headerregistry import Address
from email.message import EmailMessage
from urllib.parse import parse_qs, unquote, urlsplit

from openwitness.core.errors import InvalidRequestError, OpenWitnessError

MAX_ADDRESS_LENGTH = 254  # RFC 5321's limit on a path, less its angle brackets
TIMEOUT_SECONDS = 20


class MailNotConfigured(OpenWitnessError):
    """This site has no SMTP server configured."""


def check_address(address: str) -> str:
    """An e-mail address a person typed, as one plain ``local@domain`` (else 400)."""
    address = address.strip()
    refused = InvalidRequestError(f"{address[:60]!r} is not an e-mail address")
    if not address or len(address) > MAX_ADDRESS_LENGTH or any(c.isspace() for c in address):
        raise refused
    try:
        parsed = Address(addr_spec=address)
    except (ValueError, IndexError, HeaderParseError):  # e.g. '@example.org'
        raise refused from None
    if not parsed.username or "." not in parsed.domain or parsed.addr_spec != address:
        raise refused
    return address


class SmtpMailer:
    """smtp://[user:password@]host[:port][?starttls=1], or smtps:// for TLS from the start."""

    def __init__(self, url: str, sender: str) -> None:
        parts = urlsplit(url)
        if parts.scheme not in ("smtp", "smtps") or not parts.hostname:
            raise OpenWitnessError(
                f"OPENWITNESS_SMTP_URL must look like smtp://host:25 or smtps://host:465, "
                f"not {parts.scheme or 'no scheme'}://…"
            )
        self.tls = parts.scheme == "smtps"
        self.starttls = parse_qs(parts.query).get("starttls", ["0"])[0] in ("1", "true", "yes")
        self.host = parts.hostname
        self.port = parts.port or (465 if self.tls else 25)
        self.username = unquote(parts.username) if parts.username else None
        self.password = unquote(parts.password) if parts.password else None
        self.sender = sender

    def send(self, to: str, subject: str, body: str) -> None:
        message = EmailMessage()
        message["From"] = self.sender
        message["To"] = check_address(to)
        message["Subject"] = subject
        message.set_content(body)
        smtp_class = smtplib.SMTP_SSL if self.tls else smtplib.SMTP
        with smtp_class(self.host, self.port, timeout=TIMEOUT_SECONDS) as smtp:
            if self.starttls:
                smtp.starttls()
            if self.username and self.password:
                smtp.login(self.username, self.password)
            smtp.send_message(message)
