"""10,000 random and mutated APDUs through pcscd + vpcd: each gets a status word, the
emulator stays up and still answers GetEID. Commands of one byte are left out: vpcd frames
them exactly like its control bytes, so no card behind vpcd can tell them apart."""

import random

from euicc_tools.lpa.es10 import Es10Client
from euicc_tools.lpa.link import PcscLink
from euicc_tools.testkit.apdu_corpus import is_status_word, random_apdu

COUNT = 10_000


def test_garbage_apdus_through_pcscd(emulator, link):
    rng = random.Random(7)
    with Es10Client(link) as es10:
        eid = es10.get_eid()
    for n in range(COUNT):
        apdu = random_apdu(rng, min_length=2)
        data, sw = link.transmit(apdu)
        assert is_status_word(sw), (n, apdu.hex(), sw)
        assert len(data) <= 256
    assert emulator.process.poll() is None
    link.close()
    fresh = PcscLink(emulator.reader)
    try:
        with Es10Client(fresh) as es10:
            assert es10.get_eid() == eid
    finally:
        fresh.close()
