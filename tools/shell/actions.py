"""Management actions of the shell, sent to a running card as ES10 commands over its
control socket: the same ISD-R code paths as an LPA's (SGP.22 5.7.16-5.7.19, 5.7.21), so
the same checks, results and notifications."""

from __future__ import annotations

import json
import socket
from collections.abc import Callable, Iterator
from pathlib import Path

from euicc.control import SOCKET_NAME
from tools.lpa.es10 import Es10Client
from tools.lpa.link import ControlLink

RESULTS = {
    "enable": ["ok", "iccidOrAisdpNotFound", "profileNotInDisabledState", "disallowedByPolicy",
               "wrongProfileReenabling", "catBusy"],
    "disable": ["ok", "iccidOrAisdpNotFound", "profileNotInEnabledState", "disallowedByPolicy",
                "", "catBusy"],
    "delete": ["ok", "iccidOrAisdpNotFound", "profileNotInDisabledState", "disallowedByPolicy"],
    "nickname": ["ok", "iccidNotFound"],
    "memory_reset": ["ok", "nothingToDelete", "", "", "", "catBusy"],
}


class NotRunning(RuntimeError):
    pass


def control_path(state: Path) -> Path:
    path = state / SOCKET_NAME
    if not path.exists():
        raise NotRunning(f"no running card for {state} (start it with euicc-emu run)")
    return path


def iccid_bytes(digits: str) -> bytes:
    padded = digits.upper().ljust(20, "F")
    return bytes.fromhex("".join(padded[i + 1] + padded[i] for i in range(0, 20, 2)))


def identifier(text: str) -> tuple[str, bytes]:
    """A 32-hex-digit ISD-P AID or an ICCID of up to 20 digits."""
    if len(text) == 32:
        return ("isdpAid", bytes.fromhex(text))
    if not text.isdigit() or len(text) > 20:
        raise ValueError(f"{text!r} is neither an ICCID nor an ISD-P AID")
    return ("iccid", iccid_bytes(text))


def result_name(action: str, code: int) -> str:
    names = RESULTS[action]
    return names[code] if code < len(names) and names[code] else (
        "undefinedError" if code == 127 else str(code))


def with_card(state: Path, act: Callable[[Es10Client], int]) -> int:
    link = ControlLink(control_path(state))
    try:
        with Es10Client(link) as es10:
            return act(es10)
    finally:
        link.close()


def enable(es10: Es10Client, target: str, refresh: bool) -> int:
    return es10.call("EnableProfileRequest", {"profileIdentifier": identifier(target),
                                              "refreshFlag": refresh},
                     "EnableProfileResponse")["enableResult"]


def disable(es10: Es10Client, target: str, refresh: bool) -> int:
    return es10.call("DisableProfileRequest", {"profileIdentifier": identifier(target),
                                               "refreshFlag": refresh},
                     "DisableProfileResponse")["disableResult"]


def delete(es10: Es10Client, target: str) -> int:
    return es10.call("DeleteProfileRequest", identifier(target),
                     "DeleteProfileResponse")["deleteResult"]


def nickname(es10: Es10Client, iccid: str, name: str) -> int:
    return es10.call("SetNicknameRequest", {"iccid": iccid_bytes(iccid), "profileNickname": name},
                     "SetNicknameResponse")["setNicknameResult"]


def memory_reset(es10: Es10Client, operational: bool, test: bool, address: bool) -> int:
    bits = [n for n, on in enumerate((operational, test, address)) if on]
    value = (bytes([sum(0x80 >> n for n in bits)]), max(bits) + 1) if bits else (b"", 0)
    return es10.call("EuiccMemoryResetRequest", {"resetOptions": value},
                     "EuiccMemoryResetResponse")["resetResult"]


def trace(state: Path) -> Iterator[dict]:
    """The running card's APDU exchanges as they happen (command names, status words)."""
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.connect(str(control_path(state)))
    reader = sock.makefile("rb")
    try:
        sock.sendall(b'{"op": "subscribe"}\n')
        json.loads(reader.readline())
        for line in reader:
            yield json.loads(line)
    finally:
        reader.close()
        sock.close()
