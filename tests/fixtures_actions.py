"""What the write-side tests share (policy apply/restore/export, repos delete): the moto ECR they
talk to over HTTP, settings that exempt `legacy/*`, an inventory written with SQL inserts, and an
AwsAccess that fails one call on purpose. tests/conftest.py loads it as a plugin, so the fixtures
`aws` and `exempt_settings` are there for every module."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError, EndpointConnectionError

from ecrcost.aws import AwsAccess
from ecrcost.settings import Settings, load_settings

ACCOUNT = "123456789012"  # moto's default account
REGION = "us-east-1"
TAKEN = datetime(2026, 11, 1, tzinfo=UTC)


def policy(count: int, description: str = "keep some", spaces: bool = False) -> str:
    data = {
        "rules": [
            {
                "rulePriority": 1,
                "description": description,
                "selection": {
                    "tagStatus": "any",
                    "countType": "imageCountMoreThan",
                    "countNumber": count,
                },
                "action": {"type": "expire"},
            }
        ]
    }
    # Odd whitespace: a restore must give back these exact bytes, not a re-serialisation.
    return json.dumps(data, indent=3 if spaces else None) + ("  \n" if spaces else "")


OLD = policy(5, "the team's own policy", spaces=True)
NEW = policy(20, "ecrcost base")


# --- fixtures and helpers -------------------------------------------------------------------


@pytest.fixture
def aws(moto_reset, monkeypatch) -> Any:
    """The session's moto server, emptied, and an ECR client on it over HTTP; the code under test
    follows AWS_ENDPOINT_URL there too."""
    monkeypatch.setenv("AWS_ENDPOINT_URL", moto_reset)
    return boto3.client("ecr", region_name=REGION)


@pytest.fixture
def exempt_settings(home, monkeypatch) -> Settings:
    """Settings exempting `legacy/*` by name (set in the environment, so the CLI reads it too)."""
    monkeypatch.setenv("ECRCOST_EXEMPT_REPOSITORIES", "legacy/*")
    return load_settings({"home": str(home)})


def live_policy(ecr: Any, name: str) -> str | None:
    try:
        return ecr.get_lifecycle_policy(repositoryName=name)["lifecyclePolicyText"]
    except ecr.exceptions.LifecyclePolicyNotFoundException:
        return None


def fill_inventory(
    con: Any, repos: list[dict[str, Any]], taken_at: datetime = TAKEN, in_use_read: bool = True
) -> None:
    """A snapshot holding `repos`: {name, tags?, policy?, images?: [(digest, size, pushed,
    pulled)], created_at?, complete?, account?, region?}. `in_use_read`: ECS and Lambda were
    read in each of their account/regions and nothing used the images (as `ecrcost inventory`
    records it); False: no in-use source recorded (a snapshot from before the collection)."""
    sid = f"snap-{taken_at:%Y%m%d%H%M%S}"
    taken = taken_at.replace(tzinfo=None)
    images = sum(len(r.get("images", [])) for r in repos)
    con.execute(
        "INSERT INTO ecr_snapshots VALUES (?, ?, 'test', false, ?, ?, 0)",
        [sid, taken, len(repos), images],
    )
    for r in repos:
        name = r["name"]
        account = r.get("account", ACCOUNT)
        region = r.get("region", REGION)
        key = [sid, taken, account, region, name]
        arn = f"arn:aws:ecr:{region}:{account}:repository/{name}"
        created = r.get("created_at", taken_at - timedelta(days=400)).replace(tzinfo=None)
        con.execute(
            "INSERT INTO ecr_repositories VALUES (?, ?, ?, ?, ?, ?, NULL, ?, 'MUTABLE', ?)",
            [*key, arn, created, r.get("complete", True)],
        )
        con.execute("INSERT INTO ecr_lifecycle_policies VALUES (?, ?, ?, ?, ?, ?)",
                    [*key, r.get("policy")])  # fmt: skip
        for k, v in r.get("tags", {}).items():
            con.execute("INSERT INTO ecr_repository_tags VALUES (?, ?, ?, ?, ?, ?, ?)",
                        [*key, k, v])  # fmt: skip
        for digest, size, pushed, pulled in r.get("images", []):
            con.execute(
                "INSERT INTO ecr_images VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, NULL, NULL, NULL,"
                " 'ACTIVE', NULL, NULL, [])",
                [*key, digest, ["v1"], size, pushed.replace(tzinfo=None),
                 pulled.replace(tzinfo=None) if pulled else None],
            )  # fmt: skip
    scopes = {(r.get("account", ACCOUNT), r.get("region", REGION)) for r in repos}
    for account, region in sorted(scopes) if in_use_read else []:
        for source in ("ecs", "lambda"):
            con.execute(
                "INSERT INTO ecr_in_use_sources VALUES (?, ?, ?, ?, ?, ?, 'read', NULL)",
                [sid, taken, source, account, region, f"{account}/{region}"],
            )


def create_repo(ecr: Any, name: str, policy_text: str | None = None, tags: dict | None = None):
    tag_list = [{"Key": k, "Value": v} for k, v in (tags or {}).items()]
    ecr.create_repository(repositoryName=name, **({"tags": tag_list} if tag_list else {}))
    if policy_text is not None:
        ecr.put_lifecycle_policy(repositoryName=name, lifecyclePolicyText=policy_text)


class DenyingAccess(AwsAccess):
    """AwsAccess whose ECR clients fail one operation for one repository."""

    def __init__(self, operation: str, repository: str, error: type[Exception] | None = None):
        super().__init__()
        self.operation, self.repository, self.error = operation, repository, error
        self.calls: list[tuple[str, str]] = []

    def client(self, service: str, account_id: str | None, region: str | None) -> Any:
        c = super().client(service, account_id, region or REGION)

        def hook(params: dict, model: Any, **_: Any) -> None:
            self.calls.append((model.name, params.get("repositoryName", "")))
            if model.name == self.operation and params.get("repositoryName") == self.repository:
                if self.error is not None:
                    raise self.error("simulated crash")
                raise ClientError(
                    {"Error": {"Code": "AccessDeniedException", "Message": "not allowed"}},
                    model.name,
                )

        c.meta.events.register(f"before-parameter-build.{service}", hook)
        return c


class SimulatedCrash(Exception):
    pass


class UnreachableAccess(AwsAccess):
    """AwsAccess whose ECR clients cannot connect (in `regions`, default every region), as when
    the network or the endpoint is down; it counts the calls tried."""

    def __init__(self, regions: tuple[str, ...] | None = None):
        super().__init__()
        self.regions, self.calls = regions, 0

    def client(self, service: str, account_id: str | None, region: str | None) -> Any:
        c = super().client(service, account_id, region or REGION)
        if service != "ecr" or (self.regions is not None and region not in self.regions):
            return c

        def hook(**_: Any) -> None:
            self.calls += 1
            raise EndpointConnectionError(endpoint_url=f"https://api.ecr.{region}.amazonaws.com/")

        c.meta.events.register("before-parameter-build.ecr", hook)
        return c


def rows(con: Any) -> dict[tuple[str, str], dict[str, Any]]:
    cur = con.execute("SELECT * FROM policy_actions")
    cols = [d[0] for d in cur.description]
    out = {}
    for r in cur.fetchall():
        row = dict(zip(cols, r, strict=True))
        out[(row["action"], row["repository_name"])] = row
    return out
