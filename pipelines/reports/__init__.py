"""Monthly reports (HTML, Markdown, CSV) from the warehouse."""

from pipelines.reports.prepare import plan_candidate_policy, prepare_report
from pipelines.reports.render import ReportFiles, render_report

__all__ = ["ReportFiles", "plan_candidate_policy", "prepare_report", "render_report"]
