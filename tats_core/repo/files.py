"""What each path of a repository tree is: code, a test, CI config, committed dependencies or
build output, editor junk, a third-party library copied in.

Pure functions over paths and sizes, shared by ``signals`` (the facts shown to recruiters) and
``github`` (which manifests are worth a request). Paths are relative to the submission root.
"""

from __future__ import annotations

import re
from collections import Counter
from pathlib import PurePosixPath

CODE_EXTENSIONS = {
    ".py": "Python", ".ipynb": "Jupyter Notebook", ".js": "JavaScript", ".jsx": "JavaScript",
    ".mjs": "JavaScript", ".cjs": "JavaScript", ".ts": "TypeScript", ".tsx": "TypeScript",
    ".vue": "Vue", ".svelte": "Svelte", ".java": "Java", ".kt": "Kotlin", ".kts": "Kotlin",
    ".scala": "Scala", ".groovy": "Groovy", ".go": "Go", ".rb": "Ruby", ".erb": "Ruby",
    ".php": "PHP", ".cs": "C#", ".fs": "F#", ".vb": "Visual Basic", ".rs": "Rust", ".c": "C",
    ".h": "C", ".cpp": "C++", ".cc": "C++", ".hpp": "C++", ".swift": "Swift", ".m": "Objective-C",
    ".dart": "Dart", ".ex": "Elixir", ".exs": "Elixir", ".erl": "Erlang", ".clj": "Clojure",
    ".hs": "Haskell", ".lua": "Lua", ".r": "R", ".jl": "Julia", ".pl": "Perl", ".sh": "Shell",
}  # fmt: skip

# A notebook's JSON carries outputs and images; count only what a person plausibly typed.
NOTEBOOK_BYTES_CAP = 20_000
# One generated bundle or data blob must not pass for a lot of hand-written code.
CODE_FILE_BYTES_CAP = 100_000

LOCKFILES = {
    "package-lock.json", "yarn.lock", "pnpm-lock.yaml", "npm-shrinkwrap.json", "gemfile.lock",
    "poetry.lock", "pipfile.lock", "uv.lock", "go.sum", "composer.lock", "cargo.lock",
    "packages.lock.json",
}  # fmt: skip

# The one list of README names: which wins when several sit side by side, most preferred first
# (lower case; GitHub's own preference is similar). Everything else derives from it.
README_NAMES = ("readme.md", "readme.markdown", "readme.rst", "readme.txt", "readme")


def _spellings(name: str) -> tuple[str, ...]:
    """``readme.md`` as people write it: ``README.md``, ``readme.md``, ``Readme.md``,
    ``README.MD``."""
    extension = name[len("readme") :]
    upper = ("README" + extension).upper()
    return ("README" + extension, "readme" + extension, "Readme" + extension, upper)


# How they are spelled in git, where case matters: what is asked for by exact path when no tree
# listing says which one a repository holds (GraphQL), in the same order.
README_SPELLINGS = tuple(dict.fromkeys(s for name in README_NAMES for s in _spellings(name)))

MANIFESTS = (
    "package.json", "pyproject.toml", "requirements.txt", "go.mod", "pom.xml", "build.gradle",
    "build.gradle.kts", "Cargo.toml", "composer.json", "Gemfile", "build.sbt",
)  # fmt: skip

CI_PATTERNS = (
    re.compile(r"^\.github/workflows/[^/]+\.ya?ml$"),
    re.compile(r"^\.gitlab-ci\.ya?ml$"),
    re.compile(r"^Jenkinsfile$"),
    re.compile(r"^\.circleci/config\.ya?ml$"),
    re.compile(r"^azure-pipelines\.ya?ml$"),
    re.compile(r"^\.travis\.ya?ml$"),
    re.compile(r"^bitbucket-pipelines\.ya?ml$"),
    re.compile(r"^\.drone\.ya?ml$"),
    re.compile(r"^\.buildkite/"),
)

TEST_DIRS = {"test", "tests", "__tests__", "spec", "specs", "e2e", "cypress", "testing"}
TEST_NAME = re.compile(
    r"(^test_.*\.py$|_test\.py$|_test\.go$|\.(test|spec)\.[cm]?[jt]sx?$|_spec\.rb$|^test_.*\.rb$"
    r"|_test\.rb$|(Test|Tests|IT|Spec|Suite)\.(java|kt|scala|cs|php|groovy|swift)$"
    r"|_test\.exs$|_test\.dart$)"
)
# Tests a project generator writes on its own; they say nothing about the candidate.
GENERATED_TESTS = (
    (re.compile(r"^App\.test\.[jt]sx?$"), 700),  # create-react-app
    (re.compile(r"^app\.component\.spec\.ts$"), 1500),  # Angular CLI
    (re.compile(r"ApplicationTests?\.(java|kt)$"), 600),  # Spring Initializr contextLoads()
    (re.compile(r"^UnitTest1\.cs$"), 400),  # dotnet new xunit/nunit/mstest
    (re.compile(r"^(test_helper|application_system_test_case|connection_test)\.rb$"), 100_000),
)

DEPENDENCY_DIRS = {
    "node_modules", "bower_components", "site-packages", "__pycache__", ".venv", "venv",
    ".gradle", ".next", ".nuxt", ".dart_tool", "pods", ".bundle", ".pytest_cache",
}  # fmt: skip
SCATTERED_DIRS = {"__pycache__", ".pytest_cache"}
# A directory of this name is output when one of these children (or a compiled file) is inside.
BUILD_DIR_MARKERS = {
    "target": {"classes", "test-classes", "maven-status", "maven-archiver", "surefire-reports"},
    "obj": {"Debug", "Release", "project.assets.json"},
    "bin": {"Debug", "Release"},
    "build": {"static", "classes", "libs", "intermediates", "asset-manifest.json"},
    "out": {"production", "artifacts"},
    "dist": set(),
}
BUILD_FILE_SUFFIXES = {".class", ".jar", ".map", ".dll", ".pdb", ".o"}
BUILD_SUFFIXES = {
    ".pyc", ".pyo", ".class", ".o", ".obj", ".dll", ".exe", ".so", ".dylib", ".war", ".ear",
}  # fmt: skip
WRAPPER_JARS = {"gradle-wrapper.jar", "maven-wrapper.jar"}
JUNK_NAMES = {".ds_store", "thumbs.db", ".env", ".coverage"}
JUNK_DIRS = {".idea", ".vs"}
BINARY_BYTES = 1_000_000  # an extension-less file this large is a compiled program
VENDOR_DIR_MIN_FILES = 50  # a small vendor/ is a patched dependency; a large one is all of them


def parts(path: str) -> list[str]:
    return path.split("/")


def suffix(path: str) -> str:
    return PurePosixPath(path).suffix.lower()


def code_language(path: str) -> str | None:
    """The language of a hand-written source file, or None (docs, data, config, lockfiles)."""
    name = path.rsplit("/", 1)[-1]
    if name.lower() in LOCKFILES or name.endswith((".min.js", ".bundle.js", ".d.ts")):
        return None
    return CODE_EXTENSIONS.get(suffix(path))


def counted_bytes(path: str, size: int) -> int:
    cap = NOTEBOOK_BYTES_CAP if path.endswith(".ipynb") else CODE_FILE_BYTES_CAP
    return min(size, cap)


def is_test_file(path: str, size: int) -> bool:
    """A source file of tests the candidate wrote (generator defaults excluded)."""
    if code_language(path) is None:
        return False
    name = path.rsplit("/", 1)[-1]
    if name == "__init__.py":
        return False  # a package marker under tests/, not tests
    for pattern, max_size in GENERATED_TESTS:
        if pattern.search(name) and size <= max_size:
            return False
    if TEST_NAME.search(name):
        return True
    dirs = [p.lower() for p in parts(path)[:-1]]
    return any(d in TEST_DIRS or d.endswith((".tests", "tests", ".test")) for d in dirs)


def is_ci_config(path: str) -> bool:
    return any(p.search(path) for p in CI_PATTERNS)


def output_roots(paths: list[str]) -> set[str]:
    """Directories holding build output or an installed environment, judged by their content
    (``bin/`` of a Rails app is scripts; ``bin/Debug/`` of a .NET app is output)."""
    roots: set[str] = set()
    for path in paths:
        segments = parts(path)
        if path.endswith(("/pyvenv.cfg", "/bin/activate", "/Scripts/activate")):
            cut = -1 if path.endswith("pyvenv.cfg") else -2
            roots.add("/".join(segments[:cut]) + "/")
        for i, seg in enumerate(segments[:-1]):
            low, below = seg.lower(), segments[i + 1]
            markers = BUILD_DIR_MARKERS.get(low)
            if markers is None:
                continue
            if below in markers or suffix(path) in BUILD_FILE_SUFFIXES or low == "dist":
                roots.add("/".join(segments[: i + 1]) + "/")
                break
    return roots


def committed_area(path: str, size: int, roots: set[str]) -> str | None:
    """The dependency or build-output area ``path`` belongs to (``node_modules/``, ``target/``,
    ``compiled files (.pyc)``), or None for a file that belongs in a repository."""
    segments = parts(path)
    for i, seg in enumerate(segments[:-1]):
        prefix = "/".join(segments[: i + 1]) + "/"
        if seg.lower() in SCATTERED_DIRS:
            return seg + "/"  # one area however many packages carry one
        if seg.lower() in DEPENDENCY_DIRS or prefix in roots:
            return prefix
    name = segments[-1]
    if suffix(path) in BUILD_SUFFIXES or (suffix(path) == ".jar" and name not in WRAPPER_JARS):
        return f"compiled files ({suffix(path)})"
    if "." not in name and size >= BINARY_BYTES:
        return path  # an executable built and committed
    return None


def is_junk(path: str) -> bool:
    segments = parts(path)
    name = segments[-1].lower()
    if name in JUNK_NAMES or name.endswith((".iml", ".log", ".swp")):
        return True
    return any(seg.lower() in JUNK_DIRS for seg in segments[:-1])


def library_root(path: str) -> str | None:
    """A sub-directory carrying its own LICENSE: third-party code copied into the tree."""
    segments = parts(path)
    if len(segments) >= 2 and segments[-1].upper().split(".")[0] in {
        "LICENSE",
        "LICENCE",
        "COPYING",
    }:
        return "/".join(segments[:-1]) + "/"
    return None


def is_readme(path: str) -> bool:
    name = path.rsplit("/", 1)[-1].lower()
    return "/" not in path and (name == "readme" or name.startswith("readme."))


def preferred_readme(paths: list[str]) -> str | None:
    """The README a reader sees first among the tree's ``paths`` (``README_NAMES``' order, then
    the shortest other ``README.*``), or None."""
    names = [p for p in paths if is_readme(p)]
    for preferred in README_NAMES:
        for name in names:
            if name.lower() == preferred:
                return name
    return min(names, key=len) if names else None


def foreign_areas(
    blobs: list[tuple[str, int]],
) -> tuple[dict[str, int], list[str], list[str], set[str]]:
    """Committed dependency/build areas with file counts, copied-in libraries, junk, and the
    paths that are not the candidate's own (inside those areas or libraries)."""
    roots = output_roots([p for p, _ in blobs])
    areas: Counter[str] = Counter()
    vendor: dict[str, list[str]] = {}
    junk: list[str] = []
    foreign: set[str] = set()
    for path, size in blobs:
        segments = parts(path)
        if area := committed_area(path, size, roots):
            areas[area] += 1
            foreign.add(path)
        elif "vendor" in segments[:-1]:
            root = "/".join(segments[: segments.index("vendor") + 1]) + "/"
            vendor.setdefault(root, []).append(path)
        elif is_junk(path):
            cut = next((i for i, d in enumerate(segments[:-1]) if d.lower() in JUNK_DIRS), None)
            item = "/".join(segments[: cut + 1]) + "/" if cut is not None else path
            if item not in junk:
                junk.append(item)
    for root, paths in vendor.items():
        if len(paths) >= VENDOR_DIR_MIN_FILES:
            areas[root] = len(paths)
            foreign.update(paths)
    roots_with_license = {r for p, _ in blobs if (r := library_root(p)) and p not in foreign}
    libraries = sorted(
        r for r in roots_with_license if any(p.startswith(r) and code_language(p) for p, _ in blobs)
    )
    for path, _ in blobs:
        if path.startswith(tuple(libraries)):
            foreign.add(path)
    return dict(areas), libraries, junk, foreign
