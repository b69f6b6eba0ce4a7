"""`kill -9` at random moments while an LPA changes state leaves a consistent store
(SQLite WAL, one transaction per ES10 command): the emulator process is killed mid-stream,
the state is checked, the card restarts and answers as its store says."""

from __future__ import annotations

import random
import sqlite3
import threading

from cryptography import x509

from euicc.asn1 import decode_exact, rsp
from euicc.crypto.ecdsa import verify_raw
from euicc.pki import load_card_credentials
from euicc.store import CardStore, ProfileClass, ProfileRecord, ProfileState
from euicc.tlv import children
from euicc_tools.lpa.es10 import Es10Client
from euicc_tools.lpa.link import PcscLink
from euicc_tools.testkit.emulator_process import Emulator
from tests.support.profile_metadata import iccid_bytes, metadata_der
from tests.support.random_kills import kill_at_random_moments

ICCIDS = [f"894400000000000{n:04d}" for n in range(4)]
ADDRESSES = [f"smdp{n}.example.com" for n in range(5)]


def seed(state) -> None:
    store = CardStore(state)
    for n, iccid in enumerate(ICCIDS):
        store.add_profile(ProfileRecord(
            bytes.fromhex(f"A0000005591010FFFFFFFF890000{0x10 + n:02X}00"), iccid_bytes(iccid),
            ProfileState.DISABLED, ProfileClass.OPERATIONAL,
            metadata_der(iccid, notify={1: "n.example", 2: "n.example", 3: "n.example"})))
    store.close()


def hammer(reader: str, rng: random.Random, stop: threading.Event) -> None:
    link = None
    try:
        link = PcscLink(reader)
        es10 = Es10Client(link)
        es10.open()
        while not stop.is_set():
            iccid = iccid_bytes(rng.choice(ICCIDS))
            action = rng.randrange(5)
            if action == 0:
                es10.call("EnableProfileRequest", {"profileIdentifier": ("iccid", iccid),
                                                   "refreshFlag": False},
                          "EnableProfileResponse")
            elif action == 1:
                es10.call("DisableProfileRequest", {"profileIdentifier": ("iccid", iccid),
                                                    "refreshFlag": False},
                          "DisableProfileResponse")
            elif action == 2:
                es10.call("SetNicknameRequest", {"iccid": iccid, "profileNickname": "n"},
                          "SetNicknameResponse")
            elif action == 3:
                es10.call("SetDefaultDpAddressRequest",
                          {"defaultDpAddress": rng.choice(ADDRESSES)},
                          "SetDefaultDpAddressResponse")
            else:
                es10.call("NotificationSentRequest", {"seqNumber": rng.randrange(1, 40)},
                          "NotificationSentResponse")
    except Exception:
        return  # the card died under us: expected
    finally:
        # An exclusive PC/SC handle outlives the card it was made for: left to the garbage
        # collector, it kept the restarted card's reader from the next connect (flaky).
        if link is not None:
            link.close()


def check_state(state, certificate) -> None:
    db = sqlite3.connect(state / "card.sqlite3")
    assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    db.close()
    store = CardStore(state)
    profiles = store.profiles()
    assert len(profiles) == len(ICCIDS)
    assert sum(p.state == ProfileState.ENABLED for p in profiles) <= 1
    counter = int(store.get_meta("notification_seq", 0))
    for note in store.notifications():
        assert note.seq <= counter
        kind, value = decode_exact(rsp(), "PendingNotification", note.pending)
        assert kind == "otherSignedNotification"
        signed = children(note.pending)[0][1]
        assert verify_raw(certificate.public_key(), signed, value["euiccNotificationSignature"])
    assert store.get_meta("default_dp_address") in (None, *ADDRESSES)
    store.close()


def test_kill_9_at_random_moments(pcscd, tmp_path):
    state = tmp_path / "card"
    seed(state)
    emulator = Emulator(state).start()
    rng = random.Random(99)
    credentials = load_card_credentials(state / "pki")
    certificate = x509.load_der_x509_certificate(credentials.identities[0].certificate_der)
    try:
        kill_at_random_moments(emulator, rng, lambda stop: hammer(emulator.reader, rng, stop),
                               lambda: check_state(state, certificate))
        link = PcscLink(emulator.reader)
        with Es10Client(link) as es10:
            assert es10.get_eid() == credentials.eid
            _, infos = es10.call("ProfileInfoListRequest", {}, "ProfileInfoListResponse")
        link.close()
        store = CardStore(state)
        assert {i["iccid"]: i["profileState"] for i in infos} == {
            p.iccid: int(p.state) for p in store.profiles()}
        assert store.notifications(), "the hammering made no notification at all"
        store.close()
    finally:
        emulator.stop()
