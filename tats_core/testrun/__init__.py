"""Running a submission's tests, and a job's acceptance tests, in a sandbox.

The entry points: ``run_submission(archive, acceptance=..., config=RunConfig(...))`` returns a
``SubmissionTestReport`` (JSON-ready), and ``engine_available(config)`` says whether this host
can run tests at all (None, or what is missing). README.md beside this file says which
languages run where and what the sandbox does not protect against.

- ``submission``   the whole run: slot, unpack, detect, install, acceptance run, own run
- ``results``      ``TestStatus`` (the contract's five strings), ``TestRunResult``, the report
- ``verdict``      a sandbox outcome and a runner's report -> status, counts and note
- ``archive``      untrusted tar.gz / zip unpacked safely; acceptance files from a zip or folder
- ``detection``    which project a tree holds and how to test it, or why it cannot be run
- ``project``      what every kind of project provides (``Project``), ``Registries``
- ``box``          the sandbox's fixed layout (``/box/src``, ``/box/out``, ``/cache``, ...)
- ``python_project``, ``python_deps``  Python: uv, registry-only requirements, pytest
- ``node_project``, ``node_deps``      Node.js: npm without scripts, jest/vitest/mocha/node --test
- ``go_project``   Go modules: ``go test -json``, standard library or vendored modules
- ``reports``      JUnit XML, Jest JSON and ``go test -json`` -> per-test results
- ``engine``       the sandbox seam: ``SandboxEngine``, ``SandboxJob``, ``Limits``
- ``bubblewrap``   ``BubblewrapEngine``, the engine on a Linux host (bwrap, cgroups, rlimits)
- ``cgroup``       per-run cgroups (v2 delegated, or v1) for memory and process limits
- ``proxy``        the install phase's allow-listing CONNECT proxy (host side, unix socket)
- ``forwarder``    its relay inside the sandbox (standard library only)
- ``slots``        at most N runs per host, across processes (``flock``)
- ``output``       the kept output: head and tail
"""

from tats_core.testrun.engine import Limits, SandboxEngine
from tats_core.testrun.project import Registries
from tats_core.testrun.results import (
    FailingTest,
    SubmissionTestReport,
    TestRunResult,
    TestStatus,
)
from tats_core.testrun.submission import RunConfig, engine_available, run_submission

__all__ = [
    "FailingTest",
    "Limits",
    "Registries",
    "RunConfig",
    "SandboxEngine",
    "SubmissionTestReport",
    "TestRunResult",
    "TestStatus",
    "engine_available",
    "run_submission",
]
