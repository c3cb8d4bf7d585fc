"""The HTML report in headless Chromium: it renders with no console message, every chart is in
the rendered DOM with its bars, user text stays text, and a screenshot is written under
$ECRCOST_TEST_ARTIFACTS when set (CI uploads that folder), else the test's tmp_path: tests write
nothing into the checkout.

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
from ecrcost.reports import render_report
from ecrcost.settings import Settings

CHROMIUM = Path(os.environ.get("ECRCOST_CHROMIUM", "/usr/bin/chromium"))
CHARTS = ("trend", "top_repositories", "chargeback", "realized_savings")
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
def report(tmp_path_factory) -> Path:
    tmp = tmp_path_factory.mktemp("browser")
    settings = Settings(home=tmp / "home")
    con = warehouse.connect(":memory:")
    try:
        build_warehouse(con, settings)
        return render_report(con, settings, PERIOD).html
    finally:
        con.close()


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
