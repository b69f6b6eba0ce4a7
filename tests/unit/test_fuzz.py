"""Every byte string gets a status word and the card keeps working (in-process: covers the
lengths vpcd cannot carry, such as 1-byte commands)."""

import random

from euicc.store import ProfileState
from euicc_tools.lpa.es10 import Es10Client
from euicc_tools.lpa.link import DirectLink
from euicc_tools.testkit.apdu_corpus import is_status_word, random_apdu


def test_random_and_mutated_apdus(card, credentials, add_profile, store):
    for n in range(3):
        add_profile(f"894400000000000000{n}", enabled=n == 0, notify={1: "a.example"})
    rng = random.Random(20261123)
    for n in range(20_000):
        apdu = random_apdu(rng)
        response = card.transmit(apdu)
        assert len(response) >= 2, apdu.hex()
        sw = int.from_bytes(response[-2:], "big")
        assert is_status_word(sw), (n, apdu.hex(), response.hex())
        assert len(response) - 2 <= 256
        if n % 2000 == 0:
            card.warm_reset()
    assert sum(p.state == ProfileState.ENABLED for p in store.profiles()) <= 1
    card.warm_reset()
    with Es10Client(DirectLink(card)) as es10:
        assert es10.get_eid() == credentials.eid
