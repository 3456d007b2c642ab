"""A Node.js project's install, made registry-only before npm sees it.

- A dependency named by URL, git, GitHub shorthand, path or ``file:``/``link:`` (in any
  ``package.json`` of the project, workspaces included, or in ``overrides``) is *refused*.
- A project ``.npmrc`` (which can name another registry, a proxy or a token) is *removed*.
- A ``package-lock.json`` that resolves a package from anywhere but the registry is *dropped*,
  and npm resolves ``package.json``'s ranges from the registry instead.
- ``yarn.lock`` and ``pnpm-lock.yaml`` are not used (npm is the one client here); said so.
- npm runs with ``--ignore-scripts``: no lifecycle script of the project or of any
  dependency runs while the network is open.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

DEPENDENCY_TABLES = ("dependencies", "devDependencies", "optionalDependencies", "peerDependencies")
NOT_FROM_REGISTRY = re.compile(
    r"^(git\+|git:|git@|https?:|file:|link:|github:|gitlab:|bitbucket:|gist:|workspace:|portal:)"
    r"|^(\.\.?/|/|~/)"
    r"|\.t(ar\.)?gz$"
)
SHORTHAND_REPO = re.compile(r"^[\w.-]+/[\w.-]+(#.*)?$")  # "user/repo" means GitHub
LOCKFILES = ("package-lock.json", "npm-shrinkwrap.json")


@dataclass
class NodeDeps:
    package: dict[str, Any]
    lockfile: str | None = None  # the npm lockfile npm ci may use
    notices: list[str] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)


def read_package(path: Path) -> dict[str, Any] | None:
    try:
        data = json.loads(path.read_text(encoding="utf-8", errors="replace"))
    except ValueError:
        return None
    return data if isinstance(data, dict) else None


def node_dependencies(project: Path, manifests: list[str], registry: str) -> NodeDeps:
    """``manifests``: the project's package.json files (relative), its own first."""
    package = read_package(project / "package.json") or {}
    deps = NodeDeps(package)
    for manifest in manifests:
        data = read_package(project / manifest)
        if data is None:
            deps.refused.append(f"{manifest} is not valid JSON")
            continue
        for table in DEPENDENCY_TABLES:
            for name, spec in (data.get(table) or {}).items():
                _check_spec(f"{manifest} {table}", name, spec, deps)
        _check_overrides(manifest, data.get("overrides") or {}, deps)
    npmrc = project / ".npmrc"
    if npmrc.is_file() or npmrc.is_symlink():
        npmrc.unlink()
        deps.notices.append(
            ".npmrc removed (TATS installs from the registry with its own settings)"
        )
    deps.lockfile = _usable_lockfile(project, registry, deps)
    for other in ("yarn.lock", "pnpm-lock.yaml"):
        if (project / other).is_file() and deps.lockfile is None:
            deps.notices.append(f"{other} not used: npm installed package.json's ranges")
    return deps


def _check_spec(origin: str, name: str, spec: Any, deps: NodeDeps) -> None:
    text = str(spec).strip()
    if text.startswith("npm:"):  # an alias of a registry package: "npm:pkg@^1"
        return
    if NOT_FROM_REGISTRY.search(text) or SHORTHAND_REPO.match(text):
        deps.refused.append(f"{origin}: {name} is not from the registry ({text})")


def _check_overrides(manifest: str, overrides: Any, deps: NodeDeps) -> None:
    if isinstance(overrides, dict):
        for name, value in overrides.items():
            if isinstance(value, dict):
                _check_overrides(manifest, value, deps)
            elif not str(value).startswith("$"):  # "$pkg" refers to a dependency's own spec
                _check_spec(f"{manifest} overrides", name, value, deps)


def _usable_lockfile(project: Path, registry: str, deps: NodeDeps) -> str | None:
    for name in LOCKFILES:
        path = project / name
        if not path.is_file():
            continue
        data = read_package(path)
        outside = _resolved_outside(data, registry) if data is not None else "unreadable"
        if outside is None:
            return name
        path.unlink()
        deps.notices.append(
            f"{name} dropped ({outside}): npm resolved package.json's ranges from the registry"
        )
    return None


def _resolved_outside(lock: dict[str, Any], registry: str) -> str | None:
    """The first package a lockfile fetches from elsewhere than the registry, if any."""
    entries = list((lock.get("packages") or {}).items())
    entries += _v1_entries(lock.get("dependencies") or {})
    for name, entry in entries:
        if not isinstance(entry, dict) or entry.get("link"):
            continue  # a workspace's own package: a folder of the tree
        resolved = entry.get("resolved")
        if resolved and not str(resolved).startswith(registry):
            return f"{name or 'the project'} from {resolved}"
        if str(entry.get("version", "")).startswith(("git", "file:", "http")):
            return f"{name} from {entry['version']}"
    return None


def _v1_entries(dependencies: dict[str, Any]) -> list[tuple[str, Any]]:
    found: list[tuple[str, Any]] = []
    for name, entry in dependencies.items():
        found.append((name, entry))
        if isinstance(entry, dict):
            found += _v1_entries(entry.get("dependencies") or {})
    return found
