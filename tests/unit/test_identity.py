"""A state's binding to its PKI (euicc.identity) is written when it changes - the first
start, a re-key, a PKI moved to another folder, a state from before the binding - and a
plain restart of the same card writes nothing to the store."""

from __future__ import annotations

import shutil

from euicc.identity import (
    META_CERTIFICATES,
    META_EID,
    META_FINGERPRINT,
    META_SOURCE,
    bind_card_credentials,
)
from euicc.pki import CardCredentials, generate_test_pki, random_eid
from euicc.store import CardStore

BOUND = {META_SOURCE, META_FINGERPRINT, META_EID, META_CERTIFICATES}


class Writes:
    """The meta keys a store was asked to set, and the transactions it opened (set_meta
    opens one of its own, inside the caller's)."""

    def __init__(self, store: CardStore) -> None:
        self.keys: list[str] = []
        self.transactions = 0
        set_meta, transaction = store.set_meta, store.transaction

        def recording_set_meta(key, value):
            self.keys.append(key)
            set_meta(key, value)

        def recording_transaction():
            self.transactions += 1
            return transaction()

        store.set_meta = recording_set_meta
        store.transaction = recording_transaction


def start(state, pki=None, eid=None, rekey=False) -> tuple[CardCredentials, Writes]:
    """bind_card_credentials on a fresh CardStore of the state, as one card start does:
    the credentials, and what was written."""
    store = CardStore(state)
    writes = Writes(store)
    try:
        return bind_card_credentials(state, store, pki, eid, rekey), writes
    finally:
        store.close()


def test_first_start_writes_the_binding_and_a_restart_writes_nothing(tmp_path):
    state = tmp_path / "card"
    first, writes = start(state)
    assert set(writes.keys) == BOUND
    again, writes = start(state)
    assert again.eid == first.eid
    assert writes.keys == [] and writes.transactions == 0


def test_restart_with_a_given_pki_and_its_eid_writes_nothing(tmp_path, pki_dir):
    state = tmp_path / "card"
    eid = random_eid()
    start(state, pki_dir, eid)
    again, writes = start(state, pki_dir, eid)
    assert again.eid == eid
    assert writes.keys == [] and writes.transactions == 0


def test_rekey_writes_what_changed(tmp_path):
    state = tmp_path / "card"
    mine, _ = start(state)
    other = tmp_path / "other-pki"
    generate_test_pki(other)
    rekeyed, writes = start(state, other, rekey=True)
    assert rekeyed.eid != mine.eid
    assert set(writes.keys) == BOUND  # another folder, PKI, EID and eUICC certificates
    _, writes = start(state, other)
    assert writes.keys == []


def test_rekey_that_changes_nothing_writes_nothing(tmp_path):
    state = tmp_path / "card"
    start(state)
    _, writes = start(state, rekey=True)
    assert writes.keys == [] and writes.transactions == 0


def test_moved_pki_writes_only_its_new_folder(tmp_path, pki_dir):
    state = tmp_path / "card"
    start(state, pki_dir)
    moved = tmp_path / "moved"
    shutil.copytree(pki_dir, moved)
    _, writes = start(state, moved)
    assert writes.keys == [META_SOURCE]
    store = CardStore(state, read_only=True)
    assert store.get_meta(META_SOURCE) == str(moved.resolve())
    store.close()


def test_state_from_before_the_binding_gets_the_keys_it_lacks(tmp_path):
    state = tmp_path / "card"
    start(state)
    store = CardStore(state)
    for key in (META_SOURCE, META_FINGERPRINT, META_CERTIFICATES):
        store.set_meta(key, None)  # as an earlier version left it: only the EID
    store.close()
    _, writes = start(state)
    assert set(writes.keys) == {META_SOURCE, META_FINGERPRINT, META_CERTIFICATES}
    _, writes = start(state)
    assert writes.keys == []
