"""Management actions of the shell, sent to a running card as ES10 commands over its
control socket (:mod:`euicc.control`): the same ISD-R code paths as an LPA's (SGP.22
5.7.16-5.7.19, 5.7.21), so the same checks, results and notifications. Requests are built
and checked here before the card is reached (an identifier that is neither an ICCID nor an
ISD-P AID, a nickname longer than profileNickname allows); the result names come from the
ASN.1 module (:mod:`.results`). Also the card's APDU trace: the last exchanges from its
ring buffer, or the live ones."""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from euicc.coding import encode_iccid
from euicc.control import SOCKET_NAME
from euicc.store import PROFILE_BY_AID, PROFILE_BY_ICCID
from euicc_tools.lpa.es10 import Es10Client
from euicc_tools.lpa.link import ControlLink

from .errors import ShellError
from .results import ACTIONS, nickname_limit


class NotRunning(ShellError):
    pass


def control_path(state: Path) -> Path:
    path = state / SOCKET_NAME
    if not path.exists():
        raise NotRunning(f"no running card for {state} (start it with euicc-emu run)")
    return path


def _not_answering(state: Path, exc: OSError) -> NotRunning:
    return NotRunning(f"the card for {state} does not answer on {SOCKET_NAME} "
                      f"({exc.strerror or exc}); is its euicc-emu run still running?")


def identifier(text: str) -> tuple[str, bytes]:
    """A 32-hex-digit ISD-P AID or an ICCID of up to 20 digits."""
    if len(text) == 32:
        try:
            return (PROFILE_BY_AID, bytes.fromhex(text))
        except ValueError:
            pass
    if not text.isdigit() or len(text) > 20:
        raise ShellError(f"{text!r} is neither an ICCID nor an ISD-P AID")
    return (PROFILE_BY_ICCID, encode_iccid(text))


# -- requests (ASN.1 values of the SGP.22 module) ------------------------------------------

def switch(target: str, refresh: bool) -> dict:
    """EnableProfileRequest / DisableProfileRequest (the same members)."""
    return {"profileIdentifier": identifier(target), "refreshFlag": refresh}


def delete(target: str) -> tuple[str, bytes]:
    return identifier(target)


def nickname(iccid: str, name: str) -> dict:
    kind, value = identifier(iccid)
    if kind != PROFILE_BY_ICCID:
        raise ShellError("SetNickname names the profile by its ICCID, not its ISD-P AID")
    limit = nickname_limit()
    if len(name) > limit:
        raise ShellError(f"the nickname has {len(name)} characters; SGP.22 profileNickname "
                         f"is UTF8String (SIZE(0..{limit})), at most {limit}")
    return {"iccid": value, "profileNickname": name}


def memory_reset(operational: bool, test: bool, address: bool) -> dict:
    bits = [n for n, on in enumerate((operational, test, address)) if on]
    value = (bytes([sum(0x80 >> n for n in bits)]), max(bits) + 1) if bits else (b"", 0)
    return {"resetOptions": value}


def run(state: Path, action: str, request) -> int:
    """Send one action's request through the ISD-R of the running card; its result code."""
    spec = ACTIONS[action]
    path = control_path(state)
    try:
        link = ControlLink(path)
    except OSError as exc:
        raise _not_answering(state, exc) from None
    try:
        with Es10Client(link) as es10:
            return es10.call(spec.request, request, spec.response)[spec.result]
    finally:
        link.close()


# -- the APDU trace -------------------------------------------------------------------------

@contextmanager
def _control(state: Path):
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        sock.connect(str(control_path(state)))
    except OSError as exc:
        sock.close()
        raise _not_answering(state, exc) from None
    reader = sock.makefile("rb")
    try:
        yield sock, reader
    finally:
        reader.close()
        sock.close()


def _ask(sock: socket.socket, reader, request: dict) -> dict:
    sock.sendall(json.dumps(request).encode() + b"\n")
    line = reader.readline()
    if not line:
        raise NotRunning("the card closed its control socket")
    answer = json.loads(line)
    if not answer.get("ok"):
        raise ShellError(f"the card refused the request: {answer.get('error')}")
    return answer


def control_request(state: Path, request: dict) -> dict:
    """One request of the control socket (e.g. the fault plan's), its answer."""
    with _control(state) as (sock, reader):
        return _ask(sock, reader, request)


def recent(state: Path, count: int) -> list[dict]:
    """The card's last ``count`` APDU exchanges (names, status words), oldest first."""
    with _control(state) as (sock, reader):
        return _ask(sock, reader, {"op": "recent", "count": count})["exchanges"]


def follow(state: Path) -> Iterator[dict]:
    """The running card's APDU exchanges as they happen (command names, status words),
    until the card stops (then NotRunning: following ended without being asked to)."""
    with _control(state) as (sock, reader):
        _ask(sock, reader, {"op": "subscribe"})
        for line in reader:
            yield json.loads(line)
    raise NotRunning(f"the card for {state} stopped")
