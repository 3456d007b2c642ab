"""Benchmark: reading a candidate's code sample, against parsing the same text alone.

For each fixture repository (``../shared/fixtures/repos``, text in ``blobs/``) it takes the files
``choose_sample`` would read (at most 40 files / 400 KB), then measures CPU time for:

1. ``analyse_code`` over the sample (parsing, function and test-case queries, stub and hollow
   checks, the secret scan): what a worker spends per candidate;
2. the baseline: the tree-sitter (or ``ast``) parse of the same files and nothing else.

It prints per-repository and total figures and the ratio analysis/parse.

    .venv/bin/python bench/code_signals.py [--fixtures DIR]
"""

from __future__ import annotations

import argparse
import ast
import contextlib
import json
import time
from pathlib import Path

from _paths import SHARED_FIXTURES

from tats_core.judging.code import grammars as code_grammars
from tats_core.judging.code.reading import SourceFile, analyse_code, language_of
from tats_core.repo.sample import choose_sample
from tats_core.repo.snapshot import TreeEntry


def sample_files(repo: Path) -> list[SourceFile]:
    tree = json.loads((repo / "tree.json").read_text())["tree"]
    entries = [
        TreeEntry(e["path"], e["type"], int(e.get("size") or 0), e.get("sha") or "") for e in tree
    ]
    files = []
    for entry in choose_sample(entries).entries:
        blob = repo / "blobs" / entry.sha
        if blob.is_file():
            text = blob.read_text(encoding="utf-8", errors="replace")
            files.append(SourceFile(entry.path, text, entry.why.value == "test"))
    return files


def parse_only(files: list[SourceFile]) -> None:
    for file in files:
        language = language_of(file.path)
        if language == "python":
            with contextlib.suppress(SyntaxError):
                ast.parse(file.text)
        elif language is not None:
            grammar = "tsx" if file.path.endswith(".tsx") else language
            tools = code_grammars.tools(grammar)
            if tools is not None:
                tools[0].parse(file.text.encode("utf-8", "replace"))


def cpu(fn, *args) -> float:  # type: ignore[no-untyped-def]
    started = time.process_time()
    fn(*args)
    return time.process_time() - started


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--fixtures", type=Path, default=SHARED_FIXTURES)
    args = parser.parse_args()
    repos = sorted(p for p in (args.fixtures / "repos").iterdir() if (p / "tree.json").is_file())
    samples = {repo.name: sample_files(repo) for repo in repos}
    analyse_code([f for files in samples.values() for f in files[:1]])  # build the parsers once
    total_analyse = total_parse = 0.0
    print(f"{'fixture':52} files     KB  analyse ms  parse ms")
    for name, files in samples.items():
        analyse_s = min(cpu(analyse_code, files) for _ in range(3))
        parse_s = min(cpu(parse_only, files) for _ in range(3))
        total_analyse += analyse_s
        total_parse += parse_s
        kb = sum(len(f.text) for f in files) / 1024
        print(
            f"{name[:52]:52} {len(files):5} {kb:6.0f} {analyse_s * 1000:11.1f} {parse_s * 1000:9.1f}"
        )
    n = len(samples)
    print(
        f"\nper candidate: analyse {total_analyse / n * 1000:.1f} ms CPU, parse alone "
        f"{total_parse / n * 1000:.1f} ms; analyse/parse = {total_analyse / max(total_parse, 1e-9):.1f}x"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
