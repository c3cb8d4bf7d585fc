"""Collection against moto in-process: accounts, regions, images, manifests; pagination and a
denied EC2 DescribeRegions with botocore's Stubber (moto returns one page, never denies)."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import boto3
import pytest
from botocore.exceptions import BotoCoreError, ClientError, EndpointConnectionError
from botocore.stub import Stubber
from moto import mock_aws
from moto.ecr.models import ecr_backends

from ecrcost import warehouse
from ecrcost.aws import AwsAccess, api_errors
from ecrcost.errors import UserError
from ecrcost.inventory.collect import (
    PAGE_SIZE,
    collect_inventory,
    error_of,
    image_from_detail,
    list_images,
    list_repositories,
    pages,
)
from ecrcost.inventory.model import image_of
from ecrcost.inventory.store import billed_sizes, store_snapshot
from ecrcost.settings import load_settings
from ecrcost.utc import as_utc

CALLER, MEMBER = "123456789012", "111111111111"
OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
OCI_INDEX = "application/vnd.oci.image.index.v1+json"
POLICY = json.dumps(
    {
        "rules": [
            {
                "rulePriority": 1,
                "description": "keep 10",
                "selection": {
                    "tagStatus": "any",
                    "countType": "imageCountMoreThan",
                    "countNumber": 10,
                },
                "action": {"type": "expire"},
            }
        ]
    }
)
PULLED = datetime(2026, 2, 1, 8, 30, tzinfo=UTC)
ARCHIVED = datetime(2026, 1, 15, tzinfo=UTC)


def manifest(config: str, *layers: tuple[str, int], config_size: int = 100) -> str:
    return json.dumps(
        {
            "schemaVersion": 2,
            "mediaType": OCI_MANIFEST,
            "config": {
                "mediaType": "application/vnd.oci.image.config.v1+json",
                "digest": f"sha256:{config * 64}",
                "size": config_size,
            },
            "layers": [
                {
                    "mediaType": "application/vnd.oci.image.layer.v1.tar+gzip",
                    "digest": f"sha256:{d * 64}",
                    "size": size,
                }
                for d, size in layers
            ],
        }
    )


def push(ecr, repo: str, text: str, tag: str | None = None, digest: str | None = None) -> str:
    params = {"repositoryName": repo, "imageManifest": text}
    if tag:
        params["imageTag"] = tag
    if digest:
        params["imageDigest"] = digest
    return ecr.put_image(**params)["image"]["imageId"]["imageDigest"]


def seed_organisation() -> None:
    """web (caller, us-east-1): tagged, untagged, a 2-child index, an archived image, a policy;
    api (caller, eu-west-1): no policy; billing (member account through AssumeRole)."""
    ecr = boto3.client("ecr", region_name="us-east-1")
    arn = ecr.create_repository(repositoryName="web")["repository"]["repositoryArn"]
    ecr.tag_resource(resourceArn=arn, tags=[{"Key": "team", "Value": "web"}])
    ecr.put_lifecycle_policy(repositoryName="web", lifecyclePolicyText=POLICY)
    push(ecr, "web", manifest("a", ("1", 1000), ("2", 500)), tag="v1")
    push(ecr, "web", manifest("b", ("1", 1000), ("3", 700)))
    ch1 = push(ecr, "web", manifest("c", ("1", 1000), ("4", 300)))
    ch2 = push(ecr, "web", manifest("d", ("1", 1000), ("5", 200)))
    index = {
        "schemaVersion": 2,
        "mediaType": OCI_INDEX,
        "manifests": [{"mediaType": OCI_MANIFEST, "digest": d, "size": 500} for d in (ch1, ch2)],
    }
    push(ecr, "web", json.dumps(index), tag="latest", digest="sha256:" + "f" * 64)
    old = push(ecr, "web", manifest("e", ("6", 4000)), tag="old")
    # moto's API has no archive nor pull times: set them on its backend objects.
    images = {
        i.image_digest: i for i in ecr_backends[CALLER]["us-east-1"].repositories["web"].images
    }
    images[old].image_status, images[old].last_archived_at = "ARCHIVED", ARCHIVED
    images[ch1].last_recorded_pull_time = PULLED

    eu = boto3.client("ecr", region_name="eu-west-1")
    eu.create_repository(repositoryName="api")
    push(eu, "api", manifest("g", ("7", 42)), tag="1.0")

    creds = boto3.client("sts").assume_role(
        RoleArn=f"arn:aws:iam::{MEMBER}:role/reader", RoleSessionName="seed"
    )["Credentials"]
    member = boto3.client(
        "ecr",
        region_name="us-east-1",
        aws_access_key_id=creds["AccessKeyId"],
        aws_secret_access_key=creds["SecretAccessKey"],
        aws_session_token=creds["SessionToken"],
    )
    member.create_repository(repositoryName="billing")
    push(member, "billing", manifest("h", ("8", 64)), tag="prod")


@pytest.fixture
def aws():
    with mock_aws():
        seed_organisation()
        yield


def test_collects_accounts_regions_images_and_manifests_in_order(aws, home):
    settings = load_settings(
        {
            "regions": "us-east-1,eu-west-1",
            "accounts": f"{CALLER},{MEMBER}",
            "role_name": "reader",
            "max_concurrency": 4,
        },
        env={},
    )
    access = AwsAccess.from_settings(settings)
    calls: list[str] = []
    access.base_session.events.register(
        "before-call.ecr", lambda model, **_: calls.append(model.name)
    )
    snap = collect_inventory(settings, manifests=True, access=access)

    assert snap.errors == [] and snap.manifests_read
    keys = [(r.account_id, r.region, r.name) for r in snap.repositories]
    assert keys == [
        (MEMBER, "us-east-1", "billing"),
        (CALLER, "eu-west-1", "api"),
        (CALLER, "us-east-1", "web"),
    ]
    billing, api, web = snap.repositories
    assert (web.tags, web.lifecycle_policy, api.lifecycle_policy) == ({"team": "web"}, POLICY, None)
    assert billing.arn == f"arn:aws:ecr:us-east-1:{MEMBER}:repository/billing"
    by_tag = {i.tags[0] if i.tags else i.digest: i for i in web.images}
    assert len(web.images) == 6 and sum(not i.tags for i in web.images) == 3
    assert by_tag["old"].status == "ARCHIVED" and by_tag["old"].archived_at == ARCHIVED
    index = by_tag["latest"]
    assert index.manifest_media_type == OCI_INDEX and len(index.child_digests) == 2
    assert index.blobs == []
    child = next(i for i in web.images if i.digest == index.child_digests[0])
    assert child.last_pulled_at == PULLED
    assert [(b.kind, b.size_bytes) for b in child.blobs] == [
        ("config", 100),
        ("layer", 1000),
        ("layer", 300),
    ]
    # manifests only after every image list was recorded (BatchGetImage moves pull times)
    last_list = max(i for i, c in enumerate(calls) if c == "DescribeImages")
    assert calls.index("BatchGetImage") > last_list

    with warehouse.opened(home / "w.duckdb") as con:
        sid = store_snapshot(con, snap)
        sizes = {s.repository_name: s for s in billed_sizes(con, settings, sid)}
    # unique layers 1000+500+700+300+200 and configs a..d 4x100; archived: 4000 + config 100
    assert (sizes["web"].billed_bytes, sizes["web"].archived_bytes) == (3100, 4100)
    assert sizes["web"].size_basis == "deduplicated"
    assert sizes["web"].summed_image_bytes == 400  # moto's imageSizeInBytes is config.size
    assert (sizes["billing"].billed_bytes, sizes["api"].billed_bytes) == (164, 142)


def test_without_manifests_nothing_reads_them_and_sizes_are_estimates(aws, home):
    settings = load_settings({"regions": "us-east-1"}, env={})
    access = AwsAccess.from_settings(settings)
    calls: list[str] = []
    access.base_session.events.register(
        "before-call.ecr", lambda model, **_: calls.append(model.name)
    )
    snap = collect_inventory(settings, access=access)
    assert "BatchGetImage" not in calls
    assert sorted(set(calls)) == [  # tags came from the Tagging API, not one call per repository
        "DescribeImages",
        "DescribeRepositories",
        "GetLifecyclePolicy",
    ]
    assert [r.name for r in snap.repositories] == ["web"]
    assert all(i.blobs is None for i in snap.repositories[0].images)


def test_regions_all_uses_enabled_regions(aws):
    snap = collect_inventory(load_settings({"regions": "all"}, env={}))
    assert snap.errors == []
    assert {(r.region, r.name) for r in snap.repositories} == {
        ("us-east-1", "web"),
        ("eu-west-1", "api"),
    }


class DeniedEc2Access(AwsAccess):
    """EC2 DescribeRegions denied (a Stubber on the EC2 client), ECR reachable."""

    def client(self, service, account_id, region):
        client = super().client(service, account_id, region)
        if service == "ec2":
            stub = Stubber(client)
            stub.add_client_error("describe_regions", "UnauthorizedOperation", "not allowed", 403)
            stub.activate()
        return client


def test_regions_all_falls_back_to_ecr_regions_when_ec2_is_denied(aws):
    settings = load_settings({"regions": "all"}, env={})
    snap = collect_inventory(settings, access=DeniedEc2Access.from_settings(settings))
    [error] = snap.errors
    assert (error.operation, error.error_code, error.region) == (
        "DescribeRegions",
        "UnauthorizedOperation",
        None,
    )
    assert {r.name for r in snap.repositories} == {"web", "api"}


def test_accounts_need_a_role_name():
    with pytest.raises(UserError, match="--accounts needs --role-name"):
        collect_inventory(load_settings({"accounts": MEMBER}, env={}))


def _repo(i: int) -> dict:
    name = f"r{i:04d}"
    return {
        "repositoryName": name,
        "registryId": CALLER,
        "repositoryArn": f"arn:aws:ecr:us-east-1:{CALLER}:repository/{name}",
    }


def test_repositories_are_read_1000_a_page():
    ecr = boto3.client("ecr", region_name="us-east-1")
    with Stubber(ecr) as stub:
        stub.add_response(
            "describe_repositories",
            {"repositories": [_repo(i) for i in range(1000)], "nextToken": "p2"},
            {"maxResults": 1000},
        )
        stub.add_response(
            "describe_repositories",
            {"repositories": [_repo(i) for i in range(1000, 1005)]},
            {"maxResults": 1000, "nextToken": "p2"},
        )
        names = [r["repositoryName"] for r in list_repositories(ecr)]
        stub.assert_no_pending_responses()
    assert len(names) == 1005 and names[-1] == "r1004" and len(set(names)) == 1005


def test_images_are_read_1000_a_page_with_archived_ones():
    ecr = boto3.client("ecr", region_name="us-east-1")
    pushed = datetime(2026, 1, 1, tzinfo=UTC)

    def image(i: int) -> dict:
        return {"imageDigest": f"sha256:{i:064x}", "imagePushedAt": pushed, "imageSizeInBytes": i}

    base = {
        "registryId": CALLER,
        "repositoryName": "big",
        "maxResults": 1000,
        "filter": {"imageStatus": "ANY"},
    }
    with Stubber(ecr) as stub:
        stub.add_response(
            "describe_images",
            {"imageDetails": [image(i) for i in range(1000)], "nextToken": "n"},
            base,
        )
        stub.add_response(
            "describe_images",
            {"imageDetails": [image(i) for i in range(1000, 1234)]},
            {**base, "nextToken": "n"},
        )
        found = list(list_images(ecr, CALLER, "big"))
        stub.assert_no_pending_responses()
    assert len(found) == 1234 and sum(d["imageSizeInBytes"] for d in found) == 1233 * 1234 // 2


class RefusedAccess(AwsAccess):
    """AssumeRole refused in the member account (as STS answers AccessDenied)."""

    def session_for(self, account_id):
        if account_id == MEMBER:
            error = {"Error": {"Code": "AccessDenied", "Message": "not authorized to assume"}}
            raise ClientError(error, "AssumeRole")
        return super().session_for(account_id)


def test_a_refused_account_is_one_error_and_the_others_are_kept(aws):
    settings = load_settings(
        {"regions": "us-east-1,eu-west-1", "accounts": f"{CALLER},{MEMBER}", "role_name": "r"},
        env={},
    )
    snap = collect_inventory(settings, access=RefusedAccess.from_settings(settings))
    assert [(e.account_id, e.operation, e.error_code) for e in snap.errors] == [
        (MEMBER, "AssumeRole", "AccessDenied")
    ]
    assert [r.name for r in snap.repositories] == ["api", "web"]


def test_bad_region_names_and_missing_credentials_are_user_errors(monkeypatch):
    with pytest.raises(UserError, match="'eu-west' is not a region name"):
        collect_inventory(load_settings({"regions": "us-east-1,eu-west"}, env={}))
    for key in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        monkeypatch.delenv(key)
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")  # no instance-metadata probe
    with pytest.raises(UserError, match="no AWS credentials found"):
        collect_inventory(load_settings({"regions": "us-east-1"}, env={}))


# ---- the single helpers collection is built from ------------------------------------------


def test_pages_follows_next_token_and_sends_the_page_size():
    calls = []
    answers = iter([{"items": [1, 2], "nextToken": "t1"}, {"items": [3], "nextToken": ""}])

    def call(**params):
        calls.append(dict(params))
        return next(answers)

    assert list(pages(call, "items", registryId="r")) == [1, 2, 3]
    assert calls == [
        {"maxResults": PAGE_SIZE, "registryId": "r"},
        {"maxResults": PAGE_SIZE, "registryId": "r", "nextToken": "t1"},
    ]


def test_one_image_loader_for_api_details_and_snapshot_records():
    pushed = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
    detail = {
        "imageDigest": "sha256:a",
        "imagePushedAt": pushed,
        "imageSizeInBytes": 10,
        "imageStatus": "ARCHIVED",
        "lastArchivedAt": datetime(2026, 1, 3, tzinfo=UTC),
        "registryId": "ignored",
    }
    from_api = image_from_detail(detail)
    from_file = image_of(
        {
            "digest": "sha256:a",
            "pushed_at": "2026-01-02T03:04:05Z",
            "size_bytes": 10,
            "status": "ARCHIVED",
            "archived_at": "2026-01-03T00:00:00Z",
            "tags": None,
            "future_field": 1,
        }
    )
    assert from_api == from_file
    assert (from_api.tags, from_api.blobs, from_api.last_pulled_at) == ([], None, None)
    assert image_of({"digest": "d", "pushed_at": pushed}).status == "ACTIVE"
    with pytest.raises(KeyError):
        image_from_detail({"imagePushedAt": pushed})


def test_as_utc_reads_text_and_datetimes_and_takes_naive_as_utc():
    want = datetime(2026, 1, 2, 3, 0, tzinfo=UTC)
    assert as_utc("2026-01-02T03:00:00Z") == want
    assert as_utc("2026-01-02T04:00:00+01:00") == want
    assert as_utc(datetime(2026, 1, 2, 3, 0)) == want
    assert as_utc(None) is None


def test_api_errors_are_botocores_client_and_transport_errors():
    assert api_errors() == (ClientError, BotoCoreError)
    try:
        raise EndpointConnectionError(endpoint_url="http://127.0.0.1:9")
    except api_errors() as exc:
        assert error_of(exc)[0] == "EndpointConnectionError"


def _throttled(operation: str) -> ClientError:
    return ClientError(
        {"Error": {"Code": "ThrottlingException", "Message": "Rate exceeded"}}, operation
    )


class SecondPageFails:
    """An ECR client with AWS's response shapes whose second page of DescribeRepositories, and
    of one repository's DescribeImages, fails (moto never paginates past one page)."""

    def __init__(self) -> None:
        self.pushed = datetime(2026, 1, 1, tzinfo=UTC)

    def describe_repositories(self, maxResults, nextToken=None):
        if nextToken:
            raise _throttled("DescribeRepositories")
        return {"repositories": [_repo(1), _repo(2)], "nextToken": "page-2"}

    def describe_images(self, registryId, repositoryName, maxResults, filter, nextToken=None):
        if repositoryName == "r0001" and nextToken:
            raise _throttled("DescribeImages")
        digest = f"sha256:{repositoryName}-{'b' if nextToken else 'a'}"
        page = {"imageDetails": [{"imageDigest": digest, "imagePushedAt": self.pushed}]}
        return (
            {**page, "nextToken": "more"} if repositoryName == "r0001" and not nextToken else page
        )

    def list_tags_for_resource(self, resourceArn):
        return {"tags": []}

    def get_lifecycle_policy(self, registryId, repositoryName):
        error = {"Error": {"Code": "LifecyclePolicyNotFoundException", "Message": "none"}}
        raise ClientError(error, "GetLifecyclePolicy")


class PagingAccess(AwsAccess):
    fake = SecondPageFails()

    def client(self, service, account_id, region):
        return self.fake if service == "ecr" else super().client(service, account_id, region)


def test_a_failed_page_keeps_what_was_read_and_marks_the_rest_missing(aws):
    settings = load_settings({"regions": "us-east-1"}, env={})
    snap = collect_inventory(settings, access=PagingAccess.from_settings(settings))
    assert [(e.region, e.repository_name, e.operation, e.error_code) for e in snap.errors] == [
        ("us-east-1", None, "DescribeRepositories", "ThrottlingException"),
        ("us-east-1", "r0001", "DescribeImages", "ThrottlingException"),
    ]
    repos = {r.name: r for r in snap.repositories}
    assert sorted(repos) == ["r0001", "r0002"]  # the first page of repositories is kept
    assert [i.digest for i in repos["r0001"].images] == ["sha256:r0001-a"]  # and its first page
    assert repos["r0001"].complete is False
    assert [i.digest for i in repos["r0002"].images] == ["sha256:r0002-a"]
    assert repos["r0002"].complete is True
