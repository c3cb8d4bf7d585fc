"""Images in use collected with `ecrcost inventory`, end to end over HTTP.

ECR, ECS clusters, services and task definitions, and Lambda image functions are created
through the API on the session's ThreadedMotoServer. A small local front forwards every call to
it, except what moto does not implement, which it answers with AWS's documented response shapes:
ECS running tasks (moto runs none, so no `imageDigest`), Amazon Inspector's account status and
coverage (`BatchGetAccountStatus`, `ListCoverage`), and the faults a test injects
(AccessDeniedException on one ECS call). Kubernetes comes from a `kubectl get pods -A -o json`
file (tests/data/kubectl-pods.json) and from a fake API server behind a kubeconfig.
"""

from __future__ import annotations

import http.client
import json
import re
import shutil
import threading
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import boto3
import pytest

from ecrcost import warehouse
from ecrcost.actions import iam
from ecrcost.cli import main
from ecrcost.inventory.collect import collect_inventory
from ecrcost.inventory.in_use import (
    Reference,
    Resolver,
    Use,
    _ecs_uses,
    parse_reference,
    pod_uses,
)
from ecrcost.inventory.model import Image, Repository, Snapshot
from ecrcost.settings import load_settings

ACCOUNT = "123456789012"
REGION, OTHER = "us-east-1", "eu-west-1"
HOST = f"{ACCOUNT}.dkr.ecr.{REGION}.amazonaws.com"
PODS = Path(__file__).resolve().parent / "data" / "kubectl-pods.json"


def digest(c: str) -> str:
    return "sha256:" + c * 64


WEB_V1, WEB_V2 = digest("a"), digest("b")
WORKER = {1: digest("c"), 2: digest("d"), 3: digest("e")}
API_V1, API_V2 = digest("f"), digest("1")
T0 = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)


# --- references and resolution ------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (f"{HOST}/web:v2", Reference(ACCOUNT, REGION, "web", "v2", None)),
        (f"{HOST}/team/app@{WEB_V1}", Reference(ACCOUNT, REGION, "team/app", None, WEB_V1)),
        (f"{HOST}/web:v2@{WEB_V1}", Reference(ACCOUNT, REGION, "web", "v2", WEB_V1)),
        (f"{HOST}/web", Reference(ACCOUNT, REGION, "web", None, None)),
        # China partition, FIPS endpoint and the dual-stack (IPv6) endpoint
        (f"{ACCOUNT}.dkr.ecr.cn-north-1.amazonaws.com.cn/web:1",
         Reference(ACCOUNT, "cn-north-1", "web", "1", None)),
        (f"{ACCOUNT}.dkr.ecr-fips.us-gov-west-1.amazonaws.com/web:1",
         Reference(ACCOUNT, "us-gov-west-1", "web", "1", None)),
        (f"{ACCOUNT}.dkr-ecr-fips.us-east-2.on.aws/web@{WEB_V2}",
         Reference(ACCOUNT, "us-east-2", "web", None, WEB_V2)),
        (f"{ACCOUNT}.dkr-ecr.eu-west-1.on.aws/a/b-c_d.e:x.Y-1",
         Reference(ACCOUNT, "eu-west-1", "a/b-c_d.e", "x.Y-1", None)),
        # not a private ECR image
        ("public.ecr.aws/nginx/nginx:1.27", None),
        ("nginx:1.27", None),
        ("localhost:5000/web:v1", None),
        (f"{HOST}/Web:v1", None),  # repository names are lower case
        (f"{HOST}.evil.example/web:v1", None),
    ],
)  # fmt: skip
def test_ecr_references_are_parsed_in_every_documented_form(text, expected):
    assert parse_reference(text) == expected


def _repo(name: str, images: dict[str, list[str]], complete: bool = True) -> Repository:
    return Repository(
        ACCOUNT, REGION, name, f"arn:aws:ecr:{REGION}:{ACCOUNT}:repository/{name}",
        images=[Image(d, tags, 1, T0) for d, tags in images.items()], complete=complete,
    )  # fmt: skip


def test_tags_resolve_through_the_snapshot_and_gone_images_are_missing():
    resolver = Resolver(
        [_repo("web", {WEB_V1: ["v1"], WEB_V2: ["v2", "latest"]}), _repo("half", {}, False)],
        [(ACCOUNT, REGION)],
    )

    def resolve(reference: str, reported: str | None = None) -> tuple:
        i = resolver.image("ecs", Use("ecs:c/s", reference, reported), T0)
        return i.repository_name, i.image_tag, i.image_digest, i.resolution

    assert resolve(f"{HOST}/web:v1") == ("web", "v1", WEB_V1, "tag")
    assert resolve(f"{HOST}/web") == ("web", None, WEB_V2, "tag")  # :latest implied
    # the source's digest wins over the tag (the tag moved after the task started)
    assert resolve(f"{HOST}/web:v2", WEB_V1) == ("web", "v2", WEB_V1, "reported")
    assert resolve(f"{HOST}/web@{WEB_V2}") == ("web", None, WEB_V2, "reported")
    # the repository was read in full: what it does not hold no longer exists
    assert resolve(f"{HOST}/web:v9") == ("web", "v9", None, "missing")
    assert resolve(f"{HOST}/web@{API_V1}") == ("web", None, API_V1, "missing")
    assert resolve(f"{HOST}/deleted:v1") == ("deleted", "v1", None, "missing")
    # a repository whose images were not all read, or a registry outside the inventory
    assert resolve(f"{HOST}/half:v1") == ("half", "v1", None, "unresolved")
    other = f"{ACCOUNT}.dkr.ecr.{OTHER}.amazonaws.com/web"
    assert resolve(f"{other}:v1") == ("web", "v1", None, "unresolved")
    assert resolve(f"{other}@{WEB_V1}") == ("web", None, WEB_V1, "reported")
    i = resolver.image("k8s", Use("k8s:x/y/z", "nginx:1.27"), T0)
    assert (i.account_id, i.repository_name, i.resolution) == (None, None, "not_ecr")


def test_a_kubectl_pods_file_gives_containers_init_and_ephemeral_containers():
    uses = pod_uses(json.loads(PODS.read_text()), "prod-eks")
    assert [(u.used_by, u.reference, u.digest) for u in uses] == [
        # containers, then the init container: both run web:v2 as WEB_V1 (the tag moved)
        ("k8s:prod-eks/shop/web-6d4cf56db6-x2x7p", f"{HOST}/web:v2", WEB_V1),
        ("k8s:prod-eks/shop/web-6d4cf56db6-x2x7p",
         "public.ecr.aws/aws-observability/aws-otel-collector:v0.40.0", digest("9")),
        ("k8s:prod-eks/shop/web-6d4cf56db6-x2x7p", f"{HOST}/web:v2", WEB_V1),
        # and the ephemeral (debug) container
        ("k8s:prod-eks/shop/web-6d4cf56db6-x2x7p", f"{HOST}/worker@{WORKER[1]}", WORKER[1]),
        # a bare sha256 imageID is the runtime's local id, not a registry digest
        ("k8s:prod-eks/shop/api-5f7b9c8d4-k2m4n", f"{HOST}/api:v1", None),
        ("k8s:prod-eks/kube-system/coredns-787cb67946-abcde",
         "602401143452.dkr.ecr.us-east-1.amazonaws.com/eks/coredns:v1.11.1-eksbuild.4",
         digest("8")),
        ("k8s:prod-eks/batch/report-28812345-q9z8k", f"{HOST}/worker:gone", None),
    ]  # fmt: skip
    with pytest.raises(ValueError, match="items"):
        pod_uses({"kind": "List"}, "x")


def test_ecs_deployments_and_family_revisions_follow_the_api_rules():
    """Stubbed ECS answers (moto has one PRIMARY deployment and exact-match family filters)."""
    from botocore.stub import Stubber

    ecs = boto3.client("ecs", region_name=REGION)
    td = f"arn:aws:ecs:{REGION}:{ACCOUNT}:task-definition/"
    cluster = f"arn:aws:ecs:{REGION}:{ACCOUNT}:cluster/prod"
    service = f"arn:aws:ecs:{REGION}:{ACCOUNT}:service/prod/web"
    stub = Stubber(ecs)

    def definition(name: str, image: str) -> None:
        stub.add_response(
            "describe_task_definition",
            {"taskDefinition": {"taskDefinitionArn": td + name,
                                "containerDefinitions": [{"name": "c", "image": image}]}},
            {"taskDefinition": td + name},
        )  # fmt: skip

    stub.add_response("list_clusters", {"clusterArns": [cluster]}, {})
    stub.add_response("list_services", {"serviceArns": [service]}, {"cluster": cluster})
    deployments = [
        {"id": "ecs-svc/3", "status": "PRIMARY", "taskDefinition": td + "web:3"},
        {"id": "ecs-svc/2", "status": "ACTIVE", "taskDefinition": td + "web:2"},  # draining
        {"id": "ecs-svc/1", "status": "INACTIVE", "taskDefinition": td + "web:1"},  # replaced
    ]
    stub.add_response(
        "describe_services",
        {"services": [{"serviceName": "web", "taskDefinition": td + "web:3",
                       "deployments": deployments}], "failures": []},
        {"cluster": cluster, "services": [service]},
    )  # fmt: skip
    definition("web:3", f"{HOST}/web:v3")
    definition("web:2", f"{HOST}/web:v2")
    stub.add_response("list_tasks", {"taskArns": []}, {"cluster": cluster})
    stub.add_response("list_task_definition_families", {"families": ["app"]}, {"status": "ACTIVE"})
    # familyPrefix "app" also lists "app-worker"; DESC sorts family names descending too
    stub.add_response(
        "list_task_definitions",
        {"taskDefinitionArns": [td + n for n in ("app-worker:9", "app:4", "app:3", "app:2")]},
        {"familyPrefix": "app", "status": "ACTIVE", "sort": "DESC"},
    )
    definition("app:4", f"{HOST}/app:v4")
    definition("app:3", f"{HOST}/app:v3")
    with stub:
        uses, status, _ = _ecs_uses(ecs, 2)
        stub.assert_no_pending_responses()
    assert status == "read"
    assert [(u.used_by, u.reference) for u in uses] == [
        ("ecs:prod/web", f"{HOST}/web:v3"),
        ("ecs:prod/web", f"{HOST}/web:v2"),
        ("ecs:task-definition/app:4", f"{HOST}/app:v4"),
        ("ecs:task-definition/app:3", f"{HOST}/app:v3"),
    ]


# --- a local front: moto for what it implements, AWS's shapes for the rest ----------------


class Front:
    """Forwards to moto; answers ECS ListTasks/DescribeTasks, Inspector, and injected faults."""

    def __init__(self, upstream_port: int):
        self.upstream_port = upstream_port
        self.tasks: dict[str, list[dict[str, Any]]] = {}  # cluster name -> DescribeTasks tasks
        self.inspector: dict[str, dict[str, Any]] = {}  # region -> {"status", "coverage"}
        self.faults: dict[tuple[str, str, str], str] = {}  # (service, operation, region) -> code
        self.calls: list[tuple[str, str, str]] = []
        front = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                front.handle(self, body)

            do_GET = do_PUT = do_DELETE = do_POST

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def handle(self, req: BaseHTTPRequestHandler, body: bytes) -> None:
        scope = re.search(
            r"Credential=[^/]+/\d+/([^/]+)/([^/]+)/", req.headers.get("Authorization", "")
        )
        region, service = scope.groups() if scope else ("", "")
        op = (req.headers.get("X-Amz-Target") or "").rpartition(".")[2] or req.path.split("?")[0]
        self.calls.append((service, op, region))
        code = self.faults.get((service, op, region))
        if code:
            return self.reply(
                req, 400, {"__type": code, "message": f"User is not authorized ({op})"}
            )
        if service == "ecs" and op in {"ListTasks", "DescribeTasks"}:
            cluster = json.loads(body)["cluster"].rpartition("/")[2]
            tasks = self.tasks.get(cluster, [])
            if op == "ListTasks":
                return self.reply(req, 200, {"taskArns": [t["taskArn"] for t in tasks]})
            wanted = set(json.loads(body)["tasks"])
            return self.reply(
                req, 200, {"tasks": [t for t in tasks if t["taskArn"] in wanted], "failures": []}
            )
        if service == "inspector2" and region in self.inspector:
            if req.path == "/status/batch/get":
                return self.reply(req, 200, self.inspector[region]["status"])
            pages = self.inspector[region]["coverage"]  # ListCoverage, a page per nextToken
            page = int(json.loads(body).get("nextToken") or 0)
            more = {"nextToken": str(page + 1)} if page + 1 < len(pages) else {}
            return self.reply(req, 200, {"coveredResources": pages[page], **more})
        if service == "ecs" and op == "ListTaskDefinitions" and json.loads(body).get("sort"):
            return self.forward(req, body, self.sorted_task_definitions(json.loads(body)["sort"]))
        self.forward(req, body)

    @staticmethod
    def sorted_task_definitions(order: str) -> Any:
        """moto ignores `sort`; ECS lists by family, then revision, DESC reversing both."""

        def revision(arn: str) -> tuple[str, int]:
            family, _, number = arn.rpartition("/")[2].rpartition(":")
            return family, int(number)

        def fix(data: bytes) -> bytes:
            doc = json.loads(data)
            doc["taskDefinitionArns"].sort(key=revision, reverse=order == "DESC")
            return json.dumps(doc).encode()

        return fix

    def forward(self, req: BaseHTTPRequestHandler, body: bytes, fix: Any = None) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", self.upstream_port, timeout=30)
        headers = {k: v for k, v in req.headers.items() if k.lower() != "host"}
        conn.request(req.command, req.path, body=body, headers=headers)
        resp = conn.getresponse()
        data = resp.read()
        if fix is not None and resp.status == 200:
            data = fix(data)
        req.send_response(resp.status)
        for k, v in resp.getheaders():
            if k.lower() not in {"transfer-encoding", "connection", "content-length"}:
                req.send_header(k, v)
        req.send_header("Content-Length", str(len(data)))
        req.end_headers()
        req.wfile.write(data)
        conn.close()

    def reply(self, req: BaseHTTPRequestHandler, status: int, doc: dict) -> None:
        data = json.dumps(doc).encode()
        req.send_response(status)
        req.send_header("Content-Type", "application/x-amz-json-1.1")
        if status >= 400:
            req.send_header("x-amzn-ErrorType", doc["__type"])
        req.send_header("Content-Length", str(len(data)))
        req.end_headers()
        req.wfile.write(data)


@pytest.fixture(scope="module")
def front(moto_server):
    fake = Front(int(moto_server.rpartition(":")[2]))
    yield fake
    fake.server.shutdown()
    fake.server.server_close()


def _push(ecr: Any, repo: str, image_digest: str, tag: str) -> None:
    manifest = {
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {
            "mediaType": "application/vnd.oci.image.config.v1+json",
            "digest": "sha256:" + image_digest[-8:] * 8,
            "size": 1000,
        },
        "layers": [],
    }
    ecr.put_image(
        repositoryName=repo, imageManifest=json.dumps(manifest), imageTag=tag,
        imageDigest=image_digest,
    )  # fmt: skip


def _zip() -> bytes:
    import io
    import zipfile

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as z:
        z.writestr("h.py", "def h(event, context):\n    return 1\n")
    return buffer.getvalue()


def _task(cluster: str, n: int, group: str, image: str, image_digest: str) -> dict[str, Any]:
    """A DescribeTasks task as ECS returns it for a running Fargate task."""
    arn = f"arn:aws:ecs:{REGION}:{ACCOUNT}:task/{cluster}/{n:032x}"
    return {
        "taskArn": arn,
        "clusterArn": f"arn:aws:ecs:{REGION}:{ACCOUNT}:cluster/{cluster}",
        "taskDefinitionArn": f"arn:aws:ecs:{REGION}:{ACCOUNT}:task-definition/web:3",
        "group": group,
        "launchType": "FARGATE",
        "lastStatus": "RUNNING",
        "desiredStatus": "RUNNING",
        "createdAt": T0.timestamp(),
        "containers": [
            {
                "containerArn": f"arn:aws:ecs:{REGION}:{ACCOUNT}:container/{cluster}/{n:032x}/1",
                "taskArn": arn,
                "name": "web",
                "image": image,
                "imageDigest": image_digest,
                "runtimeId": f"{n:032x}-1234567890",
                "lastStatus": "RUNNING",
            }
        ],
    }


def _coverage(repo: str, image_digest: str, count: int, last: datetime) -> dict[str, Any]:
    """A ListCoverage covered resource for an ECR image (resourceMetadata.ecrImage)."""
    return {
        "resourceType": "AWS_ECR_CONTAINER_IMAGE",
        "resourceId": f"arn:aws:ecr:{REGION}:{ACCOUNT}:repository/{repo}/{image_digest}",
        "accountId": ACCOUNT,
        "scanType": "PACKAGE",
        "scanStatus": {"statusCode": "ACTIVE", "reason": "SUCCESSFUL"},
        "resourceMetadata": {
            "ecrRepository": {"name": repo, "scanFrequency": "CONTINUOUS_SCAN"},
            "ecrImage": {"tags": [], "inUseCount": count, "lastInUseAt": last.timestamp()},
        },
        "lastScannedAt": last.timestamp(),
    }


def _account_status(region_status: str) -> dict[str, Any]:
    state = {"status": region_status, "errorCode": "ALREADY_ENABLED", "errorMessage": "-"}
    return {
        "accounts": [
            {
                "accountId": ACCOUNT,
                "state": state,
                "resourceState": {"ec2": state, "ecr": state, "lambda": state},
            }
        ],
        "failedAccounts": [],
    }


@pytest.fixture
def world(moto_reset, front, monkeypatch):
    """ECR images, ECS services/task definitions and Lambda functions in us-east-1 on moto."""
    url = moto_reset
    front.tasks.clear()
    front.inspector.clear()
    front.faults.clear()
    front.calls.clear()
    monkeypatch.setenv("MOTO_LAMBDA_STUB_ECR", "false")  # Lambda resolves digests through ECR
    ecr = boto3.client("ecr", region_name=REGION, endpoint_url=url)
    for repo in ("web", "worker", "api"):
        ecr.create_repository(repositoryName=repo)
    _push(ecr, "web", WEB_V1, "v1")
    _push(ecr, "web", WEB_V2, "v2")
    for n, d in WORKER.items():
        _push(ecr, "worker", d, f"v{n}")
    _push(ecr, "api", API_V1, "v1")
    _push(ecr, "api", API_V2, "v2")
    boto3.client("ecr", region_name=OTHER, endpoint_url=url).create_repository(
        repositoryName="euro"
    )

    ecs = boto3.client("ecs", region_name=REGION, endpoint_url=url)
    ecs.create_cluster(clusterName="prod")
    container = {"name": "web", "memory": 512, "essential": True}
    for tag in ("v1", "v2"):
        ecs.register_task_definition(
            family="web", containerDefinitions=[{**container, "image": f"{HOST}/web:{tag}"}]
        )
    ecs.create_service(cluster="prod", serviceName="web", taskDefinition="web:2", desiredCount=2)
    for n in (1, 2, 3):  # revisions 1..3 of a family no service runs
        ecs.register_task_definition(
            family="batch", containerDefinitions=[{**container, "image": f"{HOST}/worker:v{n}"}]
        )
    # The service's two tasks still run web:v2 as it was when they started: WEB_V1.
    front.tasks["prod"] = [
        _task("prod", n, "service:web", f"{HOST}/web:v2", WEB_V1) for n in (1, 2)
    ] + [_task("prod", 3, "family:batch", f"{HOST}/worker:v3", WORKER[3])]

    role = boto3.client("iam", region_name=REGION, endpoint_url=url).create_role(
        RoleName="thumbs", AssumeRolePolicyDocument="{}"
    )["Role"]["Arn"]
    lam = boto3.client("lambda", region_name=REGION, endpoint_url=url)
    # (moto's versions share the function's ImageUri after UpdateFunctionCode, so each function
    # keeps the image it was created with)
    for name, tag in (("thumbs", "v1"), ("resize", "v2")):
        lam.create_function(
            FunctionName=name,
            PackageType="Image",
            Role=role,
            Code={"ImageUri": f"{HOST}/api:{tag}"},
        )
        lam.publish_version(FunctionName=name)  # version 1
    lam.create_alias(FunctionName="thumbs", Name="live", FunctionVersion="1")
    lam.create_function(
        FunctionName="zipped",
        Runtime="python3.12",
        Role=role,
        Handler="h.h",
        Code={"ZipFile": _zip()},
    )  # fmt: skip  (not an image: left alone)

    front.inspector[REGION] = {
        "status": _account_status("ENABLED"),
        "coverage": [  # two pages
            [_coverage("web", WEB_V2, 2, datetime.now(UTC))],
            [
                _coverage("worker", WORKER[2], 0, datetime.now(UTC) - timedelta(days=3)),
                _coverage("worker", WORKER[1], 0, datetime.now(UTC) - timedelta(days=90)),
            ],
        ],
    }
    front.inspector[OTHER] = {"status": _account_status("DISABLED"), "coverage": []}
    monkeypatch.setenv("AWS_ENDPOINT_URL", front.url)
    return url


def _rows(home: Path, sql: str) -> list[tuple]:
    with warehouse.opened(home / "warehouse.duckdb", read_only=True) as con:
        return con.sql(sql).fetchall()


IN_USE = (
    "SELECT source, used_by, repository_name, image_tag, image_digest, resolution "
    "FROM ecr_images_in_use ORDER BY ALL"
)
SOURCES = "SELECT source, scope, status, detail FROM ecr_in_use_sources ORDER BY ALL"


def test_inventory_collects_every_source_stores_it_and_round_trips(
    world, front, home, tmp_path, capsys, monkeypatch
):
    pods = tmp_path / "prod-eks.json"
    shutil.copy(PODS, pods)
    monkeypatch.setenv("ECRCOST_IN_USE_TASK_DEFINITION_REVISIONS", "2")
    out = tmp_path / "snap.json.gz"
    args = ["inventory", "--home", str(home), "--regions", f"{REGION},{OTHER}"]
    code = main([*args, "--out", str(out), "--kubernetes-pods", str(pods)])
    printed = capsys.readouterr().out
    assert code == 0, printed

    k8s = "k8s:prod-eks"
    expected = {
        # the service's task definition (a tag, resolved) and its running tasks (reported)
        ("ecs", "ecs:prod/web", "web", "v2", WEB_V2, "tag"),
        ("ecs", "ecs:prod/web", "web", "v2", WEB_V1, "reported"),
        ("ecs", "ecs:prod/family:batch", "worker", "v3", WORKER[3], "reported"),
        # the newest 2 revisions of each ACTIVE family (the setting), not batch:1
        ("ecs", "ecs:task-definition/batch:3", "worker", "v3", WORKER[3], "tag"),
        ("ecs", "ecs:task-definition/batch:2", "worker", "v2", WORKER[2], "tag"),
        ("ecs", "ecs:task-definition/web:2", "web", "v2", WEB_V2, "tag"),
        ("ecs", "ecs:task-definition/web:1", "web", "v1", WEB_V1, "tag"),
        # every version of the image function, and the alias's target
        ("lambda", "lambda:resize:$LATEST", "api", "v2", API_V2, "reported"),
        ("lambda", "lambda:resize:1", "api", "v2", API_V2, "reported"),
        ("lambda", "lambda:thumbs:$LATEST", "api", "v1", API_V1, "reported"),
        ("lambda", "lambda:thumbs:1", "api", "v1", API_V1, "reported"),
        ("lambda", "lambda:thumbs:live", "api", "v1", API_V1, "reported"),
        # Inspector: in use now (inUseCount), or within recent_pull_days (30) of lastInUseAt
        ("inspector", "inspector", "web", None, WEB_V2, "reported"),
        ("inspector", "inspector", "worker", None, WORKER[2], "reported"),
        # the pods file
        ("k8s", f"{k8s}/shop/web-6d4cf56db6-x2x7p", "web", "v2", WEB_V1, "reported"),
        ("k8s", f"{k8s}/shop/web-6d4cf56db6-x2x7p", None, None, digest("9"), "not_ecr"),
        ("k8s", f"{k8s}/shop/web-6d4cf56db6-x2x7p", "worker", None, WORKER[1], "reported"),
        ("k8s", f"{k8s}/shop/api-5f7b9c8d4-k2m4n", "api", "v1", API_V1, "tag"),
        ("k8s", f"{k8s}/kube-system/coredns-787cb67946-abcde", "eks/coredns",
         "v1.11.1-eksbuild.4", digest("8"), "reported"),
        ("k8s", f"{k8s}/batch/report-28812345-q9z8k", "worker", "gone", None, "missing"),
    }  # fmt: skip
    assert set(_rows(home, IN_USE)) == expected
    assert len(_rows(home, IN_USE)) == len(expected)  # one row per workload and reference
    assert _rows(home, SOURCES) == sorted(
        [
            ("ecs", f"{ACCOUNT}/{REGION}", "read", None),
            ("ecs", f"{ACCOUNT}/{OTHER}", "read", None),
            ("inspector", f"{ACCOUNT}/{REGION}", "read", None),
            ("inspector", f"{ACCOUNT}/{OTHER}", "not_enabled", "Inspector ECR scanning is DISABLED"),
            ("k8s", str(pods), "read", "context prod-eks"),
            ("lambda", f"{ACCOUNT}/{REGION}", "read", None),
            ("lambda", f"{ACCOUNT}/{OTHER}", "read", None),
        ]
    )  # fmt: skip
    # the reference as written, the observation time, the account and region of the registry
    ((reference, account, region, observed),) = _rows(
        home,
        "SELECT reference, account_id, region, observed_at FROM ecr_images_in_use "
        "WHERE used_by = 'lambda:thumbs:live'",
    )
    assert (reference, account, region) == (f"{HOST}/api:v1", ACCOUNT, REGION)
    assert abs(observed - datetime.now(UTC).replace(tzinfo=None)) < timedelta(minutes=5)

    lines = printed.splitlines()
    assert f"in use: {len(expected)} image reference(s) (ecs 7, lambda 5, k8s 6, inspector 2) " \
           "naming 7 image(s) of the inventory" in lines  # fmt: skip
    assert (
        f"in use but gone: {k8s}/batch/report-28812345-q9z8k uses {HOST}/worker:gone: "
        "the image no longer exists"
    ) in lines
    inspector_lines = [line for line in lines if "not enabled" in line]
    assert inspector_lines == [
        f"inspector: not enabled in {ACCOUNT}/{OTHER} (not an error: its in-use data is "
        "simply not there)"
    ]
    assert not [line for line in lines if line.startswith("missing:")]

    # The snapshot file carries them: loading it elsewhere stores the same rows.
    other = tmp_path / "other-home"
    assert main(["inventory", "--home", str(other), "--from-snapshot", str(out)]) == 0
    assert _rows(other, IN_USE) == _rows(home, IN_USE)
    assert _rows(other, SOURCES) == _rows(home, SOURCES)
    assert Snapshot.read(out).in_use_sources[0].source in {"ecs", "lambda", "inspector", "k8s"}
    # Storing it again replaces, never doubles.
    assert main(["inventory", "--home", str(other), "--from-snapshot", str(out)]) == 0
    assert len(_rows(other, IN_USE)) == len(expected)


def test_denied_ecs_is_a_missing_line_exit_3_and_a_missing_scope(world, front, home, capsys):
    front.faults[("ecs", "ListServices", REGION)] = "AccessDeniedException"
    code = main(["inventory", "--home", str(home), "--regions", REGION])
    out = capsys.readouterr().out
    assert code == 3
    missing = [line for line in out.splitlines() if line.startswith("missing:")]
    assert missing == [
        f"missing: ecs in use account {ACCOUNT} region {REGION}: ListServices failed: "
        "AccessDeniedException: User is not authorized (ListServices); every image it could "
        "use is treated as possibly in use"
    ]
    sources = _rows(home, SOURCES)
    assert ("ecs", f"{ACCOUNT}/{REGION}", "missing",
            "ListServices failed: AccessDeniedException: User is not authorized (ListServices)"
            ) in sources  # fmt: skip
    # nothing of ECS is kept as if complete; the other sources are
    used = {r[1] for r in _rows(home, IN_USE)}
    assert not {u for u in used if u.startswith("ecs:")}
    assert {"lambda:thumbs:1", "inspector"} <= used
    # the ECR inventory itself is complete: only the in-use scope is missing
    assert _rows(home, "SELECT count(*) FROM ecr_scan_errors") == [(0,)]
    # `ecrcost snapshots` says how each in-use source was read
    assert main(["snapshots", "--home", str(home), "-o", "json"]) == 0
    (listed,) = json.loads(capsys.readouterr().out)
    assert listed["state"] == "complete"
    assert [(s["source"], s["status"]) for s in listed["in_use_sources"]] == [
        ("ecs", "missing"), ("inspector", "read"), ("lambda", "read")
    ]  # fmt: skip
    assert main(["snapshots", "--home", str(home)]) == 0
    row = capsys.readouterr().out.splitlines()[1]
    assert row.endswith(f"complete  {' ' * 7}  ecs missing 1; inspector read 1; lambda read 1")


def test_denied_lambda_is_missing_too_and_ecs_is_kept(world, front, home, capsys):
    front.faults[("lambda", "/2015-03-31/functions", REGION)] = "AccessDeniedException"
    assert main(["inventory", "--home", str(home), "--regions", REGION]) == 3
    (line,) = [x for x in capsys.readouterr().out.splitlines() if x.startswith("missing:")]
    assert line.startswith(
        f"missing: lambda in use account {ACCOUNT} region {REGION}: ListFunctions failed: "
        "AccessDeniedException:"
    )
    used = {r[1] for r in _rows(home, IN_USE)}
    assert "ecs:prod/web" in used and not {u for u in used if u.startswith("lambda:")}


def test_an_account_inspector_cannot_read_is_missing(world, front, home, capsys):
    front.inspector[REGION]["status"] = {
        "accounts": [],
        "failedAccounts": [
            {"accountId": ACCOUNT, "errorCode": "ACCESS_DENIED", "errorMessage": "denied"}
        ],
    }
    assert main(["inventory", "--home", str(home), "--regions", REGION]) == 3
    (line,) = [x for x in capsys.readouterr().out.splitlines() if x.startswith("missing:")]
    assert line == (
        f"missing: inspector in use account {ACCOUNT} region {REGION}: BatchGetAccountStatus: "
        "ACCESS_DENIED: denied; every image it could use is treated as possibly in use"
    )


def test_inspector_not_enabled_is_said_once_and_exit_is_0(world, front, home, capsys):
    front.inspector[REGION]["status"] = _account_status("DISABLED")
    # moto's own answer for an account that never enabled Inspector: no account in the list
    del front.inspector[OTHER]
    code = main(["inventory", "--home", str(home), "--regions", f"{REGION},{OTHER}"])
    out = capsys.readouterr().out
    assert code == 0, out
    assert [line for line in out.splitlines() if "inspector" in line and "enabled" in line] == [
        f"inspector: not enabled in {ACCOUNT}/{REGION}, {ACCOUNT}/{OTHER} (not an error: its "
        "in-use data is simply not there)"
    ]
    assert ("inspector", "/coverage/list", REGION) not in front.calls
    assert [r[2] for r in _rows(home, SOURCES) if r[0] == "inspector"] == ["not_enabled"] * 2


@pytest.mark.parametrize(
    ("content", "why"),
    [("{not json", "Expecting property name"), ('{"kind": "List"}', "no 'items' list"), (None, "No such file")],
)  # fmt: skip
def test_a_broken_or_absent_pods_file_is_missing_and_exit_3(
    world, home, tmp_path, capsys, content, why
):
    pods = tmp_path / "staging.json"
    if content is not None:
        pods.write_text(content)
    code = main(["inventory", "--home", str(home), "--regions", REGION, "--kubernetes-pods",
                 str(pods), "--kubernetes-pods", str(PODS)])  # fmt: skip
    out = capsys.readouterr().out
    assert code == 3
    (line,) = [line for line in out.splitlines() if line.startswith("missing:")]
    assert line.startswith(f"missing: k8s in use {pods}: {pods}: not readable as `kubectl get")
    assert why in line
    assert ("k8s", str(pods), "missing") in [r[:3] for r in _rows(home, SOURCES)]
    # the good file next to it is kept
    assert ("k8s", str(PODS), "read") in [r[:3] for r in _rows(home, SOURCES)]
    assert any(r[1].startswith("k8s:kubectl-pods/") for r in _rows(home, IN_USE))


# --- a kube context: the kubernetes client against a fake API server -----------------------


@pytest.fixture
def kube_api(tmp_path, monkeypatch):
    """An API server answering GET /api/v1/pods in two pages, and a kubeconfig naming it."""
    doc = json.loads(PODS.read_text())
    pages = [doc["items"][:2], doc["items"][2:]]
    seen: list[str] = []

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:
            pass

        def do_GET(self) -> None:
            seen.append(self.path)
            second = "continue=page2" in self.path
            body = {
                "kind": "PodList",
                "apiVersion": "v1",
                "metadata": {"resourceVersion": "48299", **({} if second else {"continue": "page2"})},
                "items": pages[1 if second else 0],
            }  # fmt: skip
            data = json.dumps(body).encode()
            self.send_response(200 if self.path.startswith("/api/v1/pods") else 404)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    config = tmp_path / "kubeconfig"
    config.write_text(
        json.dumps(
            {
                "apiVersion": "v1",
                "kind": "Config",
                "clusters": [
                    {"name": "staging", "cluster": {"server": f"http://127.0.0.1:{server.server_address[1]}"}},
                    {"name": "down", "cluster": {"server": "http://127.0.0.1:9"}},
                ],
                "users": [{"name": "dev", "user": {"token": "t0ken"}}],
                "contexts": [
                    {"name": "staging", "context": {"cluster": "staging", "user": "dev"}},
                    {"name": "down", "context": {"cluster": "down", "user": "dev"}},
                ],
                "current-context": "staging",
            }
        )
    )  # fmt: skip
    monkeypatch.setenv("KUBECONFIG", str(config))
    yield seen
    server.shutdown()
    server.server_close()


def test_a_kube_context_is_read_through_the_client_and_a_failing_one_is_missing(
    world, kube_api, home, capsys
):
    code = main(["inventory", "--home", str(home), "--regions", REGION,
                 "--kube-context", "staging", "--kube-context", "nope"])  # fmt: skip
    out = capsys.readouterr().out
    assert code == 3
    assert len(kube_api) == 2 and all(p.startswith("/api/v1/pods?") for p in kube_api)
    rows = [r for r in _rows(home, IN_USE) if r[0] == "k8s"]
    assert ("k8s", "k8s:staging/shop/web-6d4cf56db6-x2x7p", "web", "v2", WEB_V1, "reported") in rows
    assert ("k8s", "k8s:staging/batch/report-28812345-q9z8k", "worker", "gone", None,
            "missing") in rows  # fmt: skip
    assert len(rows) == 6
    (line,) = [line for line in out.splitlines() if line.startswith("missing:")]
    assert line.startswith("missing: k8s in use nope: kube context nope: ConfigException:")
    assert [r[:3] for r in _rows(home, SOURCES) if r[0] == "k8s"] == [
        ("k8s", "nope", "missing"),
        ("k8s", "staging", "read"),
    ]


def test_an_unreachable_kube_context_is_missing(world, kube_api, home, capsys):
    code = main(["inventory", "--home", str(home), "--regions", REGION, "--kube-context", "down"])
    assert code == 3
    (line,) = [x for x in capsys.readouterr().out.splitlines() if x.startswith("missing:")]
    assert line.startswith("missing: k8s in use down: kube context down: MaxRetryError:")


def test_kube_context_without_the_kubernetes_client_is_a_user_error(monkeypatch, capsys):
    import sys

    monkeypatch.setitem(sys.modules, "kubernetes", None)  # import kubernetes -> ImportError
    assert main(["inventory", "--kube-context", "prod"]) == 2
    assert "pip install 'ecrcost[kubernetes]'" in capsys.readouterr().err


def test_kube_context_with_from_snapshot_is_refused(tmp_path, capsys):
    code = main(["inventory", "--from-snapshot", str(tmp_path / "s.json"), "--kube-context", "x"])
    assert code == 2
    assert "--from-snapshot reads a file: drop" in capsys.readouterr().err


# --- item 6: the IAM policy allows every read call ----------------------------------------


def test_iam_policy_read_allows_every_call_the_in_use_sources_make(world, monkeypatch, home):
    from botocore.client import BaseClient

    seen: set[tuple[str, str]] = set()
    original = BaseClient._make_api_call

    def recording(self: Any, operation_name: str, api_params: dict) -> Any:
        seen.add((self.meta.service_model.service_name, operation_name))
        return original(self, operation_name, api_params)

    monkeypatch.setattr(BaseClient, "_make_api_call", recording)
    snap = collect_inventory(load_settings({"home": str(home), "regions": [REGION]}, env={}))
    assert snap.images_in_use and not snap.missing_sources
    assert {
        ("ecs", "ListClusters"), ("ecs", "ListServices"), ("ecs", "DescribeServices"),
        ("ecs", "ListTasks"), ("ecs", "DescribeTasks"), ("ecs", "ListTaskDefinitionFamilies"),
        ("ecs", "ListTaskDefinitions"), ("ecs", "DescribeTaskDefinition"),
        ("lambda", "ListFunctions"), ("lambda", "ListVersionsByFunction"),
        ("lambda", "ListAliases"), ("lambda", "GetFunction"),
        ("inspector2", "BatchGetAccountStatus"), ("inspector2", "ListCoverage"),
    } <= seen  # fmt: skip
    allowed = iam.allowed_actions(iam.policy_document("read", load_settings({}, env={})))
    for service, op in seen:
        assert iam.iam_action(service, op) in allowed, (service, op)
    by_sid = {
        s["Sid"]: s for s in iam.policy_document("read", load_settings({}, env={}))["Statement"]
    }
    assert by_sid["ReadInspectorImagesInUse"]["Action"] == [
        "inspector2:BatchGetAccountStatus", "inspector2:ListCoverage"
    ]  # fmt: skip
    assert not any(a.startswith(("ecs:", "lambda:")) and not a.split(":")[1].startswith(
        ("List", "Describe", "Get")) for a in allowed)  # fmt: skip


# --- the sample organisation (make demo) --------------------------------------------------


def test_the_sample_snapshot_has_ecs_services_and_a_lambda_function_using_its_images(sample_org):
    out, _ = sample_org
    snap = Snapshot.read(out / "inventory" / "snapshot.json.gz")
    images = {(r.account_id, r.region, r.name, i.digest): i for r in snap.repositories
              for i in r.images}  # fmt: skip
    counts = {s: sum(u.source == s for u in snap.images_in_use) for s in ("ecs", "lambda")}
    assert counts == {"ecs": 6, "lambda": 3}
    for u in snap.images_in_use:
        image = images[(u.account_id, u.region, u.repository_name, u.image_digest)]
        assert u.observed_at <= snap.taken_at
        if u.resolution == "tag":
            assert u.reference.endswith(f":{u.image_tag}") and u.image_tag in image.tags
        else:
            assert (u.resolution, u.reference.rpartition("@")[2]) == ("reported", u.image_digest)
    # one task of each service still runs the repository's oldest image
    assert sum(u.resolution == "reported" for u in snap.images_in_use) == 3
    scopes = {(r.account_id, r.region) for r in snap.repositories}
    assert {(s.source, s.account_id, s.region, s.status) for s in snap.in_use_sources} == {
        (source, a, r, status) for a, r in scopes
        for source, status in (("ecs", "read"), ("lambda", "read"), ("inspector", "not_enabled"))
    }  # fmt: skip


def test_what_the_inventory_collects_is_what_plan_and_apply_protect(world, home, tmp_path, capsys):
    """End to end over HTTP: ECS's running tasks and task definitions, read by `inventory`, make
    `policy plan` name the users of each image to go and `policy apply` refuse the repository
    until --allow-in-use; a repository nobody uses is written in the same run."""
    ecr = boto3.client("ecr", region_name=REGION, endpoint_url=world)
    ecr.create_repository(repositoryName="idle")
    _push(ecr, "idle", digest("7"), "i1")
    _push(ecr, "idle", digest("6"), "i2")
    assert main(["inventory", "--home", str(home), "--regions", REGION]) == 0
    capsys.readouterr()
    policy = tmp_path / "keep-one.json"
    keep_one = {
        "rules": [
            {
                "rulePriority": 1,
                "selection": {"tagStatus": "any", "countType": "imageCountMoreThan",
                              "countNumber": 1},
                "action": {"type": "expire"},
            }
        ]
    }  # fmt: skip
    policy.write_text(json.dumps(keep_one))
    base = ["--home", str(home), "--policy", str(policy)]

    assert main(["policy", "plan", *base, "--repositories", "web", "-o", "json"]) == 0
    plan = json.loads(capsys.readouterr().out)
    (repo,) = plan["repositories"]
    (gone,) = repo["images_to_go"]  # moto stamps both pushes in the same second: either goes
    users = {
        # the running tasks report WEB_V1 by digest; web:1 is one of the newest revisions kept
        WEB_V1: {"ecs:prod/web", "ecs:task-definition/web:1"},
        # the service's task definition names web:v2; Inspector counts it in use
        WEB_V2: {"ecs:prod/web", "ecs:task-definition/web:2", "inspector"},
    }
    assert gone["digest"] in users
    tag = "v1" if gone["digest"] == WEB_V1 else "v2"
    assert (gone["tags"], gone["action"], gone["rule_priority"]) == ([tag], "expire", 1)
    assert set(gone["in_use_by"]) == users[gone["digest"]]

    code = main(["policy", "apply", *base, "--yes"])
    captured = capsys.readouterr()
    assert code == 2, captured
    refused = f"  refused {ACCOUNT}/{REGION}/web: rule 1 would expire {gone['digest']} ({tag})"
    assert refused in captured.out
    assert f"  done      {ACCOUNT}/{REGION}/idle" in captured.out
    assert json.loads(ecr.get_lifecycle_policy(repositoryName="idle")["lifecyclePolicyText"]) == (
        keep_one
    )
    with pytest.raises(ecr.exceptions.LifecyclePolicyNotFoundException):
        ecr.get_lifecycle_policy(repositoryName="web")

    code = main(["policy", "apply", *base, "--yes", "--repositories", "web", "--allow-in-use"])
    assert code == 0, capsys.readouterr()
    assert json.loads(ecr.get_lifecycle_policy(repositoryName="web")["lifecyclePolicyText"]) == (
        keep_one
    )


def test_no_default_region_is_no_missing_source_when_regions_are_given(
    world, home, capsys, monkeypatch
):
    """--regions names the regions; the caller's account is asked of STS in the region read."""
    for name in ("AWS_DEFAULT_REGION", "AWS_REGION"):
        monkeypatch.delenv(name, raising=False)
    assert main(["inventory", "--home", str(home), "--regions", REGION]) == 0, capsys.readouterr()
    assert ("ecs", f"{ACCOUNT}/{REGION}", "read", None) in _rows(home, SOURCES)
