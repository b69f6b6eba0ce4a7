"""APDU links: the transport ABC of the LPA side (python-fido2 style). ``DirectLink``
calls a Card in-process (unit tests); ``PcscLink`` goes through pcscd with pyscard,
exactly like lpac (T=0, exclusive); ``ControlLink`` goes through a running card's control
socket. Every transport failure (no reader, no card, a connection that breaks, a card
that leaves the reader) is a :class:`LinkError`: the one exception of this layer."""

from __future__ import annotations

from abc import ABC, abstractmethod

from euicc.transport.base import CardWithdrawn


class LinkError(RuntimeError):
    """The card cannot be reached: no reader, no card, or the connection broke."""


class ApduLink(ABC):
    @abstractmethod
    def transmit(self, apdu: bytes) -> tuple[bytes, int]:
        """Send one C-APDU; return (data, SW)."""

    def close(self) -> None:
        pass


class DirectLink(ApduLink):
    def __init__(self, card) -> None:
        self.card = card

    def transmit(self, apdu: bytes) -> tuple[bytes, int]:
        try:
            response = self.card.transmit(apdu)
        except CardWithdrawn as exc:  # a fault plan's transport event: the card left
            raise LinkError(f"the card left the reader ({exc})") from exc
        return response[:-2], int.from_bytes(response[-2:], "big")


def choose_reader(substring: str | None, names: list[str], has_card) -> str:
    """The reader to use: the first whose name contains ``substring``; without one, the
    first with a card present (``has_card(name)``). LinkError names what was looked for
    and the readers there are."""
    listed = ", ".join(repr(n) for n in names) or "none"
    if substring is not None:
        for name in names:
            if substring in name:
                return name
        raise LinkError(f"no PC/SC reader name contains {substring!r} (readers: {listed})")
    for name in names:
        if has_card(name):
            return name
    raise LinkError("no reader given (--reader or EUICC_LPA_READER) and no reader has a "
                    f"card (readers: {listed})")


class PcscLink(ApduLink):
    """pyscard connection to a named reader (substring match), T=0 like lpac."""

    def __init__(self, reader_substring: str | None = "Virtual PCD 00 00",
                 protocol: str = "T0", exclusive: bool = True) -> None:
        try:
            from smartcard.CardConnection import CardConnection
            from smartcard.Exceptions import SmartcardException
            from smartcard.scard import SCARD_SHARE_EXCLUSIVE, SCARD_SHARE_SHARED
            from smartcard.System import readers
        except ImportError as exc:
            raise LinkError(f"PC/SC needs pyscard ({exc}): pip install 'euicc-emu[lpa]'") \
                from exc

        self._errors = SmartcardException
        try:
            by_name = {str(r): r for r in readers()}
        except SmartcardException as exc:
            raise LinkError(f"PC/SC is not available (is pcscd running?): {exc}") from exc
        self.reader = choose_reader(reader_substring, list(by_name), _card_present)
        self.connection = by_name[self.reader].createConnection()
        proto = {"T0": CardConnection.T0_protocol, "T1": CardConnection.T1_protocol}[protocol]
        mode = SCARD_SHARE_EXCLUSIVE if exclusive else SCARD_SHARE_SHARED
        try:
            self.connection.connect(protocol=proto, mode=mode)
        except SmartcardException as exc:
            raise LinkError(f"cannot connect to the card in {self.reader!r}: {exc}") from exc

    @property
    def atr(self) -> bytes:
        return bytes(self.connection.getATR())

    def transmit(self, apdu: bytes) -> tuple[bytes, int]:
        try:
            data, sw1, sw2 = self.connection.transmit(list(apdu))
        except self._errors as exc:
            raise LinkError(f"the card in {self.reader!r} does not answer: {exc}") from exc
        return bytes(data), (sw1 << 8) | sw2

    def close(self) -> None:
        try:
            self.connection.disconnect()  # pyscard powers the card down, as lpac does
        except Exception:
            pass


def reader_event_state(name: str) -> int | None:
    """pcscd's dwEventState of reader ``name`` (SCardGetStatusChange, no connect: asking
    must not take a card another program holds), or None when PC/SC does not answer. Its
    high 16 bits count the insertions and removals pcscd's event handler has seen."""
    from smartcard import scard

    result, context = scard.SCardEstablishContext(scard.SCARD_SCOPE_USER)
    if result != scard.SCARD_S_SUCCESS:
        return None
    try:
        result, states = scard.SCardGetStatusChange(
            context, 0, [(name, scard.SCARD_STATE_UNAWARE)])
        return states[0][1] if result == scard.SCARD_S_SUCCESS and states else None
    finally:
        scard.SCardReleaseContext(context)


def _card_present(name: str) -> bool:
    """Whether pcscd reports a card in reader ``name``."""
    from smartcard import scard

    state = reader_event_state(name)
    return state is not None and bool(state & scard.SCARD_STATE_PRESENT)


class ControlLink(ApduLink):
    """APDUs through a running card's local control socket (euicc.control)."""

    def __init__(self, path) -> None:
        import json
        import socket

        self._json = json
        self._sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self._sock.connect(str(path))
        self._reader = self._sock.makefile("rb")

    def transmit(self, apdu: bytes) -> tuple[bytes, int]:
        self._sock.sendall(self._json.dumps({"op": "apdu", "hex": apdu.hex()}).encode() + b"\n")
        answer = self._json.loads(self._reader.readline())
        if not answer.get("ok"):
            raise LinkError(answer.get("error", "control request failed"))
        response = bytes.fromhex(answer["hex"])
        return response[:-2], int.from_bytes(response[-2:], "big")

    def close(self) -> None:
        self._reader.close()
        self._sock.close()
