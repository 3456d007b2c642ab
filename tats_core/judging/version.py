"""The version of TATS's judging rules: a hash of the judging package's source.

The heuristic stores it as its prompt hash (its "prompt" is these rules), and every verdict's
reuse key holds it (``processing.reuse``): a release that changes a rule re-judges, whatever the
analyzer.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

JUDGING_HASH = hashlib.sha256(
    b"".join(p.read_bytes() for p in sorted(Path(__file__).parent.rglob("*.py")))
).hexdigest()
