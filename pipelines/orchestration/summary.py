"""What `ecrcost demo` prints: a few lines a person reads, and where the outputs are."""

from __future__ import annotations

from pathlib import Path

from pipelines import sqlfiles


def import_actions(con, path: Path) -> int:
    """Load action records from a JSON array file (the sample's recorded history)."""
    sqlfiles.run(con, "demo/import_actions", {"path": str(path)})
    return con.execute("SELECT count(*) FROM policy_actions").fetchall()[0][0]


def demo_summary(con, settings, sample_dir: Path) -> list[str]:
    totals = sqlfiles.run(con, "demo/period_totals").fetchall()
    if not totals:
        return ["no ECR spend was loaded"]
    last = totals[-1]
    lines = [
        f"sample organisation: {sample_dir}",
        f"billing periods loaded: {totals[0][0]}..{last[0]} ({len(totals)})",
    ]
    if len(totals) > 1:
        prior = totals[-2]
        change = last[3] - prior[3]
        pct = f" ({change / prior[3]:+.1%})" if prior[3] else ""
        lines.append(
            f"ECR spend {last[0]}: ${last[3]:,.2f} (usage ${last[1]:,.2f}, adjustments "
            f"${last[2] or 0:,.2f}); {prior[0]}: ${prior[3]:,.2f}; change ${change:+,.2f}{pct}"
        )
    top = sqlfiles.run(con, "demo/top_repositories", {"period": last[0], "limit": 5}).fetchall()
    lines.append(f"top repositories in {last[0]}:")
    lines += [
        f"  ${cost:>9,.2f}  {name}  ({account} {region})" for account, region, name, cost in top
    ]
    actions, realized, predicted, realized_usd, candidate_usd, candidate_repos = sqlfiles.run(
        con, "demo/savings_summary", {"period": last[0]}
    ).fetchall()[0]
    if actions:
        lines.append(
            f"past actions judged against the bill: {realized} of {actions} realized; "
            f"predicted ${predicted or 0:,.2f}/month, realized ${realized_usd or 0:,.2f}/month"
        )
    if candidate_usd is not None:
        lines.append(
            f"the playbook base policy would save ${candidate_usd:,.2f}/month "
            f"in {candidate_repos} repositories (ecrcost policy plan)"
        )
    lines.append(f"warehouse: {settings.warehouse_path}  (open it with any DuckDB client)")
    report = settings.home / "reports" / last[0] / f"ecr-report-{last[0]}.html"
    if report.exists():
        lines.append(f"report: {report}")
    return lines
