"""The card's fault plan: rules that make a command fail the way the tester chose (an LPA
conformance target needs a chip that answers any ES10 function with any error SGP.22 defines,
a status word, a malformed or late answer, at the moment the tester picks).

A rule is *match -> action*. The card consults the plan at each place where it dispatches a
command, with a :class:`Point` that says what is being dispatched:

- ``Layer.APDU``: every command APDU, named as the card's command tables name it (``SELECT``,
  ``MANAGE CHANNEL``, ``GET RESPONSE``, ``STATUS``, ``AUTHENTICATE``, ``STORE DATA``, ...),
  with its INS and logical channel (ISO/IEC 7816-4 5.1, ETSI TS 102 221 10.1.2);
- ``Layer.ES10``: a reassembled ES10 command, by its SGP.22 function name
  (``ES10b.PrepareDownload``, ``ES10c.EnableProfile``: SGP.22 5.7);
- ``Layer.BPP``: a part of ES10b.LoadBoundProfilePackage (SGP.22 5.7.6, 2.5.5), named
  ``ES10b.LoadBoundProfilePackage.<Part>`` with Part one of InitialiseSecureChannel,
  ConfigureISDP, StoreMetadata, ReplaceSessionKeys, LoadProfileElements, and for the last
  two the number of the segment (1 = the first '86' or '88' segment).

A rule fires at most ``times`` times (None: always) after letting the first ``after``
matches pass. Several rules may match one point: every delay among them is served, and the
first other action (in the order the rules were added) is the one taken. The plan is shared
by the threads that serve the card and the control socket that changes it, so every method
takes its lock. It knows nothing of how an action is carried out: the layers that consult it
do that (:mod:`euicc.faults.malform` builds malformed answers).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field, replace
from enum import Enum

from euicc.transport.base import CardWithdrawn


class Layer(Enum):
    APDU = "apdu"
    ES10 = "es10"
    BPP = "bpp"


class ActionKind(Enum):
    ERROR = "error"  # the function's own error result (SGP.22 response type), or a BPP part's
    STATUS = "status"  # a status word instead of the answer (ISO/IEC 7816-4 5.6)
    DELAY = "delay"  # the real answer, ``ms`` later
    MALFORMED = "malformed"  # the real answer, damaged in the way ``form`` names
    TRANSPORT = "transport"  # a reader-side event: card removed, reset, no answer


BPP_PARTS = ("InitialiseSecureChannel", "ConfigureISDP", "StoreMetadata",
             "ReplaceSessionKeys", "LoadProfileElements")
BPP_FUNCTION = "ES10b.LoadBoundProfilePackage"


def bpp_point_name(part: str) -> str:
    return f"{BPP_FUNCTION}.{part}"


@dataclass(frozen=True)
class Point:
    """What the card is about to dispatch."""

    layer: Layer
    name: str
    ins: int | None = None
    channel: int | None = None
    segment: int | None = None


@dataclass(frozen=True)
class Match:
    """Which points a rule applies to: a name (a function, a BPP part, or an ISO command), or
    an INS; optionally only on one logical channel, or one segment of a BPP part."""

    name: str | None = None
    ins: int | None = None
    channel: int | None = None
    segment: int | None = None

    def __post_init__(self) -> None:
        if self.name is None and self.ins is None:
            raise ValueError("a match needs a name or an INS")

    @property
    def layer(self) -> Layer:
        if self.name is None or not self.name.startswith("ES10"):
            return Layer.APDU
        return Layer.BPP if self.name.startswith(BPP_FUNCTION + ".") else Layer.ES10

    def matches(self, point: Point) -> bool:
        if point.layer is not self.layer:
            return False
        if self.name is not None and self.name != point.name:
            return False
        if self.ins is not None and self.ins != point.ins:
            return False
        if self.channel is not None and self.channel != point.channel:
            return False
        if point.layer is Layer.BPP:  # no segment: the part's opening, not each segment
            return self.segment == point.segment
        return self.segment is None or self.segment == point.segment

    def describe(self) -> str:
        parts = [self.name if self.name is not None else f"INS {self.ins:02X}"]
        if self.name is not None and self.ins is not None:
            parts.append(f"INS {self.ins:02X}")
        if self.segment is not None:
            parts.append(f"segment {self.segment}")
        if self.channel is not None:
            parts.append(f"channel {self.channel}")
        return " ".join(parts)


@dataclass(frozen=True)
class Action:
    kind: ActionKind
    code: int | None = None  # ERROR: the result code / errorReason (resolved by name before)
    code_name: str | None = None  # its SGP.22 name, for the marks in traces
    sw: int | None = None  # STATUS
    ms: int = 0  # DELAY (and TRANSPORT: how long the card stays out / silent)
    form: str | None = None  # MALFORMED: one of malform.FORMS
    event: str | None = None  # TRANSPORT: one of TRANSPORT_EVENTS

    def describe(self) -> str:
        kind = self.kind
        if kind is ActionKind.ERROR:
            return f"error {self.code_name or self.code}"
        if kind is ActionKind.STATUS:
            return f"status {self.sw:04X}"
        if kind is ActionKind.DELAY:
            return f"delay {self.ms} ms"
        if kind is ActionKind.MALFORMED:
            return f"malformed {self.form}"
        return f"transport {self.event}" + (f" {self.ms} ms" if self.ms else "")


TRANSPORT_EVENTS = ("remove", "reset", "mute")
MUTE_DEFAULT_MS = 30_000  # a "mute" without ms: longer than any LPA's APDU timeout


def withdrawal(action: Action) -> CardWithdrawn:
    """What a transport event raises out of the card's transmit (the transport acts on it):
    the card leaves the reader for ``ms`` (``remove``; ``reset``: the card is powered again
    at once, its state reset), or first keeps the command unanswered (``mute``)."""
    if action.event == "mute":
        return CardWithdrawn((action.ms or MUTE_DEFAULT_MS) / 1000, silent=True)
    return CardWithdrawn(action.ms / 1000)


@dataclass
class Rule:
    match: Match
    action: Action
    times: int | None = 1  # None: always
    after: int = 0
    id: str = ""
    seen: int = 0  # points matched so far
    fired: int = 0

    def __post_init__(self) -> None:
        if self.times is not None and self.times < 1:
            raise ValueError("times must be at least 1 (or always)")
        if self.after < 0:
            raise ValueError("after must not be negative")

    @property
    def spent(self) -> bool:
        return self.times is not None and self.fired >= self.times

    def describe(self) -> str:
        times = "always" if self.times is None else f"{self.times}x"
        after = f" after {self.after}" if self.after else ""
        return f"{self.match.describe()} -> {self.action.describe()} ({times}{after})"


def rule_as_dict(rule: Rule) -> dict:
    """A rule as the control socket and ``fault list --json`` show it."""
    match, action = rule.match, rule.action
    entry = {"id": rule.id, "match": match.name, "ins": match.ins, "channel": match.channel,
             "segment": match.segment, "action": action.kind.value,
             "times": "always" if rule.times is None else rule.times, "after": rule.after,
             "seen": rule.seen, "fired": rule.fired, "text": rule.describe()}
    if action.kind is ActionKind.ERROR:
        entry["code"] = action.code_name
    elif action.kind is ActionKind.STATUS:
        entry["sw"] = f"{action.sw:04X}"
    elif action.kind is ActionKind.MALFORMED:
        entry["form"] = action.form
    elif action.kind is ActionKind.TRANSPORT:
        entry["event"] = action.event
    if action.ms:
        entry["ms"] = action.ms
    return {k: v for k, v in entry.items() if v is not None}


@dataclass(frozen=True)
class Fired:
    """The actions due at one point: the delays to serve, then at most one other action;
    ``marks`` describe each for the traces."""

    delay_ms: int = 0
    action: Action | None = None
    marks: tuple[str, ...] = field(default=())

    def __bool__(self) -> bool:
        return bool(self.delay_ms or self.action)


NOTHING = Fired()


class FaultPlan:
    """The rules of one card. Besides the rules it holds what the exchange in progress has
    had injected (the card serves one APDU at a time): the marks for its trace entry, and an
    R-APDU form an inner layer asked the card OS to apply (:meth:`shape_response`)."""

    def __init__(self, rules: list[Rule] | None = None) -> None:
        self._lock = threading.Lock()
        self._rules: list[Rule] = []
        self._next_id = 1
        self._marks: list[str] = []
        self._apdu_form: str | None = None
        for rule in rules or []:
            self.add(rule)

    def add(self, rule: Rule) -> Rule:
        with self._lock:
            if not rule.id:
                rule = replace(rule, id=f"f{self._next_id}")
            if any(r.id == rule.id for r in self._rules):
                raise ValueError(f"a fault named {rule.id!r} is already in the plan")
            self._next_id += 1
            self._rules.append(rule)
            return rule

    def remove(self, rule_id: str) -> bool:
        with self._lock:
            before = len(self._rules)
            self._rules = [r for r in self._rules if r.id != rule_id]
            return len(self._rules) != before

    def clear(self) -> int:
        with self._lock:
            count, self._rules = len(self._rules), []
            return count

    def rules(self) -> list[Rule]:
        """Copies, with their counters as they are now."""
        with self._lock:
            return [replace(r) for r in self._rules]

    def __bool__(self) -> bool:
        return bool(self._rules)

    def fire(self, point: Point) -> Fired:
        """Advance the counters of the rules matching ``point``; what is due there."""
        if not self._rules:  # the common case, without the lock: nothing planned
            return NOTHING
        delay, action, marks = 0, None, []
        with self._lock:
            for rule in self._rules:
                if rule.spent or not rule.match.matches(point):
                    continue
                kind = rule.action.kind
                if kind is not ActionKind.DELAY and action is not None:
                    continue  # one answer per command: the first rule's; this one waits
                rule.seen += 1
                if rule.seen <= rule.after:
                    continue
                rule.fired += 1
                marks.append(f"injected {rule.id}: {rule.action.describe()}")
                if kind is ActionKind.DELAY:
                    delay += rule.action.ms
                else:
                    action = rule.action
        if not marks:
            return NOTHING
        self._marks.extend(marks)
        return Fired(delay, action, tuple(marks))

    # -- the exchange in progress ----------------------------------------------------------------
    def shape_response(self, form: str) -> None:
        """Ask the card OS to give this exchange's R-APDU the ``form`` (one of
        :data:`euicc.faults.malform.APDU_FORMS`): an ES10 function or BPP part matched by a
        rule cannot reach the R-APDU itself."""
        self._apdu_form = form

    def take_response_form(self) -> str | None:
        """The R-APDU form asked for this exchange, once."""
        form, self._apdu_form = self._apdu_form, None
        return form

    def end_exchange(self) -> tuple[str, ...]:
        """The marks of the exchange just served (its trace entry shows them); reset."""
        marks, self._marks, self._apdu_form = tuple(self._marks), [], None
        return marks
