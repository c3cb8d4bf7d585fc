"""Builders for the tests of plans, applies, pins and previews that respect images in use: an
inventory with chosen tags (on top of fixtures_actions.fill_inventory) and the rows the inventory
writes into `ecr_images_in_use` / `ecr_in_use_sources` (written here with SQL: the collection
has its own tests)."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any

from fixtures_actions import ACCOUNT, REGION, TAKEN, fill_inventory

SNAPSHOT = f"snap-{TAKEN:%Y%m%d%H%M%S}"  # the id fill_inventory gives a snapshot taken at TAKEN


def digest(n: int) -> str:
    return f"sha256:{n:04d}" + "c" * 60


def image(
    n: int,
    tags: tuple[str, ...] = (),
    days_old: int = 0,
    size: int = 1_000_000,
    children: tuple[int, ...] = (),
    subject: int | None = None,
    status: str = "ACTIVE",
) -> dict[str, Any]:
    """One image row: digest(n), pushed `days_old` days (and n seconds) before the snapshot."""
    return {
        "digest": digest(n),
        "tags": list(tags),
        "size": size,
        "pushed": TAKEN - timedelta(days=days_old, seconds=n),
        "children": [digest(c) for c in children],
        "subject": digest(subject) if subject is not None else None,
        "status": status,
    }


def inventory(con: Any, repos: dict[str, list[dict[str, Any]]], **repo_fields: Any) -> None:
    """A snapshot taken at TAKEN holding `repos` (name -> image rows of `image`)."""
    fill_inventory(con, [{"name": name, **repo_fields} for name in repos], in_use_read=False)
    taken = TAKEN.replace(tzinfo=None)
    for name, images in repos.items():
        for img in images:
            con.execute(
                "INSERT INTO ecr_images VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, NULL, NULL, NULL, ?,"
                " ?, NULL, NULL, ?)",
                [SNAPSHOT, taken, repo_fields.get("account", ACCOUNT),
                 repo_fields.get("region", REGION), name, img["digest"], img["tags"],
                 img["size"], img["pushed"].replace(tzinfo=None), img["subject"], img["status"],
                 img["children"]],
            )  # fmt: skip
    con.execute("UPDATE ecr_snapshots SET image_count = (SELECT count(*) FROM ecr_images)")


def in_use(
    con: Any,
    repository: str,
    image_digest: str | None,
    used_by: str,
    *,
    account: str = ACCOUNT,
    region: str = REGION,
    source: str | None = None,
    reference: str | None = None,
    observed_at: datetime = TAKEN,
    snapshot: tuple[str, datetime] = (SNAPSHOT, TAKEN),
) -> None:
    """One row of ecr_images_in_use for the snapshot (image_digest None: did not resolve)."""
    source = source or used_by.split(":", 1)[0]
    ref = reference or f"{account}.dkr.ecr.{region}.amazonaws.com/{repository}@{image_digest}"
    con.execute(
        "INSERT INTO ecr_images_in_use VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, NULL, ?, ?)",
        [snapshot[0], snapshot[1].replace(tzinfo=None), source, used_by,
         observed_at.replace(tzinfo=None), ref, account, region, repository, image_digest,
         "reported" if image_digest else "missing"],
    )  # fmt: skip


def source(
    con: Any,
    source: str,
    status: str = "read",
    *,
    account: str | None = ACCOUNT,
    region: str | None = REGION,
    scope: str | None = None,
    detail: str | None = None,
) -> None:
    """One row of ecr_in_use_sources for the snapshot."""
    scope = scope or f"{account}/{region}"
    con.execute(
        "INSERT INTO ecr_in_use_sources VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        [SNAPSHOT, TAKEN.replace(tzinfo=None), source, account, region, scope, status, detail],
    )


def all_sources_read(con: Any) -> None:
    for name in ("ecs", "lambda", "inspector"):
        source(con, name, "not_enabled" if name == "inspector" else "read")


def keep_newest(count: int, priority: int = 1, tag_status: str = "any") -> dict[str, Any]:
    selection: dict[str, Any] = {"tagStatus": tag_status}
    if tag_status == "tagged":
        selection["tagPatternList"] = ["*"]
    selection.update(countType="imageCountMoreThan", countNumber=count)
    return {
        "rulePriority": priority,
        "description": f"keep the newest {count}",
        "selection": selection,
        "action": {"type": "expire"},
    }


def policy_text(*rules: dict[str, Any]) -> str:
    return json.dumps({"rules": list(rules)}, indent=2)
