"""`ecrcost inventory` end to end over HTTP: a ThreadedMotoServer behind a small local fake that
injects AWS faults (the fake decides from the X-Amz-Target operation, the SigV4 credential-scope
region and the repository in the body). Real sockets, real botocore retries and error parsing.

Access denied in one region is injected by the fake rather than moto's IAM enforcement: moto's
enforcement is global to the process and does not scope policies per region without a policy
condition moto does not evaluate; the fake answers exactly what ECR answers (400
AccessDeniedException) where we want it.
"""

from __future__ import annotations

import http.client
import json
import re
import threading
from collections import Counter
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import boto3
import pytest
from botocore.retries import standard
from moto.ecr.models import ecr_backends

from ecrcost import warehouse
from ecrcost.aws import RETRY_ATTEMPTS
from ecrcost.cli import main

ACCOUNT = "123456789012"
MIB = 1024**2


class FaultyFront:
    """Forwards to moto unless `faults[(operation, region or repo)]` says otherwise."""

    def __init__(self, upstream_port: int):
        self.upstream_port = upstream_port
        self.calls: Counter[tuple[str, str | None]] = Counter()
        # (operation, region or repository) -> [error code, times left (None: always)]
        self.faults: dict[tuple[str, str], list[Any]] = {}
        self.before: dict[tuple[str, str], Callable[[], None]] = {}
        front = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                front.handle(self, body)

            do_GET = do_PUT = do_DELETE = do_POST  # Lambda's REST calls (images in use)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def handle(self, req: BaseHTTPRequestHandler, body: bytes) -> None:
        op = (req.headers.get("X-Amz-Target") or "").rpartition(".")[2]
        scope = re.search(r"Credential=[^/]+/\d+/([^/]+)/", req.headers.get("Authorization", ""))
        region = scope.group(1) if scope else ""
        repo = json.loads(body).get("repositoryName") if op and body else None
        self.calls[(op, repo)] += 1
        for key in ((op, region), (op, repo)):
            fault = self.faults.get(key)
            if fault and (fault[1] is None or fault[1] > 0):
                if fault[1] is not None:
                    fault[1] -= 1
                return self.reply(req, 400, {"__type": fault[0], "message": f"{fault[0]} (fake)"})
            if key in self.before:
                self.before.pop(key)()
        conn = http.client.HTTPConnection("127.0.0.1", self.upstream_port, timeout=30)
        headers = {k: v for k, v in req.headers.items() if k.lower() != "host"}
        conn.request(req.command, req.path, body=body, headers=headers)
        resp = conn.getresponse()
        data = resp.read()
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
        req.send_header("Content-Length", str(len(data)))
        req.end_headers()
        req.wfile.write(data)


@pytest.fixture(scope="module")
def front(moto_server):
    """In front of the session's moto server (conftest)."""
    fake = FaultyFront(int(moto_server.rpartition(":")[2]))
    yield fake
    fake.server.shutdown()
    fake.server.server_close()


@pytest.fixture
def org(moto_reset, front, monkeypatch):
    url = moto_reset
    front.calls.clear()
    front.faults.clear()
    front.before.clear()
    # throttling backoff would sleep seconds per retry; the number of attempts stays real
    monkeypatch.setattr(standard.ExponentialBackoff, "delay_amount", lambda self, ctx: 0)
    for region, names in {
        "us-east-1": ["alpha", "flaky", "hopeless", "gone"],
        "eu-west-1": ["euro"],
    }.items():
        ecr = boto3.client("ecr", region_name=region, endpoint_url=url)
        for n, name in enumerate(names):
            ecr.create_repository(repositoryName=name)
            for k in range(3):
                manifest = {
                    "schemaVersion": 2,
                    "mediaType": "application/vnd.oci.image.manifest.v1+json",
                    # moto reports imageSizeInBytes = config.size
                    "config": {
                        "mediaType": "application/vnd.oci.image.config.v1+json",
                        "digest": f"sha256:{n}{k}{'c' * 62}",
                        "size": (n + 1) * 100 * MIB,
                    },
                    "layers": [
                        {
                            "mediaType": "application/vnd.oci.image.layer.v1.tar+gzip",
                            "digest": f"sha256:{n}{k}{'1' * 62}",
                            "size": 10,
                        }
                    ],
                }
                tag = {"imageTag": f"v{k}"} if k else {}  # the first one untagged
                ecr.put_image(repositoryName=name, imageManifest=json.dumps(manifest), **tag)
    monkeypatch.setenv("AWS_ENDPOINT_URL", front.url)
    return url


def test_faults_are_recorded_the_rest_is_stored_and_exit_is_3(org, front, home, tmp_path, capsys):
    front.faults[("DescribeRepositories", "eu-west-1")] = ["AccessDeniedException", None]
    front.faults[("DescribeImages", "flaky")] = ["ThrottlingException", 3]
    front.faults[("DescribeImages", "hopeless")] = ["ThrottlingException", None]
    # deleted between the repository list and its image list
    front.before[("DescribeImages", "gone")] = lambda: ecr_backends[ACCOUNT][
        "us-east-1"
    ].delete_repository("gone", ACCOUNT, force=True)
    out_file = tmp_path / "snap.json.gz"
    code = main(
        [
            "inventory",
            "--regions",
            "us-east-1,eu-west-1",
            "--home",
            str(home),
            "--csv",
            "--concurrency",
            "3",
            "--out",
            str(out_file),
        ]
    )
    out, err = capsys.readouterr()
    assert code == 3
    assert front.calls[("DescribeImages", "flaky")] == 4  # 3 throttled + 1 success
    # botocore's retries["max_attempts"] counts retries, not attempts: 1 call + 10 retries
    assert front.calls[("DescribeImages", "hopeless")] == RETRY_ATTEMPTS + 1
    # tags: one GetResources for the region with repositories, none per repository
    assert front.calls[("GetResources", None)] == 1
    assert front.calls[("ListTagsForResource", None)] == 0
    # 3 images of 100/200/300/400 MiB each per repository (n-th repository: (n+1) x 100 MiB)
    assert out == (
        "Repositories,Size,Expected Cost\n"
        "alpha,300 MB,0.03\nflaky,600 MB,0.06\ngone,0 MB,0.00\nhopeless,0 MB,0.00\n"
    )
    missing = sorted(line for line in err.splitlines() if line.startswith("missing:"))
    assert missing == [
        "missing: account 123456789012 region us-east-1 repository gone: DescribeImages failed: "
        "RepositoryNotFoundException: The repository with name 'gone' does not exist in the "
        "registry with id '123456789012'",
        "missing: account 123456789012 region us-east-1 repository hopeless: DescribeImages "
        "failed: ThrottlingException: ThrottlingException (fake)",
        "missing: region eu-west-1: DescribeRepositories failed: AccessDeniedException: "
        "AccessDeniedException (fake)",
    ]
    with warehouse.opened(home / "warehouse.duckdb") as con:
        rows = con.execute(
            "SELECT repository_name, complete, (SELECT count(*) FROM ecr_images i "
            " WHERE i.repository_name = r.repository_name) FROM ecr_repositories r ORDER BY 1"
        ).fetchall()
        errors = con.execute("SELECT count(*) FROM ecr_scan_errors").fetchone()
    assert rows == [
        ("alpha", True, 3),
        ("flaky", True, 3),
        ("gone", False, 0),
        ("hopeless", False, 0),
    ]
    assert errors == (3,)

    # the file loads elsewhere, without AWS, into the same figures
    other = tmp_path / "analyst"
    assert main(["inventory", "--from-snapshot", str(out_file), "--home", str(other), "--csv"]) == 3
    again, err2 = capsys.readouterr()
    assert (
        again == out and sorted(x for x in err2.splitlines() if x.startswith("missing:")) == missing
    )


def test_clean_run_over_http_exits_0_with_summary(org, front, home, capsys):
    code = main(["inventory", "--regions", "eu-west-1", "--home", str(home), "--manifests"])
    out, err = capsys.readouterr()
    assert code == 0
    assert "register-pull-time-update-exclusion" in err
    assert out.splitlines()[0].endswith(
        "1 account(s), 1 region(s), 1 repositories, 3 images (1 untagged, 0 archived)"
    )
    # 3 images of 100 MiB configs + 3 distinct 10-byte layers, deduplicated
    assert "billed size 0.29 GiB standard + 0.00 GiB archive (1 repositories deduplicated" in out
    assert front.calls[("BatchGetImage", "euro")] == 1


def _tag(url: str, region: str, name: str, tags: dict[str, str]) -> None:
    ecr = boto3.client("ecr", region_name=region, endpoint_url=url)
    arn = f"arn:aws:ecr:{region}:{ACCOUNT}:repository/{name}"
    ecr.tag_resource(resourceArn=arn, tags=[{"Key": k, "Value": v} for k, v in tags.items()])


def _stored_tags(home) -> list[tuple]:
    with warehouse.opened(home / "warehouse.duckdb") as con:
        return con.execute(
            "SELECT region, repository_name, tag_key, tag_value FROM ecr_repository_tags "
            "ORDER BY ALL"
        ).fetchall()


def test_tags_come_from_the_tagging_api_one_call_per_region(org, front, home, capsys):
    _tag(org, "us-east-1", "alpha", {"team": "web", "env": "prod"})
    _tag(org, "eu-west-1", "euro", {"team": "data"})
    code = main(["inventory", "--regions", "us-east-1,eu-west-1", "--home", str(home)])
    assert code == 0, capsys.readouterr().err
    assert _stored_tags(home) == [
        ("eu-west-1", "euro", "team", "data"),
        ("us-east-1", "alpha", "env", "prod"),
        ("us-east-1", "alpha", "team", "web"),
    ]
    assert front.calls[("GetResources", None)] == 2  # one per region
    assert front.calls[("ListTagsForResource", None)] == 0
    assert "note:" not in capsys.readouterr().err


def test_a_refused_tagging_api_falls_back_per_repository_said_once(org, front, home, capsys):
    _tag(org, "us-east-1", "alpha", {"team": "web"})
    _tag(org, "eu-west-1", "euro", {"team": "data"})
    for region in ("us-east-1", "eu-west-1"):
        front.faults[("GetResources", region)] = ["AccessDeniedException", None]
    code = main(["inventory", "--regions", "us-east-1,eu-west-1", "--home", str(home)])
    err = capsys.readouterr().err
    assert code == 0, err  # nothing is missing: every repository's tags were read another way
    assert _stored_tags(home) == [
        ("eu-west-1", "euro", "team", "data"),
        ("us-east-1", "alpha", "team", "web"),
    ]
    assert front.calls[("ListTagsForResource", None)] == 5  # every repository, once
    notes = [line for line in err.splitlines() if line.startswith("note:")]
    assert notes == [
        "note: tag:GetResources failed in account 123456789012 (AccessDeniedException: "
        "AccessDeniedException (fake)); reading tags per repository with "
        "ecr:ListTagsForResource instead"
    ]  # once for the account, not once per region
    with warehouse.opened(home / "warehouse.duckdb") as con:
        assert con.execute("SELECT count(*) FROM ecr_scan_errors").fetchone() == (0,)


def test_many_repositories_cost_two_calls_each_plus_one_per_hundred(
    moto_reset, front, home, monkeypatch
):
    """250 tagged repositories in one region: tags arrive 100 (moto: 99) repositories a page,
    and each repository costs DescribeImages and GetLifecyclePolicy only."""
    front.calls.clear()
    front.faults.clear()
    backend = ecr_backends[ACCOUNT]["us-east-1"]
    for n in range(250):
        repo = backend.create_repository(f"fleet/r{n:03d}", None, None, None, "MUTABLE", [])
        backend.tagger.tag_resource(repo.arn, [{"Key": "n", "Value": str(n)}])
    monkeypatch.setenv("AWS_ENDPOINT_URL", front.url)
    assert main(["inventory", "--regions", "us-east-1", "--home", str(home)]) == 0
    assert _stored_tags(home) == [("us-east-1", f"fleet/r{n:03d}", "n", str(n)) for n in range(250)]
    per_repository = Counter(op for (op, repo) in front.calls.elements() if repo is not None)
    assert per_repository == {"DescribeImages": 250, "GetLifecyclePolicy": 250}
    assert front.calls[("DescribeRepositories", None)] == 1
    # moto ends a page before 100 tags (its TagsPerPage default); AWS pages by ResourcesPerPage
    assert front.calls[("GetResources", None)] == 3
