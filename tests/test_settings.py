"""Settings: the contract's variables, safe defaults, and refusing dev secrets on a real queue."""

from __future__ import annotations

import pytest

from tats_core.errors import ConfigurationError
from tats_core.settings import DEV_QSTASH_TOKEN, load_settings


def test_defaults_run_everything_locally():
    settings = load_settings()
    assert settings.database_url.startswith("sqlite:///")
    assert settings.qstash_url == "http://127.0.0.1:8080"
    assert settings.worker_url == "http://127.0.0.1:8000"
    assert settings.process_url == "http://127.0.0.1:8000/api/process-candidate"
    assert settings.analyzer_name == "heuristic"
    assert settings.github_raw_url == settings.raw_url == "https://raw.githubusercontent.com"


def test_environment_variables_use_the_contract_names(monkeypatch):
    monkeypatch.setenv("DATABASE_URL", "postgresql+psycopg://db/tats")
    monkeypatch.setenv("TATS_WORKER_URL", "https://worker.example.com/")
    monkeypatch.setenv("GITHUB_API_URL", "http://127.0.0.1:9999")
    monkeypatch.setenv("GITHUB_RAW_URL", "http://127.0.0.1:9999/raw")
    monkeypatch.setenv("CO_API_KEY", "co-key")
    monkeypatch.setenv("COHERE_MODEL", "command-r")
    settings = load_settings()
    assert settings.database_url == "postgresql+psycopg://db/tats"
    assert (
        settings.failure_callback_url == "https://worker.example.com/api/process-candidate/failed"
    )
    assert settings.github_api_url == "http://127.0.0.1:9999"
    assert settings.github_raw_url == settings.raw_url == "http://127.0.0.1:9999/raw"
    assert (settings.analyzer_name, settings.cohere_model) == ("cohere", "command-r")


def test_raw_url_follows_the_api_url_unless_set(monkeypatch):
    monkeypatch.setenv("GITHUB_API_URL", "https://ghe.example.com/api/v3")
    assert load_settings().raw_url == "https://ghe.example.com/raw"
    monkeypatch.setenv("GITHUB_API_URL", "http://127.0.0.1:9999")
    assert load_settings().raw_url == "http://127.0.0.1:9999/raw"
    monkeypatch.setenv("GITHUB_RAW_URL", "https://raw.example.com")
    assert load_settings().raw_url == "https://raw.example.com"


def test_a_dot_env_file_supplies_settings(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / ".env").write_text("TATS_ANALYZER=heuristic\nCOHERE_API_KEY=k\n")
    assert load_settings().analyzer_name == "heuristic"


@pytest.mark.parametrize(
    "secret",
    ["QSTASH_TOKEN", "QSTASH_CURRENT_SIGNING_KEY", "QSTASH_NEXT_SIGNING_KEY"],
)
def test_dev_credentials_are_refused_on_a_real_queue(monkeypatch, secret):
    monkeypatch.setenv("QSTASH_URL", "https://qstash.upstash.io")
    for name in ("QSTASH_TOKEN", "QSTASH_CURRENT_SIGNING_KEY", "QSTASH_NEXT_SIGNING_KEY"):
        if name != secret:
            monkeypatch.setenv(name, f"real-{name.lower()}")
    with pytest.raises(ConfigurationError, match="dev-server default") as caught:
        load_settings()
    assert DEV_QSTASH_TOKEN not in str(caught.value)


def test_real_credentials_on_a_real_queue_are_accepted_and_never_printed(monkeypatch):
    monkeypatch.setenv("QSTASH_URL", "https://qstash.upstash.io")
    monkeypatch.setenv("QSTASH_TOKEN", "real-token-value")
    monkeypatch.setenv("QSTASH_CURRENT_SIGNING_KEY", "sig_real_current")
    monkeypatch.setenv("QSTASH_NEXT_SIGNING_KEY", "sig_real_next")
    monkeypatch.setenv("GITHUB_TOKEN", "ghp_real")
    settings = load_settings()
    assert all(
        secret not in repr(settings) for secret in ("real-token-value", "sig_real", "ghp_real")
    )


def test_an_invalid_value_is_one_clear_configuration_error(monkeypatch):
    monkeypatch.setenv("TATS_ANALYZER", "magic")
    with pytest.raises(ConfigurationError, match=r"TATS_ANALYZER|analyzer"):
        load_settings()
