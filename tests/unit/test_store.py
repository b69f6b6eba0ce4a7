"""CardStore: transactions commit together or not at all, and state survives reopening."""

import sqlite3

import pytest

from euicc.store import (
    CardStore,
    NotificationEvent,
    NotificationRecord,
    ProfileClass,
    ProfileRecord,
    ProfileState,
)


def record(n: int) -> ProfileRecord:
    return ProfileRecord(
        isdp_aid=bytes.fromhex(f"A0000005591010FFFFFFFF89000{n:02d}000"),
        iccid=bytes([0x98, n] + [0] * 8),
        state=ProfileState.DISABLED,
        profile_class=ProfileClass.OPERATIONAL,
        metadata=b"\xbf\x25\x00",
    )


def test_profiles_persist(tmp_path):
    store = CardStore(tmp_path)
    store.add_profile(record(1))
    store.set_profile_state(record(1).isdp_aid, ProfileState.ENABLED)
    store.set_nickname(record(1).isdp_aid, "home")
    store.close()
    again = CardStore(tmp_path)
    (p,) = again.profiles()
    assert (p.state, p.nickname) == (ProfileState.ENABLED, "home")
    assert again.enabled_profile() == p
    assert again.profile_by_iccid(record(1).iccid) == p


def test_released_memory_is_read_back_and_an_open_transaction_is_left_alone(tmp_path):
    """release_memory (a fleet's idle open cards) frees only caches: what was written reads
    back, and inside a transaction it does nothing (its changes are still uncommitted)."""
    store = CardStore(tmp_path)
    store.add_profile(record(1))
    store.release_memory()
    assert [p.iccid for p in store.profiles()] == [record(1).iccid]
    with pytest.raises(RuntimeError), store.transaction():
        store.add_profile(record(2))
        store.release_memory()
        raise RuntimeError("roll back")
    assert [p.iccid for p in store.profiles()] == [record(1).iccid]
    store.close()


def test_a_profile_by_isdp_aid_or_iccid(tmp_path):
    store = CardStore(tmp_path)
    store.add_profile(record(1))
    store.add_profile(record(2))
    second = store.profile_by_aid(record(2).isdp_aid)
    assert store.profile_by_identifier(("isdpAid", record(2).isdp_aid)) == second
    assert store.profile_by_identifier(("iccid", record(2).iccid)) == second
    assert store.profile_by_identifier(("iccid", record(3).iccid)) is None
    assert store.profile_by_identifier(("isdpAid", record(2).iccid)) is None
    with pytest.raises(ValueError):
        store.profile_by_identifier(("profileClass", b"\x02"))


def test_transaction_rolls_back_everything(tmp_path):
    store = CardStore(tmp_path)
    with pytest.raises(RuntimeError):
        with store.transaction():
            store.add_profile(record(1))
            store.set_meta("default_dp_address", "x.example")
            store.next_counter("notification_seq")
            raise RuntimeError("power lost")
    assert store.profiles() == []
    assert store.get_meta("default_dp_address") is None
    assert store.next_counter("notification_seq") == 1


def test_counters_and_notifications(tmp_path):
    store = CardStore(tmp_path)
    assert [store.next_counter("seq") for _ in range(3)] == [1, 2, 3]
    store.add_notification(NotificationRecord(7, NotificationEvent.DELETE, "dp.example",
                                              None, b"\x30\x00"))
    assert [n.seq for n in store.notifications()] == [7]
    assert store.remove_notification(7) and not store.remove_notification(7)


def test_duplicate_iccid_refused(tmp_path):
    store = CardStore(tmp_path)
    store.add_profile(record(1))
    clash = ProfileRecord(**{**record(2).__dict__, "iccid": record(1).iccid})
    with pytest.raises(sqlite3.IntegrityError):
        store.add_profile(clash)
    assert len(store.profiles()) == 1


# -- erasure of deleted profiles (SGP.22 3.2.3, 5.7.19) -----------------------------------------

SECRET = bytes.fromhex("5EC7E75EC7E75EC7E75EC7E75EC7E701")


def store_with_secrets(store: CardStore, n: int) -> None:
    """A profile whose K-like secret sits in an element, a secret row and a file body."""
    aid = record(n).isdp_aid
    with store.transaction():
        store.add_profile(record(n))
        store.set_profile_content(aid, b"\xbf\x24\x00", [SECRET + bytes([n]) * 3000])
        store.set_profile_image(aid, [("3F00", "{}", SECRET.hex().encode())],
                                [("aka", 0, SECRET), ("pin", 1, SECRET.hex().upper().encode())])


def secret_files(directory) -> list[str]:
    needles = (SECRET, SECRET.hex().encode(), SECRET.hex().upper().encode())
    return [path.name for path in directory.iterdir()
            if path.is_file() and any(needle in path.read_bytes() for needle in needles)]


def test_deleted_profile_is_erased_from_database_and_wal(tmp_path):
    store = CardStore(tmp_path)
    store_with_secrets(store, 1)
    store_with_secrets(store, 2)
    assert "card.sqlite3-wal" in secret_files(tmp_path)  # what the scan looks for is there
    store.delete_profile(record(1).isdp_aid)
    assert "card.sqlite3-wal" in secret_files(tmp_path) or "card.sqlite3" in secret_files(
        tmp_path)  # profile 2 keeps the same secret
    with store.transaction():
        store.delete_profile(record(2).isdp_aid)
        store.set_meta("default_dp_address", "x.example")  # other work in the same command
    assert secret_files(tmp_path) == []
    assert store.get_meta("erase_pending") is None
    assert store.get_meta("default_dp_address") == "x.example"
    store.close()
    assert secret_files(tmp_path) == []


def test_rolled_back_delete_erases_nothing_and_keeps_the_profile(tmp_path):
    store = CardStore(tmp_path)
    store_with_secrets(store, 1)
    with pytest.raises(RuntimeError):
        with store.transaction():
            store.delete_profile(record(1).isdp_aid)
            raise RuntimeError("power lost")
    assert store.profile_secrets(record(1).isdp_aid) != []
    assert store.get_meta("erase_pending") is None


_KILLED_AFTER_COMMIT = """
import os, sys
sys.path[:0] = {paths!r}
from pathlib import Path
from euicc import store as module
from tests.unit.test_store import record, store_with_secrets
store = module.CardStore(Path({state!r}))
store_with_secrets(store, 1)
module.CardStore.erase = lambda self: os._exit(9)  # killed after the delete's COMMIT
store.delete_profile(record(1).isdp_aid)
"""


def test_kill_between_delete_commit_and_erasure_is_erased_at_next_start(tmp_path):
    import subprocess
    import sys
    from pathlib import Path

    here = Path(__file__).resolve()
    code = _KILLED_AFTER_COMMIT.format(paths=[str(here.parents[2])],
                                       state=str(tmp_path))
    assert subprocess.run([sys.executable, "-c", code]).returncode == 9
    assert secret_files(tmp_path) != []  # the commit is there, the erasure is not
    store = CardStore(tmp_path)  # what the card does first when it starts
    assert secret_files(tmp_path) == []
    assert store.profiles() == [] and store.get_meta("erase_pending") is None
    store.close()


def test_erasure_waits_for_a_reader_and_retries_after_it(tmp_path):
    store = CardStore(tmp_path)
    store_with_secrets(store, 1)
    reader = sqlite3.connect(f"file:{store.path}?mode=ro", uri=True, isolation_level=None)
    reader.execute("BEGIN")
    reader.execute("SELECT count(*) FROM isdp_secrets").fetchone()  # holds its snapshot
    store.delete_profile(record(1).isdp_aid)
    assert store.get_meta("erase_pending") == 1 and secret_files(tmp_path) != []
    reader.execute("COMMIT")
    reader.close()
    store.set_meta("default_dp_address", "x.example")  # the next command's commit retries
    assert store.get_meta("erase_pending") is None and secret_files(tmp_path) == []
