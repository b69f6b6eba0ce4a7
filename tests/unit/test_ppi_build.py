"""The Profile Package Interpreter on packages the tests build with
euicc_tools.testkit.profile_builder (TCA eUICC Profile Package: Interoperable Format Technical
Specification 2.3 / 3.3, section 8): akaParameter with MILENAGE (the 3GPP TS 35.208 4.3 test set 1),
TUAK and the test algorithm, mappingParameter, pinCodes / pukCodes, secrets kept out of reprs,
BER-TLV EFs, DF.5GS (3GPP TS 31.102 4.4.11), PE-GenericFileManagement (8.3.3) with ETSI TS 102 222
6.3 CREATE FILE, fill and repeat patterns (6.3.2.2.2) and links.
"""

from __future__ import annotations

import pytest

from euicc.fs.model import MF_FID, FileType
from euicc.ppi import PeStatusCode, ProfileImage
from euicc.tlv import split
from euicc_tools.testkit.profile_builder import (
    ISIM_AID,
    TEMPLATE_DF_5GS,
    USIM_AID,
    PinConfig,
    aka_mapping,
    build_upp,
    ef_imsi,
    encode_element,
    isim,
    pin_codes,
)
from tests.support.ppi_checks import (
    BAD_ID,
    DF_5GS,
    DF_TELECOM,
    EF_AD,
    EF_IMSI,
    ICCID,
    IMSI,
    ISIM_FID,
    TS35208_K,
    TS35208_OP,
    TS35208_OPC,
    USIM_FID,
    K,
    check_round_trip,
    ef_fcp,
    find,
    gfm,
    imsi_digits,
    interpret,
    refused,
    small_package,
)

DEFAULT_ROTATION = bytes.fromhex("4000204060")
# c1..c5 of TS 35.206 4.1: 0, 1, 2, 4, 8 as 128-bit values
DEFAULT_CONSTANTS = b"".join(bytes(15) + bytes([n]) for n in (0, 1, 2, 4, 8))


# -- packages made by the tests ----------------------------------------------------------------
def usim_aka(image: ProfileImage):
    (aka,) = [a for a in image.aka if USIM_AID in a.adf_aids]
    return aka


def test_milenage_with_opc_and_defaults():
    image = interpret(small_package(k=TS35208_K, opc=TS35208_OPC))
    aka = usim_aka(image)
    assert (aka.algorithm, aka.options) == (1, 0x00)
    assert (aka.key, aka.opc) == (TS35208_K, TS35208_OPC)
    assert aka.rotation == DEFAULT_ROTATION and aka.constants == DEFAULT_CONSTANTS
    assert aka.sqn_options == 0x02
    assert aka.sqn_delta == aka.sqn_age_limit == bytes.fromhex("000010000000")
    assert aka.auth_counter_max is None
    assert aka.adf_aids == (USIM_AID,)
    assert "milenage" in image.header["eUICC-Mandatory-services"]


def test_milenage_with_op_gives_the_published_opc():
    aka = usim_aka(interpret(small_package(k=TS35208_K, op=TS35208_OP)))
    assert aka.opc == TS35208_OPC  # TS 35.208 test set 1


def test_milenage_options_are_carried():
    rotation = bytes.fromhex("4020406000")
    constants = bytes(range(80))
    sqn_init = [bytes([0, 0, 0, 0, 0, n]) for n in range(32)]
    aka = usim_aka(interpret(small_package(
        k=K, opc=TS35208_OPC, rotation=rotation, constants=constants, sqn_options=0x0A,
        sqn_delta=bytes.fromhex("000000100000"), sqn_age_limit=bytes.fromhex("000000200000"),
        sqn_init=sqn_init, auth_counter_max=bytes.fromhex("0FFFFF"))))
    assert (aka.rotation, aka.constants) == (rotation, constants)
    assert aka.sqn_options == 0x0A
    assert aka.sqn_delta == bytes.fromhex("000000100000")
    assert aka.sqn_age_limit == bytes.fromhex("000000200000")
    assert aka.sqn_init == tuple(sqn_init)
    assert aka.auth_counter_max == bytes.fromhex("0FFFFF")


@pytest.mark.parametrize("key_length, service", [(16, "tuak128"), (32, "tuak256")])
def test_tuak_with_topc(key_length, service):
    k = bytes(range(0x80, 0x80 + key_length))
    topc = bytes(range(0x20, 0x40))
    image = interpret(small_package(algorithm="tuak", k=k, opc=topc, keccak_iterations=3))
    aka = usim_aka(image)
    assert (aka.algorithm, aka.key, aka.opc, aka.keccak_iterations) == (2, k, topc, 3)
    assert service in image.header["eUICC-Mandatory-services"]


def test_usim_test_algorithm():
    aka = usim_aka(interpret(small_package(algorithm="xor", k=K)))
    assert (aka.algorithm, aka.options, aka.key) == (3, 0x02, K)


def test_every_naa_gets_its_own_aka_and_mapping_shares_one():
    image = interpret(small_package(include=("mf", "usim", "isim")))
    assert sorted(a.adf_aids for a in image.aka) == sorted([(USIM_AID,), (ISIM_AID,)])
    # an ISIM that takes the USIM's keys (mappingParameter)
    package = small_package(include=("mf", "usim"))
    elements = split(package)
    shared = b"".join(elements[:-1]) + isim(IMSI, 200) + aka_mapping(201, USIM_AID) + elements[-1]
    image = interpret(shared)
    (aka,) = image.aka
    assert aka.adf_aids == (USIM_AID, ISIM_AID)


def test_pins_and_puks_of_the_package():
    pins = {0x01: "4321", 0x0A: "12345678", 0x81: "8765"}
    puks = {0x01: "87654321", 0x81: "11223344"}
    image = interpret(small_package(include=("mf", "usim", "isim"), pins=pins, puks=puks))
    by_ref = {}
    for pin in image.pins:
        by_ref.setdefault(pin.key_ref, []).append(pin)
    (pin1,), (adm1,) = by_ref[0x01], by_ref[0x0A]
    assert pin1.value == b"4321\xff\xff\xff\xff" and pin1.unblock_ref == 0x01
    assert not pin1.enabled and pin1.can_disable  # pinAttributes 6
    assert adm1.value == b"12345678" and adm1.enabled and not adm1.can_disable
    assert adm1.max_attempts == adm1.attempts_left == 10
    assert sorted(p.scope for p in by_ref[0x81]) == [(MF_FID, USIM_FID), (MF_FID, ISIM_FID)]
    assert all(p.value == b"8765\xff\xff\xff\xff" for p in by_ref[0x81])
    assert {ref: p.value for ref, p in image.puks.items()} == {
        0x01: b"87654321", 0x81: b"11223344"}


def test_pin_counters_and_attributes():
    pins = pin_codes(100, [PinConfig(0x01, "1111", attributes=0x07, max_attempts=5,
                                     retries_left=2),
                           PinConfig(0x02, "2222", attributes=0x00, max_attempts=3)])
    image = interpret(small_package(pins, include=("mf",), pins={}, puks={}))
    pin1, pin2 = image.pins
    assert (pin1.enabled, pin1.can_change, pin1.can_disable) == (True, True, True)
    assert (pin1.max_attempts, pin1.attempts_left) == (5, 2)
    assert (pin2.enabled, pin2.can_change, pin2.can_disable) == (False, False, False)


def test_secrets_stay_out_of_reprs():
    k, opc = bytes(range(0xA0, 0xB0)), bytes(range(0xC0, 0xD0))
    image = interpret(build_upp(ICCID, IMSI, k=k, opc=opc, pins={0x01: "9753"},
                                puks={0x01: "86420864"}))
    text = repr(image) + repr(image.pins) + repr(image.puks) + repr(image.aka)
    for secret in (k, opc, b"9753\xff\xff\xff\xff", b"86420864"):
        assert repr(secret)[2:-1] not in text and secret.hex() not in text.lower()


def test_security_domain_keys_stay_out_of_the_image_repr():
    image = interpret(build_upp(ICCID, IMSI, k=K, opc=bytes(16)))
    sd_key = bytes(range(0x40, 0x50))  # profile_builder.security_domain's key 1
    assert repr(sd_key)[2:-1] not in repr(image)


def test_ber_tlv_ef_by_generic_file_management():
    objects = bytes.fromhex("8001AA") + bytes.fromhex("C1020102") + bytes.fromhex("9F2001FF")
    image = interpret(small_package(gfm(
        ("filePath", USIM_FID.to_bytes(2, "big")),
        ("createFCP", ef_fcp("7921", 0x6FF0, 0x40, securityAttributesReferenced=b"\x02")),
        ("fillFileContent", objects),
        ("createFCP", ef_fcp("3921", 0x6FF1, proprietaryEFInfo={
            "maximumFileSize": b"\x01\x00"})),
    )))
    shareable = find(image, USIM_FID, 0x6FF0)
    assert shareable.type == FileType.BER_TLV and shareable.shareable
    assert (shareable.size, bytes(shareable.body)) == (0x40, objects)
    assert shareable.sfi == 0x10  # no shortEFID: the 5 low bits of the FID
    assert shareable.security == bytes.fromhex("8B036F0602")
    empty = find(image, USIM_FID, 0x6FF1)
    assert empty.type == FileType.BER_TLV and not empty.shareable
    assert (empty.size, bytes(empty.body)) == (0x100, b"")


def test_ber_tlv_content_larger_than_the_file():
    error = refused(small_package(gfm(
        ("filePath", USIM_FID.to_bytes(2, "big")),
        ("createFCP", ef_fcp("7921", 0x6FF0, 4)),
        ("fillFileContent", bytes.fromhex("8003010203")),
    )))
    assert (error.status, error.identification) == (PeStatusCode.BAD_VALUES, BAD_ID)


def test_df_5gs_from_the_builder():
    image = interpret(build_upp(ICCID, IMSI, k=K, opc=bytes(16)))  # df-5gs included
    usim_adf = image.tree.adf_by_aid(USIM_AID)
    df = usim_adf.child(DF_5GS)
    assert df is not None and df.type == FileType.DF and df.parent is usim_adf
    assert {c.fid for c in df.children} == {0x4F01, 0x4F02, 0x4F03, 0x4F05}
    # EF.5GS3GPPLOCI (TS 31.102 4.4.11.2): 5G-GUTI left 'FF', TAI 00F110 000000, not updated
    loci = df.child(0x4F01)
    assert bytes(loci.body) == b"\xff" * 13 + bytes.fromhex("00F110 000000 01")
    assert loci.sfi == 0x01  # from the template: the element gives no shortEFID
    nsc = df.child(0x4F03)
    assert (nsc.type, nsc.record_length, nsc.record_count) == (FileType.LINEAR_FIXED, 57, 1)
    assert find(image, USIM_FID, DF_5GS, 0x4F05).size == 110


def test_df_5gs_template_files():
    element = encode_element("df-5gs", {
        "df-5gs-header": {"identification": 300},
        "templateID": TEMPLATE_DF_5GS,
        "df-df-5gs": [("fileDescriptor", {"fileDescriptor": bytes.fromhex("7821"),
                                          "fileID": bytes.fromhex("5FC0"),
                                          "pinStatusTemplateDO": bytes.fromhex("01")})],
        "ef-5gsn3gppnsc": [],
        "ef-routing-indicator": [],
        "ef-uac-aic": [("fillFileContent", bytes.fromhex("01020304"))],
    })
    image = interpret(small_package(element))
    df = find(image, USIM_FID, DF_5GS)
    # an optional-files template: only the files the element names
    assert [c.fid for c in df.children] == [0x4F04, 0x4F06, 0x4F0A]
    nsc = df.child(0x4F04)  # EF.5GSN3GPPNSC, one 57-byte record, SFI 4
    assert (nsc.record_length, nsc.record_count, nsc.sfi) == (57, 1, 4)
    assert bytes(nsc.body) == b"\xff" * 57
    assert bytes(df.child(0x4F0A).body) == bytes.fromhex("F0FFFFFF")  # Routing Indicator
    assert bytes(df.child(0x4F06).body) == bytes.fromhex("01020304")


def test_generic_file_management_creates_and_fills():
    image = interpret(small_package(gfm(
        ("filePath", USIM_FID.to_bytes(2, "big")),
        ("createFCP", {"fileDescriptor": bytes.fromhex("7821"), "fileID": b"\x5f\x99",
                       "pinStatusTemplateDO": bytes.fromhex("01")}),
        # a created DF becomes the current DF (TS 102 222 CREATE FILE)
        ("createFCP", ef_fcp("4121", 0x4F01, 8, shortEFID=bytes([0x05 << 3]))),
        ("fillFileOffset", 2), ("fillFileContent", bytes.fromhex("AABB")),
        ("fillFileOffset", 1), ("fillFileContent", bytes.fromhex("CC")),
        ("createFCP", ef_fcp("42210004", 0x4F02, 12, shortEFID=b"")),
        ("fillFileContent", bytes.fromhex("01020304")), ("fillFileOffset", 4),
        ("fillFileContent", bytes.fromhex("0506")),
    )))
    df = find(image, USIM_FID, 0x5F99)
    assert df.type == FileType.DF
    transparent = find(image, USIM_FID, 0x5F99, 0x4F01)
    assert bytes(transparent.body) == bytes.fromhex("FFFFAABBFFCCFFFF")
    assert transparent.sfi == 5
    records = find(image, USIM_FID, 0x5F99, 0x4F02)
    assert records.sfi is None and records.record_count == 3
    assert [records.record(n) for n in (1, 2, 3)] == [
        bytes.fromhex("01020304"), b"\xff" * 4, bytes.fromhex("0506FFFF")]


def test_generic_file_management_fills_a_file_chosen_by_path():
    image = interpret(small_package(gfm(
        ("filePath", (USIM_FID.to_bytes(2, "big") + EF_IMSI.to_bytes(2, "big"))),
        ("fillFileOffset", 1), ("fillFileContent", bytes.fromhex("AA")),
        ("fillFileContent", bytes.fromhex("BB")),
    )))
    expected = bytearray(ef_imsi(IMSI))
    expected[1:3] = bytes.fromhex("AABB")
    assert bytes(find(image, USIM_FID, EF_IMSI).body) == bytes(expected)


def test_generic_file_management_overwrites_a_template_file():
    image = interpret(small_package(gfm(
        ("filePath", (USIM_FID.to_bytes(2, "big") + EF_IMSI.to_bytes(2, "big"))),
        ("fillFileContent", ef_imsi("001019876543210")),
    )))
    assert imsi_digits(find(image, USIM_FID, EF_IMSI).body) == "001019876543210"


@pytest.mark.parametrize("descriptor, size, info, body", [
    # a fill pattern is written once, its last byte fills the rest
    ("4121", 6, {"fillPattern": bytes.fromhex("A55A")}, "A55A5A5A5A5A"),
    # a repeat pattern repeats as a whole, cut at the end
    ("4121", 7, {"repeatPattern": bytes.fromhex("A55A")}, "A55AA55AA55AA5"),
    # record EFs: the pattern fills each record
    ("42210003", 9, {"fillPattern": bytes.fromhex("0102")}, "010202" * 3),
    ("46210003", 6, {"repeatPattern": bytes.fromhex("0102")}, "010201" * 2),
    ("42210002", 4, {"repeatPattern": bytes.fromhex("00")}, "0000" * 2),
    # neither: 'FF'
    ("4121", 3, {}, "FFFFFF"),
])
def test_fill_and_repeat_patterns(descriptor, size, info, body):
    fcp = ef_fcp(descriptor, 0x6FF3, size)
    if info:
        fcp["proprietaryEFInfo"] = info
    image = interpret(small_package(gfm(("filePath", USIM_FID.to_bytes(2, "big")),
                                        ("createFCP", fcp))))
    f = find(image, USIM_FID, 0x6FF3)
    assert bytes(f.body) == bytes.fromhex(body)
    assert f.size == size


def test_content_written_after_a_pattern():
    image = interpret(small_package(gfm(
        ("filePath", USIM_FID.to_bytes(2, "big")),
        ("createFCP", ef_fcp("4121", 0x6FF4, 6, proprietaryEFInfo={
            "repeatPattern": bytes.fromhex("1234")})),
        ("fillFileOffset", 3), ("fillFileContent", bytes.fromhex("EE")),
    )))
    assert bytes(find(image, USIM_FID, 0x6FF4).body) == bytes.fromhex("123412EE1234")


def test_link_by_generic_file_management():
    image = interpret(small_package(gfm(
        ("filePath", b""),
        ("createFCP", {"fileDescriptor": bytes.fromhex("7821"), "fileID": b"\x7f\x10",
                       "pinStatusTemplateDO": bytes.fromhex("01")}),
        ("createFCP", {"fileDescriptor": bytes.fromhex("4121"), "fileID": b"\x6f\xad",
                       "linkPath": USIM_FID.to_bytes(2, "big") + EF_AD.to_bytes(2, "big")}),
    )))
    link, target = find(image, DF_TELECOM, EF_AD), find(image, USIM_FID, EF_AD)
    assert link.body is target.body and link.size == target.size == 4
    rebuilt = check_round_trip(image)
    assert find(rebuilt, DF_TELECOM, EF_AD).body is find(rebuilt, USIM_FID, EF_AD).body
