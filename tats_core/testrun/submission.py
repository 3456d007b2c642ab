"""One submission, start to end: ``run_submission(archive, acceptance=..., config=...)``.

    slot (at most ``concurrency`` runs on this host) -> unpack safely -> detect the project
    -> install (registries only) -> the acceptance tests, on a fresh copy of the tree with the
    employer's files over it -> the candidate's own tests -> folder removed, slot freed

The acceptance run comes before any of the candidate's code has run, on its own copy, so the
candidate's tests cannot prepare the ground for it. Nothing the candidate did can make this
function raise: every problem of the submission ends as one of the five statuses with a note.
It raises ``TestRunError`` (transient) when every slot stays busy for ``slot_wait``, and
``ConfigurationError`` when the sandbox itself cannot be set up on this host.
"""

from __future__ import annotations

import contextlib
import os
import posixpath
import shutil
import stat
import time
import uuid
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path

from tats_core.errors import ArchiveError, ConfigurationError
from tats_core.testrun import box
from tats_core.testrun.archive import ArchiveLimits, extract_archive, place_files
from tats_core.testrun.bubblewrap import PROBE_SLOT, BubblewrapEngine
from tats_core.testrun.detection import Unrunnable, detect
from tats_core.testrun.engine import (
    Limits,
    Mount,
    RegistryAccess,
    SandboxEngine,
    SandboxJob,
    SandboxOutcome,
    sandbox_python,
)
from tats_core.testrun.node_project import unbuilt_native_modules
from tats_core.testrun.output import last_lines
from tats_core.testrun.project import Project, Registries, Skip, Step, describe
from tats_core.testrun.results import SubmissionTestReport, TestRunResult, TestStatus
from tats_core.testrun.slots import hold_slot
from tats_core.testrun.verdict import verdict

INSTALL_LIMITS = Limits(memory_bytes=2 * 1024**3, processes=1024, file_bytes=2 * 1024**3)
MAX_PINNED_FILES = 200
STALE_RUN_SECONDS = (
    6 * 3600
)  # far beyond any run's timeouts  # acceptance files bound read-only one by one, up to this many


def _uv_binary() -> str | None:
    try:
        import uv
    except ImportError:
        return None
    return uv.find_uv_bin()


@dataclass(frozen=True)
class RunConfig:
    """How submissions are tested on this host. ``cache_dir`` is TATS's own, shared by runs."""

    cache_dir: Path
    engine: SandboxEngine = field(default_factory=BubblewrapEngine)
    work_dir: Path | None = None  # where run folders go; default {cache_dir}/runs
    test_timeout: float = 120.0  # TATS_TEST_TIMEOUT
    install_timeout: float = 300.0
    concurrency: int = field(default_factory=lambda: os.cpu_count() or 1)
    slot_wait: float = 600.0
    test_limits: Limits = field(default_factory=Limits)
    install_limits: Limits = INSTALL_LIMITS
    archive_limits: ArchiveLimits = field(default_factory=ArchiveLimits)
    registries: Registries = field(default_factory=Registries)
    python: str = field(default_factory=sandbox_python)  # the candidates' Python
    uv: str | None = field(default_factory=_uv_binary)

    @property
    def runs_dir(self) -> Path:
        return self.work_dir or self.cache_dir / "runs"


def engine_available(config: RunConfig) -> str | None:
    """None when submissions' tests can run here, else why not (and how to fix it).

    Besides the engine itself, checks that its sandboxes can reach TATS's folders (every
    folder above ``cache_dir`` and ``work_dir`` must let other users pass: ``chmod o+x``).
    """
    reason = config.engine.unavailable_reason()
    if reason is not None:
        return reason
    _prepare_folders(config)
    mounts = [Mount(config.cache_dir, "/cache"), Mount(config.runs_dir, "/runs")]
    job = SandboxJob(["/bin/true"], "/", mounts, {}, timeout=30, slot=PROBE_SLOT)
    outcome = config.engine.run(job)
    if outcome.exit_code != 0:
        return (
            f"the sandbox cannot reach TATS's folders ({outcome.output.strip()[-300:]}); every "
            f"folder above {config.cache_dir} must let other users pass (chmod o+x), or set "
            "TATS_TEST_CACHE_DIR to a folder that does"
        )
    return None


def _prepare_folders(config: RunConfig) -> None:
    for shared in (config.cache_dir, config.runs_dir):
        shared.mkdir(parents=True, exist_ok=True)
        shared.chmod(0o711)  # the sandbox's users pass through, list nothing
    _sweep_stale_runs(config.runs_dir, older_than=STALE_RUN_SECONDS)
    deps = config.cache_dir / "deps"
    deps.mkdir(exist_ok=True)
    config.engine.share(deps)


def run_submission(
    archive: bytes, *, acceptance: Mapping[str, bytes] | None = None, config: RunConfig
) -> SubmissionTestReport:
    reason = config.engine.unavailable_reason()
    if reason is not None:
        return _not_run(reason, acceptance)
    with (
        hold_slot(config.cache_dir / "slots", config.concurrency, wait=config.slot_wait) as slot,
        _run_folder(config) as folder,
    ):
        return _Run(config, slot, folder, dict(acceptance or {})).execute(archive)


def _not_run(
    reason: str, acceptance: Mapping[str, bytes] | None, **extra: object
) -> SubmissionTestReport:
    result = TestRunResult.not_run(reason, **extra)  # type: ignore[arg-type]
    return SubmissionTestReport(tests=result, acceptance=result if acceptance else None)


@contextmanager
def _run_folder(config: RunConfig) -> Iterator[Path]:
    _prepare_folders(config)
    folder = config.runs_dir / uuid.uuid4().hex
    folder.mkdir(mode=0o711)
    try:
        yield folder
    finally:
        remove_tree(folder)


def _sweep_stale_runs(runs: Path, older_than: float) -> None:
    """Folders a worker left when it died mid-run (a finished run removes its own)."""
    cutoff = time.time() - older_than
    for folder in runs.iterdir():
        with contextlib.suppress(OSError):
            if folder.is_dir() and folder.stat().st_mtime < cutoff:
                remove_tree(folder)


def remove_tree(folder: Path) -> None:
    """Remove a run's folder, even where the tests took away their own permissions."""

    def allow_and_retry(function, path, _exc_info) -> None:  # type: ignore[no-untyped-def]
        os.chmod(os.path.dirname(path), stat.S_IRWXU)
        if os.path.isdir(path) and not os.path.islink(path):
            os.chmod(path, stat.S_IRWXU)
        function(path)

    shutil.rmtree(folder, onerror=allow_and_retry)


@dataclass
class _Run:
    config: RunConfig
    slot: int
    folder: Path
    acceptance: dict[str, bytes]
    durations: dict[str, float] = field(default_factory=dict)
    notices: list[str] = field(default_factory=list)
    handed_over: set[Path] = field(default_factory=set)
    unbuilt: list[str] = field(default_factory=list)  # native modules left unbuilt (Node)

    @property
    def tree(self) -> Path:
        return self.folder / "src"

    def execute(self, archive: bytes) -> SubmissionTestReport:
        started = time.monotonic()
        try:
            extract_archive(archive, self.tree, self.config.archive_limits)
        except ArchiveError as exc:
            return _not_run(f"archive refused: {exc}", self.acceptance)
        found = detect(self.tree, self.config.registries, self.config.python)
        self.durations["extract"] = round(time.monotonic() - started, 3)
        if isinstance(found, Unrunnable):
            return self._report(found.reason, notices=found.notices)
        self.notices += found.notices
        if found.refused:
            return self._report(f"not installed: {found.refused}", project=found)
        own = found.own_tests()
        checks = found.acceptance_tests(self.acceptance) if self.acceptance else None
        acceptance_tree = None
        if isinstance(checks, Step):
            try:
                acceptance_tree = self._acceptance_tree(found)
            except ArchiveError as exc:  # the employer's files: said, and the own run goes on
                checks = Skip(TestStatus.NOT_RUN, f"acceptance files refused: {exc}")
        install_output = ""
        if isinstance(own, Step) or isinstance(checks, Step):
            failure, install_output = self._install(found)
            if failure is not None:
                return self._report(failure, project=found, output=install_output)
            if found.kind == "node":
                self.unbuilt = unbuilt_native_modules(self.tree / found.folder)
        return self._test_both(found, own, checks, acceptance_tree, install_output)

    def _test_both(
        self,
        project: Project,
        own: Step | Skip,
        checks: Step | Skip | None,
        acceptance_tree: Path | None,
        install_output: str,
    ) -> SubmissionTestReport:
        acceptance_result = None
        if isinstance(checks, Step) and acceptance_tree is not None:
            acceptance_result = self._test(project, checks, acceptance_tree, "acceptance")
        elif isinstance(checks, Skip):
            acceptance_result = TestRunResult(checks.status, checks.reason)
        if isinstance(own, Skip):
            own_result = TestRunResult(own.status, own.reason, durations=dict(self.durations))
        else:
            own_result = self._test(project, own, self.tree, "test", prefix=install_output)
        return SubmissionTestReport(
            self._caveat(own_result),
            self._caveat(acceptance_result) if acceptance_result else None,
            describe(project),
            tuple(self.notices),
        )

    def _caveat(self, result: TestRunResult) -> TestRunResult:
        """A failing run with native modules the sandbox could not build proves nothing about
        the candidate: ``not_run``, saying why (the counts are kept)."""
        if result.status != TestStatus.FAILED or not self.unbuilt:
            return result
        shown = ", ".join(self.unbuilt[:3]) + (" and more" if len(self.unbuilt) > 3 else "")
        note = (
            f"not judged: the sandbox does not build native modules ({shown}; install scripts "
            f"are off), so failures may be its own ({result.note})"
        )
        return replace(result, status=TestStatus.NOT_RUN, note=note[:500])

    def _report(
        self,
        reason: str,
        *,
        project: Project | None = None,
        output: str = "",
        notices: list[str] | None = None,
    ) -> SubmissionTestReport:
        result = TestRunResult.not_run(reason, output=output, durations=dict(self.durations))
        return SubmissionTestReport(
            tests=result,
            acceptance=result if self.acceptance else None,
            project=describe(project) if project else "",
            notices=tuple(self.notices + (notices or [])),
        )

    def _acceptance_tree(self, project: Project) -> Path:
        tree = self.folder / "acceptance"
        shutil.copytree(self.tree, tree, symlinks=True)
        place_files(self.acceptance, tree)
        project.prepare_acceptance_tree(tree, list(self.acceptance))
        return tree

    def _install(self, project: Project) -> tuple[str | None, str]:
        """(why the install failed, or None; its output)."""
        step = project.install(self.config.registries)
        venv = self._own_folder("venv")
        if step is None:
            self.durations["install"] = 0.0
            return None, ""
        mounts = [Mount(self.tree, box.SRC, True), Mount(venv, box.VENV, True)]
        mounts += [Mount(self._own_folder("home-install"), box.HOME, True)]
        mounts += [Mount(self.config.cache_dir / "deps", box.CACHE, True)]
        if project.kind == "python":
            if self.config.uv is None:
                return "uv is not installed on this host (pip install uv)", ""
            mounts.append(Mount(Path(self.config.uv), box.UV))
        self._hand_over(self.tree)
        outcome = self._sandbox(
            project, step, mounts, self.config.install_timeout, self.config.install_limits
        )
        self.durations["install"] = round(outcome.seconds, 3)
        return _install_failure(outcome, self.config.install_timeout), outcome.output

    def _test(
        self, project: Project, step: Step, tree: Path, name: str, prefix: str = ""
    ) -> TestRunResult:
        out, home = self._own_folder(f"out-{name}"), self._own_folder(f"home-{name}")
        mounts = [Mount(tree, box.SRC, True), Mount(self.folder / "venv", box.VENV)]
        mounts += [Mount(home, box.HOME, True), Mount(out, box.OUT, True)]
        mounts += [Mount(self.config.cache_dir / "deps", box.CACHE)]
        if tree != self.tree:
            mounts += self._shared_install(project, tree)
        self._hand_over(tree)
        outcome = self._sandbox(
            project, step, mounts, self.config.test_timeout, self.config.test_limits, test=True
        )
        durations = dict(self.durations) | {"test": round(outcome.seconds, 3)}
        result = verdict(
            outcome,
            project.counts(out),
            timeout=self.config.test_timeout,
            limits=self.config.test_limits,
            judged_by_exit=not project.reports,
        )
        output = f"$ install\n{prefix}\n$ tests\n{outcome.output}" if prefix else outcome.output
        return replace(result, output=output, durations=durations)

    def _shared_install(self, project: Project, tree: Path) -> list[Mount]:
        """The acceptance copy sees the install's node_modules; the employer's files stay put."""
        mounts: list[Mount] = []
        modules = self.tree / project.folder / "node_modules"
        if modules.is_dir():
            target = posixpath.join(box.SRC, project.folder, "node_modules")
            mounts.append(Mount(modules, target, writable=True))
        if len(self.acceptance) <= MAX_PINNED_FILES:
            mounts += [Mount(tree / path, f"{box.SRC}/{path}") for path in self.acceptance]
        return mounts

    def _sandbox(
        self,
        project: Project,
        step: Step,
        mounts: list[Mount],
        timeout: float,
        limits: Limits,
        *,
        test: bool = False,
    ) -> SandboxOutcome:
        if step.files:
            files = self.folder / f"step-{uuid.uuid4().hex[:8]}"
            files.mkdir(mode=0o755)
            for name, data in step.files.items():
                (files / name).parent.mkdir(mode=0o755, parents=True, exist_ok=True)
                (files / name).write_bytes(data)
                (files / name).chmod(0o644)
            mounts = [*mounts, Mount(files, box.STEP_FILES)]
        cwd = posixpath.join(box.SRC, project.folder) if project.folder else box.SRC
        network = None if test else RegistryAccess(self.config.registries.hosts)
        job = SandboxJob(step.command, cwd, mounts, step.env, timeout, limits, network, self.slot)
        outcome = self.config.engine.run(job)
        if not outcome.started:  # nothing of the candidate's ran: this host must be fixed
            raise ConfigurationError(
                f"the sandbox could not start: {last_lines(outcome.output, 4)}"
            )
        return outcome

    def _hand_over(self, tree: Path) -> None:
        """Once per tree: after that, what the sandbox writes in it is the sandbox's already."""
        if tree not in self.handed_over:
            self.config.engine.hand_over(tree, self.slot)
            self.handed_over.add(tree)

    def _own_folder(self, name: str) -> Path:
        path = self.folder / name
        if not path.exists():
            path.mkdir(mode=0o755)
            self.config.engine.hand_over(path, self.slot)
        return path


def _install_failure(outcome: SandboxOutcome, timeout: float) -> str | None:
    refused = (
        f" (the registry proxy refused: {', '.join(outcome.refused_hosts)})"
        if outcome.refused_hosts
        else ""
    )
    if outcome.timed_out:
        return f"install failed: still running after {timeout:g} s{refused}"
    if outcome.exit_code != 0:
        return f"install failed: {last_lines(outcome.output, 6)}{refused}"
    return None
