"""At most N test runs at once on one host, across every worker process: N lock files.

A slot is ``fcntl.flock`` on ``{folder}/slot-{i}.lock``; the kernel releases it when its
holder exits, however it exits, so a crashed worker never strands a slot. The slot's number
also names the sandbox's user (see ``bubblewrap``), so two runs never share one.
"""

from __future__ import annotations

import fcntl
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from tats_core.errors import TestRunError


@contextmanager
def hold_slot(folder: Path, count: int, *, wait: float, poll: float = 0.2) -> Iterator[int]:
    """Hold one of ``count`` slots for the block.

    Raises a transient ``TestRunError`` when none frees within ``wait`` seconds.
    """
    folder.mkdir(parents=True, exist_ok=True)
    deadline = time.monotonic() + wait
    while True:
        for index in range(count):
            fd = os.open(folder / f"slot-{index}.lock", os.O_RDWR | os.O_CREAT, 0o600)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                os.close(fd)
                continue
            try:
                yield index
            finally:
                fcntl.flock(fd, fcntl.LOCK_UN)
                os.close(fd)
            return
        if time.monotonic() >= deadline:
            raise TestRunError(
                f"all {count} test-run slots stayed busy for {wait:g} s", transient=True
            )
        time.sleep(poll)
