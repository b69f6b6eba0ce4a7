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
