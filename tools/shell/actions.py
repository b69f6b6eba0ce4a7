"""Management actions of the shell, sent to a running card as ES10 commands over its
control socket (:mod:`euicc.control`): the same ISD-R code paths as an LPA's (SGP.22
5.7.16-5.7.19, 5.7.21), so the same checks, results and notifications. Requests are built
and checked before the card is reached (an identifier that is neither an ICCID nor an
ISD-P AID, a nickname longer than profileNickname allows) by the LPA's
:mod:`euicc_tools.lpa.management`, which also names the results. Also the card's APDU
trace: the last exchanges from its ring buffer, or the live ones."""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from euicc.control import SOCKET_NAME
from euicc_tools.lpa.es10 import Es10Client
from euicc_tools.lpa.link import ControlLink
from euicc_tools.lpa.management import ACTIONS

from .errors import ShellError


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
