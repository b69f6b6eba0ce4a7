"""What an APDU trace must not show in clear (SGP.25 protection of the NAA credentials; ETSI
TS 102 221 11.1.9-11.1.13 PIN commands; 3GPP TS 31.102 7.1.2 AUTHENTICATE): PIN and PUK
values in VERIFY, CHANGE, DISABLE, ENABLE and UNBLOCK PIN, and the keys an AUTHENTICATE
derives (CK, IK, Kc; RES and SRES go to the network in clear anyway), also when they come
back through GET RESPONSE. Masked bytes keep their length, so a decoder such as Wireshark
still parses the APDU; they read 'FF' for PINs and '00' for keys.

:class:`Redactor` is stateful: it remembers, per logical channel, whether the response
still to be fetched belongs to an AUTHENTICATE.
"""

from __future__ import annotations

from .apdu import ClassByte
from .ins import Ins
from .sw import SW, SwError

PIN_INS = frozenset({Ins.VERIFY_PIN, Ins.CHANGE_PIN, Ins.DISABLE_PIN, Ins.ENABLE_PIN,
                     Ins.UNBLOCK_PIN})
AUTHENTICATE_INS = frozenset({Ins.AUTHENTICATE, Ins.AUTHENTICATE_ODD})
MORE_TO_FETCH = bytes([SW.BYTES_REMAINING >> 8])  # SW1 of '61XX'
TAG_SUCCESSFUL_3G = 0xDB


def _channel(command: bytes) -> int | None:
    try:
        return ClassByte.decode(command[0]).channel
    except (SwError, IndexError):
        return None


def mask_authenticate_data(data: bytes) -> bytes:
    """Response data of AUTHENTICATE: 'DB' L RES L CK L IK [L Kc] keeps RES; the GSM form
    L SRES L Kc keeps SRES; 'DC' L AUTS is not secret. Anything else is masked whole."""
    if not data or data[0] == 0xDC:
        return data
    out = bytearray(data)
    offset, keep = (1, 1) if data[0] == TAG_SUCCESSFUL_3G else (0, 1)
    index = 0
    while offset < len(out):
        length = out[offset]
        end = offset + 1 + length
        if end > len(out):
            return bytes(out[:1]) + bytes(len(out) - 1)
        if index >= keep:
            out[offset + 1:end] = bytes(length)
        offset, index = end, index + 1
    return bytes(out)


class Redactor:
    def __init__(self) -> None:
        self._authenticate_pending: set[int] = set()

    def __call__(self, command: bytes, response: bytes) -> tuple[bytes, bytes]:
        """The command and response with their secrets masked."""
        if len(command) < 4:
            return command, response
        ins, channel = command[1], _channel(command)
        data, sw = response[:-2], response[-2:]
        more_to_fetch = sw[:1] == MORE_TO_FETCH  # '61XX': the rest comes with GET RESPONSE
        authenticate = ins in AUTHENTICATE_INS or (
            ins == Ins.GET_RESPONSE and channel in self._authenticate_pending)
        if ins != Ins.GET_RESPONSE or not more_to_fetch:
            self._authenticate_pending.discard(channel)
        if ins in AUTHENTICATE_INS and more_to_fetch:
            self._authenticate_pending.add(channel)
        if ins in PIN_INS and len(command) > 5:
            command = command[:5] + b"\xff" * (len(command) - 5)
        if authenticate and data:
            response = mask_authenticate_data(data) + sw
        return command, response
