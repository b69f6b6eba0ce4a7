"""euicc.coding: swapped BCD (TS 102 221 13.2 EF.ICCID, ITU-T E.118), EF.IMSI (TS 31.102
4.2.2, TS 24.008 10.5.1.4) and the PLMN identity (TS 24.008 10.5.1.3)."""

from __future__ import annotations

import pytest

from euicc.coding import (
    CodingError,
    bcd_text,
    decode_bcd,
    decode_imsi,
    decode_plmn,
    encode_bcd,
    encode_iccid,
    encode_imsi,
    encode_plmn,
    luhn_valid,
    swap_nibbles,
    swapped_nibbles,
)

h = bytes.fromhex


# -- swapped BCD -------------------------------------------------------------------------------

def test_swapped_nibbles_low_nibble_first():
    assert swapped_nibbles(h("9894F0")) == "89490F"
    assert swap_nibbles(h("9894F0")) == h("89490F")
    assert swap_nibbles(swap_nibbles(h("0123456789ABCDEF"))) == h("0123456789ABCDEF")


@pytest.mark.parametrize(("digits", "length", "coded"), [
    ("1234", None, "2143"),
    ("123", None, "21F3"),  # odd count: 'F' in the last high nibble
    ("1", None, "F1"),
    ("", None, ""),
    ("123", 4, "21F3FFFF"),  # padded with 'FF' to the length
    ("", 2, "FFFF"),
])
def test_encode_bcd_odd_counts_and_padding(digits, length, coded):
    assert encode_bcd(digits, length) == h(coded)
    assert decode_bcd(h(coded)) == digits
    assert bcd_text(h(coded)) == digits


@pytest.mark.parametrize("digits", ["12A4", "1 2", "١٢", "-1", "F"])
def test_encode_bcd_refuses_what_is_not_decimal(digits):
    with pytest.raises(CodingError):
        encode_bcd(digits)


def test_encode_bcd_refuses_more_digits_than_fit():
    with pytest.raises(CodingError):
        encode_bcd("12345", 2)


@pytest.mark.parametrize("coded", [
    "21A3",  # 'A' before the filler
    "21435F",  # a digit after the filler
    "1F23",  # a filler, then digits
])
def test_decode_bcd_is_strict(coded):
    with pytest.raises(CodingError):
        decode_bcd(h(coded))


def test_bcd_text_shows_any_nibble_and_drops_trailing_fillers():
    assert bcd_text(h("21A3FFFF")) == "123A"
    assert bcd_text(h("1F23")) == "F132"
    assert bcd_text(h("FFFF")) == ""


# -- ICCID ----------------------------------------------------------------------------------

def test_iccid_of_ts48_profile():
    # the TS.48 test profiles' EF.ICCID (19 digits, 'F' padded)
    assert encode_iccid("8949449999999990007") == h("98 94 44 99 99 99 99 09 00 F7")
    assert encode_iccid("89441234000000000334") == h("98 44 21 43 00 00 00 00 30 43")
    assert decode_bcd(h("98 94 44 99 99 99 99 09 00 F7")) == "8949449999999990007"
    assert luhn_valid("8949449999999990007") and not luhn_valid("8949449999999990070")


def test_iccid_has_at_most_20_digits():
    with pytest.raises(CodingError):
        encode_iccid("1" * 21)


# -- EF.IMSI --------------------------------------------------------------------------------

@pytest.mark.parametrize(("imsi", "content"), [
    ("001010123456063", "08 09 10 10 10 32 54 06 36"),  # odd: parity nibble '9'
    ("00101012345606", "08 01 10 10 10 32 54 06 F6"),  # even: parity '1' and an 'F' filler
    ("262011", "04 21 26 10 F1 FF FF FF FF"),  # short: 'FF' up to nine bytes
])
def test_imsi_parity_filler_and_padding(imsi, content):
    assert encode_imsi(imsi) == h(content)
    assert decode_imsi(h(content)) == imsi


@pytest.mark.parametrize("content", [
    "08",  # no digits
    "09 09 10 10 10 32 54 06 36",  # length byte beyond the content
    "00 09 10 10 10 32 54 06 36",  # zero length
    "08 0A 10 10 10 32 54 06 36",  # identity type 2, not IMSI
    "08 09 10 10 10 3A 54 06 36",  # 'A' is no digit
    "08 01 10 10 10 32 54 76 98",  # even indicator but no 'F' filler
])
def test_decode_imsi_refuses_malformed_content(content):
    with pytest.raises(CodingError):
        decode_imsi(h(content))


@pytest.mark.parametrize("imsi", ["", "1234567890123456", "00101A"])
def test_encode_imsi_refuses_bad_digit_strings(imsi):
    with pytest.raises(CodingError):
        encode_imsi(imsi)


# -- PLMN identity ------------------------------------------------------------------------------

@pytest.mark.parametrize(("mcc", "mnc", "coded"), [
    ("246", "81", "42F618"),  # TS 31.102 4.2.16's example: 2-digit MNC, digit 3 'F'
    ("310", "410", "130014"),  # 3-digit MNC: its third digit in the middle high nibble
    ("001", "01", "00F110"),
    ("274", "012", "722410"),  # TS 33.501 C.4's SUCI
])
def test_plmn_two_and_three_digit_mnc(mcc, mnc, coded):
    assert encode_plmn(mcc, mnc) == h(coded)
    assert decode_plmn(h(coded)) == (mcc, mnc)


@pytest.mark.parametrize(("mcc", "mnc"), [
    ("24", "81"), ("2466", "81"), ("246", "8"), ("246", "8101"), ("24A", "81"), ("246", "8F"),
])
def test_encode_plmn_refuses_bad_mcc_or_mnc(mcc, mnc):
    with pytest.raises(CodingError):
        encode_plmn(mcc, mnc)


@pytest.mark.parametrize("coded", [
    "4AF618",  # MCC digit 2 'A'
    "42F61A",  # MNC digit 2 'A'
    "42A618",  # MNC digit 3 neither a digit nor the 'F' filler
    "FFFFFF",  # an erased entry is no PLMN
    "42F6",  # short
])
def test_decode_plmn_refuses_what_is_not_bcd(coded):
    with pytest.raises(CodingError):
        decode_plmn(h(coded))
