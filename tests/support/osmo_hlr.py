"""osmo-hlr, the Osmocom HLR/AuC, as the network side of AKA for integration tests: the
process on a loopback address of its own, its VTY to provision subscribers, and a GSUP
client on the IPA multiplex to ask it for authentication vectors.

Ports. osmo-hlr 1.5 (Debian 12) lets no port be chosen: its GSUP server listens on TCP 4222
(``hlr / gsup / bind ip A.B.C.D`` takes an address only), CTRL on 4259 (``ctrl / bind``
likewise) and the VTY on 4258 (``line vty / bind`` accepts a port and ignores it). Each run
therefore binds all three to an address of its own in 127.0.0.0/8, checked free first, so a
system-wide osmo-hlr (on 127.0.0.1 by its packaged configuration) or a parallel run is never
in the way.

VTY: the libosmovty telnet interface. The server offers telnet options (RFC 854 IAC
sequences), which are stripped and left unanswered, echoes each command line and ends every
answer with the prompt ``OsmoHLR> `` or, after ``enable``, ``OsmoHLR# ``; refusals are lines
starting with ``%``.

IPA multiplex (Osmocom's description of the ip.access protocol, libosmocore
``include/osmocom/gsm/protocol/ipaccess.h``): each message is a 3-byte header, the length of
what follows it (2 bytes, big-endian) and a stream identifier, then the payload. Stream 0xFE
is CCM, connection management (PING 0x00, PONG 0x01, ID_GET 0x04, ID_RESP 0x05, ID_ACK 0x06);
stream 0xEE is Osmocom's extension stream, whose first payload byte names the protocol, 0x05
for GSUP. The server opens with ID_GET; the ID_RESP must name the unit ID (tag 0x08,
"site/bts/trx") and the serial number (tag 0x00), each element being a 2-byte length that
counts the tag, the tag and the NUL-terminated value. osmo-hlr names the peer by that serial
number and keeps one IND per name (below).

GSUP (Osmocom GSUP specification, libosmocore ``gsup.h``): a message type, then 8-bit tag /
8-bit length elements, encoded and decoded by pyosmocom's ``osmocom.gsup.message`` (Osmocom's
own Python codec). SEND_AUTH_INFO_REQUEST carries the semantics of MAP
SendAuthenticationInfo (3GPP TS 29.002 8.5.2): the IMSI, the number of vectors wanted and,
to re-synchronise, the RAND of the challenge the USIM refused with the AUTS it answered
(Re-synchronisation Info; TS 33.102 6.3.5). The result holds one auth tuple per vector (RAND,
XRES, CK, IK, AUTN, and SRES/Kc by the conversion functions of TS 33.102 6.8.1.2); an error
carries a cause coded as the GMM causes of TS 24.008 10.5.5.14.

SQN and IND in osmo-hlr 1.5: SQN = SEQ || IND, IND being the low ``ind-bitlen`` bits (5 unless
provisioned otherwise); every vector takes the next SEQ of the subscriber and the IND the HLR
keeps for the asking peer's name (its ``ind`` table), which is the TS 33.102 C.1.2 / C.3.2
scheme the USIM's SQN array is made for. With an AUTS it adopts the USIM's SQN_MS and goes on
from SEQ_MS + 1 in the asking peer's IND. ``last_sqn`` reads the subscriber's last SQN back
from the VTY.
"""

from __future__ import annotations

import random
import re
import shutil
import signal
import socket
import struct
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from osmocom.gsup.message import GsupMessage, MsgType

EXECUTABLE = "osmo-hlr"
GSUP_PORT, VTY_PORT, CTRL_PORT = 4222, 4258, 4259  # fixed in osmo-hlr 1.5, see above
START_TIMEOUT = 15.0
IO_TIMEOUT = 10.0  # a peer that stops answering fails the test instead of hanging it

CONFIG = """\
log stderr
 logging filter all 1
 logging color 0
 logging print category 1
 logging print level 1
 logging level main notice
 logging level db notice
 logging level auc notice
line vty
 bind {address}
ctrl
 bind {address}
hlr
 gsup
  bind ip {address}
"""

# IPA multiplex stream identifiers and CCM messages (ipaccess.h)
IPA_CCM, IPA_OSMO = 0xFE, 0xEE
IPA_OSMO_GSUP = 0x05
CCM_PING, CCM_PONG, CCM_ID_GET, CCM_ID_RESP, CCM_ID_ACK = 0x00, 0x01, 0x04, 0x05, 0x06
IDTAG_SERNR, IDTAG_UNITNAME, IDTAG_UNIT = 0x00, 0x01, 0x08

PROMPT = re.compile(rb"OsmoHLR[>#] $")
TELNET_OPTION = re.compile(rb"\xff[\xfb-\xfe].|\xff[\xf0-\xfa]", re.DOTALL)


def installed() -> bool:
    return shutil.which(EXECUTABLE) is not None


def version() -> str:
    """What ``osmo-hlr --version`` prints first, e.g. 'OsmoHLR version 1.5.0'."""
    out = subprocess.run([EXECUTABLE, "--version"], capture_output=True, text=True, check=True)
    return (out.stdout or out.stderr).splitlines()[0]


class VtyError(RuntimeError):
    """The VTY refused a command (its '%' line)."""


class GsupError(RuntimeError):
    """osmo-hlr answered a SEND_AUTH_INFO_REQUEST with SEND_AUTH_INFO_ERROR."""

    def __init__(self, cause: int) -> None:
        super().__init__(f"SEND_AUTH_INFO_ERROR, GMM cause {cause} (TS 24.008 10.5.5.14)")
        self.cause = cause


@dataclass(frozen=True)
class AuthVector:
    """One UMTS quintuplet of a GSUP auth tuple (TS 33.102 6.3.2) with its GSM SRES/Kc."""

    rand: bytes
    autn: bytes
    xres: bytes
    ck: bytes
    ik: bytes
    sres: bytes
    kc: bytes

    @classmethod
    def from_tuple(cls, elements: list[dict]) -> AuthVector:
        fields = {name: value for element in elements for name, value in element.items()}
        return cls(rand=fields["rand"], autn=fields["autn"], xres=fields["res"],
                   ck=fields["ck"], ik=fields["ik"], sres=fields["sres"], kc=fields["kc"])


def _recv_exact(sock: socket.socket, count: int) -> bytes:
    data = b""
    while len(data) < count:
        chunk = sock.recv(count - len(data))
        if not chunk:
            raise ConnectionError("osmo-hlr closed the connection")
        data += chunk
    return data


class Vty:
    """A telnet session on osmo-hlr's VTY, privileged (``enable``) once opened."""

    def __init__(self, address: str) -> None:
        self.sock = socket.create_connection((address, VTY_PORT), timeout=IO_TIMEOUT)
        self._read_to_prompt()  # banner
        self.command("enable")

    def _read_to_prompt(self) -> str:
        data = b""
        while not PROMPT.search(data):
            chunk = self.sock.recv(4096)
            if not chunk:
                raise ConnectionError("osmo-hlr closed the VTY")
            data = TELNET_OPTION.sub(b"", data + chunk)
        return PROMPT.sub(b"", data).decode()

    def command(self, line: str) -> list[str]:
        """Run one command; its output lines, the echoed command left out. A '%' line other
        than the ones the command prints on success is a refusal."""
        self.sock.sendall(line.encode() + b"\n")
        lines = [text.strip() for text in self._read_to_prompt().splitlines()]
        return [text for text in lines if text and text != line]

    def checked(self, line: str, success: str | None = None) -> list[str]:
        """:meth:`command`, raising :class:`VtyError` on a refusal, or when ``success`` is
        given and no line holds it."""
        lines = self.command(line)
        refused = [text for text in lines
                   if text.startswith("%") and (success is None or success not in text)]
        if refused or (success is not None and not any(success in text for text in lines)):
            raise VtyError(f"{line!r}: {' / '.join(lines)}")
        return lines

    def close(self) -> None:
        self.sock.close()

    def __enter__(self) -> Vty:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class GsupClient:
    """A GSUP peer (an MSC/VLR or SGSN as osmo-hlr sees it) named ``name`` on the IPA
    multiplex."""

    def __init__(self, address: str, name: str) -> None:
        self.name = name
        self.sock = socket.create_connection((address, GSUP_PORT), timeout=IO_TIMEOUT)

    def _send(self, stream: int, payload: bytes) -> None:
        self.sock.sendall(struct.pack(">HB", len(payload), stream) + payload)

    def _identity(self) -> bytes:
        elements = ((IDTAG_SERNR, self.name), (IDTAG_UNITNAME, self.name), (IDTAG_UNIT, "0/0/0"))
        return bytes([CCM_ID_RESP]) + b"".join(
            struct.pack(">HB", len(value) + 2, tag) + value.encode() + b"\0"
            for tag, value in elements)

    def _receive(self) -> tuple[int, bytes]:
        length, stream = struct.unpack(">HB", _recv_exact(self.sock, 3))
        return stream, _recv_exact(self.sock, length)

    def _receive_gsup(self) -> GsupMessage:
        """The next GSUP message; a CCM PING on the way is answered, ID_ACK / PONG skipped."""
        while True:
            stream, payload = self._receive()
            if stream == IPA_OSMO and payload[:1] == bytes([IPA_OSMO_GSUP]):
                return GsupMessage.from_bytes(payload[1:])
            if stream == IPA_CCM and payload[:1] == bytes([CCM_PING]):
                self._send(IPA_CCM, bytes([CCM_PONG]))
            elif stream != IPA_CCM or payload[:1] not in (bytes([CCM_ID_ACK]), bytes([CCM_PONG])):
                raise ConnectionError(f"unexpected IPA message on stream {stream:02X}")

    def open(self) -> GsupClient:
        """Answer the server's opening ID_GET with this peer's identity."""
        stream, payload = self._receive()
        if stream != IPA_CCM or payload[:1] != bytes([CCM_ID_GET]):
            raise ConnectionError("osmo-hlr did not open with IPA CCM ID_GET")
        self._send(IPA_CCM, self._identity())
        return self

    def send_auth_info(self, imsi: str, count: int, *, rand: bytes | None = None,
                       auts: bytes | None = None) -> list[AuthVector]:
        """SendAuthInfo for ``count`` vectors; with ``rand`` and ``auts`` a re-synchronisation
        (TS 29.002 8.5.2 Re-synchronisation Info)."""
        ies: list[dict] = [{"imsi": imsi}, {"num_vectors_req": count}]
        if auts is not None:
            ies += [{"auts": auts}, {"rand": rand}]
        request = GsupMessage.from_dict({"msg_type": MsgType.SEND_AUTH_INFO_REQUEST.name,
                                         "ies": ies})
        self._send(IPA_OSMO, bytes([IPA_OSMO_GSUP]) + request.to_bytes())
        answer = self._receive_gsup().to_dict()
        fields = answer["ies"]
        if answer["msg_type"] == MsgType.SEND_AUTH_INFO_ERROR.name:
            raise GsupError(next(f["cause"] for f in fields if "cause" in f))
        if answer["msg_type"] != MsgType.SEND_AUTH_INFO_RESULT.name:
            raise ConnectionError(f"unexpected GSUP answer {answer['msg_type']}")
        return [AuthVector.from_tuple(f["auth_tuple"]) for f in fields if "auth_tuple" in f]

    def close(self) -> None:
        self.sock.close()

    def __enter__(self) -> GsupClient:
        return self.open()

    def __exit__(self, *exc: object) -> None:
        self.close()


def _free_loopback_address() -> str:
    """An address in 127.0.0.0/8 (not 127.0.0.x) on which osmo-hlr's three ports are free."""
    chooser = random.SystemRandom()
    for _ in range(50):
        address = "127." + ".".join(str(chooser.randint(low, 254)) for low in (1, 0, 1))
        try:
            for port in (GSUP_PORT, VTY_PORT, CTRL_PORT):
                with socket.socket() as probe:
                    probe.bind((address, port))
        except OSError:
            continue
        return address
    raise RuntimeError("no free loopback address for osmo-hlr")


class OsmoHlr:
    """One osmo-hlr process with its configuration, database and log in ``directory``."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.address = ""
        self.process: subprocess.Popen | None = None

    @property
    def log_path(self) -> Path:
        return self.directory / "osmo-hlr.log"

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def start(self) -> OsmoHlr:
        self.directory.mkdir(parents=True, exist_ok=True)
        self.address = _free_loopback_address()
        config = self.directory / "osmo-hlr.cfg"
        config.write_text(CONFIG.format(address=self.address))
        with self.log_path.open("wb") as log:
            self.process = subprocess.Popen(
                [EXECUTABLE, "-c", str(config), "-l", str(self.directory / "hlr.db")],
                stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                cwd=self.directory)
        try:
            self._wait_listening(time.monotonic() + START_TIMEOUT)
        except BaseException:
            self.stop()
            raise
        return self

    def _wait_listening(self, deadline: float) -> None:
        pending = [VTY_PORT, GSUP_PORT]
        while pending:
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"osmo-hlr did not listen on {self.address}:{pending}:\n"
                                   + self.log())
            try:
                socket.create_connection((self.address, pending[0]), timeout=1).close()
                pending.pop(0)
            except OSError:
                time.sleep(0.05)

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def vty(self) -> Vty:
        return Vty(self.address)

    def gsup(self, name: str) -> GsupClient:
        return GsupClient(self.address, name)

    def provision_milenage(self, imsi: str, k: bytes, opc: bytes, ind_bitlen: int) -> None:
        """Create the subscriber and give it MILENAGE K/OPc with an IND of ``ind_bitlen``
        bits; the VTY's ``show`` must then list them as given."""
        with self.vty() as vty:
            vty.checked(f"subscriber imsi {imsi} create", success="Created subscriber")
            vty.checked(f"subscriber imsi {imsi} update aud3g milenage k {k.hex()} "
                        f"opc {opc.hex()} ind-bitlen {ind_bitlen}")
            shown = " ".join(vty.checked(f"subscriber imsi {imsi} show"))
        expected = ("3G auth: MILENAGE", f"K={k.hex()}", f"OPC={opc.hex()}",
                    f"IND-bitlen={ind_bitlen}")
        if not all(part in shown for part in expected):
            raise VtyError(f"subscriber {imsi} not provisioned as asked: {shown}")

    def last_sqn(self, imsi: str) -> int:
        """The subscriber's last SQN as the VTY shows it (``last-SQN=``; no such field while
        no vector was made, i.e. 0)."""
        with self.vty() as vty:
            shown = " ".join(vty.checked(f"subscriber imsi {imsi} show"))
        found = re.search(r"last-SQN=(\d+)", shown)
        return int(found.group(1)) if found else 0
