"""ISO/IEC 7816-4 5.1 APDU cases and 5.4.1 class byte decoding."""

import pytest

from euicc.apdu import ClassByte, CommandApdu
from euicc.sw import SW, SwError


@pytest.mark.parametrize(
    "raw, case, data, le, extended",
    [
        ("00A40400", 1, "", None, False),
        ("00C0000010", 2, "", 16, False),
        ("00C0000000", 2, "", 256, False),
        ("80E2910003BF2D00", 3, "BF2D00", None, False),
        ("00A4040002AABB00", 4, "AABB", 256, False),
        ("00B0000000FFFF", 2, "", 65535, True),
        ("00B0000000000000"[:14], 2, "", 65536, True),
        ("80E29100000003BF2D00", 3, "BF2D00", None, True),
        ("80E29100000003BF2D000100", 4, "BF2D00", 256, True),
    ],
)
def test_cases(raw, case, data, le, extended):
    apdu = CommandApdu.parse(bytes.fromhex(raw))
    assert (apdu.case, apdu.data.hex().upper(), apdu.le, apdu.extended) == (
        case,
        data,
        le,
        extended,
    )
    assert CommandApdu.parse(apdu.to_bytes()) == apdu


@pytest.mark.parametrize(
    "raw",
    [
        "",
        "00",
        "00A404",
        "00A4040003AABB",
        "00A40400000002AA",
        "00A404000000",
        "00A4040002AABBCCDD",
    ],
)
def test_malformed_lengths(raw):
    with pytest.raises(SwError) as err:
        CommandApdu.parse(bytes.fromhex(raw))
    assert err.value.sw == SW.WRONG_LENGTH


@pytest.mark.parametrize("ins", [0x60, 0x6F, 0x90, 0x9F])
def test_invalid_ins(ins):
    with pytest.raises(SwError) as err:
        CommandApdu.parse(bytes([0, ins, 0, 0]))
    assert err.value.sw == SW.INS_NOT_SUPPORTED


@pytest.mark.parametrize(
    "cla, channel, sm, chaining, proprietary",
    [
        (0x00, 0, False, False, False),
        (0x03, 3, False, False, False),
        (0x81, 1, False, False, True),
        (0x40, 4, False, False, False),
        (0x4F, 19, False, False, False),
        (0xC2, 6, False, False, True),
        (0x10, 0, False, True, False),
        (0x0C, 0, True, False, False),
        (0x60, 4, True, False, False),
    ],
)
def test_class_byte(cla, channel, sm, chaining, proprietary):
    decoded = ClassByte.decode(cla)
    assert (decoded.channel, decoded.secure_messaging, decoded.chaining, decoded.proprietary) == (
        channel,
        sm,
        chaining,
        proprietary,
    )


@pytest.mark.parametrize("cla", [0xFF, 0x20, 0x3F])
def test_invalid_class(cla):
    with pytest.raises(SwError) as err:
        ClassByte.decode(cla)
    assert err.value.sw == SW.CLA_NOT_SUPPORTED
