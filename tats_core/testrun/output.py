"""The output a run keeps: its first and last bytes, whatever it printed in between.

A test that prints gigabytes costs the host a pipe's throughput, not its memory: the middle is
counted and dropped as it streams past.
"""

from __future__ import annotations


class KeptOutput:
    """Keeps the head and the tail of a byte stream, ``limit`` bytes in all."""

    def __init__(self, limit: int) -> None:
        self._head_limit = limit // 2
        self._tail_limit = limit - self._head_limit
        self._head = bytearray()
        self._tail = bytearray()
        self.total = 0

    def feed(self, chunk: bytes) -> None:
        self.total += len(chunk)
        room = self._head_limit - len(self._head)
        if room > 0:
            self._head += chunk[:room]
            chunk = chunk[room:]
        if chunk:
            self._tail += chunk
            if len(self._tail) > self._tail_limit:
                del self._tail[: len(self._tail) - self._tail_limit]

    @property
    def left_out(self) -> int:
        return self.total - len(self._head) - len(self._tail)

    def text(self) -> str:
        head = self._head.decode("utf-8", errors="replace")
        if not self._tail:
            return head
        tail = self._tail.decode("utf-8", errors="replace")
        if self.left_out:
            return f"{head}\n[… {self.left_out:,} bytes left out …]\n{tail}"
        return head + tail


def last_lines(text: str, count: int = 12, width: int = 2000) -> str:
    """The end of an output, for a one-line note ("install failed: …")."""
    lines = [line for line in text.strip().splitlines() if line.strip()]
    return "\n".join(lines[-count:])[-width:]
