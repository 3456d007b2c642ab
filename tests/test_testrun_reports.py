"""Runner reports -> per-test results; the real runners' own reports are exercised by
test_testrun_submissions. Here: the shapes those runs do not reach, and hostile reports."""

from __future__ import annotations

import json

import pytest

from tats_core.testrun.reports import Places, ReportError, parse_go, parse_jest, parse_junit


def test_junit_reports_with_a_dtd_or_too_big_are_refused():
    bomb = b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;&a;">]><testsuite>&b;</testsuite>'
    with pytest.raises(ReportError, match="DTD"):
        parse_junit(bomb, Places(""))
    with pytest.raises(ReportError, match="not JUnit XML"):
        parse_junit(b"PASS all tests (trust me)", Places(""))
    with pytest.raises(ReportError, match="larger than"):
        parse_junit(b"<testsuite>" + b" " * (21 * 1024 * 1024) + b"</testsuite>", Places(""))


def test_vitest_style_junit_counts_and_places():
    report = b"""<testsuites><testsuite name="src/sum.test.ts" tests="3">
      <testcase classname="src/sum.test.ts" name="sum &gt; adds"/>
      <testcase classname="src/sum.test.ts" name="sum &gt; carries">
        <failure message="expected 3 to be 4">AssertionError: expected 3 to be 4
 \xe2\x9d\xaf /box/src/web/node_modules/vitest/dist/x.js:1:1
 \xe2\x9d\xaf /box/src/web/src/sum.test.ts:9:17</failure>
      </testcase>
      <testcase classname="src/sum.test.ts" name="sum &gt; later"><skipped/></testcase>
    </testsuite></testsuites>"""
    counts = parse_junit(report, Places("web"))
    assert (counts.passed, counts.failed, counts.skipped) == (1, 1, 1)
    failing = counts.failing[0]
    assert failing.name == "src/sum.test.ts sum > carries"
    assert failing.message == "expected 3 to be 4"
    assert failing.place == "web/src/sum.test.ts:9"  # the first frame outside node_modules


def test_jest_json_counts_suites_that_did_not_load_as_errors():
    report = {
        "testResults": [
            {
                "name": "/box/src/src/math.test.js",
                "status": "failed",
                "assertionResults": [
                    {"fullName": "math adds", "status": "passed"},
                    {
                        "fullName": "math divides",
                        "status": "failed",
                        "failureMessages": [
                            "Error: expect(received).toBe(expected)\n    at Object.<anonymous> (/box/src/src/math.test.js:12:20)"
                        ],
                        "location": {"line": 10, "column": 3},
                    },
                    {"fullName": "math later", "status": "todo"},
                ],
            },
            {
                "name": "/box/src/src/broken.test.js",
                "status": "failed",
                "message": "SyntaxError: Unexpected token (3:4)\n    at /box/src/src/broken.test.js:3:4",
                "assertionResults": [],
            },
        ]
    }
    counts = parse_jest(json.dumps(report).encode(), Places(""))
    assert (counts.passed, counts.failed, counts.errors, counts.skipped) == (1, 1, 1, 1)
    assert [(t.name, t.place) for t in counts.failing] == [
        ("math divides", "src/math.test.js:12"),
        ("src/broken.test.js", "src/broken.test.js:3"),
    ]


def test_go_counts_subtests_not_their_parents():
    events = [
        {"Action": "run", "Package": "m/calc", "Test": "TestSplit"},
        {
            "Action": "output",
            "Package": "m/calc",
            "Test": "TestSplit/empty",
            "Output": '    split_test.go:21: got [], want [""]\n',
        },
        {"Action": "fail", "Package": "m/calc", "Test": "TestSplit/empty"},
        {"Action": "pass", "Package": "m/calc", "Test": "TestSplit/one"},
        {"Action": "fail", "Package": "m/calc", "Test": "TestSplit"},
        {"Action": "skip", "Package": "m/calc", "Test": "TestLater"},
        {"Action": "fail", "Package": "m/calc"},
        {"Action": "skip", "Package": "m/empty"},  # [no test files]
    ]
    data = "\n".join(json.dumps(e) for e in events).encode()
    counts = parse_go(data, "", Places("svc"), lambda package: package.removeprefix("m/"))
    assert (counts.passed, counts.failed, counts.errors, counts.skipped) == (1, 1, 0, 1)
    assert counts.failing[0].name == "m/calc.TestSplit/empty"
    assert counts.failing[0].place == "svc/calc/split_test.go:21"
