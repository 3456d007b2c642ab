"""The bubblewrap engine, probed from inside: what a sandboxed command can see, reach and leave.

Each probe is a small Python script run in a real sandbox; the host side checks what the script
cannot see for itself (its processes are gone, the loopback server heard nothing).
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import textwrap
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tats_core.testrun.bubblewrap import BubblewrapEngine, processes_of
from tats_core.testrun.engine import Limits, Mount, RegistryAccess, SandboxJob, SandboxOutcome
from tats_core.testrun.slots import hold_slot
from tats_core.testrun.submission import RunConfig
from tests import testrun_fixtures
from tests.testrun_fixtures import processes_marked

# pytest fixtures, by the names tests ask for
loopback_server = testrun_fixtures.loopback_server
sandbox_base = testrun_fixtures.sandbox_base
sandbox_folder = testrun_fixtures.sandbox_folder


SECRET = "tats-fake-secret-" + uuid.uuid4().hex


@dataclass
class Box:
    engine: BubblewrapEngine
    slot: int
    folder: Path

    def run(
        self,
        script: str,
        *,
        network: RegistryAccess | None = None,
        timeout: float = 30,
        limits: Limits | None = None,
    ) -> SandboxOutcome:
        job = SandboxJob(
            command=["/usr/bin/python3", "-I", "-c", textwrap.dedent(script)],
            cwd="/box",
            mounts=[Mount(self.folder, "/box", writable=True)],
            env={"PATH": "/usr/bin:/bin", "HOME": "/box"},
            timeout=timeout,
            limits=limits or Limits(),
            network=network,
            slot=self.slot,
        )
        return self.engine.run(job)

    @property
    def uid(self) -> int:
        user = self.engine.user(self.slot)
        return user.uid if user else os.getuid()


@pytest.fixture
def box(sandbox_base: RunConfig, sandbox_folder: Path) -> Iterator[Box]:
    engine = sandbox_base.engine
    assert isinstance(engine, BubblewrapEngine)
    folder = sandbox_folder / "box"
    folder.mkdir()
    with hold_slot(sandbox_base.cache_dir / "slots", sandbox_base.concurrency, wait=300) as slot:
        engine.hand_over(folder, slot)
        yield Box(engine, slot, folder)


def _tcp_open(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(2)
        return sock.connect_ex(("127.0.0.1", port)) == 0


def test_without_bwrap_the_engine_says_how_to_install_it():
    engine = BubblewrapEngine(bwrap="/nonexistent/bwrap")
    assert engine.unavailable_reason() == "bubblewrap is not installed: apt-get install bubblewrap"


def test_a_sandbox_that_cannot_be_set_up_is_told_apart_from_a_failing_command(box: Box):
    assert box.run("raise SystemExit(1)").started
    job = SandboxJob(
        ["/bin/true"], "/", [Mount(Path("/nonexistent/tats"), "/x")], {}, timeout=10, slot=box.slot
    )
    outcome = box.engine.run(job)
    assert not outcome.started
    assert "Can't find source path /nonexistent/tats" in outcome.output


def test_no_setting_or_secret_of_tats_reaches_the_sandbox(box: Box, monkeypatch, tmp_path):
    monkeypatch.setenv("QSTASH_TOKEN", SECRET)
    monkeypatch.setenv("TATS_FAKE_SECRET", SECRET)
    (Path.cwd() / ".env").write_text(f"GITHUB_TOKEN={SECRET}\n")
    outcome = box.run(
        f"""
        import os
        print(sorted(os.environ))
        for path in ("/proc/1/environ", "/proc/self/environ"):
            print(path, open(path, "rb").read())
        print("parent's cwd visible:", os.path.exists({str(Path.cwd())!r}))
        found, read = [], 0
        for top in ("/box", "/etc", "/tmp", "/run", "/root", "/home", "/var", "/opt", "/work"):
            for parent, _, files in os.walk(top):
                for name in files:
                    path = os.path.join(parent, name)
                    try:
                        read += 1
                        if b"{SECRET}" in open(path, "rb").read(1 << 20):
                            found.append(path)
                    except OSError:
                        pass
        print("read", read, "found", found)
        """
    )
    assert outcome.exit_code == 0, outcome.output
    assert SECRET not in outcome.output
    # HOME and PATH as the job set them; PWD and LC_CTYPE are the shell's and Python's own
    assert "['HOME', 'LC_CTYPE', 'PATH', 'PWD']" in outcome.output
    assert "/proc/1/environ b'PATH=/usr/bin:/bin\\x00PWD=/\\x00'" in outcome.output
    assert "parent's cwd visible: False" in outcome.output
    assert "found []" in outcome.output


def test_only_the_folder_is_writable(box: Box, tmp_path):
    marker = f"tats-probe-{uuid.uuid4().hex}"
    outcome = box.run(
        f"""
        targets = ["/box/{marker}", "/tmp/{marker}", "/usr/{marker}", "/etc/{marker}",
                   "/{marker}", "/box/../{marker}", "/proc/{marker}", "/dev/{marker}",
                   {str(tmp_path / marker)!r}]
        for target in targets:
            try:
                open(target, "w").write("x")
                print("WROTE", target)
            except OSError as exc:
                print("REFUSED", target, exc.strerror)
        """
    )
    assert outcome.exit_code == 0, outcome.output
    wrote = [line.split()[1] for line in outcome.output.splitlines() if line.startswith("WROTE")]
    assert wrote == [f"/box/{marker}", f"/tmp/{marker}"]  # /tmp is the sandbox's own tmpfs
    assert (box.folder / marker).exists()
    assert not (Path("/tmp") / marker).exists()
    assert not (tmp_path / marker).exists()


PROBE_NETWORK = """
    import os, socket, ssl, urllib.request

    def tcp(host, port):
        try:
            socket.create_connection((host, port), timeout=3).close()
            return "OPEN"
        except OSError as exc:
            return f"closed ({{exc.__class__.__name__}})"

    def via_proxy(authority):
        proxy = os.environ.get("HTTPS_PROXY", "")
        if not proxy:
            return "no proxy"
        host, port = proxy.rsplit("/", 1)[-1].split(":")
        with socket.create_connection((host, int(port)), timeout=10) as sock:
            sock.sendall(f"CONNECT {{authority}} HTTP/1.1\\r\\nHost: {{authority}}\\r\\n\\r\\n".encode())
            return sock.recv(200).decode().splitlines()[0]

    print("postgres", tcp("127.0.0.1", 5432))
    print("loopback server", tcp("127.0.0.1", {port}))
    print("registry address", tcp("{registry_ip}", 443))
    print("proxy to loopback server", via_proxy("127.0.0.1:{port}"))
    print("proxy to localhost postgres", via_proxy("localhost:5432"))
    print("proxy to another host", via_proxy("example.com:443"))
    try:
        context = ssl.create_default_context(cafile="/etc/ssl/certs/ca-certificates.crt")
        with urllib.request.urlopen("https://pypi.org/simple/pip/", context=context, timeout=30) as answer:
            print("registry through the proxy", answer.status)
    except OSError as exc:
        print("registry through the proxy failed", exc)
"""


def _probe(port: int) -> str:
    registry_ip = socket.getaddrinfo("pypi.org", 443)[0][4][0]
    return PROBE_NETWORK.format(port=port, registry_ip=registry_ip)


def test_the_install_phase_reaches_the_registry_and_nothing_on_this_host(
    box: Box,
    loopback_server: tuple[str, list[str]],
):
    url, seen = loopback_server
    port = int(url.rsplit(":", 1)[1])
    assert _tcp_open(port)  # reachable from the host: the sandbox is what stops it
    outcome = box.run(_probe(port), network=RegistryAccess(frozenset({"pypi.org"})))
    lines = outcome.output
    assert "postgres closed" in lines
    assert "loopback server closed" in lines
    assert "registry address closed" in lines  # no route but the proxy
    assert "proxy to loopback server HTTP/1.1 403 Forbidden" in lines
    assert "proxy to localhost postgres HTTP/1.1 403 Forbidden" in lines
    assert "proxy to another host HTTP/1.1 403 Forbidden" in lines
    assert "registry through the proxy 200" in lines, lines
    assert seen == []
    assert set(outcome.refused_hosts) == {f"127.0.0.1:{port}", "localhost:5432", "example.com:443"}


def test_the_test_phase_has_no_network_at_all(box: Box, loopback_server):
    url, seen = loopback_server
    port = int(url.rsplit(":", 1)[1])
    outcome = box.run(_probe(port))
    assert "postgres closed" in outcome.output
    assert "loopback server closed" in outcome.output
    assert "registry address closed" in outcome.output
    assert "proxy to loopback server no proxy" in outcome.output
    assert "registry through the proxy failed" in outcome.output
    assert seen == []


def test_postgres_on_this_host_is_out_of_reach_of_both_phases(box: Box):
    if not _tcp_open(5432):
        pytest.skip("no PostgreSQL listens on 127.0.0.1:5432 here")
    script = "import socket; print(socket.socket().connect_ex(('127.0.0.1', 5432)))"
    for network in (None, RegistryAccess(frozenset({"pypi.org"}))):
        outcome = box.run(script, network=network)
        assert outcome.output.strip() != "0"


DETACH = """
    import os, subprocess, time
    subprocess.Popen(["sleep", "{mark}1"], start_new_session=True)          # setsid
    subprocess.Popen(["nohup", "sleep", "{mark}2"], stdout=subprocess.DEVNULL)
    if os.fork() == 0:                                                    # double fork
        os.setsid()
        if os.fork() == 0:
            os.execvp("sleep", ["sleep", "{mark}3"])
        os._exit(0)
    print("detached", flush=True)
    {end}
"""


@pytest.mark.parametrize("end", ["pass", "time.sleep(600)"], ids=["returns", "times-out"])
def test_no_process_outlives_the_run_however_it_detached(box: Box, end: str):
    mark = "31" + str(uuid.uuid4().int)[:6]
    outcome = box.run(DETACH.format(mark=mark, end=end), timeout=2)
    assert "detached" in outcome.output
    assert outcome.timed_out == (end != "pass")
    assert processes_marked(mark) == []
    assert processes_of(box.uid) == [] or box.engine.user(box.slot) is None


def test_memory_is_bounded_per_process_and_for_the_whole_tree(box: Box):
    outcome = box.run(
        """
        try:
            block = bytearray(3 << 30)
            print("allocated 3 GiB")
        except MemoryError:
            print("one process: MemoryError")
        import subprocess
        hog = "x = bytearray(450 << 20); x[::4096] = b'x' * len(x[::4096]); import time; time.sleep(1)"
        children = [subprocess.Popen(["python3", "-c", hog]) for _ in range(3)]
        print("children:", [child.wait() for child in children])
        """
    )
    assert "one process: MemoryError" in outcome.output
    if box.engine.cgroups is not None:  # 3 x 450 MiB > 1 GiB: the kernel killed one
        assert outcome.out_of_memory
        assert "-9" in outcome.output


def test_output_keeps_its_head_and_tail_and_drops_the_middle(box: Box):
    outcome = box.run(
        """
        import sys
        print("HEAD-MARK", flush=True)
        line = "x" * 1023 + "\\n"
        for _ in range(30 * 1024):
            sys.stdout.write(line)
        print("TAIL-MARK")
        """,
        limits=Limits(output_bytes=64 * 1024),
    )
    assert outcome.output_bytes > 30 * 1024 * 1024
    assert outcome.output.startswith("HEAD-MARK")
    assert outcome.output.rstrip().endswith("TAIL-MARK")
    assert len(outcome.output) < 70 * 1024
    assert "bytes left out" in outcome.output


def test_processes_and_file_size_are_limited(box: Box):
    outcome = box.run(
        """
        import os, time
        children = 0
        try:
            for _ in range(2000):
                if os.fork() == 0:
                    time.sleep(5)
                    os._exit(0)
                children += 1
        except OSError as exc:
            print("fork refused after", children, exc.strerror)
        try:
            with open("/box/big", "wb") as f:
                f.write(b"x" * (20 << 20))
            print("wrote 20 MiB")
        except OSError as exc:
            print("write refused:", exc.strerror)
        """,
        limits=Limits(processes=64, file_bytes=10 << 20),
    )
    assert "fork refused after" in outcome.output, outcome.output
    refused_after = int(outcome.output.split("fork refused after")[1].split()[0])
    assert refused_after < 64
    assert "write refused: File too large" in outcome.output
    assert (box.folder / "big").stat().st_size <= 10 << 20


NOT_ROOT = """
from pathlib import Path
from tats_core.testrun.bubblewrap import BubblewrapEngine
from tats_core.testrun.engine import Mount, RegistryAccess, SandboxJob
engine = BubblewrapEngine(cgroups=False)
print("unavailable:", engine.unavailable_reason())
box = [Mount(Path({folder!r}), "/box", writable=True)]
job = SandboxJob(["/bin/sh", "-c", "id -u > /box/uid; touch /usr/x"], "/box", box, {{}}, timeout=30)
print("exit", engine.run(job).exit_code)
fetch = "import urllib.request, ssl; print(urllib.request.urlopen('https://pypi.org/simple/pip/', context=ssl.create_default_context(cafile='/etc/ssl/certs/ca-certificates.crt')).status)"
job = SandboxJob(["python3", "-c", fetch], "/box", box, {{"PATH": "/usr/bin"}}, timeout=60, network=RegistryAccess(frozenset({{"pypi.org"}})))
print("registry", engine.run(job).output.strip())
"""


def test_the_engine_runs_as_an_unprivileged_user_too(sandbox_folder: Path):
    """Production may run TATS as a user, in a container: no slot users, no cgroups, still a
    sandbox (bwrap makes an unprivileged user namespace)."""
    if os.geteuid() != 0:
        pytest.skip("TATS already runs unprivileged here: every other test covers it")
    folder = sandbox_folder / "unprivileged"
    folder.mkdir()
    os.chown(folder, 65534, 65534)
    site = next(Path(sys.prefix, "lib").glob("python3*/site-packages"))  # packaging, for imports
    result = subprocess.run(
        ["/usr/bin/python3", "-c", NOT_ROOT.format(folder=str(folder))],
        user=65534,
        group=65534,
        extra_groups=[],
        env={"PATH": "/usr/bin:/bin", "PYTHONPATH": f"{Path(__file__).parent.parent}:{site}"},
        cwd=folder,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.stdout.splitlines() == ["unavailable: None", "exit 1", "registry 200"], (
        result.stderr
    )
    assert (folder / "uid").read_text().strip() == "65534"


@pytest.mark.slow  # two pytest sessions: about 4 s each
def test_without_bwrap_sandbox_tests_fail_in_ci_and_skip_elsewhere(tmp_path: Path):
    root = Path(__file__).parent.parent
    env = {"PATH": str(tmp_path), "HOME": str(tmp_path)}  # no bwrap on this PATH
    argv = [sys.executable, "-m", "pytest", "-p", "no:xdist", "-p", "no:cacheprovider", "-q"]
    argv += [f"{__file__}::test_only_the_folder_is_writable"]
    skipped = subprocess.run(argv, cwd=root, env=env, capture_output=True, text=True, timeout=120)
    in_ci = subprocess.run(
        argv, cwd=root, env=env | {"CI": "true"}, capture_output=True, text=True, timeout=120
    )
    assert "1 skipped" in skipped.stdout, skipped.stdout
    assert "1 error" in in_ci.stdout, (
        in_ci.stdout
    )  # pytest.fail in a fixture: an error, never a skip
    assert "the sandbox is needed in CI: bubblewrap is not installed" in in_ci.stdout


def test_worker_processes_starting_together_all_find_the_sandbox(sandbox_base: RunConfig):
    """Every probe runs as one user, and a run ends all of its user's processes when it stops:
    probes at once (``tats worker --workers N`` starting) used to end each other's, and a
    process that lost would run none of its candidates' tests."""
    from concurrent.futures import ProcessPoolExecutor

    from tats_core.testrun.submission import engine_available

    with ProcessPoolExecutor(4) as processes:
        found = list(processes.map(engine_available, [sandbox_base] * 8))
    assert found == [None] * 8
