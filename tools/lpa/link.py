"""APDU links: the transport ABC of the LPA side (python-fido2 style). ``DirectLink``
calls a Card in-process (unit tests); ``PcscLink`` goes through pcscd with pyscard,
exactly like lpac (T=0, exclusive)."""

from __future__ import annotations

from abc import ABC, abstractmethod


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
        response = self.card.transmit(apdu)
        return response[:-2], int.from_bytes(response[-2:], "big")


class PcscLink(ApduLink):
    """pyscard connection to a named reader (substring match), T=0 like lpac."""

    def __init__(self, reader_substring: str = "Virtual PCD 00 00", protocol: str = "T0",
                 exclusive: bool = True) -> None:
        from smartcard.CardConnection import CardConnection
        from smartcard.scard import SCARD_SHARE_EXCLUSIVE, SCARD_SHARE_SHARED
        from smartcard.System import readers

        matches = [r for r in readers() if reader_substring in str(r)]
        if not matches:
            raise LookupError(f"no PC/SC reader matching {reader_substring!r}")
        self.connection = matches[0].createConnection()
        proto = {"T0": CardConnection.T0_protocol, "T1": CardConnection.T1_protocol}[protocol]
        mode = SCARD_SHARE_EXCLUSIVE if exclusive else SCARD_SHARE_SHARED
        self.connection.connect(protocol=proto, mode=mode)

    @property
    def atr(self) -> bytes:
        return bytes(self.connection.getATR())

    def transmit(self, apdu: bytes) -> tuple[bytes, int]:
        data, sw1, sw2 = self.connection.transmit(list(apdu))
        return bytes(data), (sw1 << 8) | sw2

    def close(self) -> None:
        try:
            self.connection.disconnect()  # pyscard powers the card down, as lpac does
        except Exception:
            pass


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
            raise RuntimeError(answer.get("error", "control request failed"))
        response = bytes.fromhex(answer["hex"])
        return response[:-2], int.from_bytes(response[-2:], "big")

    def close(self) -> None:
        self._reader.close()
        self._sock.close()
