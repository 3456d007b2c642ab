"""At most N runs per host across worker processes: slots held by another real process."""

from __future__ import annotations

import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from tats_core.errors import TestRunError
from tats_core.testrun.slots import hold_slot

HOLDER = textwrap.dedent(
    """
    import sys
    from pathlib import Path
    from tats_core.testrun.slots import hold_slot
    with hold_slot(Path(sys.argv[1]), 1, wait=5) as slot:
        print("holding", slot, flush=True)
        sys.stdin.read()
    """
)


def _holder(folder: Path) -> subprocess.Popen[str]:
    process = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(folder)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None
    assert process.stdout.readline().strip() == "holding 0"
    return process


def test_a_slot_held_by_another_process_is_not_given_twice(tmp_path: Path):
    holder = _holder(tmp_path)
    try:
        with (
            pytest.raises(
                TestRunError, match=r"all 1 test-run slots stayed busy for 0\.3 s"
            ) as raised,
            hold_slot(tmp_path, 1, wait=0.3, poll=0.05),
        ):
            pass
        assert raised.value.transient  # the worker answers 5xx: the queue retries later
        with hold_slot(tmp_path, 2, wait=0.3) as slot:
            assert slot == 1
    finally:
        holder.kill()
        holder.wait()


def test_a_holder_that_dies_frees_its_slot(tmp_path: Path):
    holder = _holder(tmp_path)
    holder.send_signal(signal.SIGKILL)  # no cleanup of its own: the kernel drops the lock
    holder.wait()
    with hold_slot(tmp_path, 1, wait=2) as slot:
        assert slot == 0
