"""`kill -9` at random moments while a terminal updates files, spends PIN tries and runs
AUTHENTICATE: every change is one transaction, so after the crash each file holds a value
that was written, the PIN counter and the SQN array are whole, and the restarted card
answers from them (TS 102 221 11.1.4 / 11.1.9, TS 31.102 7.1.2, TS 33.102 Annex C)."""

from __future__ import annotations

import random
import sqlite3
import threading

from euicc.ppi import interpret
from euicc.store import CardStore, ProfileClass, ProfileRecord, ProfileState
from euicc.store_image import SECRET_SQN, file_rows, image_from_rows, secret_rows
from euicc.tlv import split
from euicc_applets.naa.authenticate import MilenageAka
from euicc_applets.naa.milenage import Milenage
from euicc_applets.naa.sqn import SqnState
from euicc_tools.lpa.link import PcscLink
from euicc_tools.testkit.emulator_process import Emulator
from euicc_tools.testkit.profile_builder import USIM_AID, build_upp, ef_iccid
from tests.support.profile_metadata import metadata_der
from tests.support.random_kills import kill_at_random_moments

K, OPC = bytes(range(16)), bytes(range(16, 32))
ICCID = "89441234000000000991"
AID = bytes.fromhex("A0000005591010FFFFFFFF8900001000")
VALUES = [bytes([n]) for n in range(1, 200)]  # what EF.EST (one byte) may be set to


def seed(state) -> None:
    image = interpret(split(build_upp(ICCID, "001010000000991", algorithm="milenage", k=K,
                                      opc=OPC)))
    store = CardStore(state)
    with store.transaction():
        store.add_profile(ProfileRecord(AID, ef_iccid(ICCID), ProfileState.ENABLED,
                                        ProfileClass.OPERATIONAL, metadata_der(ICCID)))
        store.set_profile_image(AID, file_rows(image.tree), secret_rows(image))
    store.close()


def hammer(reader: str, rng: random.Random, stop: threading.Event, sqn: list[int]) -> None:
    algo = MilenageAka(Milenage(K, opc=OPC))
    link = None
    try:
        link = PcscLink(reader)
        link.transmit(bytes([0, 0xA4, 4, 0x0C, len(USIM_AID)]) + USIM_AID)
        link.transmit(bytes.fromhex("00A4000C026F56"))  # EF.EST, PIN 1 (disabled) to update
        while not stop.is_set():
            action = rng.randrange(3)
            if action == 0:
                link.transmit(bytes.fromhex("00D6000001") + rng.choice(VALUES))
            elif action == 1:  # a wrong PIN 2 (local '81'), then the right one resets tries
                link.transmit(bytes.fromhex("002000810830303030FFFFFFFF"))
                link.transmit(bytes.fromhex("002000810835363738FFFFFFFF"))
            else:
                sqn[0] += 32
                rand = rng.randbytes(16)
                sqn_bytes = sqn[0].to_bytes(6, "big")
                ak = algo.f2345(rand)[3]
                autn = bytes(a ^ b for a, b in zip(sqn_bytes, ak, strict=True)) + b"\x80\x00" \
                    + algo.f1(rand, sqn_bytes, b"\x80\x00")
                link.transmit(bytes.fromhex("0088008122") + b"\x10" + rand + b"\x10" + autn)
    except Exception:
        return  # the card died under us: expected
    finally:
        # An exclusive PC/SC handle outlives the card it was made for: left to the garbage
        # collector, it kept the restarted card's reader from the next connect (flaky).
        if link is not None:
            link.close()


def check_state(state) -> None:
    db = sqlite3.connect(state / "card.sqlite3")
    assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    db.close()
    store = CardStore(state)
    secrets = store.profile_secrets(AID)
    image = image_from_rows(store.profile_files(AID), secrets)
    est = next(f for f in image.tree.walk() if f.fid == 0x6F56)
    assert bytes(est.body) in {b"\x00", *VALUES}
    pin2 = next(p for p in image.pins if p.key_ref == 0x81)
    assert 1 <= pin2.attempts_left <= pin2.max_attempts
    for kind, _, value in secrets:
        if kind == SECRET_SQN:
            SqnState.from_bytes(value)
    store.close()


def test_kill_9_during_uicc_commands(pcscd, tmp_path):
    state = tmp_path / "card"
    seed(state)
    emulator = Emulator(state).start()
    rng = random.Random(7)
    sqn = [0]
    try:
        kill_at_random_moments(emulator, rng, lambda stop: hammer(emulator.reader, rng, stop, sqn),
                               lambda: check_state(state))
        store = CardStore(state, read_only=True)
        assert any(kind == SECRET_SQN for kind, _, _ in store.profile_secrets(AID)), \
            "no AUTHENTICATE went through at all"
        store.close()
    finally:
        emulator.stop()
