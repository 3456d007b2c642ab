"""Choosing the files a reviewer would open, from the tree alone (pure)."""

from __future__ import annotations

from tats_core.repo.sample import (
    MAX_FILE_BYTES,
    CodeSample,
    SampleBudget,
    SampleFile,
    Why,
    choose_sample,
)
from tats_core.repo.snapshot import TreeEntry


def blob(path: str, size: int = 2_000) -> TreeEntry:
    return TreeEntry(path, "blob", size, f"sha-{path}")


def node_app() -> list[TreeEntry]:
    tree = [
        blob("README.md", 900),
        blob("package.json", 700),
        blob("package-lock.json", 90_000),
        blob("Dockerfile", 300),
        blob("docker-compose.yml", 400),
        blob("src/index.ts", 1_500),
        blob("src/services/orderService.ts", 6_000),
        blob("src/routes/orders.ts", 3_000),
        blob("src/util/format.ts", 500),
        blob("src/types.d.ts", 800),
        blob("tests/orders.test.ts", 4_000),
        blob("public/app.min.js", 50_000),
        blob("public/logo.png", 12_000),
        blob(".idea/workspace.xml", 3_000),
        blob(".vscode/settings.json", 100),
        blob("dist/index.js", 8_000),
        blob("dist/index.js.map", 9_000),
        blob("data/huge.ts", MAX_FILE_BYTES + 1),
        TreeEntry("src", "tree"),
    ]
    tree += [blob(f"node_modules/pkg{i}/index.js", 1_000) for i in range(60)]
    return tree


def test_entry_points_run_files_tests_and_central_source_are_chosen():
    plan = choose_sample(node_app())
    why = {e.path: e.why for e in plan.entries}
    assert why["src/index.ts"] is Why.ENTRY_POINT
    assert why["package.json"] is why["Dockerfile"] is why["docker-compose.yml"] is Why.RUNS
    assert why["tests/orders.test.ts"] is Why.TEST
    assert why["src/services/orderService.ts"] is Why.SOURCE
    assert {e.path for e in plan.entries} == {
        "src/index.ts", "package.json", "Dockerfile", "docker-compose.yml",
        "tests/orders.test.ts", "src/services/orderService.ts", "src/routes/orders.ts",
        "src/util/format.ts",
    }  # fmt: skip
    # Entry points first, then how it runs, then tests, then source by weight.
    assert [e.path for e in plan.entries][:2] == ["src/index.ts", "Dockerfile"]
    assert all(e.sha == f"sha-{e.path}" and e.size > 0 for e in plan.entries)


def test_vendored_lock_build_minified_ide_and_oversized_files_are_left_out_and_counted():
    plan = choose_sample(node_app())
    chosen = {e.path for e in plan.entries}
    assert not any(p.startswith(("node_modules/", "dist/", ".idea/", ".vscode/")) for p in chosen)
    assert "package-lock.json" not in chosen and "public/app.min.js" not in chosen
    assert plan.left_out == {
        "vendored": 60,
        "build output": 2,
        "lock files": 1,
        "minified or generated": 2,  # app.min.js, types.d.ts
        "IDE or editor files": 2,
        "docs, data or assets": 2,  # README.md, logo.png
        "too large": 1,
    }
    assert plan.total_files == 78
    assert len(plan.entries) + sum(plan.left_out.values()) == plan.total_files


def test_budget_caps_files_and_bytes_and_prefers_source_over_many_tests():
    tree = [blob("main.py", 3_000)]
    tree += [blob(f"app/module{i:02}.py", 20_000 + i) for i in range(60)]
    tree += [blob(f"tests/test_m{i:02}.py", 5_000) for i in range(30)]
    plan = choose_sample(tree)
    assert len(plan.entries) <= 40
    assert sum(e.size for e in plan.entries) <= 400_000
    tests = [e for e in plan.entries if e.why is Why.TEST]
    sources = [e.path for e in plan.entries if e.why is Why.SOURCE]
    # a quarter of the files go to tests first; leftover bytes may take a few more small ones
    assert 10 <= len(tests) < len(sources)
    assert plan.entries[0].path == "main.py"
    # the largest modules are read first
    assert sources[0] == "app/module59.py"
    assert plan.left_out["over budget"] == 91 - len(plan.entries)

    small = choose_sample(tree, SampleBudget(max_files=5, max_total_bytes=50_000))
    assert len(small.entries) <= 5 and sum(e.size for e in small.entries) <= 50_000


def test_choice_is_deterministic_whatever_the_tree_order():
    tree = node_app()
    assert choose_sample(tree) == choose_sample(list(reversed(tree)))


def test_go_and_java_entry_points():
    tree = [
        blob("cmd/api/main.go"),
        blob("internal/store/store.go"),
        blob("src/main/java/com/acme/Main.java"),
        blob("src/main/java/com/acme/ShopApplication.java"),
        blob("Program.cs"),
        blob("mvnw", 9_000),
    ]
    why = {e.path: e.why for e in choose_sample(tree).entries}
    assert why["cmd/api/main.go"] is Why.ENTRY_POINT
    assert why["src/main/java/com/acme/Main.java"] is Why.ENTRY_POINT
    assert why["src/main/java/com/acme/ShopApplication.java"] is Why.ENTRY_POINT
    assert why["Program.cs"] is Why.ENTRY_POINT
    assert why["internal/store/store.go"] is Why.SOURCE
    assert "mvnw" not in why


def test_summary_says_what_was_read_and_left_out():
    sample = CodeSample(
        files=[SampleFile("a.py", "s", 3, Why.TEST, "x=1")],
        left_out={"vendored": 150, "lock files": 2},
        total_files=153,
    )
    assert sample.summary() == "read 1 of 153 files; left out: 150 vendored, 2 lock files"
    assert sample.files[0].is_test
