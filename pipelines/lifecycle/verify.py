"""The plan checked by AWS itself: StartLifecyclePolicyPreview with the candidate policy text on
each planned repository, GetLifecyclePolicyPreview until it ends, and AWS's answer compared
image by image (action and appliedRulePriority) with the local simulation.

A preview changes nothing in the repository. AWS runs one preview per repository at a time
(LifecyclePolicyPreviewInProgressException: "The previous lifecycle policy preview request has
not completed. Wait and try again."): a repository with a preview running waits for it, then
starts its own. Facts and sources: docs/lifecycle-semantics.md, "Preview".

Choices:
- `previewResults` lists the images the policy would act on; an image it does not list is kept.
  An image AWS lists that the snapshot lacks (pushed since) is a disagreement: AWS evaluates the
  repository as it is now, the simulation the snapshot.
- The simulation runs at the instant the command starts (AWS's previews evaluate now), unless
  --at says otherwise; repositories a plan would not plan (exempt, incomplete inventory) are not
  previewed, with the plan's reason.
- Throttling is retried by the clients themselves (botocore's standard retry mode with backoff,
  `ecrcost.aws`); at most `max_concurrency` previews run at once; every wait is bounded.
- The preview AWS answers with must be of this policy (its `lifecyclePolicyText`): a preview
  someone else started meanwhile is not taken for ours.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from ecrcost.aws import api_errors, error_of
from ecrcost.fmt import iso
from ecrcost.lifecycle.model import columns_of
from ecrcost.lifecycle.plan import RepositoryPlan, plan_policy
from ecrcost.progress import Progress

if TYPE_CHECKING:
    import duckdb

    from ecrcost.settings import Settings

AWS_ACTIONS = {"EXPIRE": "expire", "TRANSITION": "transition"}
PAGE_SIZE = 100  # LifecyclePreviewMaxResults: 1 to 100
START_ATTEMPTS = 3  # starts refused because another preview of the repository was running


@dataclass(frozen=True)
class Waits:
    """Seconds: the first pause between polls, the longest one, and the bound per repository."""

    first: float = 2.0
    longest: float = 15.0
    bound: float = 300.0


@dataclass
class RepositoryCheck:
    account_id: str
    region: str
    repository_name: str
    status: str  # compared | failed | skipped
    detail: str = ""
    compared: int = 0
    agreed: int = 0
    disagreements: list[dict[str, Any]] = field(default_factory=list)

    @property
    def label(self) -> str:
        return f"{self.account_id}/{self.region}/{self.repository_name}"

    def to_json(self) -> dict[str, Any]:
        return {
            "account_id": self.account_id,
            "region": self.region,
            "repository_name": self.repository_name,
            "status": self.status,
            "detail": self.detail or None,
            "compared": self.compared,
            "agreed": self.agreed,
            "disagreements": self.disagreements,
        }


@dataclass
class Verification:
    snapshot_id: str
    evaluated_at: datetime
    repositories: list[RepositoryCheck]

    @property
    def totals(self) -> dict[str, Any]:
        compared = sum(r.compared for r in self.repositories)
        agreed = sum(r.agreed for r in self.repositories)
        return {
            "repositories": sum(r.status == "compared" for r in self.repositories),
            "failed": sum(r.status == "failed" for r in self.repositories),
            "skipped": sum(r.status == "skipped" for r in self.repositories),
            "images_compared": compared,
            "agreed": agreed,
            "disagreements": compared - agreed,
            "agreement_rate": round(agreed / compared, 6) if compared else None,
        }

    def to_json(self) -> dict[str, Any]:
        return {
            "snapshot_id": self.snapshot_id,
            "evaluated_at": iso(self.evaluated_at),
            "repositories": [r.to_json() for r in self.repositories],
            "totals": self.totals,
        }


def verify_policy(
    con: duckdb.DuckDBPyConnection,
    settings: Settings,
    access: Any,
    policy_text: str,
    include: Sequence[str] | None,
    exclude: Sequence[str] | None,
    at: datetime,
    snapshot_id: str | None = None,
    waits: Waits = Waits(),
    sleep: Callable[[float], None] = time.sleep,
) -> Verification:
    """Preview `policy_text` on each repository it plans over the snapshot and compare."""
    plan = plan_policy(con, settings, policy_text, include, exclude, at, snapshot_id=snapshot_id)
    checks: dict[tuple[str, str, str], RepositoryCheck] = {}
    todo: list[RepositoryPlan] = []
    for r in plan.repositories:
        if r.skipped_reason is not None:
            checks[r.key] = RepositoryCheck(*r.key, "skipped", r.skipped_reason)
        else:
            todo.append(r)
    clients = _Clients(access)

    def one(r: RepositoryPlan) -> RepositoryCheck:
        try:
            client = clients.get(r.account_id, r.region)
            answer = preview(client, r.account_id, r.repository_name, policy_text, waits, sleep)
        except PreviewFailed as exc:
            return RepositoryCheck(*r.key, "failed", str(exc))
        except api_errors() as exc:
            code, message = error_of(exc)
            return RepositoryCheck(*r.key, "failed", f"{code}: {message}")
        return compare(r, answer)

    workers = max(1, settings.max_concurrency)
    with Progress("previews", len(todo)) as progress, ThreadPoolExecutor(workers) as pool:
        for done in as_completed([pool.submit(one, r) for r in todo]):
            check = done.result()
            checks[(check.account_id, check.region, check.repository_name)] = check
            progress.advance()
    ordered = [checks[r.key] for r in plan.repositories]
    return Verification(plan.snapshot_id, plan.evaluated_at, ordered)


class PreviewFailed(Exception):
    """The preview did not give an answer (FAILED, EXPIRED, another policy, out of time)."""


def preview(
    client: Any,
    account_id: str,
    repository_name: str,
    policy_text: str,
    waits: Waits,
    sleep: Callable[[float], None],
) -> list[dict[str, Any]]:
    """AWS's previewResults for `policy_text` on the repository (every page)."""
    ids = {"registryId": account_id, "repositoryName": repository_name}
    deadline = time.monotonic() + waits.bound
    for attempt in range(START_ATTEMPTS):
        try:
            client.start_lifecycle_policy_preview(**ids, lifecyclePolicyText=policy_text)
            break
        except client.exceptions.LifecyclePolicyPreviewInProgressException:
            if attempt == START_ATTEMPTS - 1:
                raise PreviewFailed(
                    f"another preview of this repository kept running ({START_ATTEMPTS} starts "
                    "refused with LifecyclePolicyPreviewInProgressException)"
                ) from None
            _wait_for_end(client, ids, deadline, waits, sleep)  # the other one, then ours
    page = _wait_for_end(client, ids, deadline, waits, sleep)
    status = page.get("status")
    if status != "COMPLETE":
        raise PreviewFailed(f"the preview ended {status}")
    if not _same_policy(page.get("lifecyclePolicyText"), policy_text):
        raise PreviewFailed("the preview AWS holds is of another policy (started meanwhile?)")
    results = list(page.get("previewResults", []))
    while page.get("nextToken"):
        page = client.get_lifecycle_policy_preview(
            **ids, maxResults=PAGE_SIZE, nextToken=page["nextToken"]
        )
        results.extend(page.get("previewResults", []))
    return results


def _wait_for_end(
    client: Any,
    ids: dict[str, str],
    deadline: float,
    waits: Waits,
    sleep: Callable[[float], None],
) -> dict[str, Any]:
    """Poll GetLifecyclePolicyPreview until the repository's preview is no longer IN_PROGRESS
    (its first page), pausing longer each time, within the deadline."""
    pause = waits.first
    while True:
        try:
            page = client.get_lifecycle_policy_preview(**ids, maxResults=PAGE_SIZE)
        except client.exceptions.LifecyclePolicyPreviewNotFoundException:
            page = {"status": "NOT_FOUND"}  # the running one is gone: starting may go ahead
        if page.get("status") != "IN_PROGRESS":
            return page
        if time.monotonic() + pause > deadline:
            raise PreviewFailed(f"still IN_PROGRESS after {waits.bound:.0f} s (the bound)")
        sleep(pause)
        pause = min(pause * 1.5, waits.longest)


def compare(r: RepositoryPlan, answer: list[dict[str, Any]]) -> RepositoryCheck:
    """Image by image: the simulation's (action, rule) against AWS's, over every image of the
    snapshot and every image AWS listed."""
    ev = r.evaluation
    assert ev is not None
    cols = columns_of(r.images)
    local = {
        digest: (ev.actions[i], ev.priorities[i], cols.tags(i))
        for i, digest in enumerate(cols.digests)
    }
    aws = {
        res["imageDigest"]: (
            AWS_ACTIONS.get(
                res.get("action", {}).get("type", ""), res.get("action", {}).get("type")
            ),
            res.get("appliedRulePriority"),
            tuple(res.get("imageTags", [])),
        )
        for res in answer
    }
    check = RepositoryCheck(*r.key, "compared")
    for digest in sorted(set(local) | set(aws)):
        mine = local.get(digest)
        theirs = aws.get(digest)
        mine_pair = (mine[0], mine[1]) if mine else None
        theirs_pair = (theirs[0], theirs[1]) if theirs else (None, None)
        check.compared += 1
        if mine_pair == theirs_pair:
            check.agreed += 1
            continue
        tags = (mine or theirs)[2]  # type: ignore[index]
        check.disagreements.append(
            {
                "digest": digest,
                "tags": list(tags),
                "local": None if mine is None else {"action": mine[0], "rule_priority": mine[1]},
                "aws": {"action": theirs_pair[0], "rule_priority": theirs_pair[1]},
                **({"note": "not in the snapshot (pushed since?)"} if mine is None else {}),
            }
        )
    return check


class _Clients:
    """One ECR client per account and region, made once from any worker thread."""

    def __init__(self, access: Any):
        self.access, self.made, self.lock = access, {}, threading.Lock()

    def get(self, account_id: str, region: str) -> Any:
        with self.lock:
            if (account_id, region) not in self.made:
                self.made[(account_id, region)] = self.access.client("ecr", account_id, region)
            return self.made[(account_id, region)]


def _same_policy(a: str | None, b: str) -> bool:
    try:
        return a is not None and json.loads(a) == json.loads(b)
    except ValueError:
        return a == b
