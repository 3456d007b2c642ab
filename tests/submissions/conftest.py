"""Candidate submissions the sandbox runs: data for tests/test_testrun_*, never TATS's own tests."""

collect_ignore_glob = ["*"]
