"""Secrets never reach an APDU trace in clear (euicc.redact)."""

from euicc.redact import Redactor, mask_authenticate_data

RES, CK, IK, KC = b"\x11" * 8, b"\x22" * 16, b"\x33" * 16, b"\x44" * 8


def lv(data: bytes) -> bytes:
    return bytes([len(data)]) + data


def test_pin_values_are_masked_and_header_kept():
    command, response = Redactor()(bytes.fromhex("002000010831323334FFFFFFFF"), b"\x90\x00")
    assert command == bytes.fromhex("0020000108") + b"\xff" * 8 and response == b"\x90\x00"
    unblock = bytes.fromhex("002C000110") + b"12345678" + b"0000\xff\xff\xff\xff"
    assert b"1234" not in Redactor()(unblock, b"\x90\x00")[0]


def test_authenticate_keys_masked_directly_and_through_get_response():
    data = b"\xdb" + lv(RES) + lv(CK) + lv(IK) + lv(KC)
    masked = mask_authenticate_data(data)
    assert masked == b"\xdb" + lv(RES) + lv(bytes(16)) + lv(bytes(16)) + lv(bytes(8))
    redact = Redactor()
    command = bytes.fromhex("0088008122") + bytes(34)
    assert redact(command, b"\x61" + bytes([len(data)]))[1] == b"\x61" + bytes([len(data)])
    _, response = redact(bytes.fromhex("00C0000035"), data + b"\x90\x00")
    assert response == masked + b"\x90\x00"
    # a later GET RESPONSE for another command is left alone
    redact(bytes.fromhex("00B0000002"), b"\x61\x02")
    assert redact(bytes.fromhex("00C0000002"), b"\xab\xcd\x90\x00")[1] == b"\xab\xcd\x90\x00"


def test_gsm_context_keeps_sres_masks_kc_and_auts_is_kept():
    gsm = lv(b"\x55" * 4) + lv(KC)
    assert mask_authenticate_data(gsm) == lv(b"\x55" * 4) + lv(bytes(8))
    auts = b"\xdc" + lv(b"\x66" * 14)
    assert mask_authenticate_data(auts) == auts
    assert mask_authenticate_data(b"\xdb\x20\x01") == b"\xdb\x00\x00"  # malformed: all masked


def test_other_commands_untouched():
    command = bytes.fromhex("80E2910006BF3E035C015A")
    assert Redactor()(command, b"\x61\x12") == (command, b"\x61\x12")
