"""AWS sessions and clients: the standard credential chain, AssumeRole into member accounts,
standard retries. `AWS_ENDPOINT_URL` is honoured by botocore itself (tests point it at moto).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import boto3

ROLE_SESSION_NAME = "ecrcost"
RETRY_ATTEMPTS = 10


def api_errors() -> tuple[type[Exception], ...]:
    """What one AWS call can fail with and the caller may record instead of raising: API errors
    (denied, throttled beyond retries, not found) and transport/credential errors. botocore
    loads on first use: `except api_errors() as exc:` evaluates only when something is raised.
    """
    from botocore.exceptions import BotoCoreError, ClientError

    return (ClientError, BotoCoreError)


def client_config(max_pool_connections: int = 10) -> Any:
    from botocore.config import Config

    return Config(
        retries={"mode": "standard", "max_attempts": RETRY_ATTEMPTS},
        max_pool_connections=max(10, max_pool_connections),
        user_agent_extra="ecrcost",
    )


@dataclass
class AwsAccess:
    """Clients for (account, region, service): the base session for the caller's own account,
    an assumed role (cached, thread-safe) for any other account listed by the user."""

    profile: str | None = None
    role_name: str | None = None
    external_id: str | None = None
    max_pool_connections: int = 10
    # account id -> how an inventory snapshot read it (`ecrcost.inventory.model.AccountAccess`)
    recorded: dict[str, Any] = field(default_factory=dict)
    _base: boto3.Session | None = field(default=None, init=False, repr=False)
    _sessions: dict[str, boto3.Session] = field(default_factory=dict, init=False, repr=False)
    _caller_account: str | None = field(default=None, init=False, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, init=False, repr=False)
    _client_lock: threading.Lock = field(default_factory=threading.Lock, init=False, repr=False)

    @classmethod
    def from_settings(cls, settings: Any) -> AwsAccess:
        return cls(
            profile=settings.aws_profile,
            role_name=settings.role_name,
            external_id=settings.external_id,
            max_pool_connections=settings.max_concurrency,
        )

    @property
    def base_session(self) -> boto3.Session:
        import boto3

        with self._lock:
            if self._base is None:
                self._base = boto3.Session(profile_name=self.profile)
            return self._base

    def caller_account(self) -> str:
        if self._caller_account is None:
            sts = self.base_session.client("sts", config=client_config())
            self._caller_account = sts.get_caller_identity()["Account"]
        return self._caller_account

    def default_region(self) -> str | None:
        return self.base_session.region_name

    def role_for(self, account_id: str | None) -> str | None:
        """The role assumed to reach `account_id`; None: the caller's own credentials.

        `role_name` (the user's --role-name) wins; else the role the snapshot read the account
        with (`recorded`); the caller's own account always goes through the base session."""
        if account_id is None:
            return None
        role = self.role_name
        if role is None and account_id in self.recorded:
            role = self.recorded[account_id].role_name
        if role is None or account_id == self.caller_account():
            return None
        return role

    def needs_external_id(self, account_id: str) -> bool:
        """The snapshot read `account_id` through a role with an external id, and none is given
        now (`--external-id` or ECRCOST_EXTERNAL_ID): assuming the role would be refused."""
        recorded = self.recorded.get(account_id)
        return (
            self.role_name is None
            and not self.external_id
            and recorded is not None
            and recorded.external_id_used
            and self.role_for(account_id) is not None
        )

    def session_for(self, account_id: str | None) -> boto3.Session:
        """The caller's session for its own account (or None); an assumed role otherwise."""
        role = self.role_for(account_id)
        if role is None:
            return self.base_session
        assert account_id is not None
        with self._lock:
            cached = self._sessions.get(account_id)
        if cached is not None:
            return cached
        import boto3

        sts = self.base_session.client("sts", config=client_config())
        params = {
            "RoleArn": f"arn:aws:iam::{account_id}:role/{role}",
            "RoleSessionName": ROLE_SESSION_NAME,
        }
        if self.external_id:
            params["ExternalId"] = self.external_id
        creds = sts.assume_role(**params)["Credentials"]
        session = boto3.Session(
            aws_access_key_id=creds["AccessKeyId"],
            aws_secret_access_key=creds["SecretAccessKey"],
            aws_session_token=creds["SessionToken"],
        )
        with self._lock:
            self._sessions[account_id] = session
        return session

    def client(self, service: str, account_id: str | None, region: str | None) -> Any:
        """A new client; safe to call from worker threads (creating clients from one boto3
        Session is not thread-safe, using a client is)."""
        session = self.session_for(account_id)
        with self._client_lock:
            return session.client(
                service, region_name=region, config=client_config(self.max_pool_connections)
            )
