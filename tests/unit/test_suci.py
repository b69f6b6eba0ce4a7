"""SUCI calculation on the USIM (euicc_applets.naa.suci) against published data:

- TS 33.501 Annex C.4 implementers' test data (C.4.2 null scheme, C.4.3 Profile A, C.4.4
  Profile B, IMSI and NAI based), as transcribed in typhon-sec/3gpp-security-toolkit
  specs/ts33501-v20/sections/section-C-4.md; the IMSI sets also appear in magma
  lte/gateway/python/magma/subscriberdb/tests/crypto/test_ECIES.py.
  The home network key pairs and the TS 31.121 4.9.4 file are in tests/support/suci_vectors.py.
- EF.SUCI_Calc_Info examples of pySim: pySim/ts_31_102.py EF_SUCI_Calc_Info._test_de_encode
  and the TS 31.121 4.9.4 test file of pySim tests/unittests/test_utils.py.
- SUCI / routing indicator coding of TS 24.501 9.11.3.4 (Table 9.11.3.4.1 and its NOTE 2).
"""

import pytest
from cryptography.hazmat.primitives.asymmetric import ec, x25519
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from euicc_applets.naa import suci
from euicc_applets.naa.suci import (
    IdentityContext,
    ProtectionScheme,
    SchemeEntry,
    calculate_suci,
    decode_suci_value,
    get_identity_response,
    msin_bcd,
    msin_from_bcd,
    parse_get_identity_p2,
    parse_suci_calc_info,
    protect_msin,
    select_scheme,
    suci_value,
    unprotect,
)
from tests.support.suci_vectors import (
    A_HN_PRIVATE,
    A_HN_PUBLIC,
    B_HN_PRIVATE,
    B_HN_PUBLIC,
    TS31121_CALC_INFO,
)

h = bytes.fromhex

# TS 33.501 C.4: IMSI = MCC|MNC '274012' || MSIN '001002086'
IMSI = "274012001002086"
SCHEME_INPUT_IMSI = h("00012080F6")
SCHEME_INPUT_NAI = b"verylongusername1"

A_EPH_PRIVATE_IMSI = h("c80949f13ebe61af4ebdbd293ea4f942696b9e815d7e8f0096bbf6ed7de62256")
A_OUTPUT_IMSI = h("b2e92f836055a255837debf850b528997ce0201cb82adfe4be1f587d07d8457d"
                  "cb02352410" "cddd9e730ef3fa87")
A_EPH_PRIVATE_NAI = h("BE9EFF3E9F22A4B42A3D236E7A6C500B3F2E7E0C7449988BA800D664BF4FCD97")
A_OUTPUT_NAI = h("977D8B2FDAA7B64AA700D04227D5B440630EA4EC50F9082273A26BB678C92222"
                 "8E358A1582ADB15322C10E515141D2039A" "12E1D7783A97F1AC")

B_HN_PUBLIC_UNCOMPRESSED = h(
    "0472DA71976234CE833A6907425867B82E074D44EF907DFB4B3E21C1C2256EBCD1"
    "5A7DED52FCBB097A4ED250E036C7B9C8C7004C4EEDC4F068CD7BF8D3F900E3B4")
B_EPH_PRIVATE_IMSI = h("99798858A1DC6A2C68637149A4B1DBFD1FDFF5ADDD62A2142F06699ED7602529")
B_OUTPUT_IMSI = h("039AAB8376597021E855679A9778EA0B67396E68C66DF32C0F41E9ACCA2DA9B9D1"
                  "46A33FC271" "6AC7DAE96AA30A4D")
B_EPH_PRIVATE_NAI = h("90A5898BD29FFA3F261E00E980067C70A2B1B992A21F5B4FEF6D4DF69FE804AD")
B_OUTPUT_NAI = h("03759BB22C563D9F4A6B3C1419E543FC2F39D6823F02A9D71162B39399218B244B"
                 "BE22D8B9F856A52ED381CD7EAF4CF2D525" "3CDDC61A0A7882EB")

# pySim EF_SUCI_Calc_Info._test_de_encode
PYSIM_CALC_INFO = h(
    "A00401010000A14A80010A81204E858C4D49D1343E6181284C47CA721730C98742CB7C6182D2E8126E0808"
    "8D3680010B8120D1BC365F4997D17CE4374E72181431CBFEBA9E1B98D7618F79D48561B144672A")


# --- TS 33.501 C.4 --------------------------------------------------------------------------

def test_msin_coding_is_the_c4_scheme_input():
    assert msin_bcd("001002086") == SCHEME_INPUT_IMSI
    assert msin_bcd("0123456789") == h("1032547698")
    assert msin_from_bcd(SCHEME_INPUT_IMSI) == "001002086"


def test_null_scheme_c421():
    assert protect_msin(0, b"", SCHEME_INPUT_IMSI) == SCHEME_INPUT_IMSI
    assert unprotect(0, b"", SCHEME_INPUT_IMSI) == SCHEME_INPUT_IMSI


@pytest.mark.parametrize(("scheme", "hn_public", "ephemeral", "scheme_input", "expected"), [
    (1, A_HN_PUBLIC, A_EPH_PRIVATE_IMSI, SCHEME_INPUT_IMSI, A_OUTPUT_IMSI),  # C.4.3.1
    (1, A_HN_PUBLIC, A_EPH_PRIVATE_NAI, SCHEME_INPUT_NAI, A_OUTPUT_NAI),  # C.4.3.2
    (2, B_HN_PUBLIC, B_EPH_PRIVATE_IMSI, SCHEME_INPUT_IMSI, B_OUTPUT_IMSI),  # C.4.4.1
    (2, B_HN_PUBLIC, B_EPH_PRIVATE_NAI, SCHEME_INPUT_NAI, B_OUTPUT_NAI),  # C.4.4.2
    (2, B_HN_PUBLIC_UNCOMPRESSED, B_EPH_PRIVATE_IMSI, SCHEME_INPUT_IMSI, B_OUTPUT_IMSI),
], ids=["A-imsi", "A-nai", "B-imsi", "B-nai", "B-imsi-uncompressed-hn-key"])
def test_c4_scheme_outputs(scheme, hn_public, ephemeral, scheme_input, expected):
    assert protect_msin(scheme, hn_public, scheme_input, ephemeral) == expected


@pytest.mark.parametrize(("scheme", "hn_private", "output", "expected"), [
    (1, A_HN_PRIVATE, A_OUTPUT_IMSI, SCHEME_INPUT_IMSI),
    (1, A_HN_PRIVATE, A_OUTPUT_NAI, SCHEME_INPUT_NAI),
    (2, B_HN_PRIVATE, B_OUTPUT_IMSI, SCHEME_INPUT_IMSI),
    (2, B_HN_PRIVATE, B_OUTPUT_NAI, SCHEME_INPUT_NAI),
])
def test_c4_home_network_side(scheme, hn_private, output, expected):
    assert unprotect(scheme, hn_private, output) == expected


def _profile_a_pair() -> tuple[bytes, bytes]:
    private = x25519.X25519PrivateKey.generate()
    return (private.private_bytes_raw(),
            private.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw))


def _profile_b_pair() -> tuple[bytes, bytes]:
    private = ec.generate_private_key(ec.SECP256R1())
    return (private.private_numbers().private_value.to_bytes(32, "big"),
            private.public_key().public_bytes(Encoding.X962, PublicFormat.CompressedPoint))


@pytest.mark.parametrize(("scheme", "make_pair", "point_bytes"), [
    (1, _profile_a_pair, 32), (2, _profile_b_pair, 33)])
@pytest.mark.parametrize("msin", ["0", "12345678", "123456789", "1234567890"])
def test_round_trip_with_fresh_ephemeral_keys(scheme, make_pair, point_bytes, msin):
    hn_private, hn_public = make_pair()
    plain = msin_bcd(msin)
    first = protect_msin(scheme, hn_public, plain)
    second = protect_msin(scheme, hn_public, plain)
    assert len(first) == point_bytes + len(plain) + 8
    assert first[:point_bytes] != second[:point_bytes]  # a new ephemeral key every time
    assert unprotect(scheme, hn_private, first) == plain
    assert unprotect(scheme, hn_private, second) == plain


@pytest.mark.parametrize(("scheme", "hn_private", "output"), [
    (1, A_HN_PRIVATE, A_OUTPUT_IMSI), (2, B_HN_PRIVATE, B_OUTPUT_IMSI)])
@pytest.mark.parametrize("position", [-1, -9])  # the MAC tag, the ciphertext
def test_tampered_output_fails_the_mac(scheme, hn_private, output, position):
    tampered = bytearray(output)
    tampered[position] ^= 0x01
    with pytest.raises(ValueError, match="MAC"):
        unprotect(scheme, hn_private, bytes(tampered))


def test_ctr_counter_wraps_in_its_low_32_bits():
    key, icb = bytes(range(16)), h("00112233445566778899AABBFFFFFFFF")
    encryptor = Cipher(algorithms.AES(key), modes.ECB()).encryptor()
    keystream = encryptor.update(icb + h("00112233445566778899AABB00000000"))
    assert suci._aes128_ctr(key, icb, bytes(32)) == keystream


# --- errors ---------------------------------------------------------------------------------

@pytest.mark.parametrize("scheme", [3, 15, -1, 256])
def test_unknown_scheme(scheme):
    with pytest.raises(ValueError, match="unsupported protection scheme"):
        protect_msin(scheme, A_HN_PUBLIC, SCHEME_INPUT_IMSI)
    with pytest.raises(ValueError, match="unsupported protection scheme"):
        unprotect(scheme, A_HN_PRIVATE, A_OUTPUT_IMSI)


@pytest.mark.parametrize(("scheme", "key"), [
    (1, A_HN_PUBLIC[:31]), (1, A_HN_PUBLIC + b"\x00"), (1, B_HN_PUBLIC),
    (2, A_HN_PUBLIC), (2, B_HN_PUBLIC[:32]), (2, b"\x05" + B_HN_PUBLIC[1:])])
def test_wrong_home_public_key(scheme, key):
    with pytest.raises(ValueError):
        protect_msin(scheme, key, SCHEME_INPUT_IMSI)


@pytest.mark.parametrize(("scheme", "hn_public", "ephemeral"), [
    (1, A_HN_PUBLIC, A_EPH_PRIVATE_IMSI[:31]), (2, B_HN_PUBLIC, B_EPH_PRIVATE_IMSI + b"\x00"),
    (2, B_HN_PUBLIC, bytes(32))])
def test_wrong_ephemeral_key(scheme, hn_public, ephemeral):
    with pytest.raises(ValueError):
        protect_msin(scheme, hn_public, SCHEME_INPUT_IMSI, ephemeral)


@pytest.mark.parametrize(("scheme", "hn_private", "output"), [
    (1, A_HN_PRIVATE[:31], A_OUTPUT_IMSI), (2, B_HN_PRIVATE[:31], B_OUTPUT_IMSI),
    (1, A_HN_PRIVATE, A_OUTPUT_IMSI[:39]), (2, B_HN_PRIVATE, B_OUTPUT_IMSI[:40]),
    (2, B_HN_PRIVATE, b"\x04" + B_OUTPUT_IMSI[1:])])
def test_unprotect_rejects_malformed_input(scheme, hn_private, output):
    with pytest.raises(ValueError):
        unprotect(scheme, hn_private, output)


# --- the SUCI value and GET IDENTITY ---------------------------------------------------------

def test_suci_value_of_the_c4_imsi_byte_by_byte():
    value = suci_value(IMSI, 3, h("65F7"), 1, 30, A_OUTPUT_IMSI)
    assert value[0] == 0x01  # SUPI format IMSI (000), type of identity SUCI (001)
    assert value[1] == 0x72  # MCC digit 2 '7' | MCC digit 1 '2'
    assert value[2] == 0x24  # MNC digit 3 '2' | MCC digit 3 '4'
    assert value[3] == 0x10  # MNC digit 2 '1' | MNC digit 1 '0'
    assert value[4:6] == h("65F7")  # routing indicator "567" (TS 24.501 Table 9.11.3.4.1 NOTE 2)
    assert value[6] == 0x01  # Profile A
    assert value[7] == 30  # home network public key identifier
    assert value[8:] == A_OUTPUT_IMSI
    assert len(value) == 8 + 45


def test_suci_value_two_digit_mnc_null_scheme_unset_routing_indicator():
    value = suci_value("00101123456789", 2, h("FFFF"), 0, 0, msin_bcd("123456789"))
    # MCC 001, MNC 01 (MNC digit 3 'F'); routing indicator not configured -> 'F0FF'
    assert value == h("01" "00F110" "F0FF" "00" "00" "21436587F9")


def test_get_identity_response_is_the_a1_object():
    value = suci_value(IMSI, 3, h("17FF"), 2, 27, B_OUTPUT_IMSI)
    response = get_identity_response(value)
    assert response[:2] == bytes([0xA1, len(value)]) and response[2:] == value
    assert len(value) == 54  # the length pySim's get_identity test expects (108 hex digits)


def test_decode_suci_value_inverts_suci_value():
    value = suci_value(IMSI, 3, h("17FF"), 2, 27, B_OUTPUT_IMSI)
    decoded = decode_suci_value(value)
    assert (decoded.mcc, decoded.mnc, decoded.routing_indicator) == ("274", "012", h("17FF"))
    assert (decoded.scheme, decoded.key_identifier) == (2, 27)
    assert msin_from_bcd(unprotect(decoded.scheme, B_HN_PRIVATE, decoded.scheme_output)) == \
        IMSI[6:]
    two_digit = decode_suci_value(suci_value("00101123456789", 2, h("F0FF"), 0, 0, b"\x21"))
    assert (two_digit.mcc, two_digit.mnc) == ("001", "01")


@pytest.mark.parametrize(("imsi", "mnc_length", "routing_indicator", "scheme", "key_id"), [
    ("27401200100208X", 3, h("17FF"), 1, 1),  # not digits
    ("274012", 3, h("17FF"), 1, 1),  # no MSIN
    ("2740120010020861", 3, h("17FF"), 1, 1),  # 16 digits
    (IMSI, 4, h("17FF"), 1, 1),  # MNC length
    (IMSI, 3, h("17"), 1, 1),  # routing indicator length
    (IMSI, 3, h("1AFF"), 1, 1),  # not BCD
    (IMSI, 3, h("F112"), 1, 1),  # digit after a filler
    (IMSI, 3, h("1FFF"), 1, 1),  # no first digit
    (IMSI, 3, h("17FF"), 16, 1),  # scheme id is 4 bits
    (IMSI, 3, h("17FF"), 1, 256),  # key id is one byte
    (IMSI, 3, h("17FF"), 0, 1),  # null scheme with a key id
])
def test_suci_value_rejects(imsi, mnc_length, routing_indicator, scheme, key_id):
    with pytest.raises(ValueError):
        suci_value(imsi, mnc_length, routing_indicator, scheme, key_id, b"\x00")


def test_get_identity_p2():
    assert parse_get_identity_p2(0x01) is IdentityContext.SUCI
    assert parse_get_identity_p2(0x81) is IdentityContext.SUCI
    assert parse_get_identity_p2(0x02) is IdentityContext.SUCI_5G_NSWO
    with pytest.raises(ValueError):
        parse_get_identity_p2(0x03)


# --- EF.SUCI_Calc_Info ----------------------------------------------------------------------

def test_parse_pysim_example():
    info = parse_suci_calc_info(PYSIM_CALC_INFO)
    assert info.schemes == (SchemeEntry(1, 1), SchemeEntry(0, 0))
    assert [k.identifier for k in info.keys] == [10, 11]
    assert info.keys[0].public_key == h(
        "4e858c4d49d1343e6181284c47ca721730c98742cb7c6182d2e8126e08088d36")
    assert info.keys[1].public_key == h(
        "d1bc365f4997d17ce4374e72181431cbfeba9e1b98d7618f79d48561b144672a")
    selected = select_scheme(info)
    assert (selected.scheme, selected.key_identifier) == (ProtectionScheme.PROFILE_A, 10)
    assert selected.public_key == info.keys[0].public_key


def test_parse_ts31121_file_with_ff_padding_and_calculate():
    info = parse_suci_calc_info(TS31121_CALC_INFO + b"\xff" * 20)
    assert info.schemes == (SchemeEntry(2, 1), SchemeEntry(1, 2), SchemeEntry(0, 0))
    assert [(k.identifier, k.public_key) for k in info.keys] == [
        (27, B_HN_PUBLIC), (30, A_HN_PUBLIC)]
    value = calculate_suci(IMSI, 3, h("17FF"), info, ephemeral=B_EPH_PRIVATE_IMSI)
    assert value == h("01722410" "17FF" "02" "1B") + B_OUTPUT_IMSI


def test_key_index_is_a_position_not_an_identifier():
    # Profile A at index 2 names the second key (identifier 30), not a key identified as 2
    info = parse_suci_calc_info(h("A0020102A14B80011B8121") + B_HN_PUBLIC + h("80011E8120")
                                + A_HN_PUBLIC)
    value = calculate_suci(IMSI, 3, h("F0FF"), info, ephemeral=A_EPH_PRIVATE_IMSI)
    assert value == h("01722410" "F0FF" "01" "1E") + A_OUTPUT_IMSI


def test_selection_passes_over_unusable_entries():
    # proprietary scheme 5, then Profile B naming a missing key 3, then the null scheme
    info = parse_suci_calc_info(h("A006050102030000A10780011B8102AABB"))
    selected = select_scheme(info)
    assert (selected.scheme, selected.key_identifier, selected.public_key) == (
        ProtectionScheme.NULL, 0, None)
    value = calculate_suci(IMSI, 3, h("17FF"), info)
    assert value == h("01722410" "17FF" "00" "00") + SCHEME_INPUT_IMSI


@pytest.mark.parametrize("content", [
    h("FFFFFFFF"),  # empty file
    h("A103800101"),  # no scheme list
    h("A003010100"),  # odd scheme list
    h("A0020101A1038001"),  # truncated TLV
    h("A0020101A10380010A"),  # identifier without a key
    h("A0020101A1058102AABB"),  # key without an identifier
    h("A0020101A10780020A0B8100"),  # two-byte identifier
    h("A0020101A2020000"),  # unknown data object
])
def test_parse_rejects_malformed_content(content):
    with pytest.raises(ValueError):
        parse_suci_calc_info(content)


def test_no_usable_scheme():
    info = parse_suci_calc_info(h("A0040101020100"))  # keys named, but no key list
    with pytest.raises(ValueError, match="no usable protection scheme"):
        select_scheme(info)
