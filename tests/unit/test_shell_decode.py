"""EF decoders of the shell's ``read`` command (tools/shell/decode*.py): ETSI TS 102 221 13,
3GPP TS 31.102 and TS 31.103 file contents, hand-made or taken from the GSMA TS.48 test
profile (marked "TS.48"), and the spec's own examples where it gives one."""

from __future__ import annotations

import random

import pytest

from euicc.coding import luhn_valid
from euicc_tools.shell.decode import (
    MASK,
    decodable_names,
    decode_ef,
    decode_records,
    decoder_for,
    format_decoded,
)
from euicc_tools.shell.decode_coding import GSM_DEFAULT_ALPHABET, alpha
from euicc_tools.shell.decode_uicc import arr_record


def h(text: str) -> bytes:
    return bytes.fromhex(text.replace(" ", ""))


def is_error(value, raw: str | None = None) -> bool:
    return (isinstance(value, dict) and set(value) == {"error", "raw"} and bool(value["error"])
            and (raw is None or value["raw"] == raw))


# -- EF.ICCID (TS 102 221 13.2) ----------------------------------------------------------------

def test_iccid_ts48():
    assert decode_ef("EF.ICCID", h("98 94 44 99 99 99 99 09 00 F7")) == {
        "iccid": "8949449999999990007", "luhnValid": True}


def test_iccid_nibble_order_and_luhn():
    # The same digits with the last two swapped: nibble order matters, the check digit fails.
    assert decode_ef("EF.ICCID", h("98 94 44 99 99 99 99 09 70 F0")) == {
        "iccid": "8949449999999990070", "luhnValid": False}
    assert luhn_valid("79927398713") and not luhn_valid("79927398710")


def test_iccid_erased_bad_bcd_and_short():
    assert decode_ef("EF.ICCID", b"\xff" * 10) == {"iccid": None}
    assert is_error(decode_ef("EF.ICCID", h("98 94 4A 99 99 99 99 09 00 F7")),
                    "98944A999999990900F7")
    assert is_error(decode_ef("EF.ICCID", h("98 94 44 99 99 99 99 F9 00 F7")))  # digit after F
    assert is_error(decode_ef("EF.ICCID", h("98 94 44")), "989444")


# -- EF.IMSI (TS 31.102 4.2.2) -----------------------------------------------------------------

def test_imsi_ts48_odd_length():
    assert decode_ef("EF.IMSI", h("08 09 10 10 10 32 54 06 36")) == {
        "imsi": "001010123456063", "mcc": "001"}
    # Digit order inside each byte is low nibble first: swapping the last two bytes' digits
    # gives another IMSI.
    assert decode_ef("EF.IMSI", h("08 09 10 10 10 32 54 36 60"))["imsi"] == "001010123456306"


def test_imsi_even_length_has_filler():
    assert decode_ef("EF.IMSI", h("08 01 10 10 10 32 54 76 F8")) == {
        "imsi": "00101012345678", "mcc": "001"}


@pytest.mark.parametrize("raw", [
    "08",                            # no digits
    "09 09 10 10 10 32 54 06 36",    # length byte beyond the file
    "08 0A 10 10 10 32 54 06 36",    # identity type 2, not IMSI
    "08 09 10 10 10 3A 54 06 36",    # 'A' is no digit
    "08 01 10 10 10 32 54 76 98",    # even parity but no 'F' filler
])
def test_imsi_malformed(raw):
    assert is_error(decode_ef("EF.IMSI", h(raw)), h(raw).hex().upper())


def test_imsi_erased():
    assert decode_ef("EF.IMSI", b"\xff" * 9) == {"imsi": None}


# -- EF.Keys / EF.KeysPS (TS 31.102 4.2.3-4) ---------------------------------------------------

def test_keys_masked_unless_revealed():
    data = bytes([3]) + bytes(range(16)) + bytes(range(16, 32))
    assert decode_ef("EF.Keys", data) == {"ksi": 3, "keySetAvailable": True,
                                          "ck": MASK, "ik": MASK}
    assert decode_ef("EF.KeysPS", data, reveal=True) == {
        "ksi": 3, "keySetAvailable": True, "ck": bytes(range(16)).hex().upper(),
        "ik": bytes(range(16, 32)).hex().upper()}
    assert decode_ef("EF.Keys", b"\x07" + b"\xff" * 32)["keySetAvailable"] is False


def test_keys_error_does_not_leak_bytes():
    short = bytes([2]) + b"\x11" * 20
    assert decode_ef("EF.Keys", short) == {"error": "key set needs 33 bytes, got 21", "raw": MASK}
    assert decode_ef("EF.Keys", short, reveal=True)["raw"] == short.hex().upper()


# -- PLMN lists (TS 24.008 10.5.1.3, TS 31.102 4.2.5/16/53/54/84) --------------------------------

def test_plmn_spec_example_and_three_digit_mnc():
    # TS 31.102 4.2.16: MCC 246, MNC 81 is stored as '42' 'F6' '18'.
    assert decode_ef("EF.FPLMN", h("42F618 130014 FFFFFF")) == {"plmns": [
        {"mcc": "246", "mnc": "81"}, {"mcc": "310", "mnc": "410"}, None]}
    assert decode_ef("EF.EHPLMN", h("00F110")) == {"plmns": [{"mcc": "001", "mnc": "01"}]}


def test_plmn_list_bad_entry_and_bad_length():
    assert decode_ef("EF.FPLMN", h("4AF618 42F618")) == {"plmns": [
        {"error": "PLMN 4AF618: MCC/MNC digits not BCD", "raw": "4AF618"},
        {"mcc": "246", "mnc": "81"}]}
    assert is_error(decode_ef("EF.FPLMN", h("42F618 42")), "42F61842")


@pytest.mark.parametrize(("act", "names"), [
    ("8000", ["UTRAN"]),
    ("4000", ["E-UTRAN WB-S1", "E-UTRAN NB-S1"]),   # table 4.2.5.1: '00' = both
    ("6000", ["E-UTRAN WB-S1"]),
    ("5000", ["E-UTRAN NB-S1"]),
    ("7000", ["E-UTRAN WB-S1", "E-UTRAN NB-S1"]),
    ("0800", ["NG-RAN"]),
    ("0700", ["satellite NG-RAN", "satellite E-UTRAN WB-S1", "satellite E-UTRAN NB-S1"]),
    ("0080", ["GSM", "EC-GSM-IoT"]),                # table 4.2.5.2: '00' = both
    ("0084", ["GSM"]),
    ("0088", ["EC-GSM-IoT"]),
    ("0070", ["GSM COMPACT", "cdma2000 HRPD", "cdma2000 1xRTT"]),
    ("0000", []),
])
def test_access_technology_bits(act, names):
    decoded = decode_ef("EF.PLMNwAcT", h("62F210" + act))
    assert decoded == {"plmns": [{"mcc": "262", "mnc": "01", "accessTechnologies": names}]}


def test_plmn_with_act_lists():
    data = h("62F220 488C  FFFFFF 0000  FFFFFF 0000  42F618 C080")
    expected = {"plmns": [
        {"mcc": "262", "mnc": "02", "accessTechnologies":
            ["E-UTRAN WB-S1", "E-UTRAN NB-S1", "NG-RAN", "GSM", "EC-GSM-IoT"]},
        None, None,
        {"mcc": "246", "mnc": "81", "accessTechnologies":
            ["UTRAN", "E-UTRAN WB-S1", "E-UTRAN NB-S1", "GSM", "EC-GSM-IoT"]}]}
    for name in ("EF.PLMNwAcT", "EF.OPLMNwACT", "EF.HPLMNwAcT"):
        assert decode_ef(name, data) == expected
    assert is_error(decode_ef("EF.OPLMNwACT", h("62F220488C FF")))


def test_hpplmn():
    assert decode_ef("EF.HPPLMN", h("05")) == {"value": 5, "intervalMinutes": 30}
    assert decode_ef("EF.HPPLMN", h("00")) == {"value": 0, "intervalMinutes": None}
    assert is_error(decode_ef("EF.HPPLMN", b""), "")


# -- service tables (TS 31.102 4.2.8 / 4.2.47, TS 31.103 4.2.7) --------------------------------

def test_ust_bit_numbering():
    assert decode_ef("EF.UST", h("01 80")) == {"services": {
        "1": "Local Phone Book", "16": "Cell Broadcast Message Identifier Ranges"}}
    assert decode_ef("EF.UST", h("00") * 18 + h("20")) == {"services": {"150": "unknown service"}}


def test_ust_ts48():
    services = decode_ef("EF.UST", h("9effbf1dff3e0083410310010400406e01"))["services"]
    assert list(services)[:6] == ["2", "3", "4", "5", "8", "9"]
    assert services["71"] == "Equivalent HPLMN"
    assert services["124"] == "Subscription identifier privacy support"
    assert "130" not in services and "6" not in services and len(services) == 54  # the bits set


def test_ist_and_est():
    assert decode_ef("EF.IST", h("01000000000000")) == {"services": {"1": "P-CSCF address"}}
    assert decode_ef("EF.IST", h("0000 0C")) == {"services": {
        "19": "XCAP Configuration Data", "20": "WebRTC URI"}}
    assert decode_ef("EF.EST", h("05")) == {"services": {
        "1": "Fixed Dialling Numbers (FDN)", "3": "APN Control List (ACL)"}}


# -- EF.SPN and alpha coding (TS 31.102 4.2.12, annex A; TS 23.038) ---------------------------

def test_spn_gsm_default_alphabet():
    assert decode_ef("EF.SPN", h("01 47534d2d52204348 ffffffffffffffff")) == {
        "name": "GSM-R CH", "displayPlmnNameAtHome": True, "displaySpnOutsideHome": True}
    assert decode_ef("EF.SPN", h("02 4F70 " + "ff" * 14)) == {
        "name": "Op", "displayPlmnNameAtHome": False, "displaySpnOutsideHome": False}
    assert decode_ef("EF.SPN", b"\xff" * 17) == {"name": None}


def test_alpha_codings():
    assert len(GSM_DEFAULT_ALPHABET) == 128
    assert alpha(h("00 1B65 5F 7D 11 FF FF")) == "@€§ñ_"
    assert alpha(h("80 0041 041F FFFF FF")) == "AП"          # UCS2
    assert alpha(h("81 03 08 41 9F 80 FF")) == "AПЀ"         # base 0x0400, b8 = offset
    assert alpha(h("82 02 0410 C1 41")) == "ёA"              # base 0x0410 + 0x41 = 'ё'
    assert alpha(b"\xff\xff") == ""


def test_spn_bad_coding():
    assert is_error(decode_ef("EF.SPN", h("01 81 09 08 41")))   # claims 9 characters
    assert is_error(decode_ef("EF.SPN", h("01 41 C8 FF")))      # b8 set in the 7-bit alphabet


# -- EF.ACC, EF.AD, EF.LI / EF.PL --------------------------------------------------------------

def test_acc():
    assert decode_ef("EF.ACC", h("802B")) == {"accessClasses": [0, 1, 3, 5, 15]}
    assert decode_ef("EF.ACC", h("0001")) == {"accessClasses": [0]}
    assert is_error(decode_ef("EF.ACC", h("80")), "80")


def test_ad():
    assert decode_ef("EF.AD", h("80000002")) == {"operationMode": "type approval",
                                                 "additionalInfo": [], "mncLength": 2}
    assert decode_ef("EF.AD", h("01000503 FF")) == {
        "operationMode": "normal + specific facilities",
        "additionalInfo": ["ciphering indicator", "ProSe services"], "mncLength": 3}
    # The 3-byte form (TS.48's ISIM EF.AD) has no MNC length.
    assert decode_ef("EF.AD", h("800002")) == {"operationMode": "type approval",
                                               "additionalInfo": ["CSG display control"]}
    assert decode_ef("EF.AD", h("33000002"))["operationMode"] == "RFU (33)"
    assert is_error(decode_ef("EF.AD", h("8000")), "8000")


def test_languages():
    assert decode_ef("EF.PL", h("656E 6465 FFFF")) == {"languages": ["en", "de", None]}
    assert format_decoded(decode_ef("EF.PL", h("FFFF FFFF"))) == "languages:\n  [1-2] (empty)"
    assert decode_ef("EF.LI", h("4652 02FF")) == {"languages": [
        "fr", {"error": "not an ISO 639 code", "raw": "02FF"}]}
    assert is_error(decode_ef("EF.LI", h("656E65")))


# -- locations (TS 31.102 4.2.17, 4.2.23, 4.2.91, 4.4.11.2) ------------------------------------

def test_loci():
    assert decode_ef("EF.LOCI", h("47D1264A 62F210 3721 1E 00")) == {
        "tmsi": "47D1264A", "lai": {"mcc": "262", "mnc": "01", "lac": "3721"},
        "updateStatus": "updated"}
    assert decode_ef("EF.LOCI", h("FFFFFFFF 42F618 FFFE FF 01")) == {   # TS.48
        "tmsi": None, "lai": {"mcc": "246", "mnc": "81", "lac": "FFFE"},
        "updateStatus": "not updated"}
    assert decode_ef("EF.LOCI", h("FFFFFFFF FFFFFF FFFE FF 03"))["lai"] is None
    assert is_error(decode_ef("EF.LOCI", h("FFFFFFFF 42F618 FFFE FF")))


def test_psloci():
    assert decode_ef("EF.PSLOCI", h("FFFFFFFF FFFFFF 42F618 FFFE FF 01")) == {   # TS.48
        "ptmsi": None, "ptmsiSignature": None,
        "rai": {"mcc": "246", "mnc": "81", "lac": "FFFE", "rac": "FF"},
        "updateStatus": "not updated"}
    assert decode_ef("EF.PSLOCI", h("C0010203 A1B2C3 00F110 0001 07 03"))["ptmsi"] == "C0010203"
    assert decode_ef("EF.PSLOCI", h("C0010203 A1B2C3 00F110 0001 07 03"))[
        "updateStatus"] == "routing area not allowed"


def test_epsloci():
    assert decode_ef("EF.EPSLOCI", h("0B F6 42F618 8001 02 11223344  42F618 0001  00")) == {
        "guti": {"mcc": "246", "mnc": "81", "mmeGroupId": "8001", "mmeCode": "02",
                 "mTmsi": "11223344"},
        "tai": {"mcc": "246", "mnc": "81", "tac": "0001"}, "updateStatus": "updated"}
    assert decode_ef("EF.EPSLOCI", h("FF" * 12 + "000000 0000 01")) == {   # TS.48
        "guti": None, "tai": {"mcc": "000", "mnc": "000", "tac": "0000"},
        "updateStatus": "not updated"}


def test_5gs_loci():
    data = h("000B F2 42F618 01 4041 11223344  42F618 000001  02")
    assert decode_ef("EF.5GS3GPPLOCI", data) == {
        "guti5g": {"mcc": "246", "mnc": "81", "amfRegionId": 1, "amfSetId": 257,
                   "amfPointer": 1, "tmsi5g": "11223344"},
        "tai": {"mcc": "246", "mnc": "81", "tac": "000001"},
        "updateStatus": "5U3 roaming not allowed"}
    assert decode_ef("ef-5gsn3gpploci", h("FF" * 13 + "42F618 000000 01"))["guti5g"] is None


# -- dialling numbers (TS 31.102 4.4.2.3, 4.2.26, 4.2.21) --------------------------------------

def test_msisdn_record():
    record = h("4D79206E756D626572 FF FF  07 91 5383214365F7 FFFFFFFF  FF FF")
    assert decode_ef("EF.MSISDN", record) == [{
        "alphaId": "My number", "number": "+35381234567", "ton": "international",
        "npi": "ISDN/telephony (E.164)", "ccpRecord": None, "extensionRecord": None}]


def test_msisdn_records_with_record_length():
    body = (h("FF" * 14)
            + h("05 A1 21436587 FFFFFFFFFFFF 01 02")
            + h("FF FF" + "FF" * 10 + "FF FF"))
    assert decode_ef("EF.MSISDN", body, record_length=14) == [
        None,
        {"alphaId": "", "number": "12345678", "ton": "national",
         "npi": "ISDN/telephony (E.164)", "ccpRecord": 1, "extensionRecord": 2},
        None]
    assert decode_records("EF.ADN", [h("4142 04 81 21A3FB FFFFFFFFFFFFFF FF FF")]) == [
        {"alphaId": "AB", "number": "123*#", "ton": "unknown",
         "npi": "ISDN/telephony (E.164)", "ccpRecord": None, "extensionRecord": None}]


def test_msisdn_alpha_only_and_malformed():
    assert decode_ef("EF.MSISDN", h("41 FF FF" + "FF" * 10 + "FF FF")) == [
        {"alphaId": "A", "number": None, "ton": None, "npi": None, "ccpRecord": None,
         "extensionRecord": None}]
    bad_digit = h("04 81 21E3 FFFFFFFFFFFFFFFF FF FF")
    assert decode_ef("EF.MSISDN", bad_digit) == [
        {"error": "dialling number not BCD (123EFF)", "raw": bad_digit.hex().upper()}]
    assert is_error(decode_ef("EF.MSISDN", h("0C 81" + "11" * 10 + "FF FF"))[0])  # length 12
    assert is_error(decode_ef("EF.MSISDN", h("04 81 2143"))[0])                     # short


def test_ecc_ts48_and_categories():
    records = [h("11F2FF 4575726F20456D6572FF 00"), h("19F1FF 456D657267656E6379FF 00"),
               h("99F9FF FFFFFFFFFFFFFFFFFFFF 07"), h("FFFFFF FFFFFFFFFFFFFFFFFFFF FF")]
    assert decode_records("EF.ECC", records) == [
        {"number": "112", "alphaId": "Euro Emer", "categories": []},
        {"number": "911", "alphaId": "Emergency", "categories": []},
        {"number": "999", "alphaId": "",
         "categories": ["police", "ambulance", "fire brigade"]},
        None]


# -- EF.DIR (TS 102 221 13.1) ------------------------------------------------------------------

def test_dir_ts48_records():
    body = (h("61144F0CA0000000871002FF49FF058950045553494D") + b"\xff" * 11
            + h("61184F10A0000003431002F310FFFF89020000FF50044353494D") + b"\xff" * 7
            + b"\xff" * 33)
    assert decode_ef("EF.DIR", body, 33) == [
        {"aid": "A0000000871002FF49FF0589", "application": "USIM", "label": "USIM"},
        {"aid": "A0000003431002F310FFFF89020000FF", "application": "CSIM", "label": "CSIM"},
        None]


def test_dir_discretionary_data_and_errors():
    record = h("61294F10A0000000871004FFFFFFFF8907090000 5005 5553696D31"
               "730EA00C80011781025F608203454150")
    assert decode_ef("EF.DIR", record) == [{
        "aid": "A0000000871004FFFFFFFF8907090000", "application": "ISIM", "label": "USim1",
        "tag73": "A00C80011781025F608203454150"}]
    assert is_error(decode_ef("EF.DIR", h("6106 50045553494D FFFF"))[0])   # no AID
    assert is_error(decode_ef("EF.DIR", h("4F05A000000087"))[0])           # no template
    assert is_error(decode_ef("EF.DIR", h("6114 4F0CA0000000871002"))[0])  # truncated


# -- EF.ARR (TS 102 221 13.4, 9.2.7) -----------------------------------------------------------

def test_arr_ts48_mf_records():
    records = [
        h("80015BA40683010A9501088401D4A40683010A950108") + b"\xff" * 24,
        h("800101900080015AA40683010A9501088401D4A40683010A950108") + b"\xff" * 19,
        h("800103A406830101950108800118A406830181950108800140A40683010A950108"),
    ]
    assert decode_records("EF.ARR", records) == [
        {"rules": [
            {"operations": ["READ", "UPDATE", "DEACTIVATE", "ACTIVATE", "DELETE"],
             "condition": "ADM1 (0A)"},
            {"operations": ["RESIZE FILE (INS D4)"], "condition": "ADM1 (0A)"}]},
        {"rules": [
            {"operations": ["READ"], "condition": "always"},
            {"operations": ["UPDATE", "DEACTIVATE", "ACTIVATE", "DELETE"],
             "condition": "ADM1 (0A)"},
            {"operations": ["RESIZE FILE (INS D4)"], "condition": "ADM1 (0A)"}]},
        {"rules": [
            {"operations": ["READ", "UPDATE"], "condition": "PIN 01"},
            {"operations": ["DEACTIVATE", "ACTIVATE"], "condition": "PIN 81"},
            {"operations": ["DELETE"], "condition": "ADM1 (0A)"}]},
    ]


def test_arr_templates_and_alternatives():
    pin1, adm1, adm2 = "A40683010195 0108", "A40683010A95 0108", "A40683010B95 0108"
    cases = {
        f"800101 A010 {pin1} {adm1}": "PIN 01 or ADM1 (0A)",
        f"800101 AF10 {pin1} {adm1}": "PIN 01 and ADM1 (0A)",
        f"800101 A708 {pin1}": "not PIN 01",
        f"800102 AF10 {pin1} {adm1} {adm2}": "(PIN 01 and ADM1 (0A)) or ADM2 (0B)",
        f"800102 A01A {pin1} AF10 {pin1} {adm2}": "PIN 01 or (PIN 01 and ADM2 (0B))",
        "800101 9700": "never",
        "800101 9E0130": "external authentication or user authentication",
        "800101 9E0190": "user authentication",
        "800101 9E01F1": "secure messaging and external authentication and user authentication"
                         " (SE 01)",
        "800101 A40683011195 0108": "universal PIN (11)",
        "800101 A40683018A95 0180": "ADM6 (8A) (usage qualifier 80)",
        "800101 B400": "secure messaging (CCT)",
        "8C02 00B0 9000": None,
    }
    for raw, condition in cases.items():
        rule = decode_ef("EF.ARR", h(raw))[0]["rules"][0]
        if condition is not None:
            assert rule["condition"] == condition, raw
    assert decode_ef("EF.ARR", h("8C0200B0 9000 8401 32 9000"))[0] == {"rules": [
        {"operations": ["READ BINARY (CLA 00 INS B0)"], "condition": "always"},
        {"operations": ["INCREASE (INS 32)"], "condition": "always"}]}


def test_arr_access_modes_for_a_df():
    record = h("800107 A406830101950108 800140 9700")
    assert arr_record(record, for_df=True) == {"rules": [
        {"operations": ["DELETE child", "CREATE EF", "CREATE DF"], "condition": "PIN 01"},
        {"operations": ["DELETE"], "condition": "never"}]}
    assert decode_ef("EF.ARR", record)[0]["rules"][0]["operations"] == [
        "READ", "UPDATE", "WRITE"]
    assert decode_ef("EF.ARR", h("8001C3 9000"))[0]["rules"][0]["operations"] == [
        "READ", "UPDATE", "proprietary 40"]


@pytest.mark.parametrize("raw", [
    "A406830101950108",          # condition before any access mode
    "800101 800102 9000",        # first access mode without a condition
    "800101 A4068301",           # TLV running past the end
    "80020101 9000",             # two AM bytes
    "8401 9000",                 # command header AM_DO missing its INS
    "800101 9901 00",            # unknown SC_DO
    "800101 A000",               # empty OR template
])
def test_arr_malformed(raw):
    assert is_error(decode_ef("EF.ARR", h(raw))[0], h(raw).hex().upper())


# -- ISIM (TS 31.103 4.2.2-4.2.4, 4.2.8) -------------------------------------------------------

def test_impi_domain_impu_ts48():
    impi = h("801D30303130313031323334353637383940746573742E336770702E636F6DFF")
    assert decode_ef("EF.IMPI", impi) == {"impi": "001010123456789@test.3gpp.com"}
    assert decode_ef("EF.DOMAIN", b"\xff" * 32) == {"domain": None}
    assert decode_ef("EF.DOMAIN", h("800C") + b"ims.test.org" + b"\xff") == {
        "domain": "ims.test.org"}
    impu = (h("801E7369703A2B313132333435363738393040746573742E336770702E636F6D") + b"\xff" * 32
            + b"\xff" * 64)
    assert decode_ef("EF.IMPU", impu, 64) == [{"impu": "sip:+11234567890@test.3gpp.com"}, None]


def test_isim_malformed():
    assert is_error(decode_ef("EF.IMPI", h("8105 6162636465")))   # wrong tag
    assert is_error(decode_ef("EF.IMPI", h("8003 C328FF")))       # not UTF-8
    assert is_error(decode_ef("EF.IMPU", h("8010 7369703A"))[0])  # truncated


def test_pcscf_records():
    records = [h("800D 00 7063736366312E746573742E") + b"\xff",  # FQDN
               h("8005 01 C0000201 FFFF"),
               h("8011 02 20010DB8000000000000000000000001"),
               h("8005 03 C0000201"), h("8004 01 C00002"), b"\xff" * 8]
    decoded = decode_records("EF.P-CSCF", records)
    assert decoded[:3] == [{"addressType": "FQDN", "address": "pcscf1.test."},
                           {"addressType": "IPv4", "address": "192.0.2.1"},
                           {"addressType": "IPv6", "address": "2001:db8::1"}]
    assert is_error(decoded[3]) and is_error(decoded[4]) and decoded[5] is None


# -- EF.SUCI_Calc_Info (TS 31.102 4.4.11.8) ----------------------------------------------------

def test_suci_calc_info():
    key_a = "4E858C4D49D1343E6181284C47CA721730C98742CB7C6182D2E8126E08088D36"
    key_b = "D1BC365F4997D17CE4374E72181431CBFEBA9E1B98D7618F79D48561B144672A"
    data = h(f"A004 0101 0000 A14A 80010A 8120{key_a} 80010B 8120{key_b}") + b"\xff" * 4
    assert decode_ef("EF.SUCI_Calc_Info", data) == {
        "protectionSchemes": [{"scheme": "Profile A (X25519)", "keyIndex": 1},
                              {"scheme": "null scheme", "keyIndex": 0}],
        "homeNetworkKeys": [{"keyId": 10, "publicKey": key_a},
                            {"keyId": 11, "publicKey": key_b}]}
    assert decode_ef("ef-suci-calc-info-usim", b"\xff" * 8) == {
        "protectionSchemes": [], "homeNetworkKeys": []}
    assert is_error(decode_ef("EF.SUCI_Calc_Info", h("A003 010200")))


# -- dispatch, conventions ---------------------------------------------------------------------

def test_names_and_spellings():
    required = {"EF.ICCID", "EF.IMSI", "EF.AD", "EF.UST", "EF.IST", "EF.EST", "EF.SPN",
                "EF.PLMNwAcT", "EF.OPLMNwACT", "EF.HPLMNwAcT", "EF.FPLMN", "EF.EHPLMN",
                "EF.LOCI", "EF.PSLOCI", "EF.MSISDN", "EF.ARR", "EF.DIR", "EF.IMPI",
                "EF.IMPU", "EF.DOMAIN", "EF.ACC", "EF.Keys", "EF.KeysPS", "EF.HPPLMN",
                "EF.LI", "EF.PL", "EF.SUCI_Calc_Info"}
    assert required <= set(decodable_names())
    imsi = h("080910101032540636")
    for spelling in ("EF.IMSI", "ef-imsi", "IMSI", "ef_imsi", " EF.imsi "):
        assert decode_ef(spelling, imsi)["imsi"] == "001010123456063"
    assert decoder_for("EF.OPLMNwAcT") is decoder_for("ef-oplmnwact")
    assert decode_ef("EF.SMSP", b"\x00") is None
    assert decode_records("EF.NOPE", [b"\x00"]) is None


def test_record_conventions():
    ecc = h("11F2FF FF 00")
    assert decode_ef("EF.ECC", ecc) == [{"number": "112", "alphaId": "", "categories": []}]
    assert decode_ef("EF.ECC", ecc + ecc[:3], 5)[1]["error"]  # a short last record
    assert decode_ef("EF.ECC", b"") == []
    # record_length does not change a transparent EF
    assert decode_ef("EF.ACC", h("0001"), 1) == {"accessClasses": [0]}


def test_random_bytes_never_raise():
    rng = random.Random(20240501)
    for name in decodable_names():
        for _ in range(300):
            size = rng.choice([0, 1, 2, 3, 5, 9, 10, 11, 14, 17, 18, 20, 33, 46])
            data = bytes(rng.choice([0x00, 0x80, 0xFF, 0x61, 0xA0, 0xA4, rng.randrange(256)])
                         for _ in range(size))
            result = decode_ef(name, data, rng.choice([None, 5, 14]))
            assert isinstance(result, dict | list)


# -- text form ---------------------------------------------------------------------------------

def test_format_transparent():
    text = format_decoded(decode_ef("EF.LOCI", h("FFFFFFFF 42F618 FFFE FF 01")))
    assert text == ("tmsi          -\n"
                    "lai           mcc: 246; mnc: 81; lac: FFFE\n"
                    "updateStatus  not updated")


def test_format_lists_and_records():
    text = format_decoded(decode_ef("EF.FPLMN", h("42F618 FFFFFF FFFFFF 00F110")))
    assert text == ("plmns:\n"
                    "  [1] mcc: 246; mnc: 81\n"
                    "  [2-3] (empty)\n"
                    "  [4] mcc: 001; mnc: 01")
    arr = decode_ef("EF.ARR", h("800101 9000 800102 A406830101950108"))
    assert format_decoded(arr, start=5) == ("[5]\n"
                                            "    rules:\n"
                                            "      [1] operations: READ; condition: always\n"
                                            "      [2] operations: UPDATE; condition: PIN 01")
    assert format_decoded(decode_ef("EF.UST", h("0100"))) == "services  1: Local Phone Book"
    assert format_decoded(decode_ef("EF.UST", h("1F00"))).startswith(
        "services:\n  1  Local Phone Book\n  2  Fixed Dialling Numbers (FDN)")
    assert format_decoded(None) == "(no decoder for this file)"
    assert format_decoded({"keySetAvailable": False, "x": []}) == ("keySetAvailable  no\n"
                                                                   "x                (none)")
