"""bench/instructions.py counts the card's instructions by replaying a recorded download to
a card built again from the same state and seed (euicc.crypto.entropy.SeededEntropy): that
only counts the card if the replayed card answers every command exactly as the recorded one
did (SGP.22 3.1.3 download, 5.7.6 LoadBoundProfilePackage, then ES10c.DeleteProfile). This
holds the replay to it without valgrind; a card built with another seed is told apart."""

import json

from bench import instructions
from euicc_tools.testkit.profile_builder import build_upp


def test_a_recorded_download_replays_answer_for_answer(tmp_path, monkeypatch):
    package = build_upp("8949449999999990023", "001010123456789", k=bytes(range(16)),
                        opc=bytes(16))
    recording = instructions.record(tmp_path, package, 2)
    log = json.loads(recording.read_text())
    names = instructions.segments(log)
    assert names.count("end of download") == 2 and "LoadBoundProfilePackage" in names
    assert instructions.replay(tmp_path) == 0  # every answer the recorded one

    # another seed: other challenges and signatures, so the replay stops at the first
    monkeypatch.setattr(instructions, "SEED", b"another seed")
    (tmp_path / "replayed").rename(tmp_path / "replayed-1")
    assert instructions.replay(tmp_path) == 1
