from __future__ import annotations

from pathlib import Path

import pytest


ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples"


@pytest.fixture(scope="session")
def sandbox():
    """One sandbox slot shared by the tests: each run forks a fresh worker, so tests stay independent."""
    from graders.sandbox import Limits, Sandbox
    with Sandbox(slot=7, limits=Limits(import_timeout_s=3.0)) as box:
        yield box


