"""The report's spend bridge: from the prior period's spend to this period's, step by step (the
realized saving of each action among them), as a waterfall chart, a table and its CSV. The
steps are `ecrcost.savings.bridge`'s, over the same stored verdicts `ecrcost savings` prints,
so every figure equals `ecrcost savings --output json` and reconciles with the marts."""

from __future__ import annotations

from ecrcost.reports import charts
from ecrcost.reports.parts import Column, Context, Section, Table, unavailable
from ecrcost.savings.realized import stored_verdicts
from ecrcost.savings.view import bridge_or_why, floats


def bridge(ctx: Context) -> Section:
    key, title = "bridge", "Spend bridge from the prior period"
    found, why = bridge_or_why(ctx.con, ctx.period, stored_verdicts(ctx.con, ctx.period))
    if found is None:
        return unavailable(key, title, why or "not available")
    s = Section(key, f"Spend bridge: {found.prior} to {found.period}")
    running = found.start
    rows = []
    for step in found.steps:
        if step.key not in ("start", "end"):
            running += step.amount
        rows.append(
            floats(
                {
                    "step": step.key,
                    "label": step.label,
                    "amount": step.amount if step.key not in ("start", "end") else None,
                    "spend": step.amount if step.key in ("start", "end") else running,
                    "repositories": step.repositories or None,
                    "action_id": step.action_id,
                }
            )
        )
    s.text.append(
        f"{found.prior}'s ECR spend, plus each change, is {found.period}'s, to the cent of the "
        "attribution marts. Untouched repositories moved on their own; touched ones are shown "
        "as they would have changed without their actions, each action's realized saving "
        "apart; new repositories were first billed this period, deleted ones last billed in "
        "the prior period."
    )
    s.text += [f"Not a step of its own: {note}." for note in found.not_in_bridge]
    s.charts.append(
        charts.waterfall_chart(
            "bridge",
            f"ECR spend from {found.prior} to {found.period}",
            [r["label"] for r in rows],
            [r["amount"] if r["amount"] is not None else r["spend"] for r in rows],
        )
    )
    s.tables.append(
        Table(
            "bridge",
            "The bridge, step by step",
            [
                Column("step", "step", show=False),
                Column("label", "step", "name"),
                Column("amount", "change", "signed_money"),
                Column("spend", "spend after it", "money"),
                Column("repositories", "repositories", "int"),
                Column("action_id", "action", show=False),
            ],
            rows,
        )
    )
    return s
