"""What `ecrcost demo` prints: a few lines a person reads, and where the outputs are."""

from __future__ import annotations

import shlex
from pathlib import Path

from ecrcost import sqlfiles, warehouse
from ecrcost.attribution.marts import periods_kept
from ecrcost.fmt import money, signed_money, signed_share
from ecrcost.reports.render import html_path, report_dir


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
        pct = f" ({signed_share(change / prior[3])})" if prior[3] else ""
        lines.append(
            f"ECR spend {last[0]}: {money(last[3])} (usage {money(last[1])}, adjustments "
            f"{money(last[2] or 0)}); {prior[0]}: {money(prior[3])}; "
            f"change {signed_money(change)}{pct}"
        )
    top = sqlfiles.run(con, "demo/top_repositories", {"period": last[0], "limit": 5}).fetchall()
    lines.append(f"top repositories in {last[0]}:")
    lines += [
        f"  {money(cost):>10}  {name}  ({account} {region})" for account, region, name, cost in top
    ]
    actions, realized, predicted, realized_usd, candidate_usd, candidate_repos = sqlfiles.run(
        con, "demo/savings_summary", {"period": last[0]}
    ).fetchall()[0]
    if actions:
        lines.append(
            f"past actions judged against the bill: {realized} of {actions} realized; "
            f"predicted {money(predicted or 0)}/month, realized {money(realized_usd or 0)}/month"
        )
    if candidate_usd is not None:
        lines.append(
            f"the playbook base policy would save {money(candidate_usd)}/month "
            f"in {candidate_repos} repositories (ecrcost policy plan)"
        )
    lines.append(f"warehouse: {settings.warehouse_path}  (open it with any DuckDB client)")
    report = html_path(report_dir(settings, last[0]), last[0])
    if report.exists():
        lines.append(f"report: {report}")
    lines.append("next, on the demo's data:")
    lines += [
        f"  {' '.join(shlex.quote(w) for w in argv)}" for argv in next_commands(settings, last[0])
    ]
    return lines


def next_commands(settings, period: str) -> list[list[str]]:
    """The commands the demo suggests next, each with the demo's --home (README's tour)."""
    home = ["--home", str(settings.home)]
    return [
        ["ecrcost", "costs", *home, "--period", period],
        ["ecrcost", "report", *home, "--period", period],
        ["ecrcost", "policy", "plan", *home],
        ["ecrcost", "findings", *home],
        ["ecrcost", "snapshots", *home],
    ]


def run_settings(settings) -> str:
    """One line: the settings `ecrcost run` hands to every asset (from flags, environment and
    ecrcost.toml), so a run over the wrong account or bill is seen before it ends."""
    if settings.inventory_snapshot:
        inventory = f"snapshot file {settings.inventory_snapshot}"
    else:
        parts = [f"profile {settings.aws_profile or '(default chain)'}"]
        parts.append(f"regions {','.join(settings.regions) or '(the profile region)'}")
        if settings.accounts:
            parts.append(f"accounts {','.join(settings.accounts)} via role {settings.role_name}")
        inventory = "AWS " + ", ".join(parts)
    return (
        f"run: home {settings.home}; "
        f"bill {settings.cur_location or '(none: pass --cur)'} ({settings.cur_format}); "
        f"inventory from {inventory}"
    )


def kept_after_interrupt(settings, periods: list[str]) -> str:
    """After Ctrl-C: what the warehouse holds of `periods`, read back from it (a period whose
    COMMIT landed counts as kept whatever the interrupted code believed), and the reports on
    disk."""
    try:
        with warehouse.opened(
            settings.warehouse_path, memory_limit=settings.duckdb_memory_limit
        ) as con:
            kept = periods_kept(con, periods)
    except Exception as exc:  # the warehouse may be unreadable right after an interrupt
        first = (str(exc).splitlines() or [type(exc).__name__])[0]
        return f"interrupted; could not read what {settings.warehouse_path} kept: {first}"
    billed = [p for p in periods if kept[p][0]]
    marts = [p for p in periods if kept[p][1]]
    reports = [p for p in periods if html_path(report_dir(settings, p), p).exists()]
    return (
        f"interrupted; {settings.warehouse_path} keeps "
        f"bills of {_listing(billed)}, marts of {_listing(marts)}; reports of "
        f"{_listing(reports)} (of {len(periods)} period(s) asked for). Run the same command "
        "again to finish"
    )


def _listing(periods: list[str]) -> str:
    return ", ".join(periods) or "none"
