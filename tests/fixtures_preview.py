"""A local HTTP endpoint that answers ECR's lifecycle policy preview (which moto does not
implement) with AWS's response shapes, and passes every other request on to moto's server.

The answer per repository is set by the test (`answers`), as AWS would give it; the endpoint
keeps one preview per repository as AWS does: StartLifecyclePolicyPreview while one is IN_PROGRESS
answers LifecyclePolicyPreviewInProgressException, and GetLifecyclePolicyPreview answers
IN_PROGRESS for the first `polls_in_progress` polls, then COMPLETE in pages of `maxResults`
(at most 100) with `nextToken`. Shapes: botocore's ECR model
(GetLifecyclePolicyPreviewResponse, LifecyclePolicyPreviewResult)."""

from __future__ import annotations

import json
import threading
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

TARGET = "AmazonEC2ContainerRegistry_V20150921."


@dataclass
class PreviewState:
    answers: dict[str, list[dict[str, Any]]] = field(default_factory=dict)  # repo -> results
    polls_in_progress: int = 1
    busy: set[str] = field(default_factory=set)  # repositories with someone else's preview
    failed: set[str] = field(default_factory=set)  # repositories whose preview ends FAILED
    throttled: set[str] = field(default_factory=set)  # the next start answers ThrottlingException
    started: dict[str, dict[str, Any]] = field(default_factory=dict)
    calls: list[tuple[str, str]] = field(default_factory=list)  # (operation, repository)
    lock: threading.Lock = field(default_factory=threading.Lock)


def result(
    digest: str, tags: list[str], action: str, priority: int, pushed: datetime
) -> dict[str, Any]:
    """One LifecyclePolicyPreviewResult as AWS sends it (timestamps: epoch seconds)."""
    return {
        "imageDigest": digest,
        "imageTags": tags,
        "imagePushedAt": pushed.timestamp(),
        "action": {"type": action},
        "appliedRulePriority": priority,
        "storageClass": "STANDARD",
    }


class PreviewServer:
    def __init__(self, upstream: str):
        self.upstream, self.state = upstream.rstrip("/"), PreviewState()
        handler = type("Handler", (_Handler,), {"server_state": self.state, "upstream": upstream})
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self.httpd.server_address[:2]
        return f"http://{host}:{port}"

    def __enter__(self) -> PreviewServer:
        self.thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


class _Handler(BaseHTTPRequestHandler):
    server_state: PreviewState
    upstream: str

    def log_message(self, *args: Any) -> None:  # quiet
        pass

    def _body(self) -> bytes:
        return self.rfile.read(int(self.headers.get("Content-Length") or 0))

    def do_POST(self) -> None:
        body = self._body()
        target = self.headers.get("X-Amz-Target", "")
        if target == TARGET + "StartLifecyclePolicyPreview":
            return self._send(*self._start(json.loads(body)))
        if target == TARGET + "GetLifecyclePolicyPreview":
            return self._send(*self._get(json.loads(body)))
        return self._proxy("POST", body)

    def do_GET(self) -> None:
        self._proxy("GET", None)

    def _start(self, req: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        s, repo = self.server_state, req["repositoryName"]
        with s.lock:
            s.calls.append(("StartLifecyclePolicyPreview", repo))
            if repo in s.throttled:
                s.throttled.discard(repo)
                return 400, {"__type": "ThrottlingException", "message": "Rate exceeded"}
            running = s.started.get(repo)
            if repo in s.busy or (running and running["polls"] < s.polls_in_progress):
                return 400, {
                    "__type": "LifecyclePolicyPreviewInProgressException",
                    "message": "The previous lifecycle policy preview request has not completed. "
                    "Wait and try again.",
                }
            s.started[repo] = {"text": req.get("lifecyclePolicyText"), "polls": 0}
        return 200, {
            "registryId": req.get("registryId"),
            "repositoryName": repo,
            "lifecyclePolicyText": req.get("lifecyclePolicyText"),
            "status": "IN_PROGRESS",
        }

    def _get(self, req: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        s, repo = self.server_state, req["repositoryName"]
        with s.lock:
            s.calls.append(("GetLifecyclePolicyPreview", repo))
            if repo in s.busy:  # someone else's preview: it ends after this poll
                s.busy.discard(repo)
                return 200, {"repositoryName": repo, "status": "IN_PROGRESS"}
            run = s.started.get(repo)
            if run is None:
                return 400, {
                    "__type": "LifecyclePolicyPreviewNotFoundException",
                    "message": "There is no dry run for this repository.",
                }
            run["polls"] += 1
            head = {
                "registryId": req.get("registryId"),
                "repositoryName": repo,
                "lifecyclePolicyText": run["text"],
            }
            if run["polls"] <= s.polls_in_progress:
                return 200, {**head, "status": "IN_PROGRESS"}
            if repo in s.failed:
                return 200, {**head, "status": "FAILED"}
        results = s.answers.get(repo, [])
        size = min(int(req.get("maxResults") or 100), 100)
        start = int(req.get("nextToken") or 0)
        page = results[start : start + size]
        out = {
            **head,
            "status": "COMPLETE",
            "previewResults": page,
            "summary": {
                "expiringImageTotalCount": sum(r["action"]["type"] == "EXPIRE" for r in results)
            },
        }
        if start + size < len(results):
            out["nextToken"] = str(start + size)
        return 200, out

    def _send(self, status: int, doc: dict[str, Any]) -> None:
        data = json.dumps(doc).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/x-amz-json-1.1")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _proxy(self, method: str, body: bytes | None) -> None:
        headers = {k: v for k, v in self.headers.items() if k.lower() not in {"host"}}
        req = urllib.request.Request(
            self.upstream + self.path, data=body, headers=headers, method=method
        )
        try:
            with urllib.request.urlopen(req, timeout=30) as resp:
                status, resp_headers, data = resp.status, resp.headers, resp.read()
        except urllib.error.HTTPError as err:
            status, resp_headers, data = err.code, err.headers, err.read()
        self.send_response(status)
        for k, v in resp_headers.items():
            if k.lower() not in {"content-length", "transfer-encoding", "connection", "date",
                                 "server"}:  # fmt: skip
                self.send_header(k, v)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)
