"""Where the benchmarks find the shared fixtures: ``../shared/fixtures`` from the project's root
(the folder beside the checkout), on any machine."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SHARED_FIXTURES = ROOT.parent / "shared" / "fixtures"
