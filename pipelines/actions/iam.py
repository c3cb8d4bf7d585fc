"""The least-privilege IAM policy for ecrcost, from the one list of AWS operations it calls.

`OPERATIONS` is the single source: `policy_document` is built from it and the tests check
that every operation the test suite saw the code call maps to an action the document allows.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

MODES = ("read", "apply")


@dataclass(frozen=True)
class Operation:
    service: str  # botocore service name
    name: str  # API operation name, as botocore emits it
    action: str  # IAM action
    mode: str  # read | apply (apply mode allows read too)
    statement: str  # Sid of the statement allowing it


OPERATIONS: tuple[Operation, ...] = (
    Operation(
        "ecr", "DescribeRepositories", "ecr:DescribeRepositories", "read", "ReadEcrInventory"
    ),
    Operation("ecr", "DescribeImages", "ecr:DescribeImages", "read", "ReadEcrInventory"),
    Operation("ecr", "ListTagsForResource", "ecr:ListTagsForResource", "read", "ReadEcrInventory"),
    # a region's repository tags, 100 repositories a call (ListTagsForResource when refused)
    Operation(
        "resourcegroupstaggingapi", "GetResources", "tag:GetResources", "read", "ReadRepositoryTags"
    ),
    Operation("ecr", "GetLifecyclePolicy", "ecr:GetLifecyclePolicy", "read", "ReadEcrInventory"),
    Operation(
        "ecr",
        "BatchGetImage",
        "ecr:BatchGetImage",
        "read",
        "OnlyForManifestsFlagReadsManifestsAndUpdatesPullTimes",
    ),
    Operation(
        "ecr",
        "StartLifecyclePolicyPreview",
        "ecr:StartLifecyclePolicyPreview",
        "read",
        "PreviewLifecyclePolicies",
    ),
    Operation(
        "ecr",
        "GetLifecyclePolicyPreview",
        "ecr:GetLifecyclePolicyPreview",
        "read",
        "PreviewLifecyclePolicies",
    ),
    Operation("ec2", "DescribeRegions", "ec2:DescribeRegions", "read", "ListEnabledRegions"),
    # Images in use (inventory/in_use.py): read-only calls; list calls take no resource ARN.
    *(
        Operation("ecs", name, f"ecs:{name}", "read", "ReadEcsImagesInUse")
        for name in (
            "ListClusters",
            "ListServices",
            "DescribeServices",
            "ListTasks",
            "DescribeTasks",
            "ListTaskDefinitionFamilies",
            "ListTaskDefinitions",
            "DescribeTaskDefinition",
        )
    ),
    *(
        Operation("lambda", name, f"lambda:{name}", "read", "ReadLambdaImagesInUse")
        for name in ("ListFunctions", "ListVersionsByFunction", "ListAliases", "GetFunction")
    ),
    *(
        Operation("inspector2", name, f"inspector2:{name}", "read", "ReadInspectorImagesInUse")
        for name in ("BatchGetAccountStatus", "ListCoverage")
    ),
    Operation("sts", "GetCallerIdentity", "sts:GetCallerIdentity", "read", "IdentifyCaller"),
    Operation("sts", "AssumeRole", "sts:AssumeRole", "read", "AssumeMemberAccountRole"),
    Operation("s3", "ListObjectsV2", "s3:ListBucket", "read", "ListCostAndUsageReport"),
    Operation("s3", "ListObjects", "s3:ListBucket", "read", "ListCostAndUsageReport"),
    Operation("s3", "GetObject", "s3:GetObject", "read", "ReadCostAndUsageReport"),
    Operation("s3", "HeadObject", "s3:GetObject", "read", "ReadCostAndUsageReport"),
    # ingest --engine athena (billing/athena.py): the query, the table's catalog entry, and the
    # results/UNLOAD location (Athena writes there with the caller's rights; ecrcost reads back)
    *(
        Operation("athena", name, f"athena:{name}", "read", "RunAthenaQueries")
        for name in ("StartQueryExecution", "GetQueryExecution", "StopQueryExecution")
    ),
    *(
        Operation("glue", name, f"glue:{name}", "read", "ReadBillTableCatalog")
        for name in ("GetTable", "GetDatabase", "GetPartitions")  # the last two: Athena's own
    ),
    Operation("s3", "ListObjectsV2", "s3:ListBucket", "read", "ListAthenaResults"),
    Operation("s3", "GetBucketLocation", "s3:GetBucketLocation", "read", "ListAthenaResults"),
    *(
        Operation("s3", name, action, "read", "WriteAthenaResults")
        for name, action in (
            ("PutObject", "s3:PutObject"),
            ("GetObject", "s3:GetObject"),
            ("AbortMultipartUpload", "s3:AbortMultipartUpload"),
        )
    ),
    # report --deliver to s3:// destinations (delivery/s3.py)
    Operation("s3", "PutObject", "s3:PutObject", "read", "DeliverReports"),
    Operation(
        "ecr", "PutLifecyclePolicy", "ecr:PutLifecyclePolicy", "apply", "WriteLifecyclePolicies"
    ),
    Operation(
        "ecr",
        "DeleteLifecyclePolicy",
        "ecr:DeleteLifecyclePolicy",
        "apply",
        "WriteLifecyclePolicies",
    ),
    Operation("ecr", "DeleteRepository", "ecr:DeleteRepository", "apply", "DeleteRepositories"),
    Operation("ecr", "PutImage", "ecr:PutImage", "apply", "PinImages"),
    Operation("ecr", "BatchDeleteImage", "ecr:BatchDeleteImage", "apply", "PinImages"),
)

_ECR_REPOSITORIES = "arn:aws:ecr:*:*:repository/*"


def operations(mode: str) -> list[Operation]:
    if mode not in MODES:
        raise ValueError(f"mode must be one of {MODES}")
    return [op for op in OPERATIONS if op.mode == "read" or mode == "apply"]


def iam_action(service: str, operation: str) -> str | None:
    """The IAM action an API call needs; None when ecrcost is not meant to make that call."""
    for op in OPERATIONS:
        if op.service == service and op.name == operation:
            return op.action
    return None


def _s3_location(cur_location: str | None) -> tuple[str, str] | None:
    if not cur_location or not cur_location.startswith("s3://"):
        return None
    bucket, _, prefix = cur_location[len("s3://") :].partition("/")
    return bucket, prefix.strip("/")


def _resources(sid: str, settings: Any) -> tuple[list[str] | str, dict[str, Any] | None] | None:
    """Resources (and condition) of a statement; None when these settings make no such call."""
    if sid in {
        "ListEnabledRegions",
        "IdentifyCaller",
        "ReadEcsImagesInUse",
        "ReadLambdaImagesInUse",
        "ReadInspectorImagesInUse",
        "ReadRepositoryTags",
    }:
        return "*", None
    if sid == "AssumeMemberAccountRole":
        if not settings.role_name:
            return None
        return f"arn:aws:iam::*:role/{settings.role_name}", None
    if sid in {"ListCostAndUsageReport", "ReadCostAndUsageReport"}:
        return _s3_resources(settings.cur_location, listing=sid == "ListCostAndUsageReport")
    if sid in {"RunAthenaQueries", "ReadBillTableCatalog", "ListAthenaResults",
               "WriteAthenaResults"}:  # fmt: skip
        return _athena_resources(sid, settings)
    if sid == "DeliverReports":
        found = [_s3_location(d) for d in settings.deliver if d.startswith("s3://")]
        if not found:
            return None
        return [_objects_arn(b, p) for b, p in found], None
    return _ECR_REPOSITORIES, None


def _objects_arn(bucket: str, prefix: str) -> str:
    return f"arn:aws:s3:::{bucket}/{prefix + '/' if prefix else ''}*"


def _s3_resources(url: str | None, listing: bool) -> tuple[str, dict | None] | None:
    """An s3:// location's bucket (listing, limited to the prefix) or its objects; None when
    the location is not in S3."""
    location = _s3_location(url)
    if location is None:
        return None
    bucket, prefix = location
    if listing:
        condition = {"StringLike": {"s3:prefix": [f"{prefix}/*", prefix]}} if prefix else None
        return f"arn:aws:s3:::{bucket}", condition
    return _objects_arn(bucket, prefix), None


def _athena_resources(sid: str, settings: Any) -> tuple[list[str] | str, dict | None] | None:
    if settings.engine != "athena":
        return None
    if sid == "RunAthenaQueries":
        return f"arn:aws:athena:*:*:workgroup/{settings.athena_workgroup}", None
    if sid == "ReadBillTableCatalog":
        database, _, table = (settings.billing_table or "").rpartition(".")
        database = settings.athena_database or database or "*"
        return [
            "arn:aws:glue:*:*:catalog",
            f"arn:aws:glue:*:*:database/{database}",
            f"arn:aws:glue:*:*:table/{database}/{table or '*'}",
        ], None
    return _s3_resources(settings.athena_output_location, listing=sid == "ListAthenaResults")


def policy_document(mode: str, settings: Any) -> dict[str, Any]:
    """IAM policy (Version 2012-10-17) allowing exactly the calls ecrcost makes in `mode`:
    S3 statements only for an `s3://` CUR location, AssumeRole only when a role is set."""
    statements: dict[str, dict[str, Any]] = {}
    for op in operations(mode):
        if op.statement not in statements:
            found = _resources(op.statement, settings)
            if found is None:
                continue
            resource, condition = found
            statements[op.statement] = {"Sid": op.statement, "Effect": "Allow", "Action": []}
            statements[op.statement]["Resource"] = resource
            if condition:
                statements[op.statement]["Condition"] = condition
        actions = statements[op.statement]["Action"]
        if op.action not in actions:
            actions.append(op.action)
    return {"Version": "2012-10-17", "Statement": list(statements.values())}


def left_out(mode: str, settings: Any) -> list[str]:
    """What `policy_document(mode, settings)` leaves out and which option would add it."""
    out = []
    for op in operations(mode):
        if op.statement in _LEFT_OUT and _resources(op.statement, settings) is None:
            line = _LEFT_OUT[op.statement].format(action=op.action)
            if line not in out:
                out.append(line)
    return out


_LEFT_OUT = {
    "AssumeMemberAccountRole": "no --role-name: {action} into member accounts left out",
    "ListCostAndUsageReport": "no --cur-location s3://...: {action} on the bill left out",
    "ReadCostAndUsageReport": "no --cur-location s3://...: {action} on the bill left out",
}
# The Athena and delivery statements follow their settings (engine = "athena",
# athena_output_location, deliver): absent, they are not a choice to point out.


def allowed_actions(document: dict[str, Any]) -> set[str]:
    return {a for s in document["Statement"] if s["Effect"] == "Allow" for a in s["Action"]}
