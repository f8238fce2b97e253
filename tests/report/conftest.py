"""Fixtures for the report tests. The suite runs with ``--import-mode=importlib``, so the
helper modules (tests/report/cdp.py, report_helpers.py, tests/store/hipform_testdata.py)
are put on sys.path here."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

for _d in (Path(__file__).resolve().parent, Path(__file__).resolve().parents[1] / "store"):
    if str(_d) not in sys.path:
        sys.path.insert(0, str(_d))

from hipform_testdata import make_analysis  # noqa: E402


@pytest.fixture
def analysis() -> dict:
    return make_analysis()

