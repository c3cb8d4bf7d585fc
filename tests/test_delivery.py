"""Delivering the report: S3 (ThreadedMotoServer), e-mail over STARTTLS and SSL (a local aiosmtpd
server with a self-signed certificate the test trusts through SSL_CERT_FILE), and a webhook (a
local HTTP server). One failing destination does not stop the others, is retried next run, and
nothing is sent twice for the same report."""

from __future__ import annotations

import datetime as dt
import email
import http.server
import ipaddress
import json
import socket
import threading
from dataclasses import replace
from email import policy

import boto3
import pytest
from report_data import PERIOD, build_warehouse

from ecrcost import warehouse
from ecrcost.cli import main
from ecrcost.delivery import smtp
from ecrcost.delivery.deliver import deliver_report, report_digest
from ecrcost.delivery.destinations import (
    S3Destination,
    SmtpDestination,
    WebhookDestination,
    parse_destination,
)
from ecrcost.errors import UserError
from ecrcost.reports import render_report

# --- local servers --------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def certificate(tmp_path_factory):
    """A self-signed certificate for 127.0.0.1 and localhost: (cert file, key file)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    folder = tmp_path_factory.mktemp("tls")
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
            ),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_file, key_file = folder / "cert.pem", folder / "key.pem"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_file, key_file


class _Inbox:
    def __init__(self) -> None:
        self.messages: list[email.message.EmailMessage] = []
        self.logins: list[tuple[bytes, bytes]] = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(email.message_from_bytes(envelope.content, policy=policy.default))
        return "250 OK"

    def authenticate(self, server, session, envelope, mechanism, auth_data):
        from aiosmtpd.smtp import AuthResult

        self.logins.append((auth_data.login, auth_data.password))
        return AuthResult(success=(auth_data.login, auth_data.password) == (b"user", b"s3cret"))


@pytest.fixture
def smtp_server(certificate, monkeypatch):
    """SMTP on 127.0.0.1: STARTTLS required before AUTH and mail; yields (port, inbox)."""
    import ssl

    from aiosmtpd.controller import Controller

    cert_file, key_file = certificate
    monkeypatch.setenv("SSL_CERT_FILE", str(cert_file))
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert_file, key_file)
    inbox = _Inbox()
    port = _free_port()
    controller = Controller(
        inbox,
        hostname="127.0.0.1",
        port=port,
        tls_context=context,
        require_starttls=True,
        authenticator=inbox.authenticate,
        auth_require_tls=True,
    )
    controller.start()
    try:
        yield port, inbox
    finally:
        controller.stop()


@pytest.fixture
def smtps_server(certificate, monkeypatch):
    """SMTP over TLS from the first byte (port 465's way) on 127.0.0.1."""
    import ssl

    from aiosmtpd.controller import Controller

    cert_file, key_file = certificate
    monkeypatch.setenv("SSL_CERT_FILE", str(cert_file))
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert_file, key_file)
    inbox = _Inbox()
    port = _free_port()
    controller = Controller(
        inbox, hostname="127.0.0.1", port=port, ssl_context=context, server_hostname="localhost"
    )
    controller.start()
    try:
        yield port, inbox
    finally:
        controller.stop()


class _Hook(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        self.server.received.append((self.path, self.headers["Content-Type"], json.loads(body)))
        status = self.server.statuses.pop(0) if self.server.statuses else 200
        self.send_response(status)
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, *args):
        pass


@pytest.fixture
def hook():
    """A webhook receiver on 127.0.0.1; `statuses` lists the next answers (default 200)."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Hook)
    server.received, server.statuses = [], []
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def report(home, settings):
    """The hand-built warehouse (report_data) in `home`, its report rendered: (con, files)."""
    con = warehouse.connect(settings.warehouse_path)
    build_warehouse(con, settings)
    files = render_report(con, settings, PERIOD)
    yield con, files
    con.close()


# --- the setting ----------------------------------------------------------------------------


def test_destinations_parse():
    assert parse_destination("s3://bucket/ecr/reports") == S3Destination("bucket", "ecr/reports/")
    assert parse_destination("s3://bucket") == S3Destination("bucket", "")
    assert parse_destination(
        "smtp://mail.example.com?from=ecrcost@example.com&to=a@example.com&to=b@example.com"
    ) == SmtpDestination(
        "mail.example.com", 587, False, "ecrcost@example.com", ("a@example.com", "b@example.com")
    )
    assert parse_destination("smtps://mail.example.com?from=x@e.com&to=y@e.com").port == 465
    hook = parse_destination("https://hooks.example.com/services/T000/B000/XXXX")
    assert isinstance(hook, WebhookDestination)
    assert "XXXX" not in hook.label and hook.label.startswith("webhook https://hooks.example.com/")


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        ("ftp://host/x", "unknown destination"),
        ("s3://", "no bucket"),
        ("smtp://mail.example.com?to=a@example.com", "needs one from= and at least one to="),
        ("smtp://u:p@mail.example.com?from=a@e.com&to=b@e.com", "no credentials in the setting"),
        ("smtp://mail.example.com?from=a@e.com&to=nobody", "'nobody' is not an e-mail address"),
        ("smtp://mail.example.com:x?from=a@e.com&to=b@e.com", "the port is not a number"),
    ],
)
def test_bad_destinations_are_one_line(entry, message):
    with pytest.raises(UserError) as bad:
        parse_destination(entry)
    assert str(bad.value).startswith(f"deliver: {entry!r}: ") and message in str(bad.value)


def test_deliver_setting_from_toml_and_environment(tmp_path):
    from ecrcost.settings import load_settings

    toml = tmp_path / "ecrcost.toml"
    toml.write_text('deliver = ["s3://b/p/", "https://hooks.example.com/x"]\n')
    assert load_settings(config_file=toml, env={}).deliver == (
        "s3://b/p/",
        "https://hooks.example.com/x",
    )
    assert load_settings(env={"ECRCOST_DELIVER": "s3://b/p/"}).deliver == ("s3://b/p/",)


# --- the three destinations -----------------------------------------------------------------


def test_s3_upload_with_content_types(report, settings, moto_reset, monkeypatch):
    con, files = report
    monkeypatch.setenv("AWS_ENDPOINT_URL", moto_reset)
    s3 = boto3.client("s3", region_name="us-east-1")
    s3.create_bucket(Bucket="finops-reports")
    (done,) = deliver_report(con, replace(settings, deliver=("s3://finops-reports/ecr/",)), files)
    assert done.status == "sent"
    keys = {
        o["Key"] for o in s3.list_objects_v2(Bucket="finops-reports", Prefix="ecr/")["Contents"]
    }
    assert keys == {f"ecr/{PERIOD}/{p.name}" for p in [files.html, files.md, *files.csv]}
    head = s3.head_object(Bucket="finops-reports", Key=f"ecr/{PERIOD}/{files.html.name}")
    assert head["ContentType"] == "text/html; charset=utf-8"
    md = s3.head_object(Bucket="finops-reports", Key=f"ecr/{PERIOD}/{files.md.name}")
    assert md["ContentType"] == "text/markdown; charset=utf-8"
    trend = s3.get_object(Bucket="finops-reports", Key=f"ecr/{PERIOD}/trend.csv")
    assert trend["ContentType"] == "text/csv; charset=utf-8"
    assert trend["Body"].read() == (files.out_dir / "trend.csv").read_bytes()


def test_email_over_starttls_with_login_from_the_environment(
    report, settings, smtp_server, monkeypatch
):
    con, files = report
    port, inbox = smtp_server
    monkeypatch.setenv("ECRCOST_SMTP_USERNAME", "user")
    monkeypatch.setenv("ECRCOST_SMTP_PASSWORD", "s3cret")
    dest = f"smtp://127.0.0.1:{port}?from=ecrcost@example.com&to=finops@example.com"
    (done,) = deliver_report(con, replace(settings, deliver=(dest,)), files)
    assert done.status == "sent", done.detail
    assert inbox.logins == [(b"user", b"s3cret")]
    (msg,) = inbox.messages
    assert msg["To"] == "finops@example.com" and msg["From"] == "ecrcost@example.com"
    assert msg["Subject"].startswith(f"Amazon ECR cost report {PERIOD}: realized in {PERIOD} ")
    html = msg.get_body(("html",)).get_content()
    assert html.replace("\r\n", "\n") == files.html.read_text()
    plain = msg.get_body(("plain",)).get_content()
    assert "candidate lifecycle policy: $" in plain
    attached = {a.get_filename(): a for a in msg.iter_attachments()}
    assert set(attached) == {files.md.name, *(p.name for p in files.csv)}
    assert attached[files.md.name].get_content_type() == "text/markdown"
    assert attached["trend.csv"].get_content_type() == "text/csv"
    trend = attached["trend.csv"].get_content().replace("\r\n", "\n")
    assert trend == (files.out_dir / "trend.csv").read_text().replace("\r\n", "\n")


def test_email_refused_login_is_a_failed_destination(report, settings, smtp_server, monkeypatch):
    con, files = report
    port, inbox = smtp_server
    monkeypatch.setenv("ECRCOST_SMTP_USERNAME", "user")
    monkeypatch.setenv("ECRCOST_SMTP_PASSWORD", "wrong")
    # aiosmtpd 1.4 answers a refused AUTH by not answering: the client's timeout ends it.
    monkeypatch.setattr(smtp, "TIMEOUT_SECONDS", 2.0)
    dest = f"smtp://127.0.0.1:{port}?from=ecrcost@example.com&to=finops@example.com"
    (done,) = deliver_report(con, replace(settings, deliver=(dest,)), files)
    assert done.status == "failed" and done.detail.startswith("SMTP")
    assert inbox.logins == [(b"user", b"wrong")] and inbox.messages == []


def test_email_over_ssl(report, settings, smtps_server):
    con, files = report
    port, inbox = smtps_server
    dest = f"smtps://127.0.0.1:{port}?from=ecrcost@example.com&to=finops@example.com"
    (done,) = deliver_report(con, replace(settings, deliver=(dest,)), files)
    assert done.status == "sent", done.detail
    (msg,) = inbox.messages
    html = msg.get_body(("html",)).get_content()
    assert html.replace("\r\n", "\n") == files.html.read_text()


def test_email_needs_starttls(report, settings):
    from aiosmtpd.controller import Controller

    con, files = report
    inbox = _Inbox()
    port = _free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)  # no TLS offered
    controller.start()
    try:
        dest = f"smtp://127.0.0.1:{port}?from=ecrcost@example.com&to=finops@example.com"
        (done,) = deliver_report(con, replace(settings, deliver=(dest,)), files)
    finally:
        controller.stop()
    assert done.status == "failed" and "offers no STARTTLS" in done.detail
    assert inbox.messages == []


def test_webhook_json_for_slack_and_teams(report, settings, hook):
    con, files = report
    url = f"http://127.0.0.1:{hook.server_port}/services/T1/B2/secret"
    linked = replace(settings, deliver=(url,), report_link="https://reports.example.com/ecr/")
    (done,) = deliver_report(con, linked, files)
    assert done.status == "sent" and "secret" not in done.line()
    ((path, content_type, body),) = hook.received
    assert path == "/services/T1/B2/secret" and content_type == "application/json"
    link = f"https://reports.example.com/ecr/{PERIOD}/{files.html.name}"
    figures = dict(files.headline)
    # Slack reads `text`; Teams the message card's title, facts and action.
    assert body["text"].splitlines()[0] == f"Amazon ECR cost report {PERIOD}"
    assert f"candidate lifecycle policy: {figures['candidate lifecycle policy']}" in body["text"]
    assert body["text"].endswith(f"Report: {link}")
    assert body["@type"] == "MessageCard" and body["title"] == f"Amazon ECR cost report {PERIOD}"
    facts = {f["name"]: f["value"] for f in body["sections"][0]["facts"]}
    assert facts == figures and facts[f"ECR spend {PERIOD}"] == "$104.91"
    assert body["potentialAction"][0]["targets"] == [{"os": "default", "uri": link}]


# --- failures, retries, no duplicates -------------------------------------------------------


def test_a_failed_destination_does_not_stop_the_others_and_is_retried(
    report, settings, hook, moto_reset, monkeypatch
):
    con, files = report
    monkeypatch.setenv("AWS_ENDPOINT_URL", moto_reset)
    s3 = boto3.client("s3", region_name="us-east-1")
    s3.create_bucket(Bucket="finops-reports")
    url = f"http://127.0.0.1:{hook.server_port}/hook"
    both = replace(settings, deliver=(url, "s3://finops-reports/"))
    hook.statuses = [500]
    first = deliver_report(con, both, files)
    assert [d.status for d in first] == ["failed", "sent"]
    assert first[0].line().startswith("missing: delivery to webhook http://127.0.0.1:")
    assert "HTTP Error 500" in first[0].detail
    # The next run (the same report rendered again): only the webhook is sent.
    again = render_report(con, settings, PERIOD)
    assert report_digest(again) == report_digest(files)
    second = deliver_report(con, both, again)
    assert [d.status for d in second] == ["sent", "already sent"]
    assert len(hook.received) == 2  # the refused post and the retry
    third = deliver_report(con, both, again)
    assert [d.status for d in third] == ["already sent", "already sent"]
    assert len(hook.received) == 2
    rows = con.execute(
        "SELECT status, count(*) FROM report_deliveries GROUP BY 1 ORDER BY 1"
    ).fetchall()
    assert rows == [("failed", 1), ("sent", 2)]


def test_a_restated_bill_is_a_new_report_and_is_delivered_again(report, settings, hook):
    con, files = report
    url = f"http://127.0.0.1:{hook.server_port}/hook"
    with_hook = replace(settings, deliver=(url,))
    assert [d.status for d in deliver_report(con, with_hook, files)] == ["sent"]
    before = report_digest(files)
    con.execute("UPDATE cur_ecr_lines SET unblended_cost = unblended_cost * 2")
    con.execute("DELETE FROM cur_ecr_line_groups")
    from ecrcost.billing.groups import replace_line_groups

    for period in ("2026-01", "2026-02", PERIOD):
        replace_line_groups(con, period)
    restated = render_report(con, settings, PERIOD)
    assert report_digest(restated) != before
    assert [d.status for d in deliver_report(con, with_hook, restated)] == ["sent"]
    assert len(hook.received) == 2


def test_cli_report_deliver_exit_3_names_the_failed_destination(
    report, settings, home, hook, capsys, monkeypatch
):
    con, _ = report
    con.close()
    good = f"http://127.0.0.1:{hook.server_port}/good"
    bad = f"http://127.0.0.1:{_free_port()}/nobody-listens"
    monkeypatch.setenv("ECRCOST_DELIVER", f"{bad},{good}")
    argv = ["report", "--period", PERIOD, "--home", str(home), "--deliver"]
    assert main(argv) == 3
    err = capsys.readouterr().err.splitlines()
    assert any(line.startswith("missing: delivery to webhook http://127.0.0.1:") for line in err)
    assert any(line.startswith("sent: webhook http://127.0.0.1:") for line in err)
    assert err[-1] == (
        "ecrcost: 1 of 2 destination(s) failed (listed above; tried again on the next run); the "
        "report is written and the others received it"
    )
    assert [p for p, _, _ in hook.received] == ["/good"]


def test_cli_deliver_without_destinations_or_with_a_bad_one(home, settings, capsys, monkeypatch):
    argv = ["report", "--period", PERIOD, "--home", str(home), "--deliver"]
    assert main(argv) == 2
    assert "--deliver: no destination" in capsys.readouterr().err
    monkeypatch.setenv("ECRCOST_DELIVER", "ftp://x/")
    assert main(argv) == 2
    assert capsys.readouterr().err.startswith("ecrcost: deliver: 'ftp://x/': unknown destination")
    assert not (home / "reports").exists()


def test_a_teams_workflows_webhook_gets_an_adaptive_card(report, settings, hook):
    con, files = report
    url = f"teams+http://127.0.0.1:{hook.server_port}/workflows/abc/triggers/manual/run?sig=s"
    linked = replace(settings, deliver=(url,), report_link="https://reports.example.com/ecr/")
    (done,) = deliver_report(con, linked, files)
    assert done.status == "sent", done.detail
    ((path, _, body),) = hook.received
    assert path == "/workflows/abc/triggers/manual/run?sig=s"  # posted to the URL without teams+
    (attachment,) = body["attachments"]
    assert body["type"] == "message"
    assert attachment["contentType"] == "application/vnd.microsoft.card.adaptive"
    card = attachment["content"]
    assert card["type"] == "AdaptiveCard" and card["body"][0]["text"] == (
        f"Amazon ECR cost report {PERIOD}"
    )
    facts = {f["title"]: f["value"] for f in card["body"][1]["facts"]}
    assert facts == dict(files.headline)
    link = f"https://reports.example.com/ecr/{PERIOD}/{files.html.name}"
    assert card["actions"] == [{"type": "Action.OpenUrl", "title": "Open the report", "url": link}]
