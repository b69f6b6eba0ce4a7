"""``euicc-lpa`` run in-process for the unit tests: the CLI's own parser and ``run`` on a
DirectLink to the in-process card (its APDUs recorded), and ES9+ into the test SM-DP+
with every call recorded (SGP.22 5.6 function names, the address it went to, whether the
SM-DP+ accepted it)."""

from __future__ import annotations

import io
import json
from dataclasses import dataclass, field

from euicc_tools.lpa.cli import build_parser, run
from euicc_tools.lpa.es9 import Es9Error
from euicc_tools.lpa.link import DirectLink
from euicc_tools.smdp.es9 import Smdp
from euicc_tools.testkit.in_process_es9 import es9_direct


class RecordingLink(DirectLink):
    def __init__(self, card) -> None:
        super().__init__(card)
        self.apdus: list[bytes] = []

    def transmit(self, apdu: bytes) -> tuple[bytes, int]:
        self.apdus.append(apdu)
        return super().transmit(apdu)


@dataclass
class Es9Log:
    """An ``es9_for`` into ``smdp``: calls are (address, function, accepted)."""

    smdp: Smdp
    calls: list[tuple[str, str, bool]] = field(default_factory=list)

    def __call__(self, address: str):
        direct = es9_direct(self.smdp)

        def call(name: str, body: dict):
            try:
                answer = direct(name, body)
            except Es9Error:
                self.calls.append((address, name, False))
                raise
            self.calls.append((address, name, True))
            return answer

        return call

    def functions(self) -> list[str]:
        return [name for _, name, _ in self.calls]


@dataclass
class LpaRun:
    status: int
    answer: dict  # the one JSON object on stdout
    stderr: str
    apdus: list[bytes]


def lpa(card, es9_for, *argv: str) -> LpaRun:
    """``euicc-lpa --json ARGV`` against ``card``."""
    args = build_parser().parse_args(["--json", *argv])
    out, err = io.StringIO(), io.StringIO()
    link = RecordingLink(card)
    status = run(args, link, es9_for, out, err)
    text = out.getvalue()
    assert text.count("\n") == 1, text  # exactly one JSON object
    return LpaRun(status, json.loads(text), err.getvalue(), link.apdus)
