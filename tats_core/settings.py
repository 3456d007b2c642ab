"""Settings: every environment variable of the contract, read once by ``load_settings``.

There is no module-level settings object: each process (CLI command, worker, Streamlit app,
test) builds its own and passes it down.
"""

from __future__ import annotations

import ipaddress
from typing import Literal
from urllib.parse import urlsplit

from pydantic import AliasChoices, Field, ValidationError, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from tats_core.errors import ConfigurationError
from tats_core.routes import FAILED_PATH, PROCESS_PATH, QSTASH_PORT, WORKER_PORT

# The official QStash dev server's documented credentials (see shared/design/QSTASH.md).
DEV_QSTASH_TOKEN = "eyJVc2VySUQiOiJkZWZhdWx0VXNlciIsIlBhc3N3b3JkIjoiZGVmYXVsdFBhc3N3b3JkIn0="
DEV_CURRENT_SIGNING_KEY = "sig_7kYjw48mhY7kAjqNGcy6cr29RJ6r"
DEV_NEXT_SIGNING_KEY = "sig_5ZB6DVzB1wjE8S6rZ7eenA8Pdnhs"
DEV_SECRETS = {DEV_QSTASH_TOKEN, DEV_CURRENT_SIGNING_KEY, DEV_NEXT_SIGNING_KEY}

DEFAULT_DATABASE_URL = "sqlite:///tats.db"
# Bounds of one candidate's test run besides TATS_TEST_TIMEOUT (``processing.test_runs``).
TEST_SLOT_WAIT_S = 120.0
TEST_INSTALL_TIMEOUT_S = 300.0
JUDGING_ALLOWANCE_S = 180.0  # GitHub, the download and the analyzer, besides the test run
GITHUB_API = "https://api.github.com"
GITHUB_RAW = "https://raw.githubusercontent.com"


def raw_url_for(api_url: str) -> str:
    """Where raw file text lives beside an API: raw.githubusercontent.com for github.com,
    ``{host}/raw`` for GitHub Enterprise (``{host}/api/v3``) and for the local replay."""
    base = api_url.rstrip("/")
    if base == GITHUB_API:
        return GITHUB_RAW
    return (base[: -len("/api/v3")] if base.endswith("/api/v3") else base) + "/raw"


def is_local_url(url: str) -> bool:
    """True when ``url`` points at this machine (loopback or ``localhost``)."""
    host = urlsplit(url).hostname or ""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_file=".env", extra="ignore", populate_by_name=True, case_sensitive=False
    )

    database_url: str = Field(DEFAULT_DATABASE_URL, validation_alias="DATABASE_URL")
    qstash_url: str = Field(f"http://127.0.0.1:{QSTASH_PORT}", validation_alias="QSTASH_URL")
    qstash_token: str = Field(DEV_QSTASH_TOKEN, validation_alias="QSTASH_TOKEN", repr=False)
    qstash_current_signing_key: str = Field(
        DEV_CURRENT_SIGNING_KEY, validation_alias="QSTASH_CURRENT_SIGNING_KEY", repr=False
    )
    qstash_next_signing_key: str = Field(
        DEV_NEXT_SIGNING_KEY, validation_alias="QSTASH_NEXT_SIGNING_KEY", repr=False
    )
    worker_url: str = Field(f"http://127.0.0.1:{WORKER_PORT}", validation_alias="TATS_WORKER_URL")
    github_api_url: str = Field(GITHUB_API, validation_alias="GITHUB_API_URL")
    github_raw_url: str = Field(GITHUB_RAW, validation_alias="GITHUB_RAW_URL")
    github_token: str | None = Field(None, validation_alias="GITHUB_TOKEN", repr=False)
    cohere_api_key: str | None = Field(
        None, validation_alias=AliasChoices("COHERE_API_KEY", "CO_API_KEY"), repr=False
    )
    cohere_base_url: str | None = Field(None, validation_alias="COHERE_BASE_URL")
    cohere_model: str = Field("command-a-03-2025", validation_alias="COHERE_MODEL")
    analyzer: Literal["auto", "heuristic", "cohere"] = Field(
        "auto", validation_alias="TATS_ANALYZER"
    )

    # Not in the contract's table, but tunable by a deployment.
    queue_retries: int = Field(3, ge=0, le=10, validation_alias="TATS_QUEUE_RETRIES")
    flow_control_key: str = Field("tats-candidates", validation_alias="TATS_FLOW_CONTROL_KEY")
    flow_control_parallelism: int = Field(
        8, ge=1, le=1000, validation_alias="TATS_FLOW_CONTROL_PARALLELISM"
    )
    # How long a person waits for the queue before an upload gives up enqueueing (reconcile
    # publishes the rest later).
    publish_timeout_s: float = Field(5.0, gt=0, validation_alias="TATS_PUBLISH_TIMEOUT")

    # A claim is a lease (issue #11): the working process renews it every third of this while
    # it works; once it lapses (the worker died) the queue's next retry takes the candidate.
    claim_lease_s: float = Field(60.0, gt=0, le=3600, validation_alias="TATS_CLAIM_LEASE")
    # The queue's retry delay of a candidate message (``Upstash-Retry-Delay``, ms over
    # ``retried``); empty leaves QStash's default backoff (which reaches 30 minutes).
    queue_retry_delay: str = Field(
        "min(180000, 10000 * pow(2, retried))", validation_alias="TATS_QUEUE_RETRY_DELAY"
    )

    # Running each submission's tests in a sandbox (issue #17): ``auto`` when the engine is
    # present, ``on`` refuses to start without it, ``off`` never runs them.
    run_tests: Literal["auto", "on", "off"] = Field("auto", validation_alias="TATS_RUN_TESTS")
    test_timeout_s: float = Field(120.0, gt=0, le=3600, validation_alias="TATS_TEST_TIMEOUT")
    # Dependency caches and run folders of the test sandbox (shared by runs on one host).
    test_cache_dir: str = Field(".tats-cache", validation_alias="TATS_TEST_CACHE_DIR")
    # Test runs at once on one host, across worker processes (default: the number of cores).
    test_concurrency: int | None = Field(
        None, ge=1, le=256, validation_alias="TATS_TEST_CONCURRENCY"
    )

    # Signs job webhooks (``X-TATS-Signature``); a job's notify URL is refused without it.
    webhook_secret: str | None = Field(None, validation_alias="TATS_WEBHOOK_SECRET", repr=False)

    # Set by ``tats dev --demo`` for the app it starts: offers the sample job's button.
    demo: bool = Field(False, validation_alias="TATS_DEMO")

    # Operations: ``json`` logs one object per line (``tats_core.logs``); ``GET /metrics`` answers
    # loopback callers, or callers that send this bearer token.
    log_format: Literal["text", "json"] = Field("text", validation_alias="TATS_LOG_FORMAT")
    metrics_token: str | None = Field(None, validation_alias="TATS_METRICS_TOKEN", repr=False)

    @model_validator(mode="after")
    def _refuse_dev_credentials_on_a_real_queue(self) -> Settings:
        if is_local_url(self.qstash_url):
            return self
        secrets = {self.qstash_token, self.qstash_current_signing_key, self.qstash_next_signing_key}
        if secrets & DEV_SECRETS:
            raise ValueError(
                "QSTASH_URL points at a non-local queue but QSTASH_TOKEN or a signing key is "
                "still the dev-server default; set the real values from the Upstash console"
            )
        return self

    @property
    def analyzer_name(self) -> str:
        """The analyzer actually used: ``auto`` means Cohere when a key is set."""
        if self.analyzer == "auto":
            return "cohere" if self.cohere_api_key else "heuristic"
        return self.analyzer

    @property
    def raw_url(self) -> str:
        """``GITHUB_RAW_URL`` when set; else beside ``GITHUB_API_URL``: raw.githubusercontent.com
        for github.com, ``{host}/raw`` for GitHub Enterprise or a local replay (never the public
        host for files of another server)."""
        if "github_raw_url" in self.model_fields_set:
            return self.github_raw_url
        return raw_url_for(self.github_api_url)

    @property
    def delivery_timeout_s(self) -> int:
        """How long the queue waits on one candidate's delivery (``Upstash-Timeout``): every
        bound of a test run (a slot, the install, the acceptance run, the own run) plus the
        rest of judging, so a run never outlives its delivery."""
        runs = 2 * self.test_timeout_s if self.run_tests != "off" else 0.0
        return int(JUDGING_ALLOWANCE_S + TEST_SLOT_WAIT_S + TEST_INSTALL_TIMEOUT_S + runs)

    def secret_values(self) -> list[str]:
        """The values no log line may show: every setting kept out of ``repr``, and the password
        in ``DATABASE_URL``."""
        values = [
            str(getattr(self, name))
            for name, field in type(self).model_fields.items()
            if not field.repr and getattr(self, name)
        ]
        password = urlsplit(self.database_url).password
        return values + ([password] if password else [])

    @property
    def process_url(self) -> str:
        return self.worker_url.rstrip("/") + PROCESS_PATH

    @property
    def failure_callback_url(self) -> str:
        return self.worker_url.rstrip("/") + FAILED_PATH


def setting_names() -> set[str]:
    """Every environment variable ``Settings`` reads (its aliases included)."""
    names: set[str] = set()
    for field in Settings.model_fields.values():
        alias = field.validation_alias
        if isinstance(alias, str):
            names.add(alias)
        elif isinstance(alias, AliasChoices):
            names.update(a for a in alias.choices if isinstance(a, str))
    return names


def load_settings(**overrides: object) -> Settings:
    """Read the environment (and ``.env``), apply ``overrides``; raise ConfigurationError."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err['loc']) or 'settings'}: {err['msg']}"
            for err in exc.errors(include_input=False)
        )
        raise ConfigurationError(f"invalid configuration: {problems}") from None
