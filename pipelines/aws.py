"""AWS sessions and clients: the standard credential chain, AssumeRole into member accounts,
standard retries, and bounded waits. `AWS_ENDPOINT_URL` is honoured by botocore itself (tests
point it at moto).

Bounded waits: every client has connect and read timeouts, and every API call a total bound
across its retries (botocore has none: a hung endpoint would hold one call for read timeout x
attempts). The bound is checked before each attempt is sent, so a call ends at most one read
timeout after it; the error names the operation and the endpoint.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from functools import cache
from typing import TYPE_CHECKING, Any

from ecrcost.errors import UserError

NO_CREDENTIALS = (
    "no AWS credentials found: configure a profile (--profile), SSO (`aws sso login`), "
    "environment variables or an instance role"
)

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


def error_of(exc: Exception) -> tuple[str, str]:
    """(code, one-line message) of a botocore error or anything else."""
    response = getattr(exc, "response", None)
    if isinstance(response, dict) and "Error" in response:
        err = response["Error"]
        code = str(err.get("Code") or type(exc).__name__)
        message = str(err.get("Message") or exc)
    else:
        code, message = type(exc).__name__, str(exc)
    return code, " ".join(message.split())


@dataclass(frozen=True)
class Timeouts:
    """Seconds: to connect, to wait for a response, and for one call with all its retries."""

    connect: float = 5.0
    read: float = 30.0
    call: float = 120.0


def client_config(max_pool_connections: int = 10, timeouts: Timeouts = Timeouts()) -> Any:
    from botocore.config import Config

    return Config(
        retries={"mode": "standard", "max_attempts": RETRY_ATTEMPTS},
        max_pool_connections=max(10, max_pool_connections),
        connect_timeout=timeouts.connect,
        read_timeout=timeouts.read,
        user_agent_extra="ecrcost",
    )


@cache
def call_timeout_error() -> type[Exception]:
    """The error of a call that ran out of its total bound (a BotoCoreError, so callers that
    record AWS failures record it; defined on first use so botocore loads only when needed)."""
    from botocore.exceptions import BotoCoreError

    class CallTimeout(BotoCoreError):
        fmt = "{operation} to {endpoint} gave up after {seconds:.0f} s (the bound per call)"

    return CallTimeout


def bound_calls(client: Any, seconds: float) -> Any:
    """Give every API call of `client` a total bound of `seconds` across its retries."""

    def start(context: dict, model: Any = None, **_: Any) -> None:
        context["ecrcost_started"] = time.monotonic()
        context["ecrcost_operation"] = getattr(model, "name", None)

    def over(context: dict, url: str) -> None:
        started = context.get("ecrcost_started")
        if started is not None and time.monotonic() - started > seconds:
            operation = context.get("ecrcost_operation") or "AWS call"
            raise call_timeout_error()(
                operation=operation, endpoint=url.split("?")[0], seconds=seconds
            )

    def before_send(request: Any, **_: Any) -> None:
        over(request.context, request.url)

    def before_retry(request_dict: dict, **_: Any) -> None:
        # Checked before botocore sleeps for the next attempt, too.
        over(request_dict.get("context", {}), request_dict.get("url", ""))

    client.meta.events.register("before-call", start)
    client.meta.events.register("before-send", before_send)
    client.meta.events.register_first("needs-retry", before_retry)
    return client


@dataclass
class AwsAccess:
    """Clients for (account, region, service): the base session for the caller's own account,
    an assumed role (cached, thread-safe) for any other account listed by the user."""

    profile: str | None = None
    role_name: str | None = None
    external_id: str | None = None
    max_pool_connections: int = 10
    timeouts: Timeouts = field(default_factory=Timeouts)
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
            timeouts=Timeouts(
                settings.aws_connect_timeout, settings.aws_read_timeout, settings.aws_call_timeout
            ),
        )

    @property
    def base_session(self) -> boto3.Session:
        import boto3

        with self._lock:
            if self._base is None:
                self._base = boto3.Session(profile_name=self.profile)
            return self._base

    def require_credentials(self) -> None:
        """Before any call: no credentials at all is one line (exit 2), not one per call."""
        if self.base_session.get_credentials() is None:
            raise UserError(NO_CREDENTIALS)

    def caller_account(self, region: str | None = None) -> str:
        """The caller's account id, asked once of STS in `region` (the region being read: its
        partition's endpoint), else the session's region, else us-east-1 (boto3 needs one)."""
        if self._caller_account is None:
            region = region or self.default_region() or "us-east-1"
            sts = self.base_session.client("sts", region_name=region, config=self._config())
            self._caller_account = self._bounded(sts).get_caller_identity()["Account"]
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

        region = self.default_region() or "us-east-1"  # boto3 needs one; --regions may be all
        sts = self._bounded(
            self.base_session.client("sts", region_name=region, config=self._config())
        )
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
            client = session.client(service, region_name=region, config=self._config())
        return self._bounded(client)

    def _config(self) -> Any:
        return client_config(self.max_pool_connections, self.timeouts)

    def _bounded(self, client: Any) -> Any:
        return bound_calls(client, self.timeouts.call)
