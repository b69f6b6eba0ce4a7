"""An AuC nobody here wrote: osmo-hlr (Osmocom's HLR, MILENAGE of libosmocore) makes the
authentication vectors, the enabled USIM answers them through pcscd + vpcd.

Each test builds a MILENAGE profile with a random IMSI, K and OPc, downloads it through the
test SM-DP+ and the LPA into the emulator process, enables it, provisions the same
subscriber in an osmo-hlr of its own (VTY) and asks that HLR for vectors over GSUP
(SendAuthInfo, TS 29.002 8.5.2). AUTHENTICATE (TS 31.102 7.1.2.1, 3G context) must give
RES = XRES with the HLR's CK and IK; a replayed AUTN gives AUTS (TS 33.102 6.3.3), from which
the HLR re-synchronises (SendAuthInfo with RAND and AUTS, TS 33.102 6.3.5) to a vector the
card accepts.

SQN = SEQ || IND (TS 33.102 C.1.2, C.3.2). The card keeps one SEQ_MS per IND value: the 32
entries of the SAIP akaParameter's sqnInit, i.e. an IND of 5 bits. osmo-hlr splits the SQN
with the subscriber's ``ind-bitlen`` (provisioned here as that same 5) and gives each GSUP
peer its own IND, the next SEQ going to whichever peer asks. Both therefore follow the
array scheme: vectors handed to different peers may be used in any order (each IND slot
only has to rise, C.2.2); a resynchronised HLR continues at SEQ_MS + 1 of the highest SEQ
the card accepted under any IND, in the asking peer's IND (TS 33.102 6.3.3, 6.3.5). With an
``ind-bitlen`` other than the card's the two split SQNs differently; with 0, a plain
counter, the USIM refuses every fresh vector and a resync cannot help (the last test),
which is why the IND length is provisioned, not left to the HLR's default.
"""

from __future__ import annotations

import os
import secrets

import pytest

from euicc_tools.lpa.link import PcscLink
from euicc_tools.testkit.profile_builder import build_upp, ef_iccid
from tests.support import osmo_hlr
from tests.support.downloads import run_download
from tests.support.osmo_hlr import AuthVector, GsupError, OsmoHlr
from tests.support.pcsc_clients import installed_aid, lv, profile_action, send, usim_aid_from_dir

IND_BITS = 5  # the card's SQN array: SAIP sqnInit's 32 SEQ_MS entries (TS 33.102 C.3.2)
TAG_SUCCESS, TAG_SYNC_FAILURE = 0xDB, 0xDC  # TS 31.102 7.1.2.1
AUTS_BYTES = 14  # SQN_MS xor AK (6) || MAC-S (8), TS 33.102 6.3.3
GMM_IMSI_UNKNOWN_IN_HLR = 2  # what osmo-hlr answers when no vector can be made (TS 24.008)


@pytest.fixture
def hlr(tmp_path):
    if not osmo_hlr.installed():
        reason = "osmo-hlr is not installed (Debian package osmo-hlr: bash tools/setup.sh)"
        if os.environ.get("EUICC_REQUIRE_PCSCD"):
            pytest.fail(reason)
        pytest.skip(reason)
    server = OsmoHlr(tmp_path / "osmo-hlr").start()
    yield server
    server.stop()


def random_subscriber() -> tuple[str, str, bytes, bytes]:
    """(ICCID, IMSI of the test network 001-01, K, OPc), new for every run."""
    digits = "".join(secrets.choice("0123456789") for _ in range(26))
    return "8944" + digits[:16], "00101" + digits[16:], secrets.token_bytes(16), (
        secrets.token_bytes(16))


def enabled_milenage_profile(emulator, smdp_server) -> tuple[str, bytes, bytes]:
    """Download and enable a built MILENAGE profile of a random subscriber; (IMSI, K, OPc)."""
    smdp, endpoint = smdp_server
    iccid, imsi, k, opc = random_subscriber()
    (smdp.profiles / "HLR.der").write_bytes(build_upp(iccid, imsi, algorithm="milenage", k=k,
                                                      opc=opc))
    assert run_download(emulator, endpoint, "HLR").ok
    assert profile_action(emulator, "Enable", installed_aid(emulator, ef_iccid(iccid))) == 0
    return imsi, k, opc


def authenticate(link: PcscLink, vector: AuthVector) -> tuple[int, list[bytes]]:
    """AUTHENTICATE in the 3G context: (tag, the LV fields after it), i.e. 'DB' with RES, CK,
    IK (and Kc where EF.UST offers GSM access) or 'DC' with AUTS (TS 31.102 7.1.2.1)."""
    data, sw = send(link, "0088008122" + lv(vector.rand) + lv(vector.autn))
    assert sw == 0x9000, f"AUTHENTICATE answered {sw:04X}"
    fields, rest = [], data[1:]
    while rest:
        fields.append(rest[1:1 + rest[0]])
        rest = rest[1 + rest[0]:]
    return data[0], fields


def assert_accepted(link: PcscLink, vector: AuthVector) -> None:
    tag, fields = authenticate(link, vector)
    assert tag == TAG_SUCCESS
    assert fields[:3] == [vector.xres, vector.ck, vector.ik]
    assert fields[3:] in ([], [vector.kc])


def sync_failure(link: PcscLink, vector: AuthVector) -> bytes:
    tag, fields = authenticate(link, vector)
    assert tag == TAG_SYNC_FAILURE and len(fields) == 1 and len(fields[0]) == AUTS_BYTES
    return fields[0]


def sqn(seq: int, ind: int) -> int:
    return seq << IND_BITS | ind


def open_usim(emulator) -> PcscLink:
    link = PcscLink(emulator.reader)
    assert send(link, "00A40404" + lv(usim_aid_from_dir(link)))[1] == 0x9000
    return link


def test_osmo_hlr_vectors_authenticate_then_resync_from_auts(
        hlr, emulator, smdp_server):
    imsi, k, opc = enabled_milenage_profile(emulator, smdp_server)
    hlr.provision_milenage(imsi, k, opc, ind_bitlen=IND_BITS)
    with hlr.gsup("EUICC-EMU-VLR") as vlr:
        batch = vlr.send_auth_info(imsi, 5)
    assert len(batch) == 5 and len({v.rand for v in batch}) == 5
    ind = hlr.last_sqn(imsi) & ((1 << IND_BITS) - 1)
    assert hlr.last_sqn(imsi) == sqn(5, ind)  # SEQ 1..5, all in this peer's IND

    link = open_usim(emulator)
    try:
        assert_accepted(link, batch[0])  # SEQ 1: SEQ_MS(ind) := 1
        auts = sync_failure(link, batch[0])  # replayed: SQN_MS = 1 || ind in the AUTS
        with hlr.gsup("EUICC-EMU-VLR") as vlr:
            tampered = auts[:-1] + bytes([auts[-1] ^ 0x01])  # MAC-S no longer verifies
            with pytest.raises(GsupError) as refused:
                vlr.send_auth_info(imsi, 1, rand=batch[0].rand, auts=tampered)
            assert refused.value.cause == GMM_IMSI_UNKNOWN_IN_HLR
            assert hlr.last_sqn(imsi) == sqn(5, ind)
            (resynced,) = vlr.send_auth_info(imsi, 1, rand=batch[0].rand, auts=auts)
        # the HLR took SQN_MS from the card's AUTS: back from SEQ 5 to SEQ_MS + 1 = 2
        assert hlr.last_sqn(imsi) == sqn(2, ind)
        assert_accepted(link, resynced)
        # batch[1] holds SEQ 2 as well, now used up: why the VLR/SGSN drops the vectors it
        # still has once resynchronised ones arrive (TS 33.102 6.3.5)
        sync_failure(link, batch[1])
        with hlr.gsup("EUICC-EMU-VLR") as vlr:
            (following,) = vlr.send_auth_info(imsi, 1)
        assert hlr.last_sqn(imsi) == sqn(3, ind)
        assert_accepted(link, following)
    finally:
        link.close()


def test_vectors_of_two_peers_fill_their_own_ind_slots(hlr, emulator, smdp_server):
    imsi, k, opc = enabled_milenage_profile(emulator, smdp_server)
    hlr.provision_milenage(imsi, k, opc, ind_bitlen=IND_BITS)
    with hlr.gsup("EUICC-EMU-MSC") as msc:
        circuit = msc.send_auth_info(imsi, 2)
    ind_cs = hlr.last_sqn(imsi) & ((1 << IND_BITS) - 1)
    with hlr.gsup("EUICC-EMU-SGSN") as sgsn:
        packet = sgsn.send_auth_info(imsi, 2)
    ind_ps = hlr.last_sqn(imsi) & ((1 << IND_BITS) - 1)
    assert ind_cs != ind_ps and hlr.last_sqn(imsi) == sqn(4, ind_ps)  # MSC: SEQ 1, 2; SGSN: 3, 4

    link = open_usim(emulator)
    try:
        assert_accepted(link, packet[0])  # SEQ 3 in the SGSN's slot
        # SEQ 1 is older than SEQ 3 but fresh in the MSC's slot (TS 33.102 C.2.2): accepted,
        # where a USIM with a single SQN counter would ask to resynchronise
        assert_accepted(link, circuit[0])
        auts = sync_failure(link, circuit[0])  # SQN_MS: the highest SEQ, 3, with its IND
        with hlr.gsup("EUICC-EMU-MSC") as msc:
            (resynced,) = msc.send_auth_info(imsi, 1, rand=circuit[0].rand, auts=auts)
        assert hlr.last_sqn(imsi) == sqn(4, ind_cs)  # SEQ_MS + 1, in the MSC's own slot
        assert_accepted(link, resynced)
        assert_accepted(link, packet[1])  # SEQ 4 again, but in the SGSN's slot: still fresh
        sync_failure(link, circuit[1])  # SEQ 2 in the MSC's slot, which is at 4 now
    finally:
        link.close()


def test_an_hlr_without_ind_bits_cannot_reach_this_usim(hlr, emulator, smdp_server):
    """A misconfiguration, shown so it is recognised: with ``ind-bitlen 0`` osmo-hlr counts
    SQN 1, 2, 3, ... while the card reads SQNs below 32 as SEQ 0 in slot SQN, never fresh
    against the initial SEQ_MS of 0 (TS 33.102 C.2.2). The AUTS reports SQN_MS = 0, the HLR
    continues at SQN_MS + 1 = 1, and the card refuses again: the IND length is part of the
    subscription and must be provisioned as the USIM's."""
    imsi, k, opc = enabled_milenage_profile(emulator, smdp_server)
    hlr.provision_milenage(imsi, k, opc, ind_bitlen=0)
    with hlr.gsup("EUICC-EMU-VLR") as vlr:
        (first,) = vlr.send_auth_info(imsi, 1)
        assert hlr.last_sqn(imsi) == 1
        link = open_usim(emulator)
        try:
            auts = sync_failure(link, first)
            (resynced,) = vlr.send_auth_info(imsi, 1, rand=first.rand, auts=auts)
            assert hlr.last_sqn(imsi) == 1  # SQN_MS from the AUTS was 0
            sync_failure(link, resynced)
        finally:
            link.close()
