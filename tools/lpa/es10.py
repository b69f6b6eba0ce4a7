"""ES10 client (SGP.22 5.7.2 transport of ES10 over STORE DATA) with lpac's behaviour:
TERMINAL CAPABILITY, MANAGE CHANNEL open, SELECT ISD-R on that channel, 120-byte STORE
DATA blocks (P1 11/91, P2 block number), GET RESPONSE as 8<ch> C0 for '61xx'.
``basic_channel=True`` behaves like pySim-shell instead: everything on channel 0.

What the card answers wrongly is an :class:`Es10Error`, this layer's one exception: a status
word the function does not allow (:class:`CardError`, ISO/IEC 7816-4 5.6) or data that is
not the function's response type in DER (:class:`MalformedResponse`, SGP.22 5.7 and Annex
H); transport failures stay the link's (:class:`~.link.LinkError`)."""

from __future__ import annotations

from euicc.asn1 import Asn1Error, decode_known, encode, integer_names, rsp
from euicc.ins import Ins
from euicc.sw import SW

from .link import ApduLink

ISD_R_AID = bytes.fromhex("A0000005591010FFFFFFFF8900000100")
# TERMINAL CAPABILITY (TS 102 221 11.1.19) as lpac sends it: terminal capability template
# 'A9' with extended logical channels ('81'), additional interfaces ('82') and the eUICC
# related terminal capabilities ('83')
TERMINAL_CAPABILITY = bytes([0x80, Ins.TERMINAL_CAPABILITY, 0x00, 0x00, 0x0A]) + bytes.fromhex(
    "A9088100820101830107")
MANAGE_CHANNEL_OPEN, MANAGE_CHANNEL_CLOSE = 0x00, 0x80  # P1 (TS 102 221 11.1.17)
# STORE DATA P1 (SGP.22 5.7.2, GlobalPlatform 11.11.2.1): '91' the last block, '11' more
STORE_DATA_MORE, STORE_DATA_LAST = 0x11, 0x91


class Es10Error(RuntimeError):
    """The card answered, but not as the ES10 function allows."""


class CardError(Es10Error):
    def __init__(self, sw: int, what: str) -> None:
        super().__init__(f"{what}: SW {sw:04X}")
        self.sw = sw


class MalformedResponse(Es10Error):
    """A response that is not one DER value of the function's response type."""


def decode_response(type_name: str, raw: bytes):
    """``raw`` as exactly one DER ``type_name``; a CHOICE alternative the module does not
    define is as malformed as bad DER, since no caller could act on it."""
    try:
        value, unknown = decode_known(rsp(), type_name, raw)
    except Asn1Error as exc:
        raise MalformedResponse(f"the card's answer is not a {type_name}: {exc}") from None
    if unknown is not None:
        raise MalformedResponse(f"the card's {type_name} has an alternative SGP.22 does not "
                                f"define at {unknown}")
    return value


def number_name(type_name: str, number: int, member: str | None = None) -> str:
    """SGP.22's name of an INTEGER value: of type ``type_name``, or of its ``member`` (one
    type reference followed); a number the module does not name stays a number."""
    names = {n: name for name, n in integer_names(type_name, member).items()}
    return names.get(number, str(number))


class Es10Client:
    def __init__(self, link: ApduLink, block_size: int = 120, basic_channel: bool = False,
                 aid: bytes = ISD_R_AID):
        self.link = link
        self.aid = aid  # the ISD-R's AID: a vendor's where the chip has it elsewhere
        self.block_size = block_size
        self.basic_channel = basic_channel
        self.channel = 0
        self.apdu_count = 0
        self.bytes_out = 0
        self.bytes_in = 0

    # -- raw ------------------------------------------------------------------------------
    def transmit(self, apdu: bytes) -> tuple[bytes, int]:
        self.apdu_count += 1
        self.bytes_out += len(apdu)
        data, sw = self.link.transmit(apdu)
        self.bytes_in += len(data) + 2
        return data, sw

    def transmit_chained(self, apdu: bytes) -> tuple[bytes, int]:
        data, sw = self.transmit(apdu)
        out = bytearray(data)
        while sw & 0xFF00 == SW.BYTES_REMAINING:
            cla = 0x80 | self.channel if self.channel < 4 else 0xC0 | (self.channel - 4)
            data, sw = self.transmit(bytes([cla, Ins.GET_RESPONSE, 0x00, 0x00, sw & 0xFF]))
            out += data
        return bytes(out), sw

    # -- session ----------------------------------------------------------------------------
    def open(self) -> None:
        if self.basic_channel:
            self.channel = 0
        else:
            self.transmit(TERMINAL_CAPABILITY)
            data, sw = self.transmit(
                bytes([0x00, Ins.MANAGE_CHANNEL, MANAGE_CHANNEL_OPEN, 0x00, 0x01]))
            if sw != SW.OK or len(data) != 1:
                raise CardError(sw, "MANAGE CHANNEL open")
            self.channel = data[0]
        cla = self.channel if self.channel < 4 else 0x40 | (self.channel - 4)
        _, sw = self.transmit_chained(
            bytes([cla, Ins.SELECT, 0x04, 0x00, len(self.aid)]) + self.aid)  # by DF name
        if sw & 0xFF00 not in (SW.OK, SW.BYTES_REMAINING):
            raise CardError(sw, "SELECT ISD-R")

    def close(self) -> None:
        if self.channel:
            self.transmit(bytes([0x00, Ins.MANAGE_CHANNEL, MANAGE_CHANNEL_CLOSE, self.channel,
                                 0x00]))
            self.channel = 0

    def __enter__(self) -> Es10Client:
        self.open()
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # -- ES10 -------------------------------------------------------------------------------
    def store_data(self, command: bytes) -> bytes:
        """Send one ES10 command in blocks; return the complete response."""
        cla = 0x80 | self.channel if self.channel < 4 else 0xC0 | (self.channel - 4)
        blocks = [command[i : i + self.block_size]
                  for i in range(0, len(command), self.block_size)] or [b""]
        for number, block in enumerate(blocks):
            last = number == len(blocks) - 1
            p1 = STORE_DATA_LAST if last else STORE_DATA_MORE
            apdu = bytes([cla, Ins.STORE_DATA, p1, number & 0xFF, len(block)]) + block
            data, sw = self.transmit_chained(apdu)
            if sw >> 12 != 0x9:  # like lpac: 9000, and 91xx (a proactive command waits)
                raise CardError(sw, f"STORE DATA block {number}")
            if last:
                return data
            if data:
                raise CardError(sw, "data on an intermediate block")
        raise AssertionError("unreachable")

    def call(self, request_type: str, request: dict | tuple, response_type: str):
        raw = self.store_data(encode(rsp(), request_type, request))
        return decode_response(response_type, raw)

    def get_eid(self) -> str:
        r = self.call("GetEuiccDataRequest", {"tagList": b"\x5a"}, "GetEuiccDataResponse")
        return r["eidValue"].hex().upper()
