"""The card's pcap (``euicc-emu run --pcap``, :mod:`euicc.pcap`) read back as the ES10
exchanges an LPA made, for conformance cases to be judged on (SGP.22 5.7).

Each GSMTAP SIM packet is one C-APDU followed by its response and status word; a GSMTAP
osmocore log packet carries a mark of the fault plan for the exchange after it. The
reader puts the STORE DATA blocks of each command together (GlobalPlatform 11.11.2, SGP.22
5.7.2: P1 bit 8 on the last block, P2 numbering the blocks from 0), and the response with
its GET RESPONSE parts ('61xx', ISO/IEC 7816-4 7.6.1), and decodes command and response as
the function's SGP.22 types (an IoT eUICC's as SGP.32's, SGP.32 5.9). What the LPA did
wrong on the way is kept as findings with the clause it breaks: a block number out of
sequence, a block of more than 255 bytes, a GET RESPONSE without pending data or with an
Le other than announced, a command on a logical channel that was never opened, ES10 on a
channel where the ISD-R is not selected, a channel left open at the end.
"""

from __future__ import annotations

import struct
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from euicc.asn1 import Asn1Error, decode_exact, encode, rsp
from euicc.ins import Ins
from euicc.pcap import GSMTAP_TYPE_OSMOCORE_LOG, GSMTAP_TYPE_SIM, OsmocoreLogHeader
from euicc.tlv import TlvError, read_header

ISD_R_AID = bytes.fromhex("A0000005591010FFFFFFFF8900000100")
BPP_TAG = 0xBF36
# Commands that carry no command data (cases 1 and 2): P3 is Le, what follows is response
NO_COMMAND_DATA = frozenset({Ins.MANAGE_CHANNEL, Ins.GET_RESPONSE, Ins.STATUS,
                             Ins.READ_BINARY, Ins.READ_RECORD, Ins.GET_CHALLENGE,
                             Ins.FETCH})


@dataclass(frozen=True)
class Apdu:
    number: int  # packet number in the file, from 1
    command: bytes
    response: bytes  # data, without the status word
    sw: int
    marks: tuple[str, ...] = ()
    time: float = 0.0  # when the card answered (the pcap record's time stamp)

    @property
    def cla(self) -> int:
        return self.command[0]

    @property
    def ins(self) -> int:
        return self.command[1]

    @property
    def channel(self) -> int:
        cla = self.cla
        return 4 + (cla & 0x0F) if cla & 0x40 else cla & 0x03


@dataclass
class Es10Exchange:
    """One ES10 command and its response, as the card received and gave them."""

    function: str | None  # SGP.22 name; None: no ES10 function has the command's tag
    channel: int
    command: bytes
    response: bytes = b""
    sw: int | None = None
    request: object = None  # decoded request (None where it does not decode)
    answer: object = None  # decoded response
    apdus: list[int] = field(default_factory=list)  # packet numbers
    marks: list[str] = field(default_factory=list)
    time: float = 0.0  # when the card gave the last part of the response


@dataclass(frozen=True)
class Finding:
    packet: int
    clause: str
    text: str


@dataclass
class Trace:
    apdus: list[Apdu]
    exchanges: list[Es10Exchange]
    findings: list[Finding]

    def calls(self, function: str) -> list[Es10Exchange]:
        return [e for e in self.exchanges if e.function == function]


def read_packets(path: Path) -> list[Apdu]:
    """The APDU packets of a pcap the card wrote, with the fault plan's marks."""
    data = path.read_bytes()
    offset, number, marks, apdus = 24, 0, [], []
    while offset + 16 <= len(data):
        seconds, micros, length, _ = struct.unpack_from("<IIII", data, offset)
        packet = data[offset + 16:offset + 16 + length]
        offset += 16 + length
        number += 1
        ihl = (packet[0] & 0x0F) * 4
        gsmtap = packet[ihl + 8:]
        kind, body = gsmtap[2], gsmtap[gsmtap[1] * 4:]
        if kind == GSMTAP_TYPE_OSMOCORE_LOG:
            text = body[OsmocoreLogHeader.sizeof():].rstrip(b"\x00").decode("utf-8", "replace")
            marks.append(text.split(": ", 1)[1] if ": " in text else text)
        elif kind == GSMTAP_TYPE_SIM and gsmtap[12] == 0 and len(body) >= 6:
            command, response, sw = _split(body)
            apdus.append(Apdu(number, command, response, sw, tuple(marks),
                              seconds + micros / 1e6))
            marks = []
    return apdus


def _split(body: bytes) -> tuple[bytes, bytes, int]:
    """Command, response data, SW of one packet. A case 3/4 command's data is P3 long; an
    Le octet after it is told from response data by the response being one whole TLV."""
    sw = int.from_bytes(body[-2:], "big")
    head = body[:5]
    if len(body) <= 7 or body[1] in NO_COMMAND_DATA:
        return body[:min(5, len(body) - 2)], body[5:-2], sw
    end = 5 + body[4]
    rest = body[end:-2]
    if rest and not _one_tlv(rest) and _one_tlv(rest[1:]):
        return body[:end + 1], rest[1:], sw
    return head + body[5:end], rest, sw


def _one_tlv(data: bytes) -> bool:
    try:
        return read_header(data).total_length == len(data)
    except TlvError:
        return False


def read_trace(path: Path, functions: dict[int, tuple[str, str, str]],
               spec: Callable[[], object] = rsp) -> Trace:
    """The ES10 exchanges of the card's pcap. ``functions``: tag -> (SGP.22 name, request
    type, response type) of the ISD-R's ES10 functions; ``spec``: the compiled module their
    types are in (an IoT eUICC's: :func:`euicc.asn1.sgp32`, SGP.32's with SGP.22's)."""
    apdus = read_packets(path)
    findings: list[Finding] = []
    exchanges: list[Es10Exchange] = []
    open_channels, isd_r_on = {0}, set()
    building: dict[int, Es10Exchange] = {}  # channel -> command being put together
    answering: dict[int, Es10Exchange] = {}  # channel -> response being fetched
    expected_block: dict[int, int] = {}
    in_bpp: set[int] = set()
    chained: set[int] = set()  # channels with response data announced by '61xx'
    for apdu in apdus:
        channel, ins = apdu.channel, apdu.ins
        if ins == Ins.GET_RESPONSE and channel in chained and channel not in answering:
            if apdu.sw >> 8 != 0x61:
                chained.discard(channel)
            continue  # the rest of an ISO command's response (SELECT's FCP)
        if ins != Ins.GET_RESPONSE:
            chained.discard(channel)
            if apdu.sw >> 8 == 0x61:
                chained.add(channel)
        if channel not in open_channels and ins != Ins.MANAGE_CHANNEL:
            findings.append(Finding(apdu.number, "ISO/IEC 7816-4 5.1.1, 11.1.2",
                                    f"command on logical channel {channel}, never opened"))
        if ins == Ins.MANAGE_CHANNEL:
            _manage_channel(apdu, open_channels, isd_r_on)
        elif ins == Ins.SELECT and apdu.command[2] == 0x04:
            selected = apdu.command[5:5 + apdu.command[4]] if len(apdu.command) > 5 else b""
            ok = apdu.sw == 0x9000 or apdu.sw >> 8 == 0x61
            (isd_r_on.add if ok and selected == ISD_R_AID else isd_r_on.discard)(channel)
        elif ins == Ins.STORE_DATA:
            _store_data(apdu, functions, building, answering, exchanges, expected_block,
                        in_bpp, isd_r_on, findings, spec())
        elif ins == Ins.GET_RESPONSE:
            exchange = answering.get(channel)
            if exchange is None:
                findings.append(Finding(apdu.number, "ISO/IEC 7816-4 7.6.1",
                                        "GET RESPONSE with no response pending"))
                continue
            exchange.apdus.append(apdu.number)
            exchange.response += apdu.response
            exchange.time = apdu.time
            if apdu.sw >> 8 != 0x61:
                _answered(exchange, apdu.sw, functions, spec())
                del answering[channel]
    for channel in sorted(open_channels - {0}):
        findings.append(Finding(apdus[-1].number if apdus else 0, "ISO/IEC 7816-4 11.1.2",
                                f"logical channel {channel} left open"))
    return Trace(apdus, exchanges, findings)


def _manage_channel(apdu: Apdu, open_channels: set[int], isd_r_on: set[int]) -> None:
    p1, p2 = apdu.command[2], apdu.command[3]
    if apdu.sw != 0x9000:
        return
    if p1 == 0x00:
        open_channels.add(p2 or (apdu.response[0] if apdu.response else 0))
    elif p1 == 0x80:
        closed = p2 or apdu.channel
        open_channels.discard(closed)
        isd_r_on.discard(closed)


def _store_data(apdu, functions, building, answering, exchanges, expected_block, in_bpp,
                isd_r_on, findings, spec) -> None:
    channel, p1, p2 = apdu.channel, apdu.command[2], apdu.command[3]
    block = apdu.command[5:]
    if channel not in isd_r_on:
        findings.append(Finding(apdu.number, "SGP.22 5.7.2",
                                f"STORE DATA on channel {channel}, where the ISD-R is not "
                                "selected"))
    if len(block) > 255:
        findings.append(Finding(apdu.number, "ISO/IEC 7816-4 5.1", "a block over 255 bytes"))
    exchange = building.get(channel)
    if p2 == 0 or exchange is None:
        if p2 != 0:
            findings.append(Finding(apdu.number, "GlobalPlatform 11.11.2.2",
                                    f"first block numbered {p2}, not 0"))
        exchange = building[channel] = Es10Exchange(None, channel, b"")
        expected_block[channel] = 0
    elif p2 != expected_block[channel]:
        findings.append(Finding(apdu.number, "GlobalPlatform 11.11.2.2",
                                f"block {p2} where {expected_block[channel]} was due"))
    expected_block[channel] = (p2 + 1) % 256
    exchange.command += block
    exchange.apdus.append(apdu.number)
    exchange.marks += apdu.marks
    if not p1 & 0x80:
        return
    del building[channel]
    tag = read_header(exchange.command).tag if _has_header(exchange.command) else None
    if tag == BPP_TAG:
        in_bpp.add(channel)
        exchange.function = "ES10b.LoadBoundProfilePackage"
    elif tag in functions:
        in_bpp.discard(channel)
        exchange.function, request_type, _ = functions[tag]
        exchange.request = _decoded(spec, request_type, exchange.command)
        problem = _not_der(spec, request_type, exchange.command, exchange.request)
        if problem:
            findings.append(Finding(apdu.number, "SGP.22 5.7 (ASN.1 DER, ITU-T X.690 10)",
                                    f"{exchange.function} command {problem}"))
    elif channel in in_bpp:
        exchange.function = "ES10b.LoadBoundProfilePackage"
    else:
        findings.append(Finding(apdu.number, "SGP.22 5.7", "an ES10 command with tag "
                                f"{'none' if tag is None else f'{tag:X}'}: no ES10 function "
                                "has it"))
    exchanges.append(exchange)
    exchange.response = apdu.response
    exchange.time = apdu.time
    if apdu.sw >> 8 == 0x61:
        answering[channel] = exchange
    else:
        _answered(exchange, apdu.sw, functions, spec)
    if exchange.function == "ES10b.LoadBoundProfilePackage" and exchange.response[:2] == \
            b"\xbf\x37":
        in_bpp.discard(channel)


def _has_header(data: bytes) -> bool:
    try:
        read_header(data)
        return True
    except TlvError:
        return False


def _answered(exchange: Es10Exchange, sw: int, functions, spec) -> None:
    exchange.sw = sw
    if not exchange.response:
        return
    if exchange.function == "ES10b.LoadBoundProfilePackage":
        exchange.answer = _decoded(spec, "ProfileInstallationResult", exchange.response)
        return
    for name, _, response_type in functions.values():
        if name == exchange.function:
            exchange.answer = _decoded(spec, response_type, exchange.response)


def _not_der(spec, type_name: str, data: bytes, value) -> str | None:
    """Why a command is not the DER encoding of its SGP.22 type, or None."""
    if value is None:
        return "does not decode as " + type_name
    try:
        again = encode(spec, type_name, value)
    except (Asn1Error, KeyError):
        return None  # nothing to compare with; the card decoded it
    return None if again == data else f"is not DER: its DER encoding is {again.hex().upper()}"


def _decoded(spec, type_name: str, data: bytes):
    try:
        return decode_exact(spec, type_name, data)
    except (Asn1Error, KeyError):  # KeyError: a type the card's module does not have yet
        return None


def card_functions(card) -> dict[int, tuple[str, str, str]]:
    """tag -> (name, request type, response type) of a card's ISD-R ES10 table."""
    from euicc_applets.isd_r.es10 import Es10Function

    isd_r = next(a for a in card.registry if hasattr(a, "es10"))
    return {e.tag: (e.name, e.request_type, e.response_type)
            for e in isd_r.es10.entries() if isinstance(e, Es10Function)}


def es10_table(pki: Path | None = None,
               personality: str | None = None) -> dict[int, tuple[str, str, str]]:
    """:func:`card_functions` of the card ``euicc-emu run [--personality P]`` makes, from a
    throwaway card built in a temporary folder (an empty store; the test PKI ``pki``, or one
    of its own). An IoT eUICC's also names the SGP.32 functions of its version it does not
    have (:mod:`euicc_tools.sgp32_functions`, SGP.32 5.9): an LPA may still call them."""
    import tempfile

    from euicc.pki import generate_test_pki, load_card_credentials
    from euicc.store import CardStore
    from euicc_tools import sgp32_functions
    from euicc_tools.emulator.card import build_card
    from euicc_tools.personalities import load_personality

    persona = None if personality is None else load_personality(personality)

    with tempfile.TemporaryDirectory() as work:
        if pki is None:
            pki = Path(work) / "pki"
            generate_test_pki(pki)
        store = CardStore(Path(work) / "state")
        try:
            table = card_functions(build_card(store, load_card_credentials(pki),
                                              personality=persona))
        finally:
            store.close()
    if persona is None or persona.sgp32 is None:
        return table
    return {**sgp32_functions.functions(persona.sgp32), **table}
