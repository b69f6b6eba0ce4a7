"""What pySim's own eUICC test suite (osmocom/pysim tests/pySim-shell_test/euicc, which CI
cannot run: pySim is not on PyPI) checks of a sysmoEUICC1-C2T, replayed against
`euicc-emu run --personality sysmoEUICC1-C2T` through the real pcscd with pyscard, at the
APDU level and decoded. The commands are the ones pySim sends (read from its code, not
copied): its reader search (utils.py: MANAGE CHANNEL, SELECT ISD-R on channel 1, GetEID
answered '6115', GET RESPONSE), its card detection (the SGP.32 GetCerts must fail, then
SELECT ISD-R and GetEID on the basic channel), and pySim-shell's ES10 commands, each one
STORE DATA '80 E2 91 00' with Le, a '61xx' fetched by GET RESPONSE with the command's CLA.

Clauses: ISO/IEC 7816-3 8.2 (ATR), ISO/IEC 7816-4 5.1.2 / 11.1.2 (MANAGE CHANNEL), 7.1.1
(SELECT), 7.6.1 (GET RESPONSE, ETSI TS 102 221 7.3.1.1.4 '61xx'); SGP.22 5.7.2 (ES10 over
STORE DATA), 5.7.20 GetEID, 5.7.8 GetEUICCInfo, 5.7.15 GetProfilesInfo, 5.7.16 EnableProfile,
5.7.17 DisableProfile, 5.7.21 SetNickname, 5.7.9 ListNotification, 5.7.11
RemoveNotificationFromList."""

from __future__ import annotations

import pytest

from euicc.asn1 import decode_exact, rsp
from euicc.coding import encode_iccid
from euicc.tlv import parse
from euicc_tools.personalities import load_personality
from euicc_tools.testkit.emulator_process import Emulator
from tests.support.shared_material import SHARED

pytestmark = pytest.mark.integration

C2T = load_personality("sysmoEUICC1-C2T")
ISD_R = "A0000005591010FFFFFFFF8900000100"
TEST_ICCID, TEST_ISDP = "89000123456789012341", "A0000005591010FFFFFFFF8900001000"
TS48_ICCID, TS48_ISDP = "8949449999999990031", "A0000005591010FFFFFFFF8900001200"
SGP26_CI = bytes.fromhex("F54172BDF98A95D65CBEB88A38A1C11D800A85C3")
SMDPP = "testsmdpplus1.example.com"  # osmo-smdpp's address, where TS48V1-B's notify go
OK, NOT_IN_STATE = 0, 2  # enable/disable results (SGP.22 5.7.16, 5.7.17)


@pytest.fixture
def card(pcscd, tmp_path):
    """A fresh C2T card (as `euicc-emu run --personality sysmoEUICC1-C2T --pki
    ../shared/sgp26`, the SGP.26 test PKI where the machine has it) and an exclusive T=0
    connection to it, as pySim's reader search and pySim-shell make."""
    from smartcard.scard import SCARD_SHARE_EXCLUSIVE
    from smartcard.System import readers

    extra = ["--personality", C2T.name]
    if (SHARED / "sgp26").is_dir():
        extra += ["--pki", str(SHARED / "sgp26")]
    emulator = Emulator(tmp_path / "card", extra=extra).start()
    try:
        (reader,) = [r for r in readers() if str(r) == emulator.reader]
        connection = reader.createConnection()
        connection.connect(mode=SCARD_SHARE_EXCLUSIVE)
        try:
            yield connection
        finally:
            connection.disconnect()
    finally:
        emulator.stop()


def members(tlv: bytes) -> list[tuple[int, bytes]]:
    """(tag, value) of each TLV inside the one TLV ``tlv``, in the order sent."""
    ((_, value),) = parse(tlv)
    return parse(value)


def raw(connection, hexstr: str) -> tuple[bytes, int]:
    """One command, nothing fetched."""
    data, sw1, sw2 = connection.transmit(list(bytes.fromhex(hexstr)))
    return bytes(data), sw1 << 8 | sw2


def pysim(connection, hexstr: str) -> tuple[bytes, int]:
    """A command as pySim's transport sends it: a '61xx' fetched with GET RESPONSE carrying
    the command's own CLA byte (pySim/transport LinkBase.send_apdu: tpdu[0:2] + 'c00000')."""
    data, sw = raw(connection, hexstr)
    while sw >> 8 == 0x61:
        more, sw = raw(connection, hexstr[:2] + f"C00000{sw & 0xFF:02X}")
        data += more
    return data, sw


def es10(connection, request: str) -> bytes:
    """pySim-shell's ES10 call: one STORE DATA block '80 E2 91 00 Lc data 00' (SGP.22
    5.7.2, pySim/euicc.py CardApplicationISDR.store_data) on the basic channel."""
    data, sw = pysim(connection, f"80E29100{len(request) // 2:02X}{request}00")
    assert sw == 0x9000, f"{request}: {sw:04X}"
    return data


def shell_start(connection) -> None:
    """What pySim-shell does before its commands: SELECT ISD-R on the basic channel (P2 04,
    FCP; pySim/commands.py select_adf) with '61xx' fetched by GET RESPONSE."""
    fci, sw = pysim(connection, f"00A4040410{ISD_R}00")
    assert sw == 0x9000 and fci[:1] == b"\x6f"  # the FCI template


def profiles(connection) -> list[list[tuple[int, bytes]]]:
    """GetProfilesInfo as pySim-shell's get_profiles_info sends it (BF2D00, no tagList):
    each ProfileInfo's members in the order the card sends them."""
    response = es10(connection, "BF2D00")
    assert response[:2] == b"\xbf\x2d"
    ((ok_tag, seq),) = members(response)
    assert ok_tag == 0xA0  # profileInfoListOk
    infos = parse(seq)
    assert {tag for tag, _ in infos} == {0xE3}  # ProfileInfo
    return [parse(value) for _, value in infos]


def profile_action(connection, function: str, identifier: str) -> int:
    """EnableProfile (BF31) / DisableProfile (BF32) as pySim-shell codes them: A0 {5A ICCID
    | 4F ISD-P AID}, refreshFlag 81 01 00 (pySim/euicc.py do_enable_profile)."""
    if len(identifier) == 32:  # an ISD-P AID
        ident = "4F10" + identifier
    else:
        iccid = encode_iccid(identifier).hex()
        ident = f"5A{len(iccid) // 2:02X}{iccid}"
    body = f"A0{len(ident) // 2:02X}{ident}810100"
    tag = {"enable": "BF31", "disable": "BF32"}[function]
    answer = es10(connection, f"{tag}{len(body) // 2:02X}{body}")
    kind = {"enable": "EnableProfileResponse", "disable": "DisableProfileResponse"}[function]
    return decode_exact(rsp(), kind, answer)[f"{function}Result"]


def notifications(connection) -> tuple[bytes, list[dict]]:
    response = es10(connection, "BF2800")
    kind, listed = decode_exact(rsp(), "ListNotificationResponse", response)
    assert kind == "notificationMetadataList"
    return response, listed


def test_atr_and_the_eid_search_of_pysims_suite(card):
    """utils.py __search_card: the ATR of config.yaml, then MANAGE CHANNEL open '0070000100'
    of channel 1 (P2 names it: '9000' and no data, ISO/IEC 7816-4 11.1.2), SELECT ISD-R
    there with P2 04 and no Le giving '61xx', GetEID '81E2910006BF3E035C015A' giving
    exactly '6115' (21 bytes pending), GET RESPONSE '01C0000015' with the EID at byte 5
    (BF3E 12 5A 10 EID)."""
    assert bytes(card.getATR()) == C2T.atr == bytes.fromhex(
        "3B9F96803F87828031E073FE211F574543753130136502")
    assert raw(card, "0070000100") == (b"", 0x9000)
    _, sw = raw(card, f"01A4040410{ISD_R}")
    assert sw >> 8 == 0x61
    assert raw(card, "81E2910006BF3E035C015A") == (b"", 0x6115)
    data, sw = raw(card, "01C0000015")
    assert sw == 0x9000 and len(data) == 0x15
    assert data[:5] == bytes.fromhex("BF3E125A10")
    assert data[5:].hex() == C2T.eid == "89049044900000000000000000102355"


def test_card_detection_and_get_eid_on_the_basic_channel(card):
    """pySim's card profiles, in their ORDER: the SGP.32 test (GetCerts BF56, SGP.32 5.9.x,
    which an SGP.22 chip does not have) must fail, else pySim takes the chip for an IoT
    eUICC; the SGP.22 test, SELECT ISD-R + GetEID (SGP.22 5.7.20), must pass. The card
    refuses the unknown ES10 function with '6A80' (SGP.22 5.7.2, GPC STORE DATA: incorrect
    values in the command data); the real chip's exact status word is not public, pySim only
    needs an error."""
    shell_start(card)
    assert pysim(card, "80E2910003BF560000") == (b"", 0x6A80)
    response = es10(card, "BF3E035C015A")
    assert decode_exact(rsp(), "GetEuiccDataResponse", response)["eidValue"].hex() == C2T.eid


def test_euicc_info1_and_2_have_the_shape_pysim_compares(card):
    """get_euicc_info1/2 (euicc_info1.ok, euicc_info2.ok compare the members in order; the
    values are the chip's: SGP.22 4.3 EUICCInfo1, EUICCInfo2 as the real C2T sends it)."""
    shell_start(card)
    info1 = es10(card, "BF2000")
    assert [t for t, _ in members(info1)] == [0x82, 0xA9, 0xAA]
    assert decode_exact(rsp(), "EUICCInfo1", info1) == {
        "svn": b"\x02\x03\x00", "euiccCiPKIdListForVerification": [SGP26_CI],
        "euiccCiPKIdListForSigning": [SGP26_CI]}
    info2 = es10(card, "BF2200")
    info2_members = members(info2)
    # no euiccCategory (8B); forbiddenProfilePolicyRules (99) before ppVersion, SAS last
    assert [t for t, _ in info2_members] == [0x81, 0x82, 0x83, 0x84, 0x85, 0x86, 0x87, 0x88, 0xA9,
                                       0xAA, 0x99, 0x04, 0x0C]
    values = dict(info2_members)
    assert values[0x81] == bytes([2, 3, 1]) and values[0x83] == bytes([35, 6, 35])
    assert values[0x84] == bytes.fromhex("810108820400045BF883022419")  # extCardResource
    assert values[0x85] == bytes.fromhex("067F36F3C0")  # uiccCapability
    assert values[0x86] == bytes([15, 1, 0]) and values[0x87] == bytes([2, 3, 0])
    assert values[0x88] == bytes.fromhex("0398")  # rspCapability
    assert values[0x99] == bytes.fromhex("0640")  # forbidden ppr1
    assert values[0x04] == bytes([1, 0, 0]) and values[0x0C] == b"SYSMOCOM-TEST-1"


def test_get_profiles_info_of_the_factory_profiles(card):
    """get_profiles_info.ok compares the whole answer: the test profile (enabled, its
    nickname, the chip's PNG icon) and TS48V1-B-UNIQUE (disabled), each with only the basic
    members (Quirk profiles_info_basic_tags: no notificationConfigurationInfo although
    TS48V1-B's metadata has one) and profileClass even when operational (Quirk
    profile_class_explicit)."""
    shell_start(card)
    first, second = profiles(card)
    assert [t for t, _ in first] == [0x5A, 0x4F, 0x9F70, 0x90, 0x91, 0x92, 0x93, 0x94, 0x95]
    test = dict(first)
    assert test[0x5A] == encode_iccid(TEST_ICCID) and test[0x4F].hex().upper() == TEST_ISDP
    assert test[0x9F70] == b"\x01" and test[0x95] == b"\x00"  # enabled, test
    assert test[0x90] == b"this-is-a-testprofile"
    assert (test[0x91], test[0x92]) == (b"SP Name 1", b"Operational Profile Name 1")
    icon = test[0x94]
    assert test[0x93] == b"\x01" and icon.startswith(b"\x89PNG\r\n\x1a\n")  # png(1)
    assert icon[12:16] == b"IHDR"  # a small valid PNG: the chip's own is not carried
    assert [t for t, _ in second] == [0x5A, 0x4F, 0x9F70, 0x91, 0x92, 0x95]
    ts48 = dict(second)
    assert ts48[0x5A] == encode_iccid(TS48_ICCID) and ts48[0x4F].hex().upper() == TS48_ISDP
    assert ts48[0x9F70] == b"\x00" and ts48[0x95] == b"\x02"  # disabled, operational
    assert (ts48[0x91], ts48[0x92]) == (b"OsmocomSPN", b"TS48V1-B-UNIQUE")


def test_enable_disable_by_iccid_and_isdp_aid_and_set_nickname(card):
    """test_enable_disable_profile.script and test_set_nickname.script: the test profile,
    enabled already (profileNotInDisabledState(2)), disabled and enabled by ICCID and by
    ISD-P AID (ok(0) each); SetNickname '80E29100 BF29 {5A ICCID, 90 nickname}' ok(0)."""
    shell_start(card)
    assert profile_action(card, "enable", TEST_ICCID) == NOT_IN_STATE
    for identifier in (TEST_ICCID, TEST_ISDP):
        assert profile_action(card, "disable", identifier) == OK
        assert [dict(p)[0x9F70] for p in profiles(card)] == [b"\x00", b"\x00"]
        assert profile_action(card, "enable", identifier) == OK
        assert [dict(p)[0x9F70] for p in profiles(card)] == [b"\x01", b"\x00"]
    nickname = b"another-nickname".hex()
    iccid = encode_iccid(TEST_ICCID).hex()
    body = f"5A0A{iccid}90{len(nickname) // 2:02X}{nickname}"
    answer = es10(card, f"BF29{len(body) // 2:02X}{body}")
    assert decode_exact(rsp(), "SetNicknameResponse", answer) == {"setNicknameResult": OK}
    assert dict(profiles(card)[0])[0x90] == b"another-nickname"


def test_notifications_listed_and_removed(card):
    """test_list_and_rm_notif: the card starts with none pending, its ListNotification
    exactly 'BF28 02 A0 00' (an empty notificationMetadataList, which pySim prints as
    null); enabling TS48V1-B and the test profile again leaves two, TS48V1-B's enable and
    disable to osmo-smdpp's address (the test profile's metadata asks for none); each is
    removed by its seqNumber (ok(0), then nothingToDelete(1)), and none are left."""
    shell_start(card)
    assert notifications(card) == (bytes.fromhex("BF2802A000"), [])
    assert profile_action(card, "enable", TEST_ICCID) == NOT_IN_STATE
    assert profile_action(card, "enable", TS48_ICCID) == OK
    assert profile_action(card, "enable", TEST_ICCID) == OK
    _, listed = notifications(card)
    assert [(n["profileManagementOperation"], n["notificationAddress"], n["iccid"])
            for n in listed] == [
        ((b"\x40", 2), SMDPP, encode_iccid(TS48_ICCID)),  # enable (bit 1)
        ((b"\x20", 3), SMDPP, encode_iccid(TS48_ICCID)),  # disable (bit 2)
    ]
    seqs = [n["seqNumber"] for n in listed]
    assert len(set(seqs)) == 2
    for seq in seqs:
        for status in (0, 1):  # ok, then nothingToDelete
            number = seq.to_bytes(seq.bit_length() // 8 + 1, "big").hex()  # DER INTEGER
            body = f"80{len(number) // 2:02X}{number}"
            answer = es10(card, f"BF30{len(body) // 2:02X}{body}")
            assert decode_exact(rsp(), "NotificationSentResponse", answer) == {
                "deleteNotificationStatus": status}
    assert notifications(card) == (bytes.fromhex("BF2802A000"), [])
