"""Durable backups under `<home>/backups/<backup id>/`: a manifest of the run plus one file per
repository, each written to a temporary file, fsync'd, renamed into place, and the folder fsync'd.

A repository's file is written once: a resumed run keeps the first backup (it holds the state
from before ecrcost touched the repository), never the state the first attempt left behind.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote, unquote

from ecrcost.errors import UserError

FORMAT_NAME = "ecrcost-backup"
FORMAT_VERSION = 1
MANIFEST_NAME = "manifest.json"
ENTRIES_DIR = "repositories"
_BACKUP_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,127}")
# File names are at most 255 bytes on common file systems; durable_write's temporary name adds
# up to about 30 bytes to an entry's name. A repository name may be 256 characters long
# (botocore's ECR model: RepositoryName max 256), more once '/' is encoded.
MAX_ENTRY_NAME = 200
_HASH_CHARS = 16


def new_backup_id(kind: str, now: datetime) -> str:
    return f"{now:%Y%m%dT%H%M%SZ}-{kind}-{secrets.token_hex(3)}"


def check_backup_id(backup_id: str) -> str:
    # The id becomes a folder name: no separators, no leading dot.
    if not _BACKUP_ID.fullmatch(backup_id):
        raise UserError(
            f"backup id {backup_id!r} is invalid: use letters, digits, '.', '_' and '-' only"
        )
    return backup_id


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def durable_write(path: Path, data: bytes, *, overwrite: bool) -> bool:
    """Write `data` to `path` so that it survives a crash; False (and nothing written) when
    `overwrite` is False and `path` exists already."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        if overwrite:
            os.replace(tmp, path)
        else:
            # link() refuses an existing target atomically, where rename() would replace it.
            try:
                os.link(tmp, path)
            except FileExistsError:
                return False
            finally:
                tmp.unlink(missing_ok=True)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    _fsync_dir(path.parent)
    return True


def entry_file_name(account_id: str, region: str, repository_name: str) -> str:
    """Repository names contain '/': percent-encode the name (ECR names never contain '%');
    account ids and regions contain no '.', so the file name splits back unambiguously.

    A name too long for a file name (over MAX_ENTRY_NAME bytes in all) is cut and ends in
    `~` and a hash of the full name (ECR names never contain '~'); the entry itself always holds
    the full `repository_name`, which is what every reader uses."""
    head = f"{account_id}.{region}."
    encoded = quote(repository_name, safe="")
    if len(head) + len(encoded) + len(".json") <= MAX_ENTRY_NAME:
        return f"{head}{encoded}.json"
    digest = hashlib.sha256(repository_name.encode()).hexdigest()[:_HASH_CHARS]
    cut = encoded[: MAX_ENTRY_NAME - len(head) - len(".json") - 1 - _HASH_CHARS]
    if "%" in cut[-2:]:  # never split a %XX escape
        cut = cut[: cut.rindex("%")]
    return f"{head}{cut}~{digest}.json"


def parse_entry_file_name(file_name: str) -> tuple[str, str, str]:
    """(account, region, name) of a file name `entry_file_name` made; for a cut name (with
    `~`) the name is its readable head only: read the entry for the full name."""
    account_id, region, rest = file_name.removesuffix(".json").split(".", 2)
    return account_id, region, unquote(rest.split("~", 1)[0])


def _json_default(value: Any) -> str:
    if isinstance(value, datetime):
        return value.isoformat()
    return str(value)


def _dumps(data: Any) -> bytes:
    return (json.dumps(data, indent=2, sort_keys=True, default=_json_default) + "\n").encode()


@dataclass
class BackupSet:
    backup_id: str
    root: Path
    manifest: dict[str, Any]

    @classmethod
    def create(cls, backups_dir: Path, backup_id: str, kind: str, **fields: Any) -> BackupSet:
        check_backup_id(backup_id)
        root = backups_dir / backup_id
        manifest = {
            "format": FORMAT_NAME,
            "version": FORMAT_VERSION,
            "backup_id": backup_id,
            "kind": kind,
            "complete": False,
            **fields,
        }
        backups_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
        os.chmod(backups_dir, 0o700)  # policy texts and tags: the owner's only, as each entry
        try:
            root.mkdir(mode=0o700)
        except FileExistsError:
            raise UserError(f"backup {backup_id} exists already in {backups_dir}") from None
        _fsync_dir(backups_dir)
        backup = cls(backup_id, root, manifest)
        backup.save_manifest()
        return backup

    @classmethod
    def open(cls, backups_dir: Path, backup_id: str) -> BackupSet:
        root = backups_dir / check_backup_id(backup_id)
        path = root / MANIFEST_NAME
        try:
            manifest = json.loads(path.read_text())
        except FileNotFoundError:
            raise UserError(f"backup {backup_id} not found in {backups_dir}") from None
        except (OSError, json.JSONDecodeError) as exc:
            raise UserError(f"{path}: cannot read the backup manifest: {exc}") from None
        if manifest.get("format") != FORMAT_NAME:
            raise UserError(f"{path}: not an ecrcost backup manifest")
        return cls(backup_id, root, manifest)

    @property
    def kind(self) -> str:
        return str(self.manifest.get("kind"))

    def save_manifest(self) -> None:
        durable_write(self.root / MANIFEST_NAME, _dumps(self.manifest), overwrite=True)

    def mark_complete(self, at: datetime) -> None:
        """Every repository of the run succeeded: a later run need not resume this one."""
        self.manifest["complete"] = True
        self.manifest["completed_at"] = at.isoformat()
        self.save_manifest()

    def entry_path(self, account_id: str, region: str, repository_name: str) -> Path:
        return self.root / ENTRIES_DIR / entry_file_name(account_id, region, repository_name)

    def write_entry(self, record: dict[str, Any]) -> bool:
        """Durably write one repository's record; False when the first one is kept."""
        path = self.entry_path(record["account_id"], record["region"], record["repository_name"])
        return durable_write(path, _dumps(record), overwrite=False)

    def read_entry(self, account_id: str, region: str, name: str) -> dict[str, Any] | None:
        path = self.entry_path(account_id, region, name)
        try:
            return json.loads(path.read_text())
        except FileNotFoundError:
            return None
        except (OSError, json.JSONDecodeError) as exc:
            raise UserError(f"{path}: backup file unreadable: {exc}") from None

    def entries(self) -> list[dict[str, Any]]:
        folder = self.root / ENTRIES_DIR
        if not folder.is_dir():
            return []
        out = []
        for path in sorted(folder.glob("*.json")):
            try:
                out.append(json.loads(path.read_text()))
            except (OSError, json.JSONDecodeError) as exc:
                raise UserError(f"{path}: backup file unreadable: {exc}") from None
        return out


def latest_incomplete(
    backups_dir: Path, kind: str, accept: Callable[[dict[str, Any]], bool]
) -> str | None:
    """The newest backup of `kind` whose run did not finish and that `accept` agrees to."""
    if not backups_dir.is_dir():
        return None
    found: list[tuple[str, str]] = []
    for path in backups_dir.glob(f"*/{MANIFEST_NAME}"):
        try:
            manifest = json.loads(path.read_text())
        except (OSError, json.JSONDecodeError):
            continue
        if manifest.get("kind") == kind and not manifest.get("complete") and accept(manifest):
            found.append((str(manifest.get("created_at", "")), path.parent.name))
    return max(found)[1] if found else None
