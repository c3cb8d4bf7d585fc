"""Send a report by e-mail: the HTML report as the body (a plain-text summary beside it), the
Markdown and CSV files attached. STARTTLS is required on smtp:// (a server that does not offer
it gets nothing: the report would cross the network in clear); smtps:// is TLS from the start.
Certificates are verified against the system's trust store (`ssl.create_default_context`,
which honours SSL_CERT_FILE)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

from ecrcost.delivery.destinations import SmtpDestination

if TYPE_CHECKING:
    from email.message import EmailMessage

TIMEOUT_SECONDS = 30.0


class StartTlsMissing(ConnectionError):
    """The server offers no STARTTLS: nothing is sent."""


def message(
    dest: SmtpDestination, subject: str, summary: str, html: Path, attachments: list[Path]
) -> EmailMessage:
    from email.message import EmailMessage
    from email.utils import formatdate, make_msgid

    msg = EmailMessage()
    msg["Subject"] = subject
    msg["From"] = dest.sender
    msg["To"] = ", ".join(dest.recipients)
    msg["Date"] = formatdate(usegmt=True)
    msg["Message-ID"] = make_msgid(domain=dest.sender.rsplit("@", 1)[-1])
    msg.set_content(summary)
    msg.add_alternative(html.read_text(encoding="utf-8"), subtype="html")
    for path in attachments:
        subtype = "markdown" if path.suffix == ".md" else "csv"
        msg.add_attachment(path.read_bytes(), maintype="text", subtype=subtype, filename=path.name)
    return msg


def send(dest: SmtpDestination, msg: EmailMessage, env: dict[str, str] | None = None) -> str:
    import smtplib
    import ssl

    env = dict(os.environ if env is None else env)
    context = ssl.create_default_context()
    if dest.ssl:
        server: smtplib.SMTP = smtplib.SMTP_SSL(
            dest.host, dest.port, timeout=TIMEOUT_SECONDS, context=context
        )
    else:
        server = smtplib.SMTP(dest.host, dest.port, timeout=TIMEOUT_SECONDS)
    with server:
        server.ehlo()
        if not dest.ssl:
            if not server.has_extn("starttls"):
                raise StartTlsMissing(f"{dest.host}:{dest.port} offers no STARTTLS")
            server.starttls(context=context)
            server.ehlo()
        if env.get("ECRCOST_SMTP_USERNAME"):
            server.login(env["ECRCOST_SMTP_USERNAME"], env.get("ECRCOST_SMTP_PASSWORD", ""))
        server.send_message(msg)
    return f"e-mail to {', '.join(dest.recipients)} via {dest.host}:{dest.port}"
