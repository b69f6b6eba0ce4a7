"""The card: ATR, power and reset, logical channels, OS-level commands and response
chaining. Implements ISO/IEC 7816-3 8.2 (ATR), ISO/IEC 7816-4 5.1 and 7.1.1 (SELECT by DF
name), 7.6.1 (GET RESPONSE), 11.1.2 (MANAGE CHANNEL), ETSI TS 102 221 11.1.2 (STATUS),
11.1.19 (TERMINAL CAPABILITY) and 11.2.1-11.2.3 (TERMINAL PROFILE, FETCH, TERMINAL RESPONSE,
see :mod:`euicc.proactive`). SELECT by DF name reaches the registry's applets first, then
the ADFs of the file system (TS 102 221 11.1.1.2). Every other command goes to the applet
selected on the channel named by the CLA byte.

Response chaining follows T=0 (the ATR offers T=0): data never exceeds ``max_response``
bytes per response (256, the most a short Le asks for, ISO/IEC 7816-4 5.1, unless a
chip model sends less); a command without Le that produces data, or data beyond Le or
``max_response``, is answered '61xx' and the rest is fetched with GET RESPONSE (CLA 0X or
8X; ETSI TS 102 221 7.3.1.1.4 and 10.2.1.1, ISO/IEC 7816-4 7.6.1). 'xx' announces what
the next GET RESPONSE returns: the bytes left, at most ``max_response`` ('00': 256).
"""

from __future__ import annotations

import logging
import threading
import time
from abc import abstractmethod
from collections.abc import Callable
from typing import NamedTuple

from .apdu import MAX_SHORT_LE, ClassByte, CommandApdu, ResponseApdu
from .applet import Applet
from .channels import MAX_CHANNELS, Channel, ChannelTable
from .dispatch import NO_DATA, WITH_DATA, ClassFamily, CommandSpec, CommandTable
from .faults import (
    DATA_FORMS,
    ActionKind,
    FaultPlan,
    Layer,
    Point,
    malformed_data,
    withdrawal,
)
from .ins import Ins
from .proactive import ProactiveSession
from .registry import Registry
from .sw import SW, SwError
from .tlv import tlv
from .transport.base import CardWithdrawn

log = logging.getLogger(__name__)

SW_WRONG_LE = 0x6C00  # ISO/IEC 7816-3 10.3.3: wrong Le, '6Cxx' gives the right one


def build_atr(historical: bytes) -> bytes:
    """An ATR offering T=0 with a T=15 global interface byte (ISO/IEC 7816-3 8.2).

    TS=3B, T0 announces TA1 and TD1; TA1=96 (Fi=512, Di=32); TD1=80 (T=0, TD2 follows);
    TD2=1F (T=15, TA3 follows); TA3=C7 (clock stop allowed, classes A, B and C)."""
    if len(historical) > 15:
        raise ValueError("at most 15 historical bytes")
    body = bytes([0x90 | len(historical), 0x96, 0x80, 0x1F, 0xC7]) + historical
    tck = 0
    for b in body:
        tck ^= b
    return b"\x3b" + body + bytes([tck])


# Category indicator 80, card service data (31 A0: select by full/partial DF name, EF.DIR),
# card capabilities (73 BE 21 13: logical channels assigned by the card, 4+ channels),
# pre-issuing data 'eUEmu' so the card is recognisable in logs.
DEFAULT_ATR = build_atr(bytes.fromhex("8031A073BE2113") + b"\x65" + b"eUEmu")


class Exchange(NamedTuple):
    """One APDU exchange as seen by observers (tracing); never holds key material. (A named
    tuple: made for every APDU while anyone observes, it costs a fraction of a frozen
    dataclass.)"""

    timestamp: float
    channel: int | None
    command: bytes
    response: bytes
    name: str
    duration: float
    injected: tuple[str, ...] = ()  # what the fault plan did to this exchange (marks)


Observer = Callable[[Exchange], None]


class FileSystem(Applet):
    """The UICC file system as the card OS sees it: an applet that also takes SELECT by
    file identifier or path (ETSI TS 102 221 11.1.1)."""

    @abstractmethod
    def select_file(self, apdu: CommandApdu, channel: Channel) -> ResponseApdu:
        """SELECT by FID or path, and by DF name when no applet has that AID (an ADF);
        raises SwError(FILE_NOT_FOUND) when nothing matches."""

    @abstractmethod
    def status(self, apdu: CommandApdu, channel: Channel) -> ResponseApdu:
        """STATUS (TS 102 221 11.1.2) on a channel where the file system is selected."""


class Card:
    def __init__(
        self,
        registry: Registry,
        atr: bytes = DEFAULT_ATR,
        max_channels: int = MAX_CHANNELS,
        file_system: FileSystem | None = None,
        proactive: ProactiveSession | None = None,
        faults: FaultPlan | None = None,
        max_response: int = MAX_SHORT_LE,
    ) -> None:
        """``proactive``: the session the card announces proactive commands from ('91xx',
        FETCH, TERMINAL RESPONSE; ETSI TS 102 221 14.6), shared with whoever queues them (the
        file system's REFRESH after a profile change); a session of its own if not given.
        ``faults``: the card's fault plan (:mod:`euicc.faults`), shared with the applets
        that consult it for ES10 functions; an empty one if not given. ``max_response``: the
        most response data one R-APDU carries, 1 .. 256 (a chip model's buffer)."""
        if not 1 <= max_response <= MAX_SHORT_LE:
            raise ValueError(f"max_response {max_response}: 1 .. {MAX_SHORT_LE}")
        self.max_response = max_response
        self.registry = registry
        self.atr = atr
        self.channels = ChannelTable(max_channels)
        # The file system is what a UICC has selected at reset (the MF) and the default
        # selection of new channels.
        self.file_system = file_system
        self.default_applet: Applet | None = file_system
        self.powered = False
        self.terminal_capability: bytes = b""
        self.proactive = proactive if proactive is not None else ProactiveSession()
        self.observers: list[Observer] = []
        self.faults = faults if faults is not None else FaultPlan()
        # A reader and the local control interface may both send commands.
        self._transmit_lock = threading.RLock()
        inter, proprietary = ClassFamily.INTERINDUSTRY, ClassFamily.PROPRIETARY
        self._os = CommandTable(
            [
                CommandSpec(Ins.SELECT, inter, self._select),
                CommandSpec(Ins.MANAGE_CHANNEL, inter, self._manage_channel, NO_DATA),
                CommandSpec(Ins.GET_RESPONSE, ClassFamily.ANY, self._get_response, NO_DATA),
                CommandSpec(Ins.STATUS, proprietary, self._status, NO_DATA),
                CommandSpec(Ins.TERMINAL_CAPABILITY, proprietary, self._terminal_capability,
                            WITH_DATA),
                CommandSpec(Ins.TERMINAL_PROFILE, proprietary, self._terminal_profile,
                            WITH_DATA),
                CommandSpec(Ins.FETCH, proprietary, self._fetch, NO_DATA),
                CommandSpec(Ins.TERMINAL_RESPONSE, proprietary, self._terminal_response,
                            WITH_DATA),
            ]
        )

    # -- power ---------------------------------------------------------------------------
    def power_on(self) -> bytes:
        with self._transmit_lock:
            self._reset()
            self.powered = True
            return self.atr

    def power_off(self) -> None:
        with self._transmit_lock:
            self._reset()
            self.powered = False

    def warm_reset(self) -> bytes:
        return self.power_on()

    def _reset(self) -> None:
        self.channels.reset()
        self.terminal_capability = b""
        self.proactive.reset()
        for applet in self.registry:
            applet.reset()
        if self.file_system is not None:
            self.file_system.reset()
        if self.default_applet is not None:
            self._make_selected(self.channels.get(0), self.default_applet)

    # -- APDU entry point ----------------------------------------------------------------
    def transmit(self, raw: bytes) -> bytes:
        """Process one C-APDU and return the R-APDU bytes. Never raises."""
        with self._transmit_lock:
            return self._transmit(raw)

    def _transmit(self, raw: bytes) -> bytes:
        started = time.perf_counter()
        channel_number: int | None = None
        name = "?"
        planned = bool(self.faults)  # once per command: the plan may change between them
        watched = planned or bool(self.observers)
        try:
            if not self.powered:
                self.power_on()
            apdu = CommandApdu.parse(raw)
            cla = ClassByte.decode(apdu.cla)
            channel_number = cla.channel
            if watched:  # named only for a trace or a fault plan
                name = self._command_name(apdu, cla)
            if planned:
                response = self._process_planned(apdu, cla, name)
            else:
                response = self._process(apdu, cla, planned=False)
        except SwError as err:
            response = ResponseApdu(sw=err.sw)
        except CardWithdrawn:
            self._notify(raw, b"", name, channel_number, started)
            raise
        except Exception:
            log.exception("internal error processing an APDU (%s)",
                          name if name != "?" else bytes(raw[:4]).hex().upper())
            response = ResponseApdu(sw=SW.NO_PRECISE_DIAGNOSIS)
        pending = self.proactive.pending_length()
        if pending and response.sw == SW.OK:
            response = ResponseApdu(response.data, SW.PROACTIVE_COMMAND_PENDING | pending)
        out = response.to_bytes()
        if watched:
            self._notify(raw, out, name, channel_number, started)
        return out

    def _notify(self, raw: bytes, out: bytes, name: str, channel: int | None,
                started: float) -> None:
        marks = self.faults.end_exchange()
        for mark in marks:
            log.info("%s: %s", name, mark)
        if not self.observers:
            return
        exchange = Exchange(time.time(), channel, bytes(raw), out, name,
                            time.perf_counter() - started, marks)
        for observer in self.observers:
            try:
                observer(exchange)
            except Exception:
                log.exception("trace observer failed")

    # -- the fault plan at the APDU level (euicc.faults) -----------------------------------------
    def command_names(self) -> list[str]:
        """Every ISO command this card dispatches: its own and its applets' (the APDU-level
        names a fault plan's rule may use)."""
        names = self._os.names()
        applets = [*self.registry, *([self.file_system] if self.file_system else [])]
        for applet in applets:
            names += [n for n in applet.command_names() if n not in names]
        return names

    def _process_planned(self, apdu: CommandApdu, cla: ClassByte, name: str) -> ResponseApdu:
        """The APDU-level rules (a command by its name, without the ES10 function a STORE
        DATA carries; or by INS; on a channel), then the command as usual."""
        fired = self.faults.fire(Point(Layer.APDU, name.split(" ES10", 1)[0], apdu.ins,
                                       cla.channel))
        if fired.delay_ms:
            time.sleep(fired.delay_ms / 1000)
        action = fired.action
        if action is None:
            return self._process(apdu, cla)
        if action.kind is ActionKind.STATUS:
            return ResponseApdu(sw=action.sw)
        if action.kind is ActionKind.TRANSPORT:
            raise withdrawal(action)  # the transport drops the connection: reset, removal
        if action.kind is ActionKind.MALFORMED:
            self.faults.shape_response(action.form)
        return self._process(apdu, cla)


    def _command_name(self, apdu: CommandApdu, cla: ClassByte) -> str:
        name = self._os.name_of(apdu)
        if name is None:
            try:
                channel = self.channels.get(cla.channel)
            except SwError:
                channel = None
            if channel is not None and channel.applet is not None:
                name = channel.applet.command_name(apdu, channel)
        return name or f"INS {apdu.ins:02X}"

    def _process(self, apdu: CommandApdu, cla: ClassByte, planned: bool = True) -> ResponseApdu:
        if cla.secure_messaging:
            raise SwError(SW.SECURE_MESSAGING_NOT_SUPPORTED)
        if cla.chaining:
            raise SwError(SW.COMMAND_CHAINING_NOT_SUPPORTED)
        channel = self.channels.get(cla.channel)
        resend, channel.resend = channel.resend, None
        if resend is not None and resend[0] == (apdu.cla, apdu.ins, apdu.p1, apdu.p2) \
                and apdu.le == len(resend[1].data) % 256:
            return self._shape(resend[1], apdu.le, channel)  # the command again after '6Cxx'

        os_command = self._os.has_ins(apdu.ins)
        if apdu.ins == Ins.GET_RESPONSE and os_command:
            return self._os.dispatch(apdu, channel)
        channel.pending = None  # GET RESPONSE must follow the command immediately
        if os_command:
            response = self._os.dispatch(apdu, channel)
        elif channel.applet is not None:
            response = channel.applet.process(apdu, channel)
        else:
            raise SwError(SW.INS_NOT_SUPPORTED, "no application selected")
        form = self.faults.take_response_form() if planned and self.faults else None
        if form is None:
            return self._shape(response, apdu.le, channel)
        return self._malformed(form, response, apdu, channel)

    def _malformed(self, form: str, response: ResponseApdu, apdu: CommandApdu,
                   channel: Channel) -> ResponseApdu:
        """An answer damaged as the fault plan asked (:mod:`euicc.faults.malform`)."""
        if form in DATA_FORMS:
            damaged = ResponseApdu(malformed_data(form, response.data), response.sw)
            return self._shape(damaged, apdu.le, channel)
        data = response.data
        if not data or response.sw != SW.OK:
            return self._shape(response, apdu.le, channel)
        if form == "no-61xx":
            return response  # past 256 bytes in one R-APDU: no short APDU can carry it
        if form == "6cxx":
            channel.resend = ((apdu.cla, apdu.ins, apdu.p1, apdu.p2), response)
            return ResponseApdu(sw=SW_WRONG_LE | (min(len(data), MAX_SHORT_LE) & 0xFF))
        shaped = self._shape(response, apdu.le, channel)  # wrong-61xx: 16 more than pending
        pending = min(len(channel.pending or b""), self.max_response)
        return ResponseApdu(shaped.data, SW.BYTES_REMAINING | ((pending + 16) & 0xFF))

    def _shape(self, response: ResponseApdu, le: int | None, channel: Channel) -> ResponseApdu:
        """Apply the ``max_response`` limit and T=0 style '61xx' chaining."""
        data = response.data
        if not data or response.sw != SW.OK:
            return response
        most = self.max_response
        if le is None:
            channel.pending = data
            return ResponseApdu(sw=SW.BYTES_REMAINING | (min(len(data), most) & 0xFF))
        take = min(le, most)
        if len(data) <= take:
            return response
        channel.pending = data[take:]
        rest = min(len(data) - take, most) & 0xFF
        return ResponseApdu(data[:take], SW.BYTES_REMAINING | rest)

    # -- OS commands ---------------------------------------------------------------------
    def _get_response(self, apdu: CommandApdu, channel: Channel) -> ResponseApdu:
        if apdu.p1p2 != 0:
            raise SwError(SW.INCORRECT_P1P2)
        pending = channel.pending
        if pending is None:
            raise SwError(SW.CONDITIONS_NOT_SATISFIED, "no response data pending")
        most = self.max_response  # a longer Le gets what the chip sends, '61xx' the rest
        take = min(apdu.le or MAX_SHORT_LE, most)
        chunk, rest = pending[:take], pending[take:]
        if rest:
            channel.pending = rest
            return ResponseApdu(chunk, SW.BYTES_REMAINING | (min(len(rest), most) & 0xFF))
        channel.pending = None
        return ResponseApdu(chunk)

    def _manage_channel(self, apdu: CommandApdu, channel: Channel) -> ResponseApdu:
        if apdu.p1 == 0x00:
            if apdu.p2 == 0x00:
                if apdu.le is None:
                    raise SwError(SW.WRONG_LENGTH, "MANAGE CHANNEL open needs Le")
                new = self.channels.open()
            else:
                new = self.channels.open(apdu.p2)
            # ISO/IEC 7816-4 11.1.2: opened from a non-basic channel, the new one inherits
            # that channel's selection; from the basic channel it gets the default.
            source = channel.applet if channel.number != 0 else self.default_applet
            if source is not None:
                try:
                    self._make_selected(new, source)
                except SwError:
                    pass
            return ResponseApdu(bytes([new.number]) if apdu.p2 == 0 else b"")
        if apdu.p1 == 0x80:
            self.channels.close(apdu.p2 if apdu.p2 else channel.number)
            return ResponseApdu()
        raise SwError(SW.INCORRECT_P1P2)

    def _select(self, apdu: CommandApdu, channel: Channel) -> ResponseApdu:
        if apdu.p1 != 0x04:
            # Selection by file identifier or path belongs to the UICC file system.
            if self.file_system is None:
                raise SwError(SW.FILE_NOT_FOUND, "no file system")
            return self._select_in_file_system(apdu, channel)
        if apdu.p2 & 0xB0:
            raise SwError(SW.INCORRECT_P1P2)
        if not apdu.data:
            if self.default_applet is None:
                raise SwError(SW.FILE_NOT_FOUND)
            target = self.default_applet
        elif len(apdu.data) > 16:
            raise SwError(SW.WRONG_DATA, "AID longer than 16 bytes")
        else:
            target = self.registry.find(apdu.data, apdu.p2 & 0x03, channel.applet)
            if target is None:
                if self.file_system is None:
                    raise SwError(SW.FILE_NOT_FOUND)
                return self._select_in_file_system(apdu, channel)
        if apdu.p2 & 0x40:  # TS 102 221 11.1.1.2: termination of the application session
            if channel.applet is not target:
                raise SwError(SW.CONDITIONS_NOT_SATISFIED)
            channel.deselect()
            return ResponseApdu()
        fci = self._make_selected(channel, target)
        return ResponseApdu(b"" if apdu.p2 & 0x0C == 0x0C else fci)

    def _select_in_file_system(self, apdu: CommandApdu, channel: Channel) -> ResponseApdu:
        if channel.applet is not self.file_system:
            # The file system starts from the MF on a channel it did not own.
            channel.deselect()
            channel.applet = self.file_system
            self.file_system.select(channel)
        return self.file_system.select_file(apdu, channel)

    def _make_selected(self, channel: Channel, target: Applet) -> bytes:
        if not target.multi_selectable and any(
            c.applet is target for c in self.channels if c is not channel
        ):
            raise SwError(SW.CONDITIONS_NOT_SATISFIED, "applet is selected on another channel")
        channel.deselect()
        fci = target.select(channel)
        channel.applet = target
        return fci

    def _status(self, apdu: CommandApdu, channel: Channel) -> ResponseApdu:
        if apdu.p1 not in (0x00, 0x01, 0x02) or apdu.p2 not in (0x00, 0x01, 0x0C):
            raise SwError(SW.INCORRECT_P1P2)
        if apdu.p2 == 0x0C:
            return ResponseApdu()
        applet = channel.applet
        if applet is None:
            raise SwError(SW.CONDITIONS_NOT_SATISFIED, "nothing selected")
        if applet is self.file_system:
            return applet.status(apdu, channel)
        if apdu.p2 == 0x01:
            return ResponseApdu(tlv(0x84, applet.aid) if applet.aid else b"")
        return ResponseApdu(applet.fci())

    def _terminal_capability(self, apdu: CommandApdu, channel: Channel) -> ResponseApdu:
        if apdu.p1p2 != 0:
            raise SwError(SW.INCORRECT_P1P2)
        self.terminal_capability = apdu.data
        return ResponseApdu()

    def _terminal_profile(self, apdu: CommandApdu, channel: Channel) -> ResponseApdu:
        if apdu.p1p2 != 0:
            raise SwError(SW.INCORRECT_P1P2)
        self.proactive.terminal_profile = apdu.data
        return ResponseApdu()

    def _fetch(self, apdu: CommandApdu, channel: Channel) -> ResponseApdu:
        if apdu.p1p2 != 0:
            raise SwError(SW.INCORRECT_P1P2)
        command = self.proactive.fetch()
        if command is None:
            raise SwError(SW.CONDITIONS_NOT_SATISFIED, "no proactive command pending")
        return ResponseApdu(command)

    def _terminal_response(self, apdu: CommandApdu, channel: Channel) -> ResponseApdu:
        if apdu.p1p2 != 0:
            raise SwError(SW.INCORRECT_P1P2)
        if not self.proactive.terminal_response(apdu.data):
            raise SwError(SW.CONDITIONS_NOT_SATISFIED, "no proactive command to answer")
        return ResponseApdu()
