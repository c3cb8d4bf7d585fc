"""Monthly reports (HTML, Markdown, CSV) from the warehouse."""

from ecrcost.reports.prepare import prepare_report
from ecrcost.reports.render import ReportFiles, render_report

__all__ = ["ReportFiles", "prepare_report", "render_report"]
