"""The app's dependencies (settings, database, queue), built once per server process behind
``st.cache_resource``, with settings from the environment or from Streamlit secrets."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import streamlit as st

from tats_core.deps import Deps, build_deps
from tats_core.logs import configure_logging
from tats_core.settings import load_settings, setting_names


def secrets() -> Mapping[str, Any]:
    """Streamlit secrets, or nothing when no secrets.toml exists (local use, tests)."""
    try:
        return dict(st.secrets)
    except FileNotFoundError:
        return {}


def secret_settings() -> dict[str, str]:
    """Top-level secrets named like TATS settings (DATABASE_URL, QSTASH_TOKEN, ...)."""
    allowed = setting_names()
    return {k: str(v) for k, v in secrets().items() if k in allowed and not isinstance(v, Mapping)}


def _release(deps: Deps) -> None:
    deps.engine.dispose()
    deps.queue.http.close()


@st.cache_resource(show_spinner=False, on_release=_release)
def _build_deps(overrides: tuple[tuple[str, str], ...]) -> Deps:
    settings = load_settings(**dict(overrides))
    # Once per server process, as the worker and the CLI do (TATS_LOG_FORMAT). Streamlit's own
    # loggers keep their own handlers (each of its modules makes one), so they are left alone.
    configure_logging(settings.log_format, secrets=settings.secret_values(), take_over=())
    return build_deps(settings)


def get_deps() -> Deps:
    return _build_deps(tuple(sorted(secret_settings().items())))
