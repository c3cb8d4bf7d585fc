"""Deliver one rendered report to every destination of the `deliver` setting.

- A report is its period and the digest of its CSV files (the figures, not the HTML, whose
  "generated at" line changes every render): a destination that received that report is not
  sent it again, so a re-run sends nothing twice while a restated bill is delivered anew.
- Destinations are tried one after the other; a failing one is recorded and does not stop the
  rest. Not being recorded as sent, it is tried again on the next run.
- The ledger is the warehouse table report_deliveries (sql/schema/092_report_deliveries.sql).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from ecrcost import sqlfiles
from ecrcost.aws import AwsAccess, api_errors
from ecrcost.delivery import s3, smtp, webhook
from ecrcost.delivery.destinations import (
    Destination,
    S3Destination,
    SmtpDestination,
    WebhookDestination,
    parse_destinations,
)
from ecrcost.utc import naive_utc

if TYPE_CHECKING:
    import duckdb

    from ecrcost.reports.render import ReportFiles
    from ecrcost.settings import Settings


@dataclass(frozen=True)
class Delivery:
    destination: str  # its label
    status: str  # sent | already sent | failed
    detail: str

    def line(self) -> str:
        if self.status == "failed":
            return (
                f"missing: delivery to {self.destination} failed: {self.detail} "
                "(tried again on the next run)"
            )
        return f"{self.status}: {self.destination}: {self.detail}"


def report_digest(files: ReportFiles) -> str:
    h = hashlib.sha256()
    for path in sorted(files.csv, key=lambda p: p.name):
        h.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    return h.hexdigest()


def report_link(settings: Settings, destinations: list[Destination], files: ReportFiles) -> str:
    """Where readers open the report: `report_link` (a URL prefix) when set, else the S3 object
    of the first S3 destination, else the file on this machine."""
    period = files.period
    if settings.report_link:
        return f"{settings.report_link.rstrip('/')}/{period}/{files.html.name}"
    for d in destinations:
        if isinstance(d, S3Destination):
            return d.uri(f"{period}/{files.html.name}")
    return files.html.resolve().as_uri()


def deliver_report(
    con: duckdb.DuckDBPyConnection,
    settings: Settings,
    files: ReportFiles,
    access: AwsAccess | None = None,
) -> list[Delivery]:
    """Send `files` to every destination that has not received this report yet."""
    import smtplib

    destinations = parse_destinations(settings.deliver)
    digest = report_digest(files)
    period = files.period
    sent = {
        r["destination"]
        for r in sqlfiles.records(
            con, "delivery/sent_destinations", {"period": period, "digest": digest}
        )
    }
    link = report_link(settings, destinations, files)
    out = []
    for dest in destinations:
        if dest.label in sent:
            out.append(Delivery(dest.label, "already sent", f"report {digest[:12]} of {period}"))
            continue
        try:
            detail = _send(dest, files, link, access or AwsAccess.from_settings(settings))
            status = "sent"
        except (OSError, smtplib.SMTPException, *api_errors()) as exc:
            detail = f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else exc!r}"
            status = "failed"
        sqlfiles.run(
            con,
            "delivery/insert_delivery",
            {
                "period": period,
                "destination": dest.label,
                "digest": digest,
                "status": status,
                "attempted_at": naive_utc(datetime.now(UTC)),
                "detail": detail,
            },
        )
        out.append(Delivery(dest.label, status, detail))
    return out


def _title(files: ReportFiles) -> str:
    return f"Amazon ECR cost report {files.period}"


def _send(dest: Destination, files: ReportFiles, link: str, access: AwsAccess) -> str:
    attachments = [files.md, *files.csv]
    if isinstance(dest, S3Destination):
        return s3.upload(
            access.client("s3", None, None), dest, files.period, [files.html, *attachments]
        )
    if isinstance(dest, SmtpDestination):
        summary = "\n".join(
            [_title(files), *(f"{k}: {v}" for k, v in files.headline), f"Report: {link}"]
        )
        msg = smtp.message(dest, _subject(files), summary, files.html, attachments)
        return smtp.send(dest, msg)
    if isinstance(dest, WebhookDestination):
        build = webhook.workflow_payload if dest.teams_workflow else webhook.payload
        return webhook.post(dest, build(_title(files), list(files.headline), link))
    raise AssertionError(dest)


def _subject(files: ReportFiles) -> str:
    lead = ", ".join(f"{k} {v}" for k, v in files.headline[:2])
    return f"{_title(files)}" + (f": {lead}" if lead else "")


def failed(deliveries: list[Delivery]) -> list[Delivery]:
    return [d for d in deliveries if d.status == "failed"]
