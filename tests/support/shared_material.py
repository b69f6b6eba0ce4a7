"""The tests' way into the read-only reference material of ../shared
(euicc_tools.testkit.shared_material): a path in it, or a skip of the test where the
machine does not have it."""

from __future__ import annotations

from pathlib import Path

import pytest

from euicc_tools.testkit.shared_material import SHARED

__all__ = ["SHARED", "shared_path"]


def shared_path(*parts: str) -> Path:
    path = SHARED.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"{path} is not available on this machine")
    return path
