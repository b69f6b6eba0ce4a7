"""The profile package module euicc/asn1/pe.asn (TCA eUICC Profile Package: Interoperable
Format Technical Specification 3.3.1, PEDefinitions) and the test-data builder
euicc_tools.testkit.profile_builder.

- The GSMA TS.48 packages in ../shared (SAIP 2.1 / 2.3) split into ProfileElements that decode
  exactly and re-encode byte for byte (DER), with known values checked.
- Hand-written DER of the project's own elements (tags of the CHOICE, genericFileManagement,
  EUICCResponse) pins the transcription of the tags; Milenage / TUAK / test algorithm AKA
  parameters, PIN / PUK codes and DF.5GS round-trip with their values.
- Packages made by profile_builder split and decode, with encodings of TS 31.102 / TS 102 221.
"""

from __future__ import annotations

import pytest

from euicc import tlv
from euicc.asn1 import Asn1Error, decode_exact, encode, pe
from euicc_tools.testkit import profile_builder as pb
from tests.support.shared_material import shared_path

SHARED_PACKAGES = (
    "TS48V1-A-UNIQUE.der",
    "TS48V2-SAIP2-1-NOBERTLV-UNIQUE.der",
    "TS48V2-SAIP2-3-BERTLV-UNIQUE.der",
    "TS48V4-SAIP2-1A-NOBERTLV-UNIQUE.der",
)
K_TEST = bytes(range(16))  # 000102..0F


def h(text: str) -> bytes:
    return bytes.fromhex(text.replace(" ", ""))


def decode(element: bytes):
    return decode_exact(pe(), "ProfileElement", element)


def decode_package(package: bytes) -> list[tuple[str, dict, bytes]]:
    return [(*decode(element), element) for element in tlv.split(package)]


# ---------------------------------------------------------------- TS.48 packages


@pytest.mark.parametrize("name", SHARED_PACKAGES)
def test_shared_package_round_trips_element_by_element(name):
    package = shared_path("profiles", name).read_bytes()
    elements = decode_package(package)
    assert b"".join(der for _, _, der in elements) == package
    kinds = [kind for kind, _, _ in elements]
    assert kinds[0] == "header" and kinds[-1] == "end"
    assert {"mf", "usim", "isim", "akaParameter", "pinCodes", "pukCodes"} <= set(kinds)
    for kind, value, der in elements:
        assert kind is not None, "an element of an unknown kind"
        assert encode(pe(), "ProfileElement", (kind, value)) == der, kind


@pytest.fixture(scope="module")
def saip21():
    package = shared_path("profiles", "TS48V2-SAIP2-1-NOBERTLV-UNIQUE.der").read_bytes()
    return decode_package(package)


def first(elements, kind: str) -> dict:
    return next(value for found, value, _ in elements if found == kind)


def test_ts48_header_iccid_and_version(saip21):
    header = first(saip21, "header")
    assert (header["major-version"], header["minor-version"]) == (2, 1)
    # ProfileHeader.iccid holds the digits in order ('F' padded) ...
    assert header["iccid"] == h("89 49 44 99 99 99 99 90 00 7F")
    assert pb.header_iccid("8949449999999990007") == header["iccid"]
    # ... while EF.ICCID holds them nibble swapped (TS 102 221 13.2)
    ef_iccid = dict(first(saip21, "mf")["ef-iccid"])
    assert ef_iccid["fillFileContent"] == h("98 94 44 99 99 99 99 09 00 F7")
    assert pb.ef_iccid("8949449999999990007") == ef_iccid["fillFileContent"]
    assert "usim-test-algorithm" in header["eUICC-Mandatory-services"]


def test_ts48_usim_test_algorithm_and_imsi(saip21):
    aka = first(saip21, "akaParameter")
    kind, algo = aka["algoConfiguration"]
    assert kind == "algoParameter"
    assert algo["algorithmID"] == 3  # usim-test-algorithm
    assert algo["key"] == K_TEST
    usim = first(saip21, "usim")
    assert usim["templateID"] == pb.TEMPLATE_USIM
    assert dict(usim["ef-imsi"])["fillFileContent"] == pb.ef_imsi("001010123456063")
    assert dict(usim["adf-usim"])["fileDescriptor"]["dfName"] == h("A0000000871002FF49FF0589")


def test_ts48_rfm_keeps_its_explicit_header_tag(saip21):
    # PE-RFM tags rfm-header [0] itself; its untagged members keep universal tags ('04', '30')
    der = next(der for kind, _, der in saip21 if kind == "rfm")
    assert der[2:4] == h("A0 05")
    rfm = decode(der)[1]
    assert rfm["tarList"] == [h("B00120")] and rfm["uiccAccessDomain"] == b"\x00"


# ---------------------------------------------------------------- tags and hand-written DER


@pytest.mark.parametrize(("choice", "value", "tag"), [
    ("end", {"end-header": {"identification": 1}}, h("AA")),
    ("rfu1", {}, h("AB")),
    ("mf", None, h("B0")),
    ("usim", None, h("B3")),
    ("eap", None, h("BB")),
    ("df-5gs", None, h("BC")),
    ("df-saip", None, h("BD")),
    ("df-snpn", None, h("BE")),
    ("df-5gprose", None, h("BF1F")),
    ("iot", None, h("BF20")),
    ("opt-iot", None, h("BF21")),
])
def test_profile_element_choice_tags(choice, value, tag):
    if value is None:  # a template element with its header and templateID only
        header_name = {"mf": "mf-header", "usim": "usim-header", "eap": "eap-header",
                       "df-5gs": "df-5gs-header", "df-saip": "df-saip-header",
                       "df-snpn": "df-snpn-header", "df-5gprose": "df-5g-prose-header",
                       "iot": "iot-header", "opt-iot": "optiot-header"}[choice]
        value = {header_name: {"identification": 2}, "templateID": "2.23.143.1.2.1"}
        mandatory = {"mf": ("mf", "ef-iccid", "ef-dir", "ef-arr"),
                     "usim": ("adf-usim", "ef-imsi", "ef-arr", "ef-ust", "ef-spn", "ef-est",
                              "ef-acc", "ef-ecc"),
                     "eap": ("df-eap", "ef-eapstatus"), "df-5gs": ("df-df-5gs",),
                     "df-saip": ("df-df-saip",), "df-snpn": ("df-df-snpn",),
                     "df-5gprose": ("df-df-5g-prose",), "iot": ("ef-imsi", "ef-acc"),
                     "opt-iot": ()}[choice]
        value.update({name: [] for name in mandatory})
    der = encode(pe(), "ProfileElement", (choice, value))
    assert der.startswith(tag)
    assert decode(der) == (choice, value)


def test_generic_file_management_hand_written_der():
    fcp = h("82 02 4121  83 02 6F01  8B 03 6F0602  80 01 0A")  # lcsi '05' is the DEFAULT
    commands = h("80 02 7FF1") + h("62 10") + fcp + h("81 03 010203  02 01 04  81 01 FF")
    expected = h("A1 2C  A0 05 8000 810105  A1 23  30 21") + commands
    value = {"gfm-header": {"mandated": None, "identification": 5}, "fileManagementCMD": [[
        ("filePath", h("7FF1")),
        ("createFCP", {"fileDescriptor": h("4121"), "fileID": h("6F01"),
                       "securityAttributesReferenced": h("6F0602"), "efFileSize": h("0A")}),
        ("fillFileContent", h("010203")),
        ("fillFileOffset", 4),
        ("fillFileContent", h("FF")),
    ]]}
    assert pb.generic_file_management(5, value["fileManagementCMD"]) == expected
    kind, decoded = decode(expected)
    assert kind == "genericFileManagement"
    assert decoded["fileManagementCMD"][0][1][1]["lcsi"] == h("05")  # default filled in
    assert encode(pe(), "ProfileElement", (kind, decoded)) == expected


def test_euicc_response_with_failing_pe_status():
    expected = h("30 1C  A0 0E 30 0C 800103 810107 820101 83010C  81 00"
                 "  82 08") + b"bad IMSI"
    value = {"peStatus": [{"status": 3, "identification": 7, "additional-information": 1,
                           "offset": 12}],
             "profileInstallationAborted": None, "statusMessage": "bad IMSI"}
    assert encode(pe(), "EUICCResponse", value) == expected
    assert decode_exact(pe(), "EUICCResponse", expected) == value
    # statusMessage is SIZE (2..64)
    with pytest.raises(Asn1Error):
        decode_exact(pe(), "EUICCResponse", h("30 13 A0 0E 30 0C 800103 810107 820101 83010C"
                                               " 82 01 58"))


def test_trailing_bytes_and_unknown_elements():
    end = pb.end(9)
    with pytest.raises(Asn1Error):
        decode(end + b"\x00")
    # An alternative beyond the extension marker ('BF22'): asn1tools yields (None, None),
    # so an interpreter has to check the kind it gets
    assert decode(h("BF22 07 A0 05 8000 81011D")) == (None, None)
    # A component unknown to this version is skipped silently (extensibility); only the
    # re-encoding shows that something was left out
    kind, value = decode(h("AA 0A A0 05 8000 81011D 85 01 00"))
    assert (kind, value) == ("end", {"end-header": {"mandated": None, "identification": 29}})
    assert encode(pe(), "ProfileElement", (kind, value)) == h("AA 07 A0 05 8000 81011D")


# ---------------------------------------------------------------- AKA, PINs, DF.5GS


def algo_of(element: bytes) -> tuple[dict, dict]:
    kind, value = decode(element)
    assert kind == "akaParameter"
    config_kind, algo = value["algoConfiguration"]
    assert config_kind == "algoParameter"
    return value, algo


def test_milenage_from_op_with_rotation_and_constants():
    # 3GPP TS 35.208 4.3 test set 1: K, OP -> OPc
    k, op = h("465b5ce8b199b49faa5f0a2ee238a6bc"), h("cdc202d5123e20f62b6d676ac72cb318")
    rotation = h("4010203050")
    constants = bytes(15) + b"\x07" + bytes(15) + b"\x01" + bytes(47) + b"\x09"
    element = pb.aka_parameter(11, "milenage", k, op=op, rotation=rotation,
                               constants=constants, sqn_init=[bytes(5) + bytes([i])
                                                              for i in range(32)])
    value, algo = algo_of(element)
    assert algo["algorithmID"] == 1
    assert algo["opc"] == h("cd63cb71954a9f4e48a5994e37a02baf")
    assert algo["rotationConstants"] == rotation and algo["xoringConstants"] == constants
    assert value["sqnInit"][31] == h("00000000001F")
    assert encode(pe(), "ProfileElement", ("akaParameter", value)) == element


def test_milenage_defaults_are_left_out_and_filled_in():
    opc = h("cd63cb71954a9f4e48a5994e37a02baf")
    plain = pb.aka_parameter(3, "milenage", K_TEST, opc=opc)
    explicit = pb.aka_parameter(3, "milenage", K_TEST, opc=opc, rotation=h("4000204060"),
                                sqn_options=0x02, sqn_delta=h("000010000000"))
    assert plain == explicit  # DER: a DEFAULT value is not encoded
    value, algo = algo_of(plain)
    assert algo["rotationConstants"] == h("4000204060")
    assert algo["xoringConstants"][15] == 0 and algo["xoringConstants"][31] == 1
    assert algo["xoringConstants"][79] == 8
    assert value["sqnOptions"] == h("02") and value["sqnAgeLimit"] == h("000010000000")
    assert "sqnInit" not in value  # absent = 32 zero SQNs (see pe.asn)


def test_tuak_parameter():
    k, topc = bytes(range(32)), bytes(range(0x20, 0x40))
    element = pb.aka_parameter(4, "tuak", k, opc=topc, keccak_iterations=2)
    value, algo = algo_of(element)
    assert (algo["algorithmID"], algo["key"], algo["opc"]) == (2, k, topc)
    assert algo["numberOfKeccak"] == 2
    assert encode(pe(), "ProfileElement", ("akaParameter", value)) == element
    with pytest.raises(ValueError):
        pb.aka_parameter(4, "tuak", k)  # TOPc is required
    with pytest.raises(ValueError):
        pb.aka_parameter(4, "tuak", k, op=topc)  # no TOP -> TOPc derivation here


def test_test_algorithm_and_mapping():
    _, algo = algo_of(pb.aka_parameter(5, "xor", K_TEST))
    assert (algo["algorithmID"], algo["algorithmOptions"], algo["opc"]) == (3, h("02"), bytes(16))
    kind, value = decode(pb.aka_mapping(6, pb.USIM_AID))
    assert value["algoConfiguration"] == ("mappingParameter", {
        "mappingOptions": h("01"), "mappingSource": pb.USIM_AID})


def test_pin_and_puk_codes():
    pins = [pb.PinConfig(pb.PIN1, "1234", puk_reference=1, attributes=6),
            pb.PinConfig(pb.ADM1, h("3132333435363738"), attributes=3, max_attempts=10)]
    assert "1234" not in repr(pins[0])
    kind, value = decode(pb.pin_codes(2, pins))
    assert kind == "pinCodes"
    kind_of_codes, configs = value["pinCodes"]
    assert kind_of_codes == "pinconfig"
    assert configs[0] == {"keyReference": 1, "pinValue": h("31323334FFFFFFFF"),
                          "unblockingPINReference": 1, "pinAttributes": 6,
                          "maxNumOfAttemps-retryNumLeft": 0x33}
    assert "unblockingPINReference" not in configs[1]
    assert configs[1]["maxNumOfAttemps-retryNumLeft"] == 0xAA
    # PINs shared with another ADF, by path
    assert decode(pb.pin_codes(3, h("7FF1")))[1]["pinCodes"] == ("filePath", h("7FF1"))
    kind, value = decode(pb.puk_codes(4, [pb.PukConfig(0x81, "22222222", retries_left=2)]))
    assert value["pukCodes"] == [{"keyReference": 0x81, "pukValue": b"22222222",
                                  "maxNumOfAttemps-retryNumLeft": 0xA2}]


def test_df_5gs_element():
    element = pb.df_5gs("001010123456063", 13)
    assert element[:1] == h("BC")
    kind, value = decode(element)
    assert value["templateID"] == pb.TEMPLATE_DF_5GS
    assert dict(value["df-df-5gs"])["fileDescriptor"]["fileID"] == h("5FC0")
    loci = value["ef-5gs3gpploci"]
    assert loci[1:] == [("fillFileOffset", 13), ("fillFileContent", h("00F110 000000 01"))]
    assert encode(pe(), "ProfileElement", (kind, value)) == element


# ---------------------------------------------------------------- profile_builder packages


def test_value_encodings():
    assert pb.ef_imsi("001010123456063") == h("08 09 10 10 10 32 54 06 36")
    assert pb.ef_imsi("00101012345606") == h("08 01 10 10 10 32 54 06 F6")  # even: F filler
    assert pb.ef_imsi("262011") == h("04 21 26 10 F1 FF FF FF FF")
    assert pb.service_table([1, 9, 16]) == h("01 81")
    assert pb.pin_value("0000") == h("30303030FFFFFFFF")
    assert pb.ims_domain("262011234567890") == "ims.mnc001.mcc262.3gppnetwork.org"
    with pytest.raises(ValueError):
        pb.ef_imsi("00101A")
    with pytest.raises(ValueError):
        pb.header_iccid("89")


def test_build_upp_milenage_package():
    opc = h("cd63cb71954a9f4e48a5994e37a02baf")
    package = pb.build_upp("8944000000000000011", "262011234567890", k=K_TEST, opc=opc)
    elements = decode_package(package)
    kinds = [kind for kind, _, _ in elements]
    assert kinds == ["header", "mf", "pukCodes", "pinCodes", "usim", "pinCodes",
                     "akaParameter", "df-5gs", "isim", "pinCodes", "akaParameter",
                     "securityDomain", "end"]
    for kind, value, der in elements:
        assert encode(pe(), "ProfileElement", (kind, value)) == der
    identifications = [tlv_value[next(k for k in tlv_value if k.lower().endswith("header"))]
                       ["identification"] for kind, tlv_value, _ in elements[1:]]
    assert identifications == list(range(1, len(elements)))

    header = elements[0][1]
    assert header["iccid"] == h("8944000000000000011F")
    assert set(header["eUICC-Mandatory-services"]) == {"usim", "isim", "milenage"}
    assert header["eUICC-Mandatory-GFSTEList"] == [pb.TEMPLATE_MF, pb.TEMPLATE_USIM,
                                                   pb.TEMPLATE_ISIM, pb.TEMPLATE_DF_5GS]
    mf = elements[1][1]
    assert dict(mf["ef-iccid"])["fillFileContent"] == h("984400000000000010F1")
    dir_records = [item for kind, item in mf["ef-dir"] if kind == "fillFileContent"]
    assert dir_records[0] == h("61 18 4F 10") + pb.USIM_AID + b"\x50\x04USIM"
    usim = elements[4][1]
    assert dict(usim["ef-imsi"])["fillFileContent"] == h("08 29 26 10 21 43 65 87 09")
    assert dict(usim["ef-acc"])["fillFileContent"] == h("0001")  # class 0: last digit 0
    ust = dict(usim["ef-ust"])["fillFileContent"]
    assert ust[(122 - 1) // 8] & 1 << ((122 - 1) % 8)  # 5GS MM information, with DF.5GS
    aka = elements[6][1]["algoConfiguration"][1]
    assert (aka["algorithmID"], aka["key"], aka["opc"]) == (1, K_TEST, opc)
    isim = elements[8][1]
    assert dict(isim["ef-impi"])["fillFileContent"] == (
        b"\x80\x31262011234567890@ims.mnc001.mcc262.3gppnetwork.org")
    global_pins = elements[3][1]["pinCodes"][1]
    assert [pin["keyReference"] for pin in global_pins] == [pb.PIN1, pb.ADM1]
    assert global_pins[0]["unblockingPINReference"] == pb.PIN1


def test_build_upp_variants():
    extra = pb.generic_file_management(99, [[("filePath", h("7FF1")),
                                             ("createFCP", {"fileDescriptor": h("4121"),
                                                            "fileID": h("6F99"),
                                                            "efFileSize": h("02")})]])
    package = pb.build_upp("8949449999999990007", "001010123456063", algorithm="xor",
                           k=K_TEST, include=("mf", "usim"), extra_elements=[extra],
                           pins={pb.PIN1: "0000"}, puks={})
    kinds = [kind for kind, _, _ in decode_package(package)]
    assert kinds == ["header", "mf", "pinCodes", "usim", "akaParameter",
                     "genericFileManagement", "end"]
    header = decode_package(package)[0][1]
    assert set(header["eUICC-Mandatory-services"]) == {"usim", "usim-test-algorithm"}

    tuak = pb.build_upp("8949449999999990007", "001010123456063", algorithm="tuak",
                        k=bytes(32), opc=bytes(range(32)), include=("mf", "usim"),
                        keccak_iterations=3)
    elements = decode_package(tuak)
    assert "tuak256" in elements[0][1]["eUICC-Mandatory-services"]
    assert first(elements, "akaParameter")["algoConfiguration"][1]["numberOfKeccak"] == 3
    with pytest.raises(ValueError):
        pb.build_upp("8949449999999990007", "001010123456063", k=K_TEST, opc=bytes(16),
                     include=("mf", "df-5gs"))
