"""The sandbox seam: what one sandboxed command gets, and what an engine must guarantee.

``SandboxEngine`` is the one interface; ``bubblewrap.BubblewrapEngine`` implements it on a
Linux host. A container runtime (Docker with gVisor's ``runsc``, say) can implement it too:
the job below says *what* the command may see and use, never *how* an engine isolates it.

Every engine guarantees, for every job:

- the command sees only ``mounts`` (read-only unless marked writable), a private ``/tmp``,
  ``/proc`` of its own processes and a minimal ``/dev``; nothing else of the host;
- its environment is exactly ``env`` (none of the host's variables);
- with ``network=None`` it has no network at all (a loopback of its own only); with a
  ``RegistryAccess`` it reaches those hosts on port 443 through a proxy whose address is in
  ``HTTPS_PROXY``, and nothing else: not the host's loopback, not its network;
- limits on memory, processes, file size and open files hold for its whole process tree;
- at ``timeout`` seconds the tree is killed; when ``run`` returns, no process of it is left,
  however it tried to detach (double fork, ``setsid``, ``nohup``).
"""

from __future__ import annotations

import shutil
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol


def sandbox_python() -> str:
    """The system's python3, as a sandbox that sees only /usr finds it (Debian's, or a Python
    image's /usr/local)."""
    return shutil.which("python3", path="/usr/bin:/usr/local/bin") or "/usr/bin/python3"


@dataclass(frozen=True)
class Limits:
    memory_bytes: int = 1024**3
    processes: int = 512  # tasks: threads count too
    file_bytes: int = 256 * 1024**2  # the largest file a process may write
    open_files: int = 4096
    tmp_bytes: int = 256 * 1024**2  # the private /tmp (memory, counted in memory_bytes)
    output_bytes: int = 512 * 1024  # output kept: head and tail


@dataclass(frozen=True)
class Mount:
    source: Path  # on the host
    target: str  # inside the sandbox
    writable: bool = False


@dataclass(frozen=True)
class RegistryAccess:
    """The hosts an install may reach, on port 443 only."""

    hosts: frozenset[str]


@dataclass(frozen=True)
class SandboxJob:
    command: Sequence[str]
    cwd: str
    mounts: Sequence[Mount]
    env: Mapping[str, str]
    timeout: float
    limits: Limits = field(default_factory=Limits)
    network: RegistryAccess | None = None
    slot: int = 0  # which concurrency slot runs it (engines may map it to a user id); -1: a probe


@dataclass(frozen=True)
class SandboxOutcome:
    exit_code: int | None  # None when killed at the timeout
    timed_out: bool
    output: str  # stdout and stderr, interleaved, head and tail kept
    output_bytes: int  # all it printed
    seconds: float
    started: bool = True  # False: the sandbox itself could not be set up (TATS's problem)
    out_of_memory: bool = False
    refused_hosts: tuple[str, ...] = ()  # hosts the registry proxy refused


class SandboxEngine(Protocol):
    def unavailable_reason(self) -> str | None:
        """None when the engine can run jobs here, else what is missing and how to fix it."""

    def hand_over(self, folder: Path, slot: int) -> None:
        """Make ``folder`` (made by TATS) writable by the sandboxed commands of ``slot``."""

    def share(self, folder: Path) -> None:
        """Make ``folder`` writable by the sandboxed commands of every slot (the caches)."""

    def run(self, job: SandboxJob) -> SandboxOutcome:
        """Run one command in the sandbox; never raises for anything the command does."""
