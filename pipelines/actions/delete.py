"""`repos delete`: remove empty, stale or named repositories after a durable record of what is
lost (images with digests, tags, sizes, push and pull times; the lifecycle policy; the
repository's tags), each deletion logged as `repository_deleted` with its predicted savings.

Candidates come from the latest inventory snapshot; just before deleting, the repository is
read live and kept if it no longer qualifies (an image pushed or pulled since the snapshot).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from ecrcost.actions import log
from ecrcost.actions.apply import (
    Outcome,
    RunResult,
    client_for,
    error_text,
    finish,
    interruptible,
    new_run_backup,
    read_live_policy,
    start_row,
)
from ecrcost.actions.selection import Repo
from ecrcost.utc import naive_utc

DELETE_KIND = "repository_delete"


@dataclass(frozen=True)
class Criteria:
    """Exactly one of: empty repositories, stale ones (no push or pull for `stale_days` before
    the snapshot), or the user's globs (already applied by the selection)."""

    empty: bool = False
    stale_days: int | None = None

    def describe(self) -> str:
        if self.empty:
            return "empty"
        if self.stale_days is not None:
            return f"no push or pull for {self.stale_days} days"
        return "selected by name"


def stale_cutoff(repo: Repo, days: int) -> datetime:
    # Measured from the snapshot, not from now: pulls after the snapshot are unknown to it.
    return naive_utc(repo.snapshot_taken_at) - timedelta(days=days)


def qualifies(repo: Repo, criteria: Criteria) -> bool:
    """Whether the snapshot says `repo` is a candidate."""
    if criteria.empty:
        return repo.image_count == 0
    if criteria.stale_days is not None:
        last = naive_utc(repo.last_activity or repo.created_at)
        return last is not None and last < stale_cutoff(repo, criteria.stale_days)
    return True


def candidates(repos: Sequence[Repo], criteria: Criteria) -> list[Repo]:
    return [r for r in repos if qualifies(r, criteria)]


def _live_images(client: Any, repo: Repo) -> list[dict[str, Any]]:
    images: list[dict[str, Any]] = []
    paginator = client.get_paginator("describe_images")
    pages = paginator.paginate(
        registryId=repo.account_id,
        repositoryName=repo.repository_name,
        filter={"imageStatus": "ANY"},  # archived images are lost too
        PaginationConfig={"PageSize": 1000},
    )
    for page in pages:
        images.extend(page.get("imageDetails", []))
    return images


def _image_record(d: dict[str, Any]) -> dict[str, Any]:
    return {
        "image_digest": d["imageDigest"],
        "image_tags": d.get("imageTags", []),
        "size_bytes": d.get("imageSizeInBytes"),
        "pushed_at": d.get("imagePushedAt"),
        "last_pulled_at": d.get("lastRecordedPullTime"),
        "manifest_media_type": d.get("imageManifestMediaType"),
        "artifact_media_type": d.get("artifactMediaType"),
        "image_status": d.get("imageStatus"),
    }


def _changed_since_snapshot(repo: Repo, criteria: Criteria, images: list[dict]) -> str | None:
    if criteria.empty and images:
        return f"kept: {len(images)} image(s) now, the snapshot said empty"
    if criteria.stale_days is not None:
        cutoff = stale_cutoff(repo, criteria.stale_days)
        for d in images:
            for field_name in ("imagePushedAt", "lastRecordedPullTime", "lastActivatedAt"):
                t = naive_utc(d.get(field_name))
                if t is not None and t >= cutoff:
                    return f"kept: {d['imageDigest']} {field_name} {t:%Y-%m-%d} is recent"
    return None


def delete_repositories(
    con: Any,
    access: Any,
    settings: Any,
    repos: Sequence[Repo],
    criteria: Criteria,
    *,
    actor: str,
    now: datetime | None = None,
) -> RunResult:
    """Delete `repos` (exempt ones skipped), each after a durable record of what it held."""
    from botocore.exceptions import BotoCoreError, ClientError

    now = now or log.now_utc()
    writable = [r.key for r in repos if r.exempt_reason is None]
    backup = new_run_backup(
        settings, "delete", DELETE_KIND, now, actor, writable, criteria=criteria.describe()
    )
    outcomes: list[Outcome] = []
    clients: dict[tuple[str, str], Any] = {}
    with interruptible(backup, outcomes, restorable=False) as run:
        for repo in run.writable(repos):
            row = start_row(
                backup,
                log.REPOSITORY_DELETED,
                repo.key,
                actor,
                predicted_monthly_savings_usd=repo.monthly_cost(settings.prices),
                predicted_freed_bytes=repo.standard_bytes + repo.archive_bytes,
            )
            step = "client"
            try:
                client = client_for(access, clients, repo.account_id, repo.region)
                step = "DescribeImages"
                images = _live_images(client, repo)
                step = "ListTagsForResource"
                tags = client.list_tags_for_resource(resourceArn=repo.repository_arn).get(
                    "tags", []
                )
                step = "GetLifecyclePolicy"
                policy = read_live_policy(client, repo.account_id, repo.repository_name)
            except ClientError as exc:
                if exc.response.get("Error", {}).get("Code") == "RepositoryNotFoundException":
                    outcomes.append(Outcome(*repo.key, "unchanged", "already deleted"))
                    continue
                row.status, row.detail = "failed", f"{step}: {error_text(exc)}"
                log.record(con, row)
                outcomes.append(Outcome(*repo.key, "failed", row.detail))
                continue
            except BotoCoreError as exc:
                row.status, row.detail = "failed", f"{step}: {error_text(exc)}"
                log.record(con, row)
                outcomes.append(Outcome(*repo.key, "failed", row.detail))
                continue
            kept = _changed_since_snapshot(repo, criteria, images)
            if kept is not None:
                outcomes.append(Outcome(*repo.key, "skipped", kept))
                continue
            backup.write_entry(
                {
                    "account_id": repo.account_id,
                    "region": repo.region,
                    "repository_name": repo.repository_name,
                    "repository_arn": repo.repository_arn,
                    "created_at": repo.created_at,
                    "recorded_at": log.now_utc().isoformat(),
                    "had_policy": policy is not None,
                    "policy_text": policy,
                    "tags": {t["Key"]: t["Value"] for t in tags},
                    "images": [_image_record(d) for d in images],
                }
            )
            row.old_policy = policy
            row.detail = f"{len(images)} image(s) recorded in the backup"
            log.record(con, row)
            try:
                client.delete_repository(
                    registryId=repo.account_id,
                    repositoryName=repo.repository_name,
                    force=bool(images),
                )
                row.status = "done"
                outcomes.append(Outcome(*repo.key, "done", row.detail))
            except client.exceptions.RepositoryNotFoundException:
                row.status, row.detail = "done", "already deleted"
                outcomes.append(Outcome(*repo.key, "done", row.detail))
            except (ClientError, BotoCoreError) as exc:
                row.status, row.detail = "failed", f"DeleteRepository: {error_text(exc)}"
                outcomes.append(Outcome(*repo.key, "failed", row.detail))
            row.acted_at = log.now_utc()
            log.record(con, row)
    return finish(backup, outcomes)
