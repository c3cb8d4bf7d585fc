"""The HTML report in headless Chromium: it renders with no console message, every chart is in
the rendered DOM with its bars and its title, user text stays text, nothing overflows
sideways at 390 px nor at the printed page's width, the headline's savings equal the marts, and
screenshots at 1400 and 390 px and a PDF print are written under $ECRCOST_TEST_ARTIFACTS when
set (CI uploads that folder), else the test's tmp_path: tests write nothing into the checkout.

The report itself has no script. Headless Chromium will not make a window narrower than 500 px,
so the 390 px checks load the report into a 390 px iframe of a test-only wrapper page whose
script writes the report's scrollWidth into the DOM (--dump-dom prints it); the wrapper needs
--allow-file-access-from-files to read a file:// frame.

Skipped only when /usr/bin/chromium is absent outside CI; under CI (env CI set) a missing
Chromium fails the test.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import pytest
from report_data import PERIOD, SCRIPT, build_warehouse

from ecrcost import warehouse
from ecrcost.periods import Period
from ecrcost.reports import render_report
from ecrcost.settings import Settings

CHROMIUM = Path(os.environ.get("ECRCOST_CHROMIUM", "/usr/bin/chromium"))
CHARTS = ("trend", "top_repositories", "chargeback", "realized_savings", "bridge")
# Console messages (any level) are logged by Chromium as "...:CONSOLE:<line>] "<text>", source".
CONSOLE = re.compile(r":CONSOLE(?::\d+)?\]|CONSOLE\(\d+\)")

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def chromium() -> Path:
    if CHROMIUM.is_file() and os.access(CHROMIUM, os.X_OK):
        return CHROMIUM
    if os.environ.get("CI"):
        pytest.fail(f"{CHROMIUM} is missing: CI must install Debian's chromium package")
    pytest.skip(f"{CHROMIUM} not installed (apt-get install chromium); CI runs this test")


def _run(chromium: Path, tmp: Path, *args: str) -> subprocess.CompletedProcess:
    flags = [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        f"--user-data-dir={tmp}",
        "--enable-logging=stderr",
        "--v=0",
    ]
    return subprocess.run(
        [str(chromium), *flags, *args],
        capture_output=True,
        text=True,
        timeout=90,
        check=False,
    )


class _Dom(HTMLParser):
    """Charts (svg.chart) with their bar counts, script elements, and the page's text."""

    def __init__(self) -> None:
        super().__init__()
        self.charts: dict[str, int] = {}
        self.scripts = 0
        self.text: list[str] = []
        self._chart: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "script":
            self.scripts += 1
        if tag == "svg" and "chart" in (a.get("class") or "").split():
            self._chart = a.get("data-chart") or "?"
            self.charts[self._chart] = 0
        if tag == "rect" and self._chart and "bar" in (a.get("class") or "").split():
            self.charts[self._chart] += 1

    def handle_endtag(self, tag: str) -> None:
        if tag == "svg":
            self._chart = None

    def handle_data(self, data: str) -> None:
        self.text.append(data)


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """The hand-built warehouse of report_data with everything the report reads."""
    tmp = tmp_path_factory.mktemp("browser")
    settings = Settings(home=tmp / "home")
    con = warehouse.connect(":memory:")
    build_warehouse(con, settings)
    yield con, settings
    con.close()


@pytest.fixture(scope="module")
def report(built) -> Path:
    con, settings = built
    return render_report(con, settings, PERIOD).html


def test_console_capture_works(chromium, tmp_path):
    # Proves the no-console-message check below can fail: a page that logs is caught.
    page = tmp_path / "bad.html"
    page.write_text('<!DOCTYPE html><p>x</p><script>console.error("marker-1234")</script>')
    result = _run(chromium, tmp_path / "profile", "--dump-dom", page.as_uri())
    assert any(
        CONSOLE.search(line) and "marker-1234" in line for line in result.stderr.splitlines()
    )


def test_report_renders_with_every_chart_and_no_console_message(chromium, report, tmp_path):
    result = _run(chromium, tmp_path / "profile", "--dump-dom", report.as_uri())
    assert result.returncode == 0, result.stderr[-2000:]
    console = [line for line in result.stderr.splitlines() if CONSOLE.search(line)]
    assert console == []
    dom = _Dom()
    dom.feed(result.stdout)
    for name in CHARTS:
        assert dom.charts.get(name, 0) > 0, f"chart {name} missing or without bars: {dom.charts}"
    assert dom.scripts == 0  # the tag value <script>... stayed text
    assert SCRIPT in "".join(dom.text)  # ... and shows as that text


def artifacts_dir(tmp_path: Path) -> Path:
    """Where a test keeps what a person looks at afterwards: $ECRCOST_TEST_ARTIFACTS when set,
    else the test's own tmp_path (never the checkout)."""
    folder = Path(os.environ.get("ECRCOST_TEST_ARTIFACTS") or tmp_path / "artifacts")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def test_artifacts_go_to_the_named_folder_or_the_tmp_path(tmp_path, monkeypatch):
    monkeypatch.delenv("ECRCOST_TEST_ARTIFACTS", raising=False)
    assert artifacts_dir(tmp_path) == tmp_path / "artifacts"
    monkeypatch.setenv("ECRCOST_TEST_ARTIFACTS", str(tmp_path / "ci" / "shots"))
    assert artifacts_dir(tmp_path) == tmp_path / "ci" / "shots"
    assert (tmp_path / "ci" / "shots").is_dir()


def test_screenshot(chromium, report, tmp_path):
    artifacts = artifacts_dir(tmp_path)
    shot = artifacts / f"report-{PERIOD}.png"
    shot.unlink(missing_ok=True)
    result = _run(
        chromium,
        tmp_path / "profile",
        f"--screenshot={shot}",
        "--window-size=1280,2400",
        "--hide-scrollbars",
        report.as_uri(),
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert shot.is_file() and shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert shot.stat().st_size > 50_000  # a blank page is a few KB
    shutil.copy(report, artifacts / report.name)
    if not os.environ.get("ECRCOST_TEST_ARTIFACTS"):
        assert tmp_path in shot.parents


# --- widths, print, titles, the headline's figures ------------------------------------------

PRINT_WIDTH = 1032  # A4 landscape (297 mm) less the 12 mm margins of style.css, at 96 px/inch


def _probe_page(folder: Path, report: Path, width: int, *, print_rules: bool = False) -> Path:
    """A test-only page holding `report` in a `width`-px iframe; its script writes the report's
    scrollWidth and clientWidth into <pre id=probe>, and by how many px the widest scrolling box
    (a table's or a chart's) overflows. `print_rules` applies the print CSS on screen (what
    --print-to-pdf lays out, where a scrolling box would clip)."""
    page = folder / report.name
    html = report.read_text(encoding="utf-8")
    page.write_text(html.replace("@media print {", "@media all {") if print_rules else html)
    wrapper = folder / "probe.html"
    wrapper.write_text(
        '<!DOCTYPE html><html><body style="margin:0">'
        f'<iframe src="{page.name}" style="width:{width}px;height:20000px;border:0" '
        'onload="var d=this.contentDocument.documentElement,m=0;'
        "d.querySelectorAll('.scroll,.chart-box').forEach(function(b){"
        "m=Math.max(m,b.scrollWidth-b.clientWidth)});document.body.insertAdjacentHTML("
        "'beforeend','<pre id=probe>'+d.scrollWidth+' '+d.clientWidth+' '+m+'</pre>')\">"
        "</iframe>"
        "</body></html>"
    )
    return wrapper


def _widths(chromium: Path, tmp: Path, wrapper: Path) -> tuple[int, int, int]:
    result = _run(
        chromium,
        tmp / "profile",
        "--allow-file-access-from-files",
        "--window-size=1100,900",
        "--dump-dom",
        wrapper.as_uri(),
    )
    found = re.search(r'<pre id="probe">(\d+) (\d+) (\d+)</pre>', result.stdout)
    assert found, result.stderr[-2000:]
    return int(found.group(1)), int(found.group(2)), int(found.group(3))


def test_overflow_probe_can_fail(chromium, tmp_path):
    # A page wider than its frame is caught: the check below can fail.
    wide = tmp_path / "wide.html"
    wide.write_text(
        '<!DOCTYPE html><body style="margin:0"><div style="width:600px">x</div>'
        '<div class="scroll" style="overflow:auto"><div style="width:500px">y</div></div>'
    )
    folder = tmp_path / "probe"
    folder.mkdir()
    assert _widths(chromium, tmp_path, _probe_page(folder, wide, 390)) == (600, 390, 110)


def test_no_horizontal_overflow_at_390_px(chromium, report, tmp_path):
    folder = tmp_path / "narrow"
    folder.mkdir()
    scroll, client, boxes = _widths(chromium, tmp_path, _probe_page(folder, report, 390))
    assert client <= 390 and scroll <= client  # (a vertical scrollbar may take some)
    assert boxes > 0  # the wide tables and the charts scroll inside their box instead


def test_no_column_clipped_when_printed(chromium, report, tmp_path):
    folder = tmp_path / "print"
    folder.mkdir()
    scroll, client, boxes = _widths(
        chromium, tmp_path, _probe_page(folder, report, PRINT_WIDTH, print_rules=True)
    )
    assert client == PRINT_WIDTH and scroll <= client  # nothing wider than the printed page
    assert boxes == 0  # and no table or chart clipped inside its box


def test_every_chart_has_a_title(chromium, report, tmp_path):
    result = _run(chromium, tmp_path / "profile", "--dump-dom", report.as_uri())
    charts = re.findall(
        r'<svg class="chart" data-chart="(\w+)"[^>]*>(.*?)</svg>', result.stdout, re.S
    )
    assert {name for name, _ in charts} == set(CHARTS)
    for name, body in charts:
        title = re.match(r"<title>([^<]+)</title>", body)
        visible = re.search(r'<text class="chart-title"[^>]*>([^<]+)</text>', body)
        assert title and visible and title.group(1) == visible.group(1), name
        assert len(visible.group(1)) > 20, name  # says what it measures, not just a word


def test_headline_savings_equal_the_marts(chromium, report, tmp_path, built):
    """The figures as the browser shows them, against sums read straight from the tables."""
    from ecrcost.fmt import money, signed_money

    result = _run(chromium, tmp_path / "profile", "--dump-dom", report.as_uri())
    headline = result.stdout.split('<section id="headline"')[1].split("</section>")[0]
    shown = dict(
        re.findall(r'<div class="label">([^<]+)</div><div class="value">([^<]+)</div>', headline)
    )
    con, _ = built
    (daily, monthly, effective) = con.execute(
        "SELECT daily_saving, realized_monthly_savings_usd, effective_day FROM realized_savings"
        " WHERE billing_period = $p AND verdict <> 'too_early'",
        {"p": PERIOD},
    ).fetchone()
    days = (Period.parse(PERIOD).last_day - effective).days + 1
    (policy,) = con.execute(
        "SELECT sum(monthly_savings_usd) FROM candidate_policy_plans WHERE skipped_reason IS NULL"
    ).fetchone()
    (spend,) = con.execute(
        "SELECT sum(net_cost) FROM repository_costs WHERE billing_period = $p", {"p": PERIOD}
    ).fetchone()
    (unattributed,) = con.execute(
        "SELECT sum(cost) FROM unattributed_costs WHERE billing_period = $p", {"p": PERIOD}
    ).fetchone()
    assert shown[f"realized in {PERIOD}"] == signed_money(daily * days)
    assert shown["realized, last 12 months"] == signed_money(daily * days)
    assert shown["annualized"] == signed_money(monthly * 12)
    assert shown["candidate lifecycle policy"] == money(policy)
    assert shown[f"ECR spend {PERIOD}"] == money(spend + unattributed)
    # realized first, then what is still available, then spend
    labels = list(shown)
    assert labels.index(f"realized in {PERIOD}") < labels.index("candidate lifecycle policy")
    assert labels.index("candidate lifecycle policy") < labels.index(f"ECR spend {PERIOD}")


def test_screenshots_at_1400_and_390_px_and_a_pdf(chromium, report, tmp_path):
    artifacts = artifacts_dir(tmp_path)
    wide = artifacts / f"report-{PERIOD}-1400px.png"
    narrow = artifacts / f"report-{PERIOD}-390px.png"
    pdf = artifacts / f"report-{PERIOD}.pdf"
    for path in (wide, narrow, pdf):
        path.unlink(missing_ok=True)
    shots = [
        (wide, "--window-size=1400,3000", report.as_uri()),
        # 390 px through the wrapper (Chromium's narrowest window is 500 px)
        (narrow, "--window-size=500,3000", _probe_page(artifacts, report, 390).as_uri()),
    ]
    for shot, size, uri in shots:
        result = _run(
            chromium,
            tmp_path / "profile",
            "--allow-file-access-from-files",
            f"--screenshot={shot}",
            size,
            "--hide-scrollbars",
            uri,
        )
        assert result.returncode == 0, result.stderr[-2000:]
        assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and shot.stat().st_size > 50_000
    result = _run(
        chromium,
        tmp_path / "profile",
        f"--print-to-pdf={pdf}",
        "--no-pdf-header-footer",
        report.as_uri(),
    )
    assert result.returncode == 0, result.stderr[-2000:]
    data = pdf.read_bytes()
    assert data[:5] == b"%PDF-" and len(re.findall(rb"/Type\s*/Page\b", data)) >= 2
    if not os.environ.get("ECRCOST_TEST_ARTIFACTS"):
        assert tmp_path in pdf.parents
