"""The acceptance path of issue 4 through the real stack (pyscard -> pcscd -> vpcd -> the
emulator process): an LPA downloads and enables a profile, then a SIM tool sees a USIM the
way pySim-shell looks for one (MF, EF.DIR, SELECT ADF.USIM by AID, READ BINARY of EF.IMSI,
EF.AD, EF.UST, EF.ICCID) and AUTHENTICATE answers what the profile's algorithm and keys
define; disable hides it, delete removes it from the card and from disk.
TS 102 221 11.1, TS 31.102 7.1.2, SGP.22 3.2.1-3.2.3."""

from __future__ import annotations

import pytest
from helpers import SHARED
from pe_builder import build_upp, ef_iccid, ef_imsi
from test_download_pcsc import run_download, smdp_server  # noqa: F401  (fixture)

from applets.naa.authenticate import MilenageAka
from applets.naa.milenage import Milenage
from applets.naa.tuak import Tuak
from applets.naa.xor_test_algorithm import XorTestAlgorithm
from euicc.store import CardStore
from euicc.tlv import parse
from tools.lpa.es10 import Es10Client
from tools.lpa.link import PcscLink

TS48 = "TS48V2-SAIP2-1-NOBERTLV-UNIQUE"


def send(link: PcscLink, hexstr: str) -> tuple[bytes, int]:
    """One command as a SIM tool sends it: no Le, then GET RESPONSE for '61xx' on the
    same logical channel."""
    command = bytes.fromhex(hexstr)
    data, sw = link.transmit(command)
    while sw >> 8 == 0x61:
        more, sw = link.transmit(bytes([command[0] & 0x03, 0xC0, 0x00, 0x00, sw & 0xFF]))
        data += more
    return data, sw


def lv(data: bytes) -> str:
    return f"{len(data):02X}" + data.hex()


def autn_for(algo, rand: bytes, sqn: int, amf: bytes = b"\x80\x00") -> bytes:
    sqn_bytes = sqn.to_bytes(6, "big")
    ak = algo.f2345(rand)[3]
    return bytes(a ^ b for a, b in zip(sqn_bytes, ak, strict=True)) + amf + algo.f1(
        rand, sqn_bytes, amf)


def profile_action(emulator, request: str, aid: bytes, refresh: bool = True) -> int:
    link = PcscLink(emulator.reader)
    try:
        with Es10Client(link) as es10:
            identifier = ("isdpAid", aid)
            if request == "Delete":
                return es10.call("DeleteProfileRequest", identifier,
                                 "DeleteProfileResponse")["deleteResult"]
            response = es10.call(f"{request}ProfileRequest", {
                "profileIdentifier": identifier, "refreshFlag": refresh},
                f"{request}ProfileResponse")
            return response[f"{request.lower()}Result"]
    finally:
        link.close()


def usim_aid_from_dir(link: PcscLink) -> bytes:
    fcp, sw = send(link, "00A40004022F00")
    assert sw == 0x9000
    record_length = int.from_bytes(dict(parse(parse(fcp)[0][1]))[0x82][2:4], "big")
    for number in range(1, 10):
        record, sw = send(link, f"00B2{number:02X}04{record_length:02X}")
        assert sw == 0x9000
        if record[0] == 0x61:
            aid = dict(parse(parse(record.rstrip(b"\xff"))[0][1]))[0x4F]
            if aid.startswith(bytes.fromhex("A0000000871002")):
                return aid
    raise AssertionError("no USIM in EF.DIR")


def check_usim(emulator, imsi: str, algorithm, iccid: bytes) -> None:
    link = PcscLink(emulator.reader, exclusive=False)
    try:
        fcp, sw = send(link, "00A40004023F00")
        assert sw == 0x9000 and fcp[:1] == b"\x62"
        assert send(link, "00A40004022FE2")[1] == 0x9000
        assert send(link, "00B000000A") == (iccid, 0x9000)
        aid = usim_aid_from_dir(link)
        fcp, sw = send(link, "00A40404" + lv(aid))
        assert sw == 0x9000 and dict(parse(parse(fcp)[0][1]))[0x84] == aid
        assert send(link, "00A40004026F07")[1] == 0x9000
        assert send(link, "00B0000009") == (ef_imsi(imsi), 0x9000)
        assert send(link, "00A40004026FAD")[1] == 0x9000
        ad, sw = send(link, "00B0000003")
        assert sw == 0x9000 and len(ad) == 3
        assert send(link, "00A40004026F38")[1] == 0x9000
        ust, sw = send(link, "00B0000001")
        assert sw == 0x9000 and ust != b"\xff"
        rand = bytes(range(0x40, 0x50))
        data, sw = send(link, "0088008122" + lv(rand) + lv(autn_for(algorithm, rand, 7 << 5)))
        res, ck, ik, _ = algorithm.f2345(rand)
        assert sw == 0x9000 and data.startswith(bytes.fromhex("DB" + lv(res) + lv(ck) + lv(ik)))
        data, sw = send(link, "0088008122" + lv(rand) + lv(autn_for(algorithm, rand, 7 << 5)))
        assert sw == 0x9000 and data[:2] == b"\xdc\x0e"  # the same SQN again: AUTS
    finally:
        link.close()


def installed_aid(emulator, iccid: bytes) -> bytes:
    store = CardStore(emulator.state, read_only=True)
    try:
        return next(p.isdp_aid for p in store.profiles() if p.iccid == iccid)
    finally:
        store.close()


@pytest.mark.parametrize("name", ["BUILT", TS48])
def test_enabled_profile_is_a_usim_then_disable_hides_and_delete_removes(
        emulator, smdp_server, name):  # noqa: F811
    smdp, endpoint = smdp_server
    if name == TS48 and not (SHARED / "profiles" / f"{TS48}.der").exists():
        pytest.skip(f"{SHARED}/profiles is not available on this machine")
    assert run_download(emulator, endpoint, name).ok
    if name == TS48:
        imsi, iccid = "001010123456063", bytes.fromhex("989444999999990900F7")
        algorithm = XorTestAlgorithm(bytes(range(16)))
    else:
        imsi, iccid = "001010000000334", ef_iccid("89441234000000000334")
        algorithm = Tuak(bytes(range(32)), topc=bytes(range(32, 64)))
    aid = installed_aid(emulator, iccid)
    assert profile_action(emulator, "Enable", aid) == 0
    check_usim(emulator, imsi, algorithm, iccid)
    emulator.restart()  # what the card shows survives a restart, SQN included
    link = PcscLink(emulator.reader)
    try:
        send(link, "00A40404" + lv(usim_aid_from_dir(link)))
        rand = bytes(range(0x40, 0x50))
        data, _ = send(link, "0088008122" + lv(rand) + lv(autn_for(algorithm, rand, 7 << 5)))
        assert data[:1] == b"\xdc"
    finally:
        link.close()
    assert profile_action(emulator, "Disable", aid) == 0
    link = PcscLink(emulator.reader)
    try:
        assert send(link, "00A40004023F00")[1] == 0x9000
        assert send(link, "00A40004022FE2")[1] == 0x6A82
        assert send(link, "00A40404" + lv(bytes.fromhex("A0000000871002")))[1] == 0x6A82
    finally:
        link.close()
    assert profile_action(emulator, "Delete", aid) == 0
    store = CardStore(emulator.state, read_only=True)
    try:
        assert store.profile_files(aid) == [] and store.profile_secrets(aid) == []
    finally:
        store.close()


def test_milenage_profile_through_pcscd(emulator, smdp_server):  # noqa: F811
    smdp, endpoint = smdp_server
    k, opc = bytes.fromhex("465B5CE8B199B49FAA5F0A2EE238A6BC"), bytes.fromhex(
        "CD63CB71954A9F4E48A5994E37A02BAF")  # TS 35.208 test set 1
    (smdp.profiles / "MIL.der").write_bytes(build_upp(
        "89441234000000000555", "001010000000555", algorithm="milenage", k=k, opc=opc))
    assert run_download(emulator, endpoint, "MIL").ok
    iccid = ef_iccid("89441234000000000555")
    assert profile_action(emulator, "Enable", installed_aid(emulator, iccid)) == 0
    check_usim(emulator, "001010000000555", MilenageAka(Milenage(k, opc=opc)), iccid)


def test_usim_on_a_logical_channel_beside_the_basic_one(emulator, smdp_server):  # noqa: F811
    smdp, endpoint = smdp_server
    assert run_download(emulator, endpoint, "BUILT").ok
    iccid = ef_iccid("89441234000000000334")
    assert profile_action(emulator, "Enable", installed_aid(emulator, iccid)) == 0
    link = PcscLink(emulator.reader)
    try:
        channel, sw = link.transmit(bytes.fromhex("0070000001"))
        assert sw == 0x9000 and channel[0] >= 1
        cla = f"{channel[0]:02X}"
        aid = usim_aid_from_dir(link)
        assert send(link, cla + "A40404" + lv(aid))[1] == 0x9000
        assert send(link, cla + "A40004026F07")[1] == 0x9000
        assert send(link, "00A40004022FE2")[1] == 0x9000  # the basic channel is elsewhere
        assert send(link, cla + "B0000009") == (ef_imsi("001010000000334"), 0x9000)
        assert send(link, "00B000000A") == (iccid, 0x9000)
        status, sw = send(link, "80F2000000")  # STATUS: the basic channel's DF is the MF
        assert sw == 0x9000 and dict(parse(parse(status)[0][1]))[0x83] == b"\x3f\x00"
        assert link.transmit(bytes.fromhex("007080" + cla + "00"))[1] == 0x9000
        assert send(link, cla + "B0000009")[1] == 0x6881  # channel closed
    finally:
        link.close()
