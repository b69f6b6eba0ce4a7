"""CLI wiring: first start makes the state and its PKI; the EID stays the card's own."""

from __future__ import annotations

import pytest

from euicc.cli import StateLocked, lock_state_dir, open_card
from euicc.pki import PkiError, generate_test_pki, random_eid


def test_first_start_generates_pki_and_keeps_eid(tmp_path):
    state = tmp_path / "card"
    card, credentials = open_card(state, None, None)
    assert (state / "pki" / "eUICC").is_dir()
    assert card.registry.get(bytes.fromhex("A0000005591010FFFFFFFF8900000100"))
    again_card, again = open_card(state, None, None)
    assert again.eid == credentials.eid


def test_issued_eid_survives_restart_and_other_pki_is_refused(tmp_path, pki_dir):
    state = tmp_path / "card"
    eid = random_eid()
    _, credentials = open_card(state, pki_dir, eid)
    assert credentials.eid == eid and (state / "issued").is_dir()
    _, again = open_card(state, pki_dir, None)
    assert again.eid == eid
    other = tmp_path / "other-pki"
    generate_test_pki(other)
    for key in (other / "EUM").glob("SK_*"):
        key.unlink()  # without an EUM key nothing can be issued for this EID
    with pytest.raises(PkiError):
        open_card(state, other, None)


def test_state_lock(tmp_path):
    handle = lock_state_dir(tmp_path)
    with pytest.raises(StateLocked):
        lock_state_dir(tmp_path)
    handle.close()
    lock_state_dir(tmp_path).close()
