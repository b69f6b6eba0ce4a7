"""The fuzz targets of bench/fuzz (issue 9, coverage-guided fuzzing): every seed of every
target goes through its harness without a finding, and each target runs briefly under
atheris (libFuzzer) on its seed corpus, with a fixed seed so a failure can be replayed.
The long runs and their figures are in bench/fuzz/results.md."""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import pytest

from bench.fuzz import seeds, targets

ROOT = Path(__file__).resolve().parents[2]
NAMES = sorted(targets.TARGETS)
BRIEF_RUNS = 1500  # on top of the seeds: seconds, not minutes


@pytest.mark.parametrize("name", NAMES)
def test_every_seed_runs_clean(name):
    one = targets.TARGETS[name].make()
    corpus = seeds.SEEDERS[name]()
    assert corpus, f"{name} has no seeds"
    for seed in corpus:
        one(seed)


def test_transmit_input_framing_round_trips():
    apdus = [b"\x00\xa4\x00\x04\x02\x3f\x00", b"", bytes(300), b"\x80\xf2\x00\x00\x00"]
    assert targets.split_apdus(targets.join_apdus(apdus)) == apdus


def test_bpp_cuts_cover_the_stream():
    stream = bytes(range(40))
    data = targets.with_cuts(stream, [3, 17, 17, 39])
    whole, pieces = targets.cut_stream(data)
    assert whole == stream and b"".join(pieces) == stream
    assert [len(p) for p in pieces] == [3, 14, 22, 1]


@pytest.mark.skipif(importlib.util.find_spec("atheris") is None,
                    reason="atheris is not installed (pip install -e '.[fuzz]')")
@pytest.mark.parametrize("name", NAMES)
def test_target_runs_under_atheris(name, tmp_path):
    corpus = tmp_path / "corpus"
    count = seeds.write_corpus(name, corpus)
    result = subprocess.run(
        [sys.executable, "-m", "bench.fuzz", "--target", name, "--corpus", str(corpus),
         "--runs", str(count + BRIEF_RUNS), "--max-time", "20", "--",
         "-seed=1", f"-artifact_prefix={tmp_path}/"],
        cwd=ROOT, capture_output=True, text=True, timeout=300,
        env={**os.environ, "PYTHONPATH": str(ROOT)})
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-4000:]
    assert "DONE" in output and "cov:" in output, output[-2000:]
    assert not list(tmp_path.glob("crash-*")), output[-4000:]
