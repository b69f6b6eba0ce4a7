"""The acceptance path of issues 4 and 9 through the real stack (pyscard -> pcscd -> vpcd ->
the emulator process): an LPA downloads and enables a profile, then a SIM tool sees a USIM
the way pySim-shell looks for one (MF, EF.DIR, SELECT ADF.USIM by AID, READ BINARY of
EF.IMSI, EF.AD, EF.UST, EF.ICCID) and AUTHENTICATE answers what the profile's algorithm and
keys define; disable hides it, delete removes it from the card and from disk.
TS 102 221 11.1, TS 31.102 7.1.2, SGP.22 3.2.1-3.2.3.

Every GSMA TS.48 package of ../shared/profiles (the V5 generation of ts48v5/ included) goes
this way, its expected values decoded from the package itself (tests/support/saip_reading.py):
EF.ICCID, EF.IMSI, EF.AD and EF.UST read back exactly as stated, AUTHENTICATE with the
TS 34.108 8.1.2 test algorithm computed from the package's K, every file the package puts
in DF.5GS selectable with the structure and size it states (TS 31.102 4.4.11), and GET
IDENTITY (TS 31.102 7.5) where EF.UST offers services 124 and 125: a SUCI of SUPI format
IMSI (TS 24.501 9.11.3.4) with the scheme, home network key identifier and routing
indicator the package's EF.SUCI_Calc_Info_USIM and EF.Routing_Indicator ask for, its MSIN
in clear for the null scheme or, for ECIES, decrypted with the matching TS 33.501 Annex C.4
home network private key (the V5 SUCI package itself asks for the null scheme; the C.4 keys
go in through a genericFileManagement element the test adds); '6985' where the USIM does
not calculate the SUCI."""

from __future__ import annotations

import pytest

from euicc.store import CardStore
from euicc.tlv import parse, parse_padded, split
from euicc_applets.naa import suci
from euicc_applets.naa.authenticate import MilenageAka
from euicc_applets.naa.milenage import Milenage
from euicc_applets.naa.tuak import Tuak
from euicc_applets.naa.xor_test_algorithm import XorTestAlgorithm
from euicc_tools.lpa.link import PcscLink
from euicc_tools.testkit.profile_builder import (
    build_upp,
    ef_iccid,
    ef_imsi,
    generic_file_management,
)
from tests.support.downloads import run_download
from tests.support.pcsc_clients import installed_aid, lv, profile_action, send, usim_aid_from_dir
from tests.support.saip_reading import (
    DF_5GS,
    DF_SAIP,
    EF_AD,
    EF_IMSI,
    EF_SUCI_CALC_INFO_USIM,
    EF_UST,
    TS48_PACKAGES,
    UsimFacts,
    matching_id,
    package_path,
    read_package,
    usim_facts,
)
from tests.support.suci_vectors import A_HN_PUBLIC, PUBLISHED_HOME_NETWORK_KEYS, TS31121_CALC_INFO

TS48 = {matching_id(name): name for name in TS48_PACKAGES}  # matching ID -> package
SUCI_PACKAGE = "TS48V5-SAIP2-3-BERTLV-SUCI-UNIQUE"
SUCI_BY_THE_USIM = (124, 125)  # TS 31.102 EF.UST: SUCI privacy, SUCI calculated by the USIM
SW_CONDITIONS_NOT_SATISFIED = 0x6985


def autn_for(algo, rand: bytes, sqn: int, amf: bytes = b"\x80\x00") -> bytes:
    sqn_bytes = sqn.to_bytes(6, "big")
    ak = algo.f2345(rand)[3]
    return bytes(a ^ b for a, b in zip(sqn_bytes, ak, strict=True)) + amf + algo.f1(
        rand, sqn_bytes, amf)


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


# -- what a package states, through pcscd ------------------------------------------------------
def network_algorithm(facts: UsimFacts):
    """The network side of the package's PE-AKAParameter (SAIP algorithmID), from its K."""
    if facts.algorithm_id == 1:
        return MilenageAka(Milenage(facts.k, opc=facts.opc))
    if facts.algorithm_id == 2:
        return Tuak(facts.k, topc=facts.opc)
    assert facts.algorithm_id == 3, facts.algorithm_id  # TS 34.108 8.1.2 test algorithm
    return XorTestAlgorithm(facts.k)


def fcp_fields(fcp: bytes) -> dict[int, bytes]:
    assert fcp[:1] == b"\x62"
    return dict(parse(parse(fcp)[0][1]))


def check_stated_files(emulator, facts: UsimFacts) -> None:
    """EF.IMSI/AD/UST of the enabled USIM as the package states them, DF.5GS's files, and
    GET IDENTITY."""
    link = PcscLink(emulator.reader, exclusive=False)
    try:
        assert send(link, "00A40404" + lv(facts.aid))[1] == 0x9000
        for fid, content in ((EF_IMSI, facts.imsi), (EF_AD, facts.ad), (EF_UST, facts.ust)):
            fcp, sw = send(link, f"00A4000402{fid:04X}")
            assert sw == 0x9000 and int.from_bytes(fcp_fields(fcp)[0x80], "big") == len(content)
            assert send(link, f"00B00000{len(content):02X}") == (content, 0x9000), hex(fid)
        check_df_5gs(link, facts)
        assert send(link, "00A40404" + lv(facts.aid))[1] == 0x9000
        check_get_identity(link, facts)
    finally:
        link.close()


def check_df_5gs(link: PcscLink, facts: UsimFacts) -> None:
    """Every file the package creates in DF.5GS is there (SELECT by FID from DF.5GS), with
    the structure, record length and size its Fcp states (TS 102 221 11.1.1.4)."""
    fcp, sw = send(link, f"00A4000402{DF_5GS:04X}")
    if not facts.df_5gs:
        assert sw == 0x6A82
        return
    assert sw == 0x9000 and fcp_fields(fcp)[0x82][0] & 0x3F == 0x38  # a DF
    for stated in facts.df_5gs:
        fid = stated.path[-1]
        fcp, sw = send(link, f"00A4000402{fid:04X}")
        assert sw == 0x9000, f"DF.5GS/{fid:04X}"
        fields, descriptor = fcp_fields(fcp), bytes(stated.fcp["fileDescriptor"])
        assert fields[0x83] == fid.to_bytes(2, "big")
        assert fields[0x82][0] & 0x3F == descriptor[0] & 0x3F, f"{fid:04X} structure"
        if len(descriptor) >= 4:
            assert fields[0x82][2:4] == descriptor[2:4], f"{fid:04X} record length"
        if "efFileSize" in stated.fcp:
            assert int.from_bytes(fields[0x80], "big") == int.from_bytes(
                stated.fcp["efFileSize"], "big"), f"{fid:04X} size"


def expected_protection(calc_info: bytes) -> tuple[int, int, bytes | None]:
    """Scheme, home network public key identifier and public key the USIM must use
    (TS 31.102 4.4.11.8 EF.SUCI_Calc_Info): the first entry of the priority list ('A0':
    scheme identifier, key index) that names the null scheme, or an ECIES profile with a
    key at that position of the key list ('A1': '80' identifier, '81' public key)."""
    objects = dict(parse_padded(calc_info))
    priority = objects[0xA0]
    keys, identifier = [], None
    for tag, value in parse(objects.get(0xA1, b"")):
        if tag == 0x80:
            identifier = value[0]
        elif tag == 0x81:
            keys.append((identifier, value))
    for scheme, index in zip(priority[::2], priority[1::2], strict=True):
        if scheme == 0:
            return 0, 0, None
        if scheme in (1, 2) and 1 <= index <= len(keys):
            return scheme, *keys[index - 1]
    raise AssertionError(f"no usable scheme in {calc_info.hex()}")


def check_get_identity(link: PcscLink, facts: UsimFacts) -> None:
    data, sw = send(link, "8078000100")  # P2 '01': SUCI context (TS 31.102 7.5.1)
    if not all(facts.service(n) for n in SUCI_BY_THE_USIM):
        assert sw == SW_CONDITIONS_NOT_SATISFIED  # the ME calculates the SUCI
        return
    assert sw == 0x9000 and data[0] == suci.SUCI_TAG and data[1] == len(data) - 2
    value = data[2:]
    # TS 24.501 9.11.3.4: b7-b5 SUPI format 000 (IMSI), b3-b1 type of identity 001 (SUCI)
    assert value[0] == 0x01
    decoded = suci.decode_suci_value(value)
    digits, mnc_length = facts.imsi_digits, facts.mnc_length
    assert (decoded.mcc, decoded.mnc) == (digits[:3], digits[3:3 + mnc_length])
    assert decoded.routing_indicator == facts.routing_indicator
    scheme, key_id, public_key = expected_protection(facts.suci_calc_info)
    assert (decoded.scheme, decoded.key_identifier) == (scheme, key_id)
    if scheme == 0:  # null scheme: the MSIN in clear
        plain = decoded.scheme_output
    else:  # ECIES: only the matching published home network key opens it
        published_scheme, private_key = PUBLISHED_HOME_NETWORK_KEYS[public_key]
        assert published_scheme == scheme
        plain = suci.unprotect(scheme, private_key, decoded.scheme_output)
    assert suci.msin_from_bcd(plain) == digits[3 + mnc_length:]


def ts48_package(name: str) -> bytes:
    return package_path(TS48[name]).read_bytes()


@pytest.mark.parametrize("name", ["BUILT", *TS48])
def test_enabled_profile_is_a_usim_then_disable_hides_and_delete_removes(
        emulator, smdp_server, name):
    smdp, endpoint = smdp_server
    facts = usim_facts(ts48_package(name)) if name in TS48 else None  # skips without shared/
    assert run_download(emulator, endpoint, name).ok
    if facts is not None:
        imsi, iccid, algorithm = facts.imsi_digits, facts.iccid, network_algorithm(facts)
    else:
        imsi, iccid = "001010000000334", ef_iccid("89441234000000000334")
        algorithm = Tuak(bytes(range(32)), topc=bytes(range(32, 64)))
    aid = installed_aid(emulator, iccid)
    assert profile_action(emulator, "Enable", aid) == 0
    check_usim(emulator, imsi, algorithm, iccid)
    if facts is not None:
        check_stated_files(emulator, facts)
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


def test_milenage_profile_through_pcscd(emulator, smdp_server):
    smdp, endpoint = smdp_server
    k, opc = bytes.fromhex("465B5CE8B199B49FAA5F0A2EE238A6BC"), bytes.fromhex(
        "CD63CB71954A9F4E48A5994E37A02BAF")  # TS 35.208 test set 1
    (smdp.profiles / "MIL.der").write_bytes(build_upp(
        "89441234000000000555", "001010000000555", algorithm="milenage", k=k, opc=opc))
    assert run_download(emulator, endpoint, "MIL").ok
    iccid = ef_iccid("89441234000000000555")
    assert profile_action(emulator, "Enable", installed_aid(emulator, iccid)) == 0
    check_usim(emulator, "001010000000555", MilenageAka(Milenage(k, opc=opc)), iccid)


def test_usim_on_a_logical_channel_beside_the_basic_one(emulator, smdp_server):
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


def with_suci_calc_info(package: bytes, calc_info: bytes) -> bytes:
    """``package`` with a PE-GenericFileManagement before its end that writes ``calc_info``
    into DF.SAIP/EF.SUCI_Calc_Info_USIM of its USIM (SAIP 8.3.3 filePath + fillFileContent;
    the rest of the file keeps its 'FF' filler)."""
    *body, end = split(package)
    usim_fid = read_package(package).adf_fids["usim"]
    path = b"".join(fid.to_bytes(2, "big") for fid in (usim_fid, DF_SAIP, EF_SUCI_CALC_INFO_USIM))
    write = generic_file_management(0x7F00, [[("filePath", path), ("fillFileContent", calc_info)]])
    return b"".join(body) + write + end


@pytest.mark.parametrize("calc_info", [
    TS31121_CALC_INFO,  # TS 31.121 4.9.4: Profile B (C.4.4 key, identifier 27) first
    bytes.fromhex("A0020101A12580011E8120") + A_HN_PUBLIC,  # Profile A only (C.4.3 key, 30)
], ids=["profile-b-c44", "profile-a-c43"])
def test_v5_suci_package_with_the_c4_home_network_keys(
        emulator, smdp_server, calc_info):
    smdp, endpoint = smdp_server
    package = with_suci_calc_info(ts48_package(SUCI_PACKAGE), calc_info)
    (smdp.profiles / "SUCI-C4.der").write_bytes(package)
    facts = usim_facts(package)
    assert facts.suci_calc_info.startswith(calc_info)
    assert run_download(emulator, endpoint, "SUCI-C4").ok
    assert profile_action(emulator, "Enable", installed_aid(emulator, facts.iccid)) == 0
    check_stated_files(emulator, facts)  # GET IDENTITY: decrypted with the C.4 private key
