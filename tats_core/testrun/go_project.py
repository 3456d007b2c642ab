"""Go modules: ``go test -json ./...`` with the host's Go toolchain (Debian's ``golang-go``).

A module that needs only the standard library, or vendors its dependencies (``vendor/``),
installs nothing and runs with ``GOPROXY=off``. One that needs modules from the proxy installs
them (``go mod download``) only where ``Registries.go_proxy`` is set and reachable; otherwise
it is not run, and the note names the modules. Building runs no candidate code (no cgo:
``CGO_ENABLED=0``; ``go generate`` never runs); tests run without network.

Acceptance tests: the ``Test*`` functions of the acceptance ``*_test.go`` files, run with
``-run`` in their packages, so the candidate's own tests of those packages stay out of it.
"""

from __future__ import annotations

import posixpath
import re
import shlex
import shutil
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from tats_core.testrun import box
from tats_core.testrun.project import Registries, Skip, Step, base_env, relative_to_project
from tats_core.testrun.reports import Places, ReportError, parse_go
from tats_core.testrun.results import TestCounts, TestStatus

NO_TESTS, NOT_RUN = TestStatus.NO_TESTS, TestStatus.NOT_RUN

REQUIRE_BLOCK = re.compile(r"^require\s*\((.*?)^\)", re.MULTILINE | re.DOTALL)
REQUIRE_LINE = re.compile(r"^require\s+([^\s(]\S*)", re.MULTILINE)
MODULE_LINE = re.compile(r"^module\s+(\S+)", re.MULTILINE)
TEST_FUNC = re.compile(r"^func\s+(Test\w*)\s*\(\s*\w+\s+\*testing\.T\s*\)", re.MULTILINE)
REPORT = "report.json"
BUILD_LOG = "build.txt"  # go test's stderr: compiler errors
MAX_BUILD_LOG = 256 * 1024
SEED = f"{box.CACHE}/go/seed"
# Compiling the standard library's test dependencies takes seconds a run; a build cache seeded
# from this module (TATS's own code, built in an install phase) is copied into each run's own
# cache, so nothing a candidate's tests do can touch what other candidates build with.
SEED_FILES = {
    "seed/go.mod": b"module tats.local/seed\n\ngo 1.19\n",
    "seed/seed.go": b"""package seed

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/http"
	"os"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
)

var _ = []any{bytes.NewBuffer, json.Marshal, errors.New, fmt.Sprint, math.Abs, http.Get, os.Getenv,
	sort.Strings, strconv.Itoa, strings.ToUpper, sync.NewCond, time.Now}
""",
    "seed/seed_test.go": b"""package seed

import (
	"net/http/httptest"
	"reflect"
	"testing"
)

func TestSeed(t *testing.T) { _ = httptest.NewRecorder; _ = reflect.DeepEqual }
""",
}
SEED_SCRIPT = f"""if [ ! -d {SEED} ]; then
  mkdir -p {box.CACHE}/go
  building=$(mktemp -d {box.CACHE}/go/seed-XXXXXX)
  cp -r {box.STEP_FILES}/seed "$HOME/seed"
  cd "$HOME/seed" && GOCACHE="$building" go test -count=1 -run '^$' ./... >/dev/null
  chmod -R a+rX "$building"
  mv -T "$building" {SEED} 2>/dev/null || rm -rf "$building"
fi"""


def go_toolchain() -> str | None:
    return shutil.which("go")


def required_modules(go_mod: str) -> list[str]:
    modules = REQUIRE_LINE.findall(go_mod)
    for block in REQUIRE_BLOCK.findall(go_mod):
        for line in block.splitlines():
            words = line.split("//", 1)[0].split()
            if words:
                modules.append(words[0])
    return modules


@dataclass
class GoProject:
    root: Path
    folder: str
    module: str
    modules: list[str]
    vendored: bool
    test_files: list[str] = field(default_factory=list)
    kind: str = "go"
    runner: str = "go test"
    notices: list[str] = field(default_factory=list)
    refused: str | None = None
    reports: bool = True

    @classmethod
    def read(cls, root: Path, folder: str, files: list[str], registries: Registries) -> GoProject:
        go_mod = (root / folder / "go.mod").read_text(encoding="utf-8", errors="replace")
        module = MODULE_LINE.search(go_mod)
        modules = required_modules(go_mod)
        vendored = (root / folder / "vendor" / "modules.txt").is_file()
        tests = [f for f in files if f.endswith("_test.go")]
        project = cls(root, folder, module[1] if module else "", modules, vendored, tests)
        if modules and not vendored and registries.go_proxy is None:
            named = ", ".join(modules[:5]) + (" …" if len(modules) > 5 else "")
            project.refused = (
                f"needs {len(modules)} module(s) from the Go module proxy, which this host "
                f"cannot reach: {named}"
            )
        return project

    def install(self, registries: Registries) -> Step:
        """Seed the shared build cache from TATS's own module, once per host; download the
        project's modules where the proxy is reachable. None of the candidate's code runs."""
        script = SEED_SCRIPT
        env = self._env() | {"GOPROXY": "off"}
        if self.modules and not self.vendored and registries.go_proxy is not None:
            script += "\ngo mod download"
            env |= {"GOPROXY": registries.go_proxy, "GOFLAGS": "-mod=mod -buildvcs=false"}
        return Step(["/bin/sh", "-ec", script], env, dict(SEED_FILES))

    def own_tests(self) -> Step | Skip:
        if not self.test_files:
            return Skip(NO_TESTS, "no Go test files (*_test.go)")
        return self._go_test(["./..."])

    def acceptance_tests(self, files: Mapping[str, bytes]) -> Step | Skip:
        tests = {
            p: data.decode("utf-8", "replace")
            for p, data in files.items()
            if p.endswith("_test.go")
        }
        names = sorted({name for text in tests.values() for name in TEST_FUNC.findall(text)})
        if not names:
            return Skip(
                NOT_RUN, "no Go test function (func TestX(t *testing.T)) among the acceptance files"
            )
        folders = sorted(
            {posixpath.dirname(p) for p in relative_to_project(list(tests), self.folder)}
        )
        packages = ["./" + f if f else "." for f in folders]
        return self._go_test(["-run", f"^({'|'.join(names)})$", *packages])

    def prepare_acceptance_tree(self, tree: Path, paths: list[str]) -> None:
        return None

    def _go_test(self, args: list[str]) -> Step:
        quoted = " ".join(shlex.quote(a) for a in args)
        script = (
            f'mkdir -p "$GOCACHE" && cp -r {SEED}/. "$GOCACHE" 2>/dev/null || true\n'
            f"go test -json {quoted} > {box.OUT}/{REPORT} 2> {box.OUT}/{BUILD_LOG}\n"
            f"status=$?\ncat {box.OUT}/{BUILD_LOG} >&2\nexit $status"
        )
        return Step(["/bin/sh", "-c", script], self._env() | {"GOPROXY": "off"})

    def _env(self) -> dict[str, str]:
        return base_env() | {
            "GOPATH": f"{box.HOME}/go",
            "GOMODCACHE": f"{box.CACHE}/go/mod",
            "GOCACHE": f"{box.HOME}/.cache/go-build",
            "GOTOOLCHAIN": "local",
            "GOTELEMETRY": "off",
            "CGO_ENABLED": "0",
            "GOFLAGS": "-buildvcs=false",
        }

    def package_folder(self, package: str) -> str:
        if self.module and (package == self.module or package.startswith(self.module + "/")):
            return package[len(self.module) :].lstrip("/")
        return ""

    def counts(self, out: Path) -> TestCounts | None:
        report, build = out / REPORT, out / BUILD_LOG
        if not report.is_file() or report.stat().st_size == 0:
            return None
        log = build.read_bytes()[:MAX_BUILD_LOG] if build.is_file() else b""
        try:
            return parse_go(
                report.read_bytes(),
                log.decode("utf-8", "replace"),
                Places(self.folder),
                self.package_folder,
            )
        except ReportError:
            return None
