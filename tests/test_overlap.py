"""Shared solutions within a job, from blob shas alone (``tats_core.judging.overlap``)."""

from __future__ import annotations

import hashlib

import pytest

from tats_core.judging.overlap import find_overlaps, is_common, own_files


def sha(text: str) -> str:
    return hashlib.sha1(text.encode()).hexdigest()


def blob(path: str, size: int = 2_000, content: str | None = None) -> tuple[str, str, int]:
    return (path, sha(content or path), size)


SOLUTION = [
    blob("src/orders/service.py", 3_000, "orders service of alice"),
    blob("src/orders/api.py", 2_500, "orders api of alice"),
    blob("src/orders/repository.py", 1_800, "repository of alice"),
    blob("tests/test_orders.py", 2_200, "tests of alice"),
    blob("README.md", 900, "readme of alice"),
]
CRA = [
    blob("public/index.html", 1_700, "cra index"),
    blob("public/manifest.json", 500, "cra manifest"),
    blob("src/setupTests.js", 241, "cra setupTests"),
    blob("src/App.test.js", 246, "cra App.test"),
    blob("src/reportWebVitals.js", 362, "cra vitals"),
    blob("src/logo.svg", 2_600, "cra logo"),
    blob("src/index.js", 535, "cra index.js"),
    blob("package-lock.json", 700_000, "a lockfile"),
]
RAILS = [
    blob("bin/rails", 300, "rails bin"),
    blob("bin/setup", 1_000, "rails setup"),
    blob("config/application.rb", 1_200, "rails application"),
    blob("config/environments/production.rb", 3_500, "rails production"),
    blob("config/puma.rb", 1_500, "rails puma"),
    blob("app/controllers/application_controller.rb", 300, "rails app controller"),
    blob("app/models/application_record.rb", 250, "rails record"),
    blob("public/404.html", 1_700, "rails 404"),
]
MAVEN = [
    blob("mvnw", 10_000, "mvnw"),
    blob("mvnw.cmd", 6_700, "mvnw.cmd"),
    blob(".mvn/wrapper/MavenWrapperDownloader.java", 4_900, "downloader"),
    blob("src/main/java/com/acme/DemoApplication.java", 300, "spring main"),
    blob(".gitignore", 400, "gitignore"),
    blob("LICENSE", 1_070, "mit"),
]


def own(*parts: list[tuple[str, str, int]], owner: str) -> list[tuple[str, str, int]]:
    """A submission: generator files plus code of its own (distinct shas per owner)."""
    mine = [blob(f"app/{owner}_{i}.rb", 3_000, f"{owner} file {i}") for i in range(4)]
    return [entry for part in parts for entry in part] + mine


def test_a_copy_under_another_owner_is_flagged_both_ways_with_the_files():
    found = find_overlaps({1: own_files(SOLUTION), 2: own_files(SOLUTION), 3: own_files([])})
    [one] = found[1]
    [two] = found[2]
    assert (one.other, two.other) == (2, 1) and found[3] == []
    assert ("src/orders/service.py", "src/orders/service.py") in one.pairs
    assert len(one.pairs) == 4  # the README is not code
    assert one.describe().startswith("Shares 4 files with candidate 2: ")


def test_a_copy_moved_into_other_folders_is_still_paired_by_content():
    moved = [(p.replace("src/orders", "lib/shop"), s, n) for p, s, n in SOLUTION]
    [overlap] = find_overlaps({1: own_files(SOLUTION), 2: own_files(moved)})[1]
    assert ("src/orders/api.py", "lib/shop/api.py") in overlap.pairs


def test_submissions_sharing_only_generator_files_are_not_flagged():
    fingerprints = {
        1: own_files(own(CRA, owner="a")),
        2: own_files(own(CRA, owner="b")),
        3: own_files(own(RAILS, owner="c")),
        4: own_files(own(RAILS, owner="d")),
        5: own_files(own(MAVEN, owner="e")),
        6: own_files(own(MAVEN, owner="f")),
    }
    assert all(overlaps == [] for overlaps in find_overlaps(fingerprints).values())
    for entry in CRA + RAILS + MAVEN:
        assert entry[0] not in {f.path for fp in fingerprints.values() for f in fp}


def test_generator_files_below_a_subfolder_do_not_count_either():
    nested = [(f"frontend/{p}", s, n) for p, s, n in CRA] + [
        (f"api/{p}", s, n) for p, s, n in RAILS
    ]
    assert own_files(nested) == []


def test_files_common_to_much_of_the_job_are_the_assignments_starter():
    starter = [blob(f"starter/module_{i}.py", 5_000, f"starter {i}") for i in range(5)]
    fingerprints = {i: own_files(own(starter, owner=f"c{i}")) for i in range(1, 5)}
    assert all(overlaps == [] for overlaps in find_overlaps(fingerprints).values())


def test_tiny_or_few_shared_files_are_not_substantial():
    tiny = [blob(f"pkg/m{i}.py", 150, f"tiny {i}") for i in range(10)]
    two = [blob("pkg/a.py", 1_500, "a"), blob("pkg/b.py", 1_500, "b")]
    a = own_files(tiny + two + [blob("pkg/big_a.py", 20_000, "big a")])
    b = own_files(tiny + two + [blob("pkg/big_b.py", 20_000, "big b")])
    assert find_overlaps({1: a, 2: b}) == {1: [], 2: []}


def test_a_small_submission_copied_whole_is_flagged_by_its_share():
    small = [blob("main.go", 1_200, "main"), blob("handler.go", 900, "handler")]
    big = small + [blob(f"extra/f{i}.go", 5_000, f"extra {i}") for i in range(6)]
    found = find_overlaps({1: own_files(small), 2: own_files(big)})
    assert [o.other for o in found[1]] == [2] and [o.other for o in found[2]] == [1]


def test_vendored_and_editor_folders_are_not_own_code():
    tree = [
        blob("node_modules/lodash/lodash.js", 50_000, "lodash"),
        blob("vendor/github.com/x/y/z.go", 5_000, "dep"),
        blob(".idea/workspace.xml", 5_000, "idea"),
        blob("static/js/jquery-3.6.0.js", 80_000, "jquery"),
        blob("wwwroot/lib/bootstrap/dist/js/bootstrap.js", 9_000, "bs"),
        blob("app/models/order.rb", 1_000, "order"),
    ]
    assert [f.path for f in own_files(tree)] == ["app/models/order.rb"]


@pytest.mark.parametrize(
    ("holders", "submissions", "common"),
    [
        (3, 5, False),  # a few passing one solution around, in a small job
        (4, 10, False),
        (4, 5, True),  # most of a small job: its starter
        (3, 3, True),
        (5, 10, True),  # more than a few, and a share of a bigger job
        (6, 40, False),
        (12, 40, True),
    ],
)
def test_a_starter_is_in_most_submissions_a_shared_solution_in_a_few(holders, submissions, common):
    assert is_common(holders, submissions) is common
