"""CLI wiring: first start makes the state and its PKI; the EID stays the card's own; a state
stays bound to the PKI it was made with (euicc.identity) unless --rekey says otherwise."""

from __future__ import annotations

import logging
import shutil

import pytest

from euicc.identity import IdentityError, recorded_pki_dir
from euicc.pki import PkiError, generate_test_pki, random_eid
from euicc.store import CardStore
from euicc_tools.emulator.card import open_card
from euicc_tools.emulator.cli import StateLocked, lock_state_dir


def start(state, pki=None, eid=None, rekey=False):
    card, credentials, store = open_card(state, pki, eid, rekey)
    store.close()
    return card, credentials


def test_first_start_generates_pki_and_keeps_eid(tmp_path):
    state = tmp_path / "card"
    card, credentials = start(state)
    assert (state / "pki" / "eUICC").is_dir()
    assert card.registry.get(bytes.fromhex("A0000005591010FFFFFFFF8900000100"))
    again_card, again = start(state)
    assert again.eid == credentials.eid


def test_issued_eid_survives_restart_and_other_pki_is_refused(tmp_path, pki_dir):
    state = tmp_path / "card"
    eid = random_eid()
    _, credentials = start(state, pki_dir, eid)
    assert credentials.eid == eid and (state / "issued").is_dir()
    _, again = start(state, pki_dir)
    assert again.eid == eid
    other = tmp_path / "other-pki"
    generate_test_pki(other)  # with an EUM key: it could issue a certificate for the EID
    issued = sorted(p.read_bytes() for p in (state / "issued").rglob("*") if p.is_file())
    with pytest.raises(IdentityError, match="holds another PKI"):
        start(state, other)
    assert sorted(p.read_bytes() for p in (state / "issued").rglob("*")
                  if p.is_file()) == issued  # nothing issued behind the user's back
    with pytest.raises(IdentityError, match="would change its EID"):
        start(state, pki_dir, random_eid())


def test_state_made_with_pki_is_refused_without_it(tmp_path, pki_dir):
    state = tmp_path / "card"
    _, credentials = start(state, pki_dir)
    with pytest.raises(IdentityError) as refused:
        start(state)
    assert f"--pki {pki_dir.resolve()}" in str(refused.value)
    assert f"euicc-emu run --state {state} --pki" in str(refused.value)  # how to start it
    assert not (state / "pki").exists()  # no PKI generated behind the user's back
    store = CardStore(state, read_only=True)
    assert recorded_pki_dir(state, store) == pki_dir.resolve()  # what the shell reads
    store.close()


def test_own_pki_is_not_swapped_for_another_unless_rekeyed(tmp_path, caplog):
    state = tmp_path / "card"
    _, mine = start(state)
    other = tmp_path / "other-pki"
    generate_test_pki(other)
    with pytest.raises(IdentityError, match="its own generated PKI"):
        start(state, other)
    with caplog.at_level(logging.WARNING, logger="euicc.identity"):
        _, rekeyed = start(state, other, rekey=True)
    assert rekeyed.eid != mine.eid  # the other PKI's own eUICC certificate
    assert "re-keyed" in caplog.text and mine.eid in caplog.text and rekeyed.eid in caplog.text
    _, again = start(state, other)  # now bound to the other PKI
    assert again.eid == rekeyed.eid
    with pytest.raises(IdentityError):
        start(state)


def test_lost_generated_pki_is_not_regenerated_unless_rekeyed(tmp_path):
    state = tmp_path / "card"
    _, credentials = start(state)
    shutil.rmtree(state / "pki")
    with pytest.raises(IdentityError, match="is gone"):
        start(state)
    assert not (state / "pki").exists()
    _, rekeyed = start(state, rekey=True)
    assert rekeyed.eid == credentials.eid  # new keys and certificates, the same EID
    assert (state / "pki" / "eUICC").is_dir()


def test_moved_pki_with_the_same_certificates_is_accepted(tmp_path, pki_dir):
    state = tmp_path / "card"
    _, credentials = start(state, pki_dir)
    moved = tmp_path / "moved"
    shutil.copytree(pki_dir, moved)
    _, again = start(state, moved)
    assert again.eid == credentials.eid
    store = CardStore(state, read_only=True)
    assert recorded_pki_dir(state, store) == moved.resolve()
    store.close()


def test_state_from_before_the_binding_is_bound_at_its_next_start(tmp_path):
    state = tmp_path / "card"
    _, credentials = start(state)
    store = CardStore(state)
    for key in ("pki_source", "pki_fingerprint", "euicc_certificates"):
        store.set_meta(key, None)  # as an earlier version left it: only the EID
    store.close()
    _, again = start(state)
    assert again.eid == credentials.eid
    other = tmp_path / "other-pki"
    generate_test_pki(other)
    with pytest.raises(PkiError):
        start(state, other)


def test_state_lock(tmp_path):
    handle = lock_state_dir(tmp_path)
    with pytest.raises(StateLocked):
        lock_state_dir(tmp_path)
    handle.close()
    lock_state_dir(tmp_path).close()


def test_shell_finds_the_pki_a_state_was_made_with(tmp_path, pki_dir):
    import subprocess
    import sys

    state = tmp_path / "card"
    _, credentials = start(state, pki_dir)
    done = subprocess.run([sys.executable, "-m", "euicc_tools.emulator", "shell", "--state",
                           str(state), "-c", "info", "--json"], capture_output=True, text=True,
                          timeout=60)
    assert done.returncode == 0, done.stderr
    assert credentials.eid in done.stdout
