"""``BubblewrapEngine``: the ``SandboxEngine`` on a Linux host, with Debian's ``bwrap``.

One job, as the host runs it::

    sh (joins the run's cgroup) -> prlimit (rlimits) -> bwrap (namespaces)
        -> sh (says the sandbox stood, then gives up that pipe) -> [forwarder ->] command

- ``bwrap --unshare-all --disable-userns --die-with-parent --new-session --clearenv``: new
  user, pid, ipc, uts, cgroup and network namespaces; only the job's mounts plus ``/usr``
  (read-only), the CA certificates and a few synthetic ``/etc`` files; no capabilities.
- When TATS runs as root, every concurrency slot runs as its own unprivileged user
  (``uid_base + slot``), so ``RLIMIT_NPROC`` counts one run's processes and ``kill -9 -1`` as
  that user ends whatever of it is left. Otherwise the sandbox runs as TATS's own user.
- Memory and process limits for the whole tree come from a per-run cgroup when this host
  delegates one (``cgroup``); rlimits (``RLIMIT_DATA``, ``RLIMIT_FSIZE``, ``RLIMIT_NOFILE``,
  and ``RLIMIT_NPROC`` with a slot user) bind each process in any case. ``RLIMIT_AS`` is not
  used: V8 reserves far more address space than it uses and Node would not start under 1 GiB.
- The install phase's network is ``proxy.RegistryProxy`` reached through ``forwarder``.
- The end: the launcher's process group is killed (``--die-with-parent`` then takes the
  sandbox's pid 1, and with it every process of the pid namespace), then the cgroup's members
  and the slot user's processes; ``run`` returns only when none is left.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import selectors
import shutil
import signal
import subprocess
import tempfile
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from tats_core.testrun.cgroup import CgroupLayout, RunCgroup
from tats_core.testrun.engine import Limits, Mount, SandboxJob, SandboxOutcome, sandbox_python
from tats_core.testrun.output import KeptOutput
from tats_core.testrun.proxy import RegistryProxy

PROXY_PORT = 3128
HOST_ENV = {"PATH": "/usr/bin:/bin"}  # the launcher's own environment: nothing of TATS's
STOOD = 'echo stood >&0 && exec 0</dev/null && exec "$@"'
JOIN_CGROUP = 'while [ "$1" != -- ]; do echo $$ > "$1" || exit 125; shift; done; shift; exec "$@"'
FORWARDER = Path(__file__).with_name("forwarder.py")
INSTALL_HINT = "apt-get install bubblewrap"
CGROUP_PREFIX = "tats-run-"
PROBE_SLOT = -1  # the availability probe's own user, so it never ends a real run's processes


@contextlib.contextmanager
def _probe_lock() -> Iterator[None]:
    # Host-wide, as the probe's user is; one file per user running TATS (/tmp is shared).
    lock = Path(tempfile.gettempdir()) / f"tats-sandbox-probe-{os.geteuid()}.lock"
    with lock.open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)  # released when the file closes
        yield


@dataclass(frozen=True)
class SlotUser:
    uid: int
    gid: int


class BubblewrapEngine:
    """Runs ``SandboxJob``s under bubblewrap; see the module's docstring for how."""

    def __init__(
        self,
        *,
        bwrap: str = "bwrap",
        python: str | None = None,  # runs the install phase's relay; default: the system's
        uid_base: int = 61000,
        cgroups: CgroupLayout | bool | None = True,
    ) -> None:
        self.bwrap = shutil.which(bwrap)
        self.python = python or sandbox_python()
        self.uid_base = uid_base
        self.cgroups = CgroupLayout.find() if cgroups is True else (cgroups or None)
        if self.cgroups is not None:
            self.cgroups.sweep(CGROUP_PREFIX, older_than=3600)
        self._reason: str | None = None
        self._checked = False

    def unavailable_reason(self) -> str | None:
        if not self._checked:
            self._reason = self._probe()
            self._checked = True
        return self._reason

    def hand_over(self, folder: Path, slot: int) -> None:
        user = self.user(slot)
        if user is None:
            return
        os.chown(folder, user.uid, user.gid)
        for parent, dirs, files in os.walk(folder):
            for name in dirs + files:
                os.chown(os.path.join(parent, name), user.uid, user.gid, follow_symlinks=False)

    def share(self, folder: Path) -> None:
        if os.geteuid() == 0:  # one group for every slot's user; new folders inherit it
            os.chown(folder, 0, self.uid_base)
            folder.chmod(0o2775)

    def run(self, job: SandboxJob) -> SandboxOutcome:
        # Probes share one user, and a run ends every process of its user when it stops: two
        # probes at once (processes starting together) would end each other's. One at a time.
        with _probe_lock() if job.slot == PROBE_SLOT else contextlib.nullcontext():
            return self._run(job)

    def _run(self, job: SandboxJob) -> SandboxOutcome:
        with tempfile.TemporaryDirectory(prefix="tats-bwrap-") as scratch:
            home = Path(scratch)
            home.chmod(0o755)
            user = self.user(job.slot)
            self._write_etc(home, user)
            cgroup = self._cgroup(job.limits, user)
            try:
                if job.network is None:
                    return self._launch(job, home, user, cgroup, None)
                socket_path = home / "proxy.sock"
                with RegistryProxy(socket_path, job.network.hosts) as proxy:
                    socket_path.chmod(0o666)
                    shutil.copy(FORWARDER, home / "forwarder.py")
                    return self._launch(job, home, user, cgroup, proxy)
            finally:
                if cgroup is not None:
                    cgroup.remove()
                self.end_user_processes(user)

    def user(self, slot: int) -> SlotUser | None:
        if os.geteuid() != 0:
            return None
        return SlotUser(self.uid_base + slot, self.uid_base)

    def end_user_processes(self, user: SlotUser | None) -> None:
        """``kill -9 -1`` as the slot's user: every process it has anywhere on this host."""
        if user is None:
            return
        for _ in range(20):
            if not processes_of(user.uid):
                return
            subprocess.run(
                ["/bin/sh", "-c", "kill -9 -1"],
                user=user.uid,
                group=user.gid,
                extra_groups=[],
                env=HOST_ENV,
                check=False,
            )
            time.sleep(0.02)

    def _probe(self) -> str | None:
        if self.bwrap is None:
            return f"bubblewrap is not installed: {INSTALL_HINT}"
        if shutil.which("prlimit", path=HOST_ENV["PATH"]) is None:
            return "prlimit is not installed: apt-get install util-linux"
        job = SandboxJob(["/bin/true"], cwd="/", mounts=[], env={}, timeout=30, slot=PROBE_SLOT)
        outcome = self.run(job)
        if outcome.exit_code != 0:
            return f"bubblewrap cannot make a sandbox here: {outcome.output.strip()[-400:]}"
        return None

    def _cgroup(self, limits: Limits, user: SlotUser | None) -> RunCgroup | None:
        if self.cgroups is None:
            return None
        try:
            return self.cgroups.create(
                f"{CGROUP_PREFIX}{uuid.uuid4().hex[:12]}",
                memory_bytes=limits.memory_bytes,
                processes=limits.processes,
                owner=user.uid if user else None,
            )
        except OSError:
            return None  # rlimits still bind each process

    def _write_etc(self, home: Path, user: SlotUser | None) -> None:
        uid, gid = (user.uid, user.gid) if user else (os.getuid(), os.getgid())
        etc = home / "etc"
        etc.mkdir()
        (etc / "passwd").write_text(
            f"root:x:0:0:root:/root:/bin/sh\nsandbox:x:{uid}:{gid}:sandbox:/box/home:/bin/sh\n"
            "nobody:x:65534:65534:nobody:/nonexistent:/bin/false\n"
        )
        (etc / "group").write_text(f"root:x:0:\nsandbox:x:{gid}:\nnogroup:x:65534:\n")
        (etc / "hosts").write_text("127.0.0.1 localhost\n::1 localhost ip6-localhost\n")
        (etc / "nsswitch.conf").write_text("passwd: files\ngroup: files\nhosts: files\n")
        for path in etc.iterdir():
            path.chmod(0o644)

    def _launch(
        self,
        job: SandboxJob,
        home: Path,
        user: SlotUser | None,
        cgroup: RunCgroup | None,
        proxy: RegistryProxy | None,
    ) -> SandboxOutcome:
        argv = [*self._join(cgroup), *self._prlimit(job.limits, user), *self._bwrap(job, home)]
        command = list(job.command)
        if proxy is not None:
            command = [self.python, "-I", "/run/tats/forwarder.py", "/run/tats/proxy.sock"]
            command += [str(PROXY_PORT), "--", *job.command]
        # The sandbox stood if the first thing run inside it says so, on the stdin it was
        # given (the write end of a pipe), before the command gets /dev/null as its stdin.
        said_read, said_write = os.pipe()
        started = time.monotonic()
        process = subprocess.Popen(
            [*argv, "--", "/bin/sh", "-c", STOOD, "sandbox", *command],
            stdin=said_write,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            env=HOST_ENV,
            cwd="/",  # nothing of the host's working folder, not even its name
            process_group=0,
            umask=0o002,
            user=user.uid if user else None,
            group=user.gid if user else None,
            extra_groups=[] if user else None,
        )
        os.close(said_write)
        kept = KeptOutput(job.limits.output_bytes)
        timed_out = _stream(process, kept, started + job.timeout)
        _kill_group(process)
        exit_code = process.wait()
        if cgroup is not None:
            cgroup.kill_all()
        self.end_user_processes(user)
        with os.fdopen(said_read, "rb") as said:
            stood = said.read(64).startswith(b"stood\n")  # later writes prove nothing
        return SandboxOutcome(
            started=stood,
            exit_code=None if timed_out else exit_code,
            timed_out=timed_out,
            output=kept.text(),
            output_bytes=kept.total,
            seconds=time.monotonic() - started,
            out_of_memory=cgroup.out_of_memory() if cgroup else False,
            refused_hosts=tuple(proxy.refused) if proxy else (),
        )

    def _join(self, cgroup: RunCgroup | None) -> list[str]:
        if cgroup is None:
            return []
        return ["/bin/sh", "-c", JOIN_CGROUP, "tats-sandbox", *map(str, cgroup.procs_files), "--"]

    def _prlimit(self, limits: Limits, user: SlotUser | None) -> list[str]:
        argv = [
            "prlimit",
            f"--data={limits.memory_bytes}",
            f"--fsize={limits.file_bytes}",
            f"--nofile={limits.open_files}",
            "--core=0",
        ]
        if user is not None:  # per-user count: meaningful only for a user of its own
            argv.append(f"--nproc={limits.processes}")
        return [*argv, "--"]

    def _bwrap(self, job: SandboxJob, home: Path) -> list[str]:
        assert self.bwrap is not None
        argv = [self.bwrap, "--unshare-all", "--unshare-user", "--disable-userns"]
        argv += ["--die-with-parent", "--new-session", "--clearenv", "--hostname", "sandbox"]
        argv += ["--ro-bind", "/usr", "/usr", *_system_links()]
        for name in ("ssl", "ca-certificates", "alternatives"):
            argv += ["--ro-bind-try", f"/etc/{name}", f"/etc/{name}"]
        for name in ("passwd", "group", "hosts", "nsswitch.conf"):
            argv += ["--ro-bind", str(home / "etc" / name), f"/etc/{name}"]
        argv += ["--proc", "/proc", "--dev", "/dev"]
        for tmp in ("/tmp", "/dev/shm"):  # in memory: counted in the memory limit, gone after
            argv += ["--size", str(job.limits.tmp_bytes), "--tmpfs", tmp]
        if job.network is not None:
            argv += ["--ro-bind", str(home), "/run/tats"]
        for mount in job.mounts:
            argv += _mount_args(mount)
        for name, value in job.env.items():
            argv += ["--setenv", name, value]
        if job.network is not None:
            for name in ("HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy"):
                argv += ["--setenv", name, f"http://127.0.0.1:{PROXY_PORT}"]
        # Last, once every mount point exists: the root and /dev themselves become read-only,
        # so the mounted folders, /tmp and /dev/shm are the only places a command can write.
        argv += ["--remount-ro", "/dev", "--remount-ro", "/"]
        return [*argv, "--chdir", job.cwd]


def _mount_args(mount: Mount) -> list[str]:
    return ["--bind" if mount.writable else "--ro-bind", str(mount.source), mount.target]


def _system_links() -> list[str]:
    """/bin, /lib, /lib64, /sbin as this host has them: links into /usr, or folders."""
    argv: list[str] = []
    for name in ("bin", "lib", "lib64", "sbin"):
        path = Path("/") / name
        if path.is_symlink():
            argv += ["--symlink", os.readlink(path), f"/{name}"]
        elif path.is_dir():
            argv += ["--ro-bind", str(path), f"/{name}"]
    return argv


def _stream(process: subprocess.Popen[bytes], kept: KeptOutput, deadline: float) -> bool:
    """Read the output until it ends or the deadline passes; True when the deadline won."""
    assert process.stdout is not None
    fd = process.stdout.fileno()
    with selectors.DefaultSelector() as selector:
        selector.register(fd, selectors.EVENT_READ)
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return True
            if selector.select(timeout=min(remaining, 1.0)):
                chunk = os.read(fd, 65536)
                if not chunk:
                    break
                kept.feed(chunk)
    try:
        process.wait(timeout=max(0.0, deadline - time.monotonic()))
    except subprocess.TimeoutExpired:
        return True
    return False


def _kill_group(process: subprocess.Popen[bytes]) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, signal.SIGKILL)
    if process.stdout is not None:
        process.stdout.close()


def processes_of(uid: int) -> list[int]:
    """Every live process of ``uid`` on this host (by real uid; zombies hold nothing)."""
    found: list[int] = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        with contextlib.suppress(OSError):
            fields = dict(
                line.split(":", 1) for line in (entry / "status").read_text().splitlines()[:10]
            )
            if int(fields["Uid"].split()[0]) == uid and not fields["State"].strip().startswith("Z"):
                found.append(int(entry.name))
    return found
