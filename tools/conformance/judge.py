"""Judging a case: what the card saw (its pcap read back as ES10 exchanges, :mod:`.trace`)
and what the test SM-DP+ received (ES9+ calls, :mod:`.es9_log`) put on one timeline, and
each expectation of the case evaluated on it (SGP.22 3.1.3 for the download, 3.5 for
notifications, 5.6 ES9+, 5.7 ES10; ISO/IEC 7816-4 and GlobalPlatform 11.11 for the APDUs).

Expectation kinds:

- ``called``: a call that matches happened at least ``at_least`` (default 1) and at most
  ``at_most`` times;
- ``not_called``: no call matches;
- ``order``: matching calls happened in the order given (others may come between);
- ``exit``: the LPA ended with status 0 (``success``) or another (``failure``) in time.

A call matches by name and by ``with``: dotted paths into its decoded fields (``request``,
``answer``, ``sw`` of an ES10 exchange; ``request``, ``status`` of an ES9+ call, plus ``seq``
and ``kind`` of a handleNotification and ``reason`` of a cancelSession). A path step that
does not name the alternative of a CHOICE goes into the chosen alternative. A value given as
text matches an OCTET STRING by its hex digits, an INTEGER by the name the SGP.22 module
gives the number, a CHOICE by its alternative's name.

Two expectations are added to every case unless it sets ``transport_checks = false``: the
APDU and channel handling (the trace's findings: block sequence and sizes, GET RESPONSE,
channels opened, ISD-R selected on them, closed) and every ES10 command DER-valid against
the SGP.22 ASN.1.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from functools import cache

from euicc.asn1 import rsp_types
from euicc.ins import Ins

from .case import Call, Case, Expectation
from .trace import Finding, Trace

EXCERPT_AROUND = 3  # events shown before and after the point of a failed expectation
DER_CLAUSE_PREFIX = "SGP.22 5.7 (ASN.1 DER"
TRANSPORT = Expectation(
    "findings", "ISO/IEC 7816-4 5.1, 7.6.1, 11.1.2; GlobalPlatform 11.11.2; SGP.22 5.7.2",
    text="APDUs, STORE DATA blocks, GET RESPONSE and logical channels used as required",
    builtin=True)
DER = Expectation("der", "SGP.22 5.7, ITU-T X.690 10",
                  text="every ES10 command is DER-valid against the SGP.22 ASN.1",
                  builtin=True)


class Verdict(StrEnum):
    PASS = "pass"
    FAIL = "fail"
    INFORMATIONAL = "informational"
    NOT_APPLICABLE = "not-applicable"
    ERROR = "error"  # the runner could not run the case (a card that did not start, ...)


@dataclass
class Event:
    """One call on the timeline: an ES10 exchange the card answered or an ES9+ call the
    SM-DP+ answered."""

    time: float
    name: str
    fields: dict
    summary: str
    marks: list[str] = field(default_factory=list)
    packets: list[int] = field(default_factory=list)


@dataclass
class LpaRun:
    argv: list[str]
    returncode: int | None  # None: killed at the timeout
    stdout: str
    stderr: str
    seconds: float

    @property
    def timed_out(self) -> bool:
        return self.returncode is None


@dataclass
class ExpectationResult:
    expectation: Expectation
    met: bool
    detail: str
    excerpt: list[str] = field(default_factory=list)


@dataclass
class CaseResult:
    case: Case
    verdict: Verdict
    reason: str = ""  # not-applicable / error: why; fail: the first unmet expectation
    results: list[ExpectationResult] = field(default_factory=list)
    timeline: list[Event] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    lpa: LpaRun | None = None
    injected: list[str] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)


def timeline(trace: Trace, es9_calls: list[Event]) -> list[Event]:
    """The case's calls in time order: ES10 exchanges, the other APDUs (SELECT, MANAGE
    CHANNEL, ...: shown, not matched by expectations) and the ES9+ calls."""
    events = [Event(e.time, e.function or "ES10.unknown",
                    {"request": e.request, "answer": e.answer, "sw": e.sw},
                    _summary(e.answer, e.response, e.sw), list(e.marks), list(e.apdus))
              for e in trace.exchanges]
    for apdu in trace.apdus:
        if apdu.ins in (Ins.STORE_DATA, Ins.GET_RESPONSE):
            continue
        name = Ins(apdu.ins).name.replace("_", " ") if apdu.ins in Ins._value2member_map_ \
            else f"INS {apdu.ins:02X}"
        events.append(Event(apdu.time, name, {"sw": apdu.sw},
                            f"{apdu.command.hex().upper()[:48]} SW {apdu.sw:04X}",
                            list(apdu.marks), [apdu.number]))
    return sorted(events + es9_calls, key=lambda e: (e.time, e.packets[:1]))


def judge(case: Case, events: list[Event], trace: Trace, lpa: LpaRun) -> CaseResult:
    expectations = list(case.expectations)
    if case.transport_checks:
        expectations += [TRANSPORT, DER]
    results = [_evaluate(x, events, trace, lpa) for x in expectations]
    injected = [m for e in events for m in e.marks]
    unmet = next((r for r in results if not r.met and not r.expectation.informational), None)
    own = [x for x in case.expectations if not x.informational]
    if unmet is not None:
        verdict, reason = Verdict.FAIL, f"{unmet.expectation.describe()}: {unmet.detail}"
    elif own:
        verdict, reason = Verdict.PASS, ""
    else:
        verdict = Verdict.INFORMATIONAL
        reason = "; ".join(f"{r.expectation.describe()}: {'yes' if r.met else 'no'} "
                           f"({r.detail})" for r in results if r.expectation.informational)
    return CaseResult(case, verdict, reason, results, events, trace.findings, lpa, injected)


def _evaluate(x: Expectation, events: list[Event], trace: Trace,
              lpa: LpaRun) -> ExpectationResult:
    if x.kind == "exit":
        return _exit(x, lpa)
    if x.kind in ("findings", "der"):
        der = [f for f in trace.findings if f.clause.startswith(DER_CLAUSE_PREFIX)]
        found = der if x.kind == "der" else [f for f in trace.findings if f not in der]
        if not found:
            return ExpectationResult(x, True, "no finding")
        first = found[0]
        at = next((i for i, e in enumerate(events) if first.packet in e.packets), None)
        detail = "; ".join(f"packet {f.packet}: {f.text} ({f.clause})" for f in found)
        return ExpectationResult(x, False, detail, excerpt(events, at))
    if x.kind == "order":
        return _order(x, events)
    call = x.calls[0]
    hits = [i for i, e in enumerate(events) if matches(call, e)]
    if x.kind == "not_called":
        if not hits:
            return ExpectationResult(x, True, "not called")
        return ExpectationResult(x, False, f"called {len(hits)} time(s)",
                                 excerpt(events, hits[0]))
    count = len(hits)
    detail = f"called {count} time(s)"
    met = count >= x.at_least and (x.at_most is None or count <= x.at_most)
    if met:
        return ExpectationResult(x, True, detail)
    near = _nearest(call, events) if not hits else hits[x.at_most or 0]
    if not hits:
        detail += _near_miss(call, events)
    return ExpectationResult(x, False, detail, excerpt(events, near))


def _exit(x: Expectation, lpa: LpaRun) -> ExpectationResult:
    if lpa.timed_out:
        return ExpectationResult(x, False, f"the LPA did not end within {lpa.seconds:.0f} s "
                                           "(killed)")
    ok = lpa.returncode == 0
    met = ok == (x.exit == "success")
    return ExpectationResult(x, met, f"exit status {lpa.returncode}")


def _order(x: Expectation, events: list[Event]) -> ExpectationResult:
    position = 0
    for step, call in enumerate(x.calls):
        found = next((i for i in range(position, len(events)) if matches(call, events[i])),
                     None)
        if found is None:
            earlier = next((i for i in range(position) if matches(call, events[i])), None)
            why = (f"{call} came only before {x.calls[step - 1]}" if earlier is not None
                   else f"no {call}" + _near_miss(call, events))
            return ExpectationResult(x, False, why, excerpt(
                events, earlier if earlier is not None else max(position - 1, 0)))
        position = found + 1
    return ExpectationResult(x, True, "in order")


def _nearest(call: Call, events: list[Event]) -> int | None:
    same = [i for i, e in enumerate(events) if e.name == call.name]
    return same[0] if same else (len(events) - 1 if events else None)


def _near_miss(call: Call, events: list[Event]) -> str:
    """What the calls of that name had instead, where the fields made them miss."""
    if not call.fields:
        return ""
    seen = []
    for event in events:
        if event.name == call.name:
            seen.append(", ".join(f"{p}={_show(resolve(event.fields, p))}"
                                  for p, _ in call.fields))
    return f"; {call.name} had {' / '.join(seen)}" if seen else ""


def matches(call: Call, event: Event) -> bool:
    if event.name != call.name:
        return False
    return all(_equal(resolve(event.fields, path), value) for path, value in call.fields)


MISSING = object()


def resolve(value, path: str):
    for step in path.split("."):
        value = _step(value, step)
        if value is MISSING:
            return MISSING
    return value


def _step(value, step: str):
    while True:
        if isinstance(value, dict):
            return value.get(step, MISSING)
        if isinstance(value, tuple) and len(value) == 2 and isinstance(value[0], str):
            if value[0] == step:
                return value[1]
            value = value[1]  # into the chosen alternative of a CHOICE
            continue
        return MISSING


def _equal(actual, expected) -> bool:
    if actual is MISSING:
        return False
    if isinstance(expected, bool) or isinstance(actual, bool):
        return actual is expected
    if isinstance(actual, (bytes, bytearray)):
        return isinstance(expected, str) and actual.hex().upper() == expected.upper()
    if isinstance(actual, tuple) and len(actual) == 2 and isinstance(actual[0], str):
        return actual[0] == expected
    if isinstance(actual, int) and isinstance(expected, str):
        return actual in named_numbers().get(expected, ())
    return actual == expected


@cache
def named_numbers() -> dict[str, frozenset[int]]:
    """Every name the SGP.22 module gives an INTEGER value, with the numbers it names (the
    same name means the same number across the module's result codes, nearly always)."""
    names: dict[str, set[int]] = {}

    def walk(definition) -> None:
        if isinstance(definition, dict):
            for name, number in (definition.get("named-numbers") or {}).items():
                names.setdefault(name, set()).add(int(number))
            for value in definition.values():
                walk(value)
        elif isinstance(definition, list):
            for value in definition:
                walk(value)

    walk(rsp_types())
    return {k: frozenset(v) for k, v in names.items()}


def excerpt(events: list[Event], at: int | None) -> list[str]:
    if at is None or not events:
        return [render(e, events[0].time) for e in events[-2 * EXCERPT_AROUND:]]
    low, high = max(at - EXCERPT_AROUND, 0), min(at + EXCERPT_AROUND + 1, len(events))
    return [("> " if i == at else "  ") + render(events[i], events[0].time)
            for i in range(low, high)]


def render(event: Event, start: float) -> str:
    marks = "".join(f" [{m}]" for m in event.marks)
    return f"+{event.time - start:7.3f} s  {event.name}  {event.summary}{marks}"


def _summary(answer, response: bytes, sw) -> str:
    if answer is None and response:
        text = f"(not the function's response type) {_show(bytes(response))}"
    else:
        text = "" if answer is None else _show(answer)
    status = "" if sw is None else f"SW {sw:04X}"
    return (text[:160] + ("..." if len(text) > 160 else "") + " " + status).strip()


def _show(value) -> str:
    if value is MISSING:
        return "(absent)"
    if isinstance(value, (bytes, bytearray)):
        return value.hex().upper() if len(value) <= 24 else f"{value[:24].hex().upper()}..."
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}: {_show(v)}" for k, v in value.items()) + "}"
    if isinstance(value, tuple) and len(value) == 2 and isinstance(value[0], str):
        return f"{value[0]}({_show(value[1])})"
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_show(v) for v in value) + "]"
    return repr(value)
