"""Fault rules from a scenario file (TOML, read with the standard library's ``tomllib``) and
from the control socket (the same fields as a table), checked against what the card has.

Schema (version 1)::

    [[fault]]
    id = "busy"                    # optional; unique in the plan (default f1, f2, ...)
    match = "ES10c.EnableProfile"  # an ES10 function (SGP.22 5.7), a part of
                                   # ES10b.LoadBoundProfilePackage, or an ISO command
    ins = 0xA4                     # optional: the INS (alone, or with an ISO command name)
    channel = 1                    # optional: only on this logical channel (0..19)
    segment = 2                    # optional: the n-th segment of StoreMetadata or
                                   # LoadProfileElements (1 = the first)
    action = "error"               # error | status | delay | malformed | transport
    code = "catBusy"               # error: the result code by its SGP.22 name (or number)
    sw = "6A82"                    # status: four hex digits
    ms = 3000                      # delay: milliseconds (transport: how long)
    form = "truncated"             # malformed: see euicc.faults.malform
    event = "remove"               # transport: remove | reset | mute
    times = 1                      # how often: a number >= 1, or "always" (default 1)
    after = 0                      # let this many matches pass first (default 0)

Anything else is refused with the file, the line and what is allowed there. What a rule may
name comes from the card (:class:`Catalog`): the card OS knows its ISO commands, the ISD-R
its ES10 functions, their error codes (from the SGP.22 ASN.1 module's named numbers) and the
BPP parts.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from .malform import FORMS
from .plan import TRANSPORT_EVENTS, Action, ActionKind, Layer, Match, Rule

MAX_CHANNEL = 19  # ETSI TS 102 221 10.1.1: logical channels 0..19
RULE_KEYS = ("id", "match", "ins", "channel", "segment", "action", "code", "sw", "ms", "form",
             "event", "times", "after")
ACTION_KEYS = {"error": {"code"}, "status": {"sw"}, "delay": {"ms"}, "malformed": {"form"},
               "transport": {"event", "ms"}}
REQUIRED = {"error": {"code"}, "status": {"sw"}, "delay": {"ms"}, "malformed": {"form"},
            "transport": {"event"}}


class ScenarioError(ValueError):
    """A scenario (or a live rule) that cannot work, said with where and what is allowed."""


@dataclass(frozen=True)
class Target:
    """A point a rule can name: its layer, its error results by SGP.22 name (empty: the
    error action does not apply), whether it has numbered segments."""

    name: str
    layer: Layer
    error_codes: dict[str, int] = field(default_factory=dict)
    segmented: bool = False


@dataclass
class Catalog:
    targets: dict[str, Target] = field(default_factory=dict)

    def add(self, target: Target) -> None:
        self.targets[target.name] = target

    def names(self, layer: Layer | None = None) -> list[str]:
        return sorted(n for n, t in self.targets.items() if layer is None or t.layer is layer)


def _allowed(values) -> str:
    return ", ".join(str(v) for v in values)


def rule_from_table(table: dict, catalog: Catalog, where: str = "fault") -> Rule:
    """One rule from its fields (a ``[[fault]]`` table, or a control-socket request)."""

    def fail(key: str | None, message: str):
        raise ScenarioError(f"{where}{'' if key is None else f': {key}'}: {message}")

    unknown = [k for k in table if k not in RULE_KEYS]
    if unknown:
        fail(unknown[0], f"unknown key (allowed: {_allowed(RULE_KEYS)})")
    action_name = table.get("action")
    if action_name not in ACTION_KEYS:
        fail("action", f"{action_name!r} is not an action (allowed: {_allowed(ACTION_KEYS)})")
    extra = ({"code", "sw", "ms", "form", "event"} & table.keys()) - ACTION_KEYS[action_name]
    if extra:
        key = sorted(extra)[0]
        fail(key, f"not a field of the {action_name} action (its fields: "
                  f"{_allowed(sorted(ACTION_KEYS[action_name]))})")
    missing = REQUIRED[action_name] - table.keys()
    if missing:
        fail(sorted(missing)[0], f"the {action_name} action needs it")
    match = _match(table, catalog, fail)
    target = catalog.targets.get(match.name) if match.name else None
    action = _action(action_name, table, target, match, fail)
    times = table.get("times", 1)
    if times == "always":
        times = None
    elif not _is_int(times) or times < 1:
        fail("times", f"{times!r}: a number of times >= 1, or \"always\"")
    after = table.get("after", 0)
    if not _is_int(after) or after < 0:
        fail("after", f"{after!r}: a number of matches >= 0")
    rule_id = table.get("id", "")
    if not isinstance(rule_id, str) or (rule_id and not re.fullmatch(r"[\w.-]{1,40}", rule_id)):
        fail("id", f"{rule_id!r}: up to 40 letters, digits, '_', '.', '-'")
    return Rule(match, action, times=times, after=after, id=rule_id)


def _is_int(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _match(table: dict, catalog: Catalog, fail) -> Match:
    name, ins = table.get("match"), table.get("ins")
    if name is None and ins is None:
        fail("match", "a rule needs match (a function or command name) or ins")
    if name is not None and name not in catalog.targets:
        close = [n for n in catalog.names() if name.lower() in n.lower()][:8]
        fail("match", f"{name!r} is nothing this card dispatches (e.g. "
                      f"{_allowed(close or catalog.names(Layer.ES10)[:8])}; "
                      "`euicc-emu shell -c 'fault targets'` lists all)")
    if ins is not None and (not _is_int(ins) or not 0 <= ins <= 0xFF):
        fail("ins", f"{ins!r}: an INS byte, 0x00..0xFF")
    target = catalog.targets.get(name) if name else None
    if ins is not None and target is not None and target.layer is not Layer.APDU:
        fail("ins", f"{name} is an ES10 function, matched by its name alone")
    channel = table.get("channel")
    if channel is not None and (not _is_int(channel) or not 0 <= channel <= MAX_CHANNEL):
        fail("channel", f"{channel!r}: a logical channel, 0..{MAX_CHANNEL}")
    segment = table.get("segment")
    if segment is not None:
        if target is None or not target.segmented:
            fail("segment", "only StoreMetadata and LoadProfileElements have segments")
        if not _is_int(segment) or segment < 1:
            fail("segment", f"{segment!r}: a segment number >= 1")
    return Match(name=name, ins=ins, channel=channel, segment=segment)


def _action(kind: str, table: dict, target: Target | None, match: Match, fail) -> Action:
    if kind == "error":
        codes = target.error_codes if target is not None else {}
        if not codes:
            fail("code", f"{match.describe()} has no error result to give (use status, "
                         "malformed or delay)")
        code = table["code"]
        by_number = {number: name for name, number in codes.items()}
        if isinstance(code, str) and code in codes:
            return Action(ActionKind.ERROR, code=codes[code], code_name=code)
        if _is_int(code) and code in by_number:
            return Action(ActionKind.ERROR, code=code, code_name=by_number[code])
        fail("code", f"{code!r} is not an error of {match.name} (allowed: {_allowed(codes)})")
    if kind == "status":
        sw = table["sw"]
        if not isinstance(sw, str) or not re.fullmatch(r"[0-9A-Fa-f]{4}", sw):
            fail("sw", f"{sw!r}: four hex digits, e.g. \"6A82\"")
        return Action(ActionKind.STATUS, sw=int(sw, 16))
    ms = table.get("ms", 0)
    if not _is_int(ms) or not 0 <= ms <= 600_000:
        fail("ms", f"{ms!r}: milliseconds, 0..600000")
    if kind == "delay":
        return Action(ActionKind.DELAY, ms=ms)
    if kind == "malformed":
        form = table["form"]
        if form not in FORMS:
            fail("form", f"{form!r} (allowed: {_allowed(FORMS)})")
        return Action(ActionKind.MALFORMED, form=form)
    event = table["event"]
    if event not in TRANSPORT_EVENTS:
        fail("event", f"{event!r} (allowed: {_allowed(TRANSPORT_EVENTS)})")
    return Action(ActionKind.TRANSPORT, event=event, ms=ms)


def _key_lines(text: str) -> dict[tuple[int, str | None], int]:
    """(index of the [[fault]] table, key) -> line number, None key: the table's header.
    tomllib gives values only; this finds the lines an error message points at."""
    lines: dict[tuple[int, str | None], int] = {}
    index = -1
    for number, line in enumerate(text.splitlines(), 1):
        stripped = line.strip()
        if re.match(r"\[\[\s*fault\s*\]\]", stripped):
            index += 1
            lines[(index, None)] = number
        elif stripped.startswith("["):
            index = -1 if not stripped.startswith("[[") else index
        else:
            key = re.match(r"([A-Za-z0-9_-]+)\s*=", stripped)
            if key and index >= 0:
                lines.setdefault((index, key.group(1)), number)
    return lines


@dataclass
class Scenario:
    """A scenario file read: its ``[[fault]]`` tables, turned into rules against the card's
    catalogue by :meth:`rules`, and the other sections the caller asked for (as tables, for
    the layer that knows them: the ISD-R's ``preset``)."""

    path: Path
    text: str
    fault_tables: list[dict]
    sections: dict[str, dict]

    def rules(self, catalog: Catalog) -> list[Rule]:
        """The rules, in order, checked against what the card dispatches."""
        lines = _key_lines(self.text)
        rules = []
        for index, table in enumerate(self.fault_tables):
            try:
                rules.append(rule_from_table(table, catalog, where=f"fault {index + 1}"))
            except ScenarioError as exc:
                key = re.match(r"fault \d+: ([\w-]+):", str(exc))
                line = lines.get((index, key.group(1) if key else None)) or lines.get(
                    (index, None))
                raise ScenarioError(f"{self.path}:{line or 1}: {exc}") from None
        ids = [r.id for r in rules if r.id]
        duplicate = next((i for i in ids if ids.count(i) > 1), None)
        if duplicate:
            raise ScenarioError(f"{self.path}: two faults are named {duplicate!r}")
        return rules

    def error(self, exc: ScenarioError, section: str) -> ScenarioError:
        """``exc`` (raised by whoever read ``section``) with the file and the line of the
        key it names. Its message starts with the table (``preset.profile 2: ...``, the n-th
        ``[[preset.profile]]``); the key is looked for in that table, else in the section,
        inline tables included, and the line is the table's header when it is not there."""
        lines = self.text.splitlines()
        message = str(exc)
        table = re.match(r"([\w.]+?)(?: (\d+))?:", message)
        name, index = (table.group(1), int(table.group(2) or 1)) if table else (section, 1)
        header = _nth_header(lines, name, index) or _nth_header(lines, section, 1) or 1
        end = next((n for n, s in enumerate(lines, 1) if n > header
                    and s.lstrip().startswith("[")), len(lines) + 1)
        keys = re.findall(r"(?<=: )([A-Za-z_][\w-]*)(?=:)", message)
        line = header
        for key in reversed(keys):
            pattern = re.compile(rf"(?:^|[\s{{,]){re.escape(key)}\s*=")
            found = next((n for n in range(header, end) if pattern.search(lines[n - 1])),
                         None)
            if found is not None:
                line = found
                break
        return ScenarioError(f"{self.path}:{line}: {exc}")


def _nth_header(lines: list[str], table: str, index: int) -> int | None:
    """The line of the ``index``-th ``[table]`` / ``[[table]]`` header (1 = the first)."""
    pattern = re.compile(rf"\s*\[\[?\s*{re.escape(table)}\s*\]")
    found = [n for n, s in enumerate(lines, 1) if pattern.match(s)]
    return found[index - 1] if len(found) >= index else None


def load_scenario(path: Path, catalog: Catalog) -> list[Rule]:
    """The rules of a scenario file, in order; :class:`ScenarioError` names what is wrong."""
    return read_scenario(path).rules(catalog)


def read_scenario(path: Path, sections: tuple[str, ...] = (),
                  ignored: tuple[str, ...] = ()) -> Scenario:
    """A scenario file with its ``[[fault]]`` tables and the ``sections`` given; sections
    named in ``ignored`` are allowed and left to whoever else reads the file; any other
    section is refused as unknown."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ScenarioError(f"{path}: cannot read it ({exc.strerror})") from None
    except UnicodeDecodeError:
        raise ScenarioError(f"{path}: not UTF-8 text") from None
    try:
        document = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ScenarioError(f"{path}: not TOML: {exc}") from None
    allowed = ("fault", *sections, *ignored)
    unknown = [k for k in document if k not in allowed]
    if unknown:
        line = next((n for n, s in enumerate(text.splitlines(), 1)
                     if re.match(rf"\s*\[?\[?\s*{re.escape(unknown[0])}\b", s)), 1)
        raise ScenarioError(f"{path}:{line}: {unknown[0]}: unknown section (allowed: "
                            f"{', '.join(allowed)})")
    extra = {k: document[k] for k in sections if k in document}
    if any(not isinstance(v, dict) for v in extra.values()):
        raise ScenarioError(f"{path}: {', '.join(sections)} must be a table ([name])")
    tables = document.get("fault", [])
    if not isinstance(tables, list):
        raise ScenarioError(f"{path}: fault must be an array of tables ([[fault]])")
    return Scenario(path, text, tables, extra)
