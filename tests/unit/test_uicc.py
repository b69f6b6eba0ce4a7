"""The UICC side after a real download (in-process): enable makes the profile's file system
and NAAs visible, UPDATEs and SQNs persist, disable hides it, delete removes it
(SGP.22 2.2.3 / 3.2.1; TS 102 221 11.1; TS 31.102 7.1.2 AUTHENTICATE)."""

from __future__ import annotations

import os

from euicc.coding import swap_nibbles
from euicc.tlv import parse
from euicc_applets.naa.authenticate import MilenageAka
from euicc_applets.naa.milenage import Milenage
from euicc_applets.naa.xor_test_algorithm import XorTestAlgorithm
from euicc_tools.emulator.card import build_card
from euicc_tools.lpa.download import download
from euicc_tools.testkit.in_process_es9 import es9_direct
from euicc_tools.testkit.profile_builder import USIM_AID, build_upp, ef_imsi
from tests.support.downloads import ADDRESS

K = bytes(range(16))
OPC = bytes.fromhex("CD63CB71954A9F4E48A5994E37A02BAF")
IMSI = "001010000000033"


def tx(card, hexstr: str) -> tuple[bytes, str]:
    response = card.transmit(bytes.fromhex(hexstr.replace(" ", "")))
    data, sw = response[:-2], response[-2:].hex().upper()
    while sw.startswith("61"):
        more = card.transmit(bytes.fromhex("00C00000" + sw[2:]))
        data, sw = data + more[:-2], more[-2:].hex().upper()
    return data, sw


def lv(data: bytes) -> str:
    return f"{len(data):02X}" + data.hex()


def autn_for(algo, rand: bytes, sqn: int, amf: bytes = b"\x80\x00") -> bytes:
    """The network side of TS 33.102 6.3.2: AUTN = SQN xor AK || AMF || MAC."""
    sqn_bytes = sqn.to_bytes(6, "big")
    _, _, _, ak = algo.f2345(rand)
    mac = algo.f1(rand, sqn_bytes, amf)
    return bytes(a ^ b for a, b in zip(sqn_bytes, ak, strict=True)) + amf + mac


def install(es10, smdp, store, name: str, package: bytes) -> bytes:
    (smdp.profiles / f"{name}.der").write_bytes(package)
    assert download(es10, es9_direct(smdp), ADDRESS, name).ok
    return store.profile_by_iccid(_iccid(package)).isdp_aid


def _iccid(package: bytes) -> bytes:
    header = parse(parse(package)[0][1])
    return swap_nibbles(dict(header)[0x83])  # ProfileHeader.iccid: digits in reading order


def enable(es10, aid: bytes, refresh: bool = False) -> int:
    response = es10.call("EnableProfileRequest", {
        "profileIdentifier": ("isdpAid", aid), "refreshFlag": refresh}, "EnableProfileResponse")
    return response["enableResult"]


def test_enabled_profile_is_a_working_usim(card, es10, smdp, store):
    aid = install(es10, smdp, store, "MIL", build_upp(
        "8944123400000000331", IMSI, algorithm="milenage", k=K, opc=OPC))
    assert tx(card, "00A40004022FE2")[1] == "6A82"  # disabled: nothing visible
    assert enable(es10, aid) == 0
    fcp, sw = tx(card, "00A4040410" + USIM_AID.hex())
    assert sw == "9000" and dict(parse(parse(fcp)[0][1]))[0x84] == USIM_AID
    assert tx(card, "00A4000C026F07")[1] == "9000"
    assert tx(card, "00B0000009") == (ef_imsi(IMSI), "9000")
    # AUTHENTICATE, 3G context: RES/CK/IK of MILENAGE with the profile's K and OPc
    network = MilenageAka(Milenage(K, opc=OPC))
    rand = os.urandom(16)
    data, sw = tx(card, "0088008122" + lv(rand) + lv(autn_for(network, rand, 32 << 5 | 1)))
    res, ck, ik, _ = network.f2345(rand)
    assert (data.hex(), sw) == ("db" + lv(res) + lv(ck) + lv(ik), "9000")
    # the same SQN again is a replay: AUTS
    data, sw = tx(card, "0088008122" + lv(rand) + lv(autn_for(network, rand, 32 << 5 | 1)))
    assert sw == "9000" and data[0] == 0xDC and data[1] == 14
    # a wrong MAC
    autn = bytearray(autn_for(network, rand, 64 << 5 | 1))
    autn[-1] ^= 1
    assert tx(card, "0088008122" + lv(rand) + lv(bytes(autn)))[1] == "9862"


def test_update_and_sqn_survive_a_restart(card, es10, smdp, store, credentials):
    aid = install(es10, smdp, store, "XOR", build_upp(
        "8944123400000000441", IMSI, algorithm="xor", k=K))
    assert enable(es10, aid) == 0
    tx(card, "00A4040410" + USIM_AID.hex())
    network = XorTestAlgorithm(K)
    rand = bytes(range(16, 32))
    assert tx(card, "0088008122" + lv(rand) + lv(autn_for(network, rand, 5 << 5)))[1] == "9000"
    # EF.EST (6F56): PIN 1 to read and update; PIN 1 comes disabled (pinAttributes 6)
    assert tx(card, "00A4000C026F56")[1] == "9000"
    assert tx(card, "00D6000001" + "07")[1] == "9000"
    assert tx(card, "002800010831323334FFFFFFFF")[1] == "9000"  # ENABLE PIN
    restarted = build_card(store, credentials)
    restarted.power_on()
    tx(restarted, "00A4040410" + USIM_AID.hex())
    tx(restarted, "00A4000C026F56")
    assert tx(restarted, "00B0000001")[1] == "6982"  # verification does not survive a reset
    tx(restarted, "002000010831323334FFFFFFFF")
    assert tx(restarted, "00B0000001") == (b"\x07", "9000")
    # the accepted SQN is remembered: the same one is now a replay
    data, sw = tx(restarted, "0088008122" + lv(rand) + lv(autn_for(network, rand, 5 << 5)))
    assert data[:1] == b"\xdc"


def test_disable_hides_and_delete_removes(card, es10, smdp, store):
    aid = install(es10, smdp, store, "DEL", build_upp(
        "8944123400000000551", IMSI, algorithm="milenage", k=K, opc=OPC))
    assert enable(es10, aid) == 0
    assert tx(card, "00A4040C10" + USIM_AID.hex())[1] == "9000"
    response = es10.call("DisableProfileRequest", {
        "profileIdentifier": ("isdpAid", aid), "refreshFlag": False}, "DisableProfileResponse")
    assert response["disableResult"] == 0
    assert tx(card, "00A4040C10" + USIM_AID.hex())[1] == "6A82"
    assert tx(card, "00A4000C022FE2")[1] == "6A82"
    assert es10.call("DeleteProfileRequest", ("isdpAid", aid),
                     "DeleteProfileResponse")["deleteResult"] == 0
    assert store.profile_files(aid) == [] and store.profile_secrets(aid) == []


def test_refresh_is_offered_to_terminals_that_support_it(card, es10, smdp, store):
    aid = install(es10, smdp, store, "REF", build_upp(
        "8944123400000000661", IMSI, algorithm="milenage", k=K, opc=OPC))
    assert tx(card, "8010000003000080")[1] == "9000"  # TERMINAL PROFILE: byte 3 b8 REFRESH
    assert enable(es10, aid, refresh=True) == 0
    data, sw = tx(card, "80F2000C00")
    assert sw.startswith("91")
    command, sw = tx(card, "80120000" + sw[2:])
    assert sw == "9000" and command[:2] == b"\xd0\x09" and command[4:7] == b"\x01\x01\x04"
    assert tx(card, "801400000C810301010402028281030100")[1] == "9000"
    assert tx(card, "80F2000C00")[1] == "9000"


def test_get_identity_gives_a_suci_the_home_network_opens(card, es10, smdp, store):
    from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey
    from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

    from euicc_applets.naa import suci
    from euicc_tools.testkit.profile_builder import USIM_TEMP_FID, service_table

    home = X25519PrivateKey.generate()
    public = home.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    calc_info = bytes.fromhex("A0020101A125800127" "8120") + public  # profile A, key id 0x27
    df_saip = ("df-saip", {
        "df-saip-header": {"identification": 90},
        "templateID": "2.23.143.1.2.14",  # DF.SAIP
        "df-df-saip": [("fileDescriptor", {"fileID": b"\x5f\xd0",
                                           "pinStatusTemplateDO": b"\x01\x0a"})],
        "ef-suci-calc-info-usim": [
            ("fileDescriptor", {"fileDescriptor": b"\x41\x21", "fileID": b"\x4f\x01",
                                "efFileSize": bytes([len(calc_info)])}),
            ("fillFileContent", calc_info)],
    })
    ust = ("genericFileManagement", {
        "gfm-header": {"identification": 91},
        "fileManagementCMD": [[("filePath", USIM_TEMP_FID + b"\x6f\x38"),
                               ("fillFileContent",
                                service_table([19, 85, 122, 123, 124, 125]))]]})
    aid = install(es10, smdp, store, "SUCI", build_upp(
        "8944123400000000771", IMSI, k=K, opc=OPC, extra_elements=[df_saip, ust]))
    assert enable(es10, aid) == 0
    assert tx(card, "80780001")[1] == "6985"  # the MF is no USIM
    tx(card, "00A4040C10" + USIM_AID.hex())
    data, sw = tx(card, "8078000100")
    assert sw == "9000" and data[0] == 0xA1 and data[1] == len(data) - 2
    decoded = suci.decode_suci_value(data[2:])
    assert (decoded.mcc, decoded.mnc, decoded.scheme, decoded.key_identifier) == (
        "001", "01", 1, 0x27)
    msin = suci.unprotect(1, home.private_bytes_raw(), decoded.scheme_output)
    assert suci.msin_from_bcd(msin) == IMSI[5:]
    assert tx(card, "8078000200")[1] == "6A86"  # 5G NSWO context: not supported


def test_isim_authenticates_without_kc_and_refuses_the_gsm_context(card, es10, smdp, store):
    from euicc_tools.testkit.profile_builder import ISIM_AID

    aid = install(es10, smdp, store, "ISIM", build_upp(
        "8944123400000000881", IMSI, algorithm="milenage", k=K, opc=OPC))
    assert enable(es10, aid) == 0
    assert tx(card, "00A4040C10" + ISIM_AID.hex())[1] == "9000"
    network = MilenageAka(Milenage(K, opc=OPC))
    rand = bytes(range(16))
    data, sw = tx(card, "0088008122" + lv(rand) + lv(autn_for(network, rand, 3 << 5)))
    res, ck, ik, _ = network.f2345(rand)
    assert (data.hex(), sw) == ("db" + lv(res) + lv(ck) + lv(ik), "9000")  # IMS AKA: no Kc
    assert tx(card, "0088008011" + lv(rand))[1] == "9864"


def pin_data(value: str) -> str:
    return value.encode().ljust(8, b"\xff").hex()


def test_authenticate_asks_the_universal_pin_that_replaced_pin1(
        card, es10, smdp, store, credentials):
    """TS 102 221 9.5.1 and 11.1.11: PIN 1 disabled with the universal PIN as replacement
    means the universal PIN is the one AUTHENTICATE (TS 31.102 7.1.2: application PIN)
    needs; the same file-system rule as every access condition. The replacement is kept
    across a restart."""
    from euicc_tools.testkit.profile_builder import ADM1, PIN1

    aid = install(es10, smdp, store, "UPIN", build_upp(
        "8944123400000000991", IMSI, algorithm="milenage", k=K, opc=OPC,
        pins={PIN1: "1234", 0x11: "87654321", ADM1: "88888888"}))
    assert enable(es10, aid) == 0
    assert tx(card, "00A4040C10" + USIM_AID.hex())[1] == "9000"
    assert tx(card, "0028000108" + pin_data("1234"))[1] == "9000"  # ENABLE PIN 1
    assert tx(card, "0028001108" + pin_data("87654321"))[1] == "9000"  # ENABLE universal
    card.transmit(bytes.fromhex("00A4040C10" + USIM_AID.hex()))
    assert tx(card, "0026910108" + pin_data("1234"))[1] == "9000"  # DISABLE, '91': UPIN
    card.power_off()
    card.power_on()  # nothing verified
    assert tx(card, "00A4040C10" + USIM_AID.hex())[1] == "9000"
    network = MilenageAka(Milenage(K, opc=OPC))
    rand = bytes(range(16))
    command = "0088008122" + lv(rand) + lv(autn_for(network, rand, 2 << 5))
    assert tx(card, command)[1] == "6982"
    restarted = build_card(store, credentials)  # the same store, a new card process
    restarted.power_on()
    assert tx(restarted, "00A4040C10" + USIM_AID.hex())[1] == "9000"
    assert tx(restarted, command)[1] == "6982"
    assert tx(restarted, "0020001108" + pin_data("87654321"))[1] == "9000"  # VERIFY UPIN
    assert tx(restarted, command)[1] == "9000"


def test_authenticate_asks_the_application_pin_of_its_own_usim(card, es10, smdp, store):
    """A USIM whose PIN status template names PIN 02 as its application PIN (TS 102 221
    9.4.1: '01'-'08' are application PINs; TS 31.102 7.1.2) needs PIN 02, not PIN 01."""
    from euicc_tools.testkit.profile_builder import ADM1, PIN1, PIN2_LOCAL

    aid = install(es10, smdp, store, "PIN02", build_upp(
        "8944123400000000992", IMSI, algorithm="milenage", k=K, opc=OPC,
        pins={PIN1: "1234", 0x02: "2222", ADM1: "88888888", PIN2_LOCAL: "5678"},
        usim_pin_refs=bytes([0x02, PIN2_LOCAL, ADM1])))
    assert enable(es10, aid) == 0
    assert tx(card, "00A4040C10" + USIM_AID.hex())[1] == "9000"
    assert tx(card, "0028000208" + pin_data("2222"))[1] == "9000"  # ENABLE PIN 02
    card.power_off()
    card.power_on()
    assert tx(card, "00A4040C10" + USIM_AID.hex())[1] == "9000"
    network = MilenageAka(Milenage(K, opc=OPC))
    rand = bytes(range(16, 32))
    command = "0088008122" + lv(rand) + lv(autn_for(network, rand, 2 << 5))
    assert tx(card, command)[1] == "6982"  # PIN 01 is disabled, but PIN 02 is asked for
    assert tx(card, "0020000208" + pin_data("2222"))[1] == "9000"
    assert tx(card, command)[1] == "9000"
