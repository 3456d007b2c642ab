"""Per-run control groups: memory and process limits that hold for a whole process tree.

Rlimits bind one process at a time (a test that forks ten children that each allocate a GiB
passes ``RLIMIT_DATA``); a cgroup binds the tree. Used when this process may make child
cgroups: cgroup v2 where ``memory`` and ``pids`` are delegated (the parent's
``cgroup.subtree_control`` lists them), or cgroup v1's ``memory`` and ``pids`` hierarchies.
Otherwise ``find`` returns None and the engine relies on rlimits alone.
"""

from __future__ import annotations

import contextlib
import os
import signal
import time
from dataclasses import dataclass
from pathlib import Path

CGROUP_ROOT = Path("/sys/fs/cgroup")


@dataclass(frozen=True)
class CgroupLayout:
    """Where child cgroups can be made: one folder (v2) or one per controller (v1)."""

    version: int
    memory_parent: Path
    pids_parent: Path

    @classmethod
    def find(
        cls, root: Path = CGROUP_ROOT, membership: Path = Path("/proc/self/cgroup")
    ) -> CgroupLayout | None:
        try:
            lines = membership.read_text().splitlines()
        except OSError:
            return None
        paths: dict[str, str] = {}
        for line in lines:
            _, controllers, path = line.split(":", 2)
            for controller in controllers.split(",") if controllers else ["unified"]:
                paths[controller] = path.lstrip("/")
        return cls._v2(root, paths) or cls._v1(root, paths)

    @classmethod
    def _v2(cls, root: Path, paths: dict[str, str]) -> CgroupLayout | None:
        if "unified" not in paths or not (root / "cgroup.controllers").exists():
            return None
        parent = root / paths["unified"]
        try:
            delegated = set((parent / "cgroup.subtree_control").read_text().split())
        except OSError:
            return None
        if {"memory", "pids"} <= delegated and os.access(parent, os.W_OK):
            return cls(2, parent, parent)
        return None

    @classmethod
    def _v1(cls, root: Path, paths: dict[str, str]) -> CgroupLayout | None:
        if "memory" not in paths or "pids" not in paths:
            return None
        memory, pids = root / "memory" / paths["memory"], root / "pids" / paths["pids"]
        if all(p.is_dir() and os.access(p, os.W_OK) for p in (memory, pids)):
            return cls(1, memory, pids)
        return None

    def sweep(self, prefix: str, older_than: float) -> None:
        """Remove empty run cgroups a dead worker left (never a young one: it may be joining)."""
        cutoff = time.time() - older_than
        for parent in {self.memory_parent, self.pids_parent}:
            for folder in parent.glob(prefix + "*"):
                with contextlib.suppress(OSError):
                    if folder.stat().st_mtime < cutoff:
                        folder.rmdir()  # refused while any process is in it

    def create(
        self, name: str, *, memory_bytes: int, processes: int, owner: int | None
    ) -> RunCgroup:
        folders = (
            (self.memory_parent / name,)
            if self.version == 2
            else (
                self.memory_parent / name,
                self.pids_parent / name,
            )
        )
        for folder in folders:
            folder.mkdir()
            if owner is not None:  # the launcher joins as the sandbox's user
                os.chown(folder / "cgroup.procs", owner, -1)
        memory, pids = folders[0], folders[-1]
        limit = str(memory_bytes)
        if self.version == 2:
            _write(memory / "memory.max", limit)
            _write(memory / "memory.swap.max", "0", optional=True)
        else:
            _write(memory / "memory.limit_in_bytes", limit)
            _write(memory / "memory.memsw.limit_in_bytes", limit, optional=True)
        _write(pids / "pids.max", str(processes))
        return RunCgroup(self.version, folders)


@dataclass(frozen=True)
class RunCgroup:
    version: int
    folders: tuple[Path, ...]

    @property
    def procs_files(self) -> list[Path]:
        return [folder / "cgroup.procs" for folder in self.folders]

    def out_of_memory(self) -> bool:
        name = "memory.events" if self.version == 2 else "memory.oom_control"
        with contextlib.suppress(OSError):
            for line in (self.folders[0] / name).read_text().splitlines():
                key, _, value = line.partition(" ")
                if key == "oom_kill" and int(value) > 0:
                    return True
        return False

    def members(self) -> set[int]:
        found: set[int] = set()
        for procs in self.procs_files:
            with contextlib.suppress(OSError):
                found.update(int(pid) for pid in procs.read_text().split())
        return found

    def kill_all(self, wait: float = 5.0) -> None:
        if self.version == 2:
            _write(self.folders[0] / "cgroup.kill", "1", optional=True)
        deadline = time.monotonic() + wait
        while (pids := self.members()) and time.monotonic() < deadline:
            for pid in pids:
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.kill(pid, signal.SIGKILL)
            time.sleep(0.02)

    def remove(self) -> None:
        self.kill_all()
        for folder in self.folders:
            for _ in range(50):  # a killed task leaves the group a moment after it dies
                try:
                    folder.rmdir()
                    break
                except FileNotFoundError:
                    break
                except OSError:
                    time.sleep(0.02)


def _write(path: Path, value: str, *, optional: bool = False) -> None:
    try:
        path.write_text(value)
    except OSError:
        if not optional:
            raise
