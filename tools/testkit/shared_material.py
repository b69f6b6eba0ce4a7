"""The project's read-only reference material (GSMA TS.48 test profiles, SGP.26 test
certificates, recorded SGP.22 downloads): the folder ``shared`` beside the checkout, i.e.
``../shared`` from the repository root. Where it is absent (beside an installed wheel, or
on a machine without it) tests skip and benchmarks and fuzz seeds use built data instead.
"""

from __future__ import annotations

from pathlib import Path

# tools/testkit/shared_material.py -> the checkout is parents[2], ../shared beside it
SHARED = Path(__file__).resolve().parents[3] / "shared"


def shared_files(*patterns: str) -> list[Path]:
    """Files of ../shared matching the glob ``patterns`` (profiles, vectors) when the
    machine has them, else none."""
    if not SHARED.is_dir():
        return []
    return sorted(p for pattern in patterns for p in SHARED.glob(pattern))
