"""The `deliver` setting: one string per destination, parsed and checked before anything is sent.

- `s3://bucket/prefix/`: the HTML, Markdown and CSV files uploaded under the prefix.
- `smtp://host[:port]?from=ADDR&to=ADDR[&to=ADDR...]`: e-mail with STARTTLS (port 587 unless
  given); `smtps://...`: TLS from the first byte (SSL, port 465 unless given). The login comes
  from the environment (ECRCOST_SMTP_USERNAME, ECRCOST_SMTP_PASSWORD), never from the setting.
- `https://...` (or `http://` for a server on the same machine): a webhook receiving Slack- and
  Teams-compatible JSON (Slack's `text`, a legacy connector's MessageCard);
  `teams+https://...`: a Teams Workflows webhook, which takes only an Adaptive Card.

A webhook URL is a secret (Slack and Teams put the credential in its path): its label, printed
and kept in the delivery ledger, shows the host and a hash of the rest.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from urllib.parse import parse_qs, urlsplit

from ecrcost.errors import UserError

SMTP_PORTS = {"smtp": 587, "smtps": 465}


@dataclass(frozen=True)
class S3Destination:
    bucket: str
    prefix: str  # "" or ending with "/"

    @property
    def label(self) -> str:
        return f"s3://{self.bucket}/{self.prefix}"

    def uri(self, name: str) -> str:
        return f"s3://{self.bucket}/{self.prefix}{name}"


@dataclass(frozen=True)
class SmtpDestination:
    host: str
    port: int
    ssl: bool  # True: TLS from connect (smtps); False: STARTTLS, required
    sender: str
    recipients: tuple[str, ...]

    @property
    def label(self) -> str:
        scheme = "smtps" if self.ssl else "smtp"
        return f"{scheme}://{self.host}:{self.port} to {', '.join(self.recipients)}"


@dataclass(frozen=True)
class WebhookDestination:
    url: str
    teams_workflow: bool = False  # teams+https://: a Teams Workflows webhook (Adaptive Card)

    @property
    def label(self) -> str:
        parts = urlsplit(self.url)
        digest = hashlib.sha256(self.url.encode()).hexdigest()[:12]
        return f"webhook {parts.scheme}://{parts.netloc}/… ({digest})"


Destination = S3Destination | SmtpDestination | WebhookDestination


def parse_destination(text: str) -> Destination:
    """One `deliver` entry; a UserError naming the entry and what is wrong."""
    where = f"deliver: {text!r}"
    parts = urlsplit(text.strip())
    scheme = parts.scheme.lower()
    if scheme == "s3":
        if not parts.netloc:
            raise UserError(f"{where}: no bucket; write s3://bucket/prefix/")
        prefix = parts.path.lstrip("/")
        if prefix and not prefix.endswith("/"):
            prefix += "/"
        return S3Destination(parts.netloc, prefix)
    if scheme in SMTP_PORTS:
        query = parse_qs(parts.query)
        senders, recipients = query.get("from", []), tuple(query.get("to", []))
        if not parts.hostname:
            raise UserError(f"{where}: no mail server; write {scheme}://host:port?from=...&to=...")
        if len(senders) != 1 or not recipients:
            raise UserError(f"{where}: needs one from= and at least one to= address")
        if parts.username or parts.password:
            raise UserError(
                f"{where}: no credentials in the setting; set ECRCOST_SMTP_USERNAME and "
                "ECRCOST_SMTP_PASSWORD in the environment"
            )
        for address in (*senders, *recipients):
            if "@" not in address:
                raise UserError(f"{where}: {address!r} is not an e-mail address")
        try:
            port = parts.port or SMTP_PORTS[scheme]
        except ValueError:
            raise UserError(f"{where}: the port is not a number") from None
        return SmtpDestination(parts.hostname, port, scheme == "smtps", senders[0], recipients)
    if scheme in ("https", "http", "teams+https", "teams+http"):
        if not parts.netloc:
            raise UserError(f"{where}: no host in the webhook URL")
        url = text.strip()
        workflow = scheme.startswith("teams+")
        return WebhookDestination(url[len("teams+") :] if workflow else url, workflow)
    raise UserError(
        f"{where}: unknown destination; use s3://bucket/prefix/, smtp://host?from=&to=, "
        "smtps://host?from=&to=, an https:// webhook URL or teams+https:// (Teams Workflows)"
    )


def parse_destinations(entries: tuple[str, ...]) -> list[Destination]:
    """Every entry checked first: a mistake in one sends nothing at all."""
    return [parse_destination(e) for e in entries]
