"""Where billing files live: a local folder/file or `s3://bucket/prefix`, listed the same way.

S3 is listed with boto3 (the caller's AwsAccess: its --profile, else the standard credential
chain; boto3 honours AWS_ENDPOINT_URL) and the files that are read are downloaded to a temporary
folder: DuckDB then reads local files only.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from ecrcost.aws import AwsAccess
from ecrcost.errors import UserError


@dataclass(frozen=True)
class Entry:
    key: str  # path relative to the location root, '/'-separated (a single file: its name)
    size: int
    version: str  # local mtime in ns, or the S3 ETag: changes when the object is rewritten
    modified: float = 0.0  # seconds since the epoch: the newest of several manifests wins


_NOT_FOUND = {"404", "NoSuchKey", "NotFound"}


class Location(Protocol):
    url: str

    def entries(self) -> list[Entry]: ...

    def folders(self) -> list[str]:
        """The folder names of the path the entries' keys are relative to (outermost first):
        a location that is itself a period folder still says which period it holds."""
        ...

    def read_bytes(self, key: str) -> bytes: ...

    def local_path(self, key: str, workdir: Path) -> Path: ...

    def display(self, key: str) -> str: ...


class LocalLocation:
    def __init__(self, url: str):
        self.url = url
        self.root = Path(url).expanduser()

    def entries(self) -> list[Entry]:
        if not self.root.exists():
            raise UserError(f"{self.url}: billing location does not exist; check --cur")
        if self.root.is_file():  # a single loose file: its name is its key
            st = self.root.stat()
            self.root, name = self.root.parent, self.root.name
            return [Entry(name, st.st_size, str(st.st_mtime_ns), st.st_mtime)]
        out = []
        for dirpath, dirnames, filenames in os.walk(self.root):
            dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
            for name in sorted(filenames):
                path = Path(dirpath) / name
                st = path.stat()
                key = path.relative_to(self.root).as_posix()
                out.append(Entry(key, st.st_size, str(st.st_mtime_ns), st.st_mtime))
        return out

    def folders(self) -> list[str]:
        return list(self.root.resolve().parts[1:])

    def _path(self, key: str) -> Path:
        return self.root / key if key else self.root

    def read_bytes(self, key: str) -> bytes:
        return self._path(key).read_bytes()

    def local_path(self, key: str, workdir: Path) -> Path:
        return self._path(key)

    def display(self, key: str) -> str:
        return str(self._path(key))


class S3Location:
    def __init__(self, url: str, access: AwsAccess | None = None):
        self.url = url.rstrip("/")
        rest = url[len("s3://") :]
        self.bucket, _, self.prefix = rest.partition("/")
        self.prefix = self.prefix.strip("/")
        if not self.bucket:
            raise UserError(f"{url}: no bucket name; use s3://bucket/prefix")
        # The bucket's own region is found by botocore (it follows S3's redirects).
        self.client = (access or AwsAccess()).client("s3", None, None)
        self._single = False

    def _key(self, key: str) -> str:
        if self._single or not key:
            return self.prefix
        return f"{self.prefix}/{key}" if self.prefix else key

    def entries(self) -> list[Entry]:
        from botocore.exceptions import ClientError

        base = f"{self.prefix}/" if self.prefix else ""
        out: list[Entry] = []
        with self._errors("cannot list the billing location"):
            pages = self.client.get_paginator("list_objects_v2").paginate(
                Bucket=self.bucket, Prefix=base
            )
            for page in pages:
                for obj in page.get("Contents", []):
                    rel = obj["Key"][len(base) :]
                    if rel and not rel.endswith("/"):
                        etag, when = obj["ETag"].strip('"'), obj["LastModified"].timestamp()
                        out.append(Entry(rel, obj["Size"], etag, when))
            if not out and self.prefix:
                try:
                    head = self.client.head_object(Bucket=self.bucket, Key=self.prefix)
                except ClientError as exc:
                    if exc.response.get("Error", {}).get("Code", "") in _NOT_FOUND:
                        return out
                    raise
                self._single = True
                etag, when = head["ETag"].strip('"'), head["LastModified"].timestamp()
                name = self.prefix.rpartition("/")[2]
                out.append(Entry(name, head["ContentLength"], etag, when))
        return out

    def folders(self) -> list[str]:
        inside = self.prefix.rpartition("/")[0] if self._single else self.prefix
        return [self.bucket, *(p for p in inside.split("/") if p)]

    @contextmanager
    def _errors(self, what: str, key: str | None = None) -> Iterator[None]:
        """S3 failures as one line naming the location (or object). The user's AWS set-up
        mistakes (no credentials, unknown profile, SSO session) go on to the CLI, which has one
        line for each of them."""
        from botocore import exceptions as bx

        where = self.display(key) if key is not None else self.url
        try:
            yield
        except (bx.NoCredentialsError, bx.PartialCredentialsError, bx.ProfileNotFound):
            raise
        except (bx.TokenRetrievalError, bx.SSOTokenLoadError, bx.UnauthorizedSSOTokenError):
            raise
        except bx.ClientError as exc:
            code = exc.response.get("Error", {}).get("Code", "")
            raise UserError(f"{where}: {what}: {code or exc}") from None
        except bx.BotoCoreError as exc:
            raise UserError(f"{where}: cannot reach S3: {exc}") from None

    def read_bytes(self, key: str) -> bytes:
        with self._errors("cannot read", key):
            return self.client.get_object(Bucket=self.bucket, Key=self._key(key))["Body"].read()

    def local_path(self, key: str, workdir: Path) -> Path:
        target = workdir / key
        target.parent.mkdir(parents=True, exist_ok=True)
        with self._errors("cannot download", key):
            self.client.download_file(self.bucket, self._key(key), str(target))
        return target

    def display(self, key: str) -> str:
        return f"s3://{self.bucket}/{self._key(key)}"


def open_location(url: str, access: AwsAccess | None = None) -> Location:
    if not url or not url.strip():
        raise UserError("billing location is empty; pass --cur FOLDER or s3://bucket/prefix")
    if url.startswith("s3://"):
        return S3Location(url, access)
    return LocalLocation(url)
