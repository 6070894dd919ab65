"""Fixtures of the fault-injection suite (helpers in :mod:`faultkit`)."""

from __future__ import annotations

import pytest
from faultkit import Runner


@pytest.fixture
def run(capsys, tmp_path) -> Runner:
    return Runner(capsys, tmp_path)
