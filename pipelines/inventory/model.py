"""The inventory snapshot: what `ecrcost inventory` collects, what the sample organisation
writes, and the portable file (`--out` / `--from-snapshot`) an analyst without AWS access loads.

File format: JSON (gzip-compressed when the name ends in `.gz`), UTF-8, times in ISO 8601 UTC:
    {"format": "ecrcost-inventory", "version": 1, "taken_at": ..., "source": ...,
     "manifests_read": bool, "repositories": [Repository...], "errors": [ScanError...],
     "accounts": [AccountAccess...], "images_in_use": [ImageInUse...],
     "in_use_sources": [InUseSource...]}
"accounts" (how each account was read) was added within version 1: a file without it loads
with no access recorded (writes then use the caller's credentials, or --role-name), and readers
that predate it ignore it. "images_in_use" and "in_use_sources" were added the same way: a file
without them loads with no in-use source read (docs/images-in-use.md).
"""

from __future__ import annotations

import gzip
import json
import os
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from ecrcost.errors import UserError
from ecrcost.fmt import iso
from ecrcost.gcpause import collector_paused
from ecrcost.utc import as_utc

FORMAT_NAME = "ecrcost-inventory"
FORMAT_VERSION = 1


@dataclass
class Blob:
    """A layer or config blob of an image manifest (known only when manifests were read)."""

    digest: str
    size_bytes: int
    kind: str = "layer"  # layer | config
    media_type: str | None = None


@dataclass
class Image:
    digest: str
    tags: list[str]
    # imageSizeInBytes (compressed; for a manifest list, the largest child)
    size_bytes: int | None
    pushed_at: datetime
    last_pulled_at: datetime | None = None
    manifest_media_type: str | None = None
    artifact_media_type: str | None = None
    subject_digest: str | None = None  # referrers (signatures, SBOMs) point at their subject
    status: str = "ACTIVE"  # ACTIVE | ARCHIVED | ACTIVATING
    archived_at: datetime | None = None
    activated_at: datetime | None = None
    blobs: list[Blob] | None = None  # None: manifest not read
    child_digests: list[str] = field(default_factory=list)  # a manifest list's children


@dataclass
class Repository:
    account_id: str
    region: str
    name: str
    arn: str
    uri: str | None = None
    created_at: datetime | None = None
    tags: dict[str, str] = field(default_factory=dict)
    lifecycle_policy: str | None = None  # None: the repository has no policy
    image_tag_mutability: str | None = None
    images: list[Image] = field(default_factory=list)
    complete: bool = True  # False when a call for this repository failed (see errors)


@dataclass
class ScanError:
    account_id: str | None
    region: str | None
    repository_name: str | None
    operation: str
    error_code: str
    message: str


@dataclass
class AccountAccess:
    """How a snapshot read one account: the caller's own credentials (`role_name` None) or an
    assumed role, and whether an external id went with it (never the id: it is a secret)."""

    account_id: str
    role_name: str | None = None
    external_id_used: bool = False


@dataclass
class ImageInUse:
    """One image reference a workload uses (a row of ecr_images_in_use, without the snapshot's
    id and time): `used_by` is `ecs:<cluster>/<service>`, `lambda:<function>:<version>`,
    `k8s:<context>/<namespace>/<pod>` or `inspector`; `resolution` says how the digest is known
    (reported | tag | missing | unresolved | not_ecr, docs/images-in-use.md)."""

    source: str  # ecs | lambda | k8s | inspector
    used_by: str
    observed_at: datetime
    reference: str
    account_id: str | None
    region: str | None
    repository_name: str | None
    image_tag: str | None
    image_digest: str | None
    resolution: str


@dataclass
class InUseSource:
    """One in-use source read for one scope (a row of ecr_in_use_sources): status `read`,
    `not_enabled` (Inspector off: not an error) or `missing` (could not be read: every image
    of the scope is possibly in use). account_id and region None: every repository."""

    source: str
    account_id: str | None
    region: str | None
    scope: str
    status: str
    detail: str | None = None


@dataclass
class Snapshot:
    taken_at: datetime
    source: str  # "aws", "sample", or the file it was loaded from
    manifests_read: bool = False
    repositories: list[Repository] = field(default_factory=list)
    errors: list[ScanError] = field(default_factory=list)
    accounts: list[AccountAccess] = field(default_factory=list)
    images_in_use: list[ImageInUse] = field(default_factory=list)
    in_use_sources: list[InUseSource] = field(default_factory=list)

    @property
    def missing_sources(self) -> list[InUseSource]:
        return [s for s in self.in_use_sources if s.status == "missing"]

    def write(self, path: Path | str) -> Path:
        """Write atomically (temp file + rename), so a crash never leaves half a snapshot."""
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        doc = {"format": FORMAT_NAME, "version": FORMAT_VERSION, **asdict(self)}
        data = json.dumps(doc, default=_json_default, separators=(",", ":")).encode()
        if path.name.endswith(".gz"):
            data = gzip.compress(data, mtime=0)
        tmp = path.with_name(path.name + ".tmp")
        with open(tmp, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
        return path

    @classmethod
    def read(cls, path: Path | str) -> Snapshot:
        # Millions of dicts and Images at a million images, none in a cycle (gcpause.py).
        with collector_paused():
            return cls._read(Path(path))

    @classmethod
    def _read(cls, path: Path) -> Snapshot:
        try:
            raw = path.read_bytes()
            if raw[:2] == b"\x1f\x8b":
                raw = gzip.decompress(raw)
            doc = json.loads(raw)
        except (OSError, ValueError, EOFError) as exc:
            raise UserError(f"{path}: not a readable inventory snapshot ({exc})") from None
        if not isinstance(doc, dict) or doc.get("format") != FORMAT_NAME:
            raise UserError(f"{path}: not an ecrcost inventory snapshot (no 'format' marker)")
        if doc.get("version") != FORMAT_VERSION:
            raise UserError(f"{path}: snapshot version {doc.get('version')} is not supported")
        try:
            return cls(
                taken_at=as_utc(doc["taken_at"]),
                source=str(doc.get("source") or path),
                manifests_read=bool(doc.get("manifests_read")),
                repositories=[_repository(r) for r in doc["repositories"]],
                errors=[ScanError(**e) for e in doc.get("errors", [])],
                accounts=[AccountAccess(**a) for a in doc.get("accounts", [])],
                images_in_use=[_image_in_use(u) for u in doc.get("images_in_use", [])],
                in_use_sources=[InUseSource(**s) for s in doc.get("in_use_sources", [])],
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise UserError(f"{path}: snapshot field missing or invalid: {exc}") from None


def _json_default(value: Any) -> Any:
    if isinstance(value, datetime):
        return iso(value)
    raise TypeError(f"cannot serialise {type(value).__name__}")


def image_of(d: dict[str, Any]) -> Image:
    """The one loader of an Image from a record keyed by Image field names (a snapshot file's
    image, or a DescribeImages detail renamed): times to UTC, absent values None or empty, other
    keys ignored; a missing digest or push time is a KeyError."""
    # Written out field by field: a snapshot file holds up to millions of images (issue 15).
    get = d.get
    blobs, tags, children = get("blobs"), get("tags"), get("child_digests")
    pulled, archived, activated = get("last_pulled_at"), get("archived_at"), get("activated_at")
    if tags and ("" in tags or "\n" in "".join(tags)):  # never from ECR; the simulator's lines
        raise ValueError(f"image {d['digest']}: an empty tag or one with a line break in {tags}")
    return Image(
        digest=d["digest"],
        tags=list(tags) if tags else [],
        size_bytes=get("size_bytes"),
        pushed_at=as_utc(d["pushed_at"]),
        last_pulled_at=None if pulled is None else as_utc(pulled),
        manifest_media_type=get("manifest_media_type"),
        artifact_media_type=get("artifact_media_type"),
        subject_digest=get("subject_digest"),
        status=get("status") or "ACTIVE",
        archived_at=None if archived is None else as_utc(archived),
        activated_at=None if activated is None else as_utc(activated),
        blobs=None if blobs is None else [Blob(**b) for b in blobs],
        child_digests=list(children) if children else [],
    )


def _repository(d: dict[str, Any]) -> Repository:
    return Repository(
        account_id=d["account_id"],
        region=d["region"],
        name=d["name"],
        arn=d["arn"],
        uri=d.get("uri"),
        created_at=as_utc(d.get("created_at")),
        tags=dict(d.get("tags") or {}),
        lifecycle_policy=d.get("lifecycle_policy"),
        image_tag_mutability=d.get("image_tag_mutability"),
        images=[image_of(i) for i in d.get("images", [])],
        complete=bool(d.get("complete", True)),
    )


def _image_in_use(d: dict[str, Any]) -> ImageInUse:
    observed_at = as_utc(d["observed_at"])
    if observed_at is None:
        raise ValueError("images_in_use: observed_at is empty")
    return ImageInUse(**{**d, "observed_at": observed_at})
