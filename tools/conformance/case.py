"""Conformance cases as data: one TOML file per case under ``cases/<group>/``, read with the
standard library's ``tomllib`` and checked here (unknown keys and values are refused with
the file, the line and what is allowed).

A case is a preset and a fault plan for the card (the ``[preset]`` and ``[[fault]]``
sections of a scenario file, :mod:`euicc.faults.scenario`, :mod:`euicc_applets.isd_r.presets`;
the card reads them itself), one LPA operation, and expectations on what the card and the
test SM-DP+ then saw (:mod:`.judge`). Schema (version 1)::

    [case]
    title = "EnableProfile answered catBusy"   # one line
    operation = "enable"          # see OPERATIONS
    args = { iccid = "8944..." }  # the operation's arguments (ARGUMENTS)
    timeout = 30                  # seconds the LPA may take (default 60)
    transport_checks = true       # judge APDU and channel handling (default true)
    not_applicable = { lpac = "why" }   # adapters this case does not apply to, and why
    smdp = { confirmation_code = "1234" }   # the test SM-DP+ (for download and
                                  # notifications: started for them by default)
    personality = "iot"           # the card's built-in personality (default: the generic
                                  # card); "iot": an SGP.32 IoT eUICC, its ES10 functions
                                  # read back and judged by their SGP.32 names and types

    [preset] ...                  # the card's starting state
    [[fault]] ...                 # the card's fault plan

    [[expect]]                    # one expectation; see judge.EXPECTATION_KINDS
    called = "ES9+.AuthenticateClient"
    with = { "request.authenticateServerResponse.authenticateErrorCode" = "invalidSignature" }
    clause = "SGP.22 3.1.3.1"     # required: what requires it
    informational = false         # true where SGP.22 leaves the LPA free: reported only

In ``[preset]`` and in ``args`` the text ``{smdp}`` stands for the address of the case's test
SM-DP+ (``host:port``), put in by the runner before the card reads the file.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

CASE_SECTIONS = ("case", "expect")  # what a card started on a case file leaves to the runner
OPERATIONS = {
    # operation: (required arguments, optional arguments)
    "info": ((), ()),
    "list": ((), ()),
    "download": ((), ("matching_id", "confirmation_code", "reject")),
    "enable": (("iccid",), ()),
    "disable": (("iccid",), ()),
    "delete": (("iccid",), ()),
    "nickname": (("iccid", "nickname"), ()),
    "set-default-address": (("address",), ()),
    "memory-reset": ((), ()),
    "notifications-list": ((), ()),
    "notifications-process": ((), ()),
}
NEEDS_SMDP = frozenset({"download", "notifications-process"})
CASE_KEYS = ("id", "title", "operation", "args", "timeout", "transport_checks",
             "not_applicable", "smdp", "personality")
SMDP_KEYS = ("confirmation_code", "matching_id")
EXPECT_KINDS = ("called", "not_called", "order", "exit")
EXPECT_KEYS = (*EXPECT_KINDS, "with", "at_most", "at_least", "clause", "text",
               "informational")
EXIT_VALUES = ("success", "failure")
DEFAULT_TIMEOUT = 60
DEFAULT_MATCHING_ID = "CONFORMANCE-1"
FUNCTION_NAME = re.compile(r"ES(10[abc]|9\+)\.[A-Za-z0-9]+(\.[A-Za-z0-9]+)?")


class CaseError(ValueError):
    """A case file that cannot be run, said with the file, the line and what is allowed."""


@dataclass(frozen=True)
class Call:
    """Selects calls in the timeline: an ES10 function (SGP.22 5.7) or an ES9+ function
    (5.6) by name, with decoded fields equal to given values."""

    name: str
    fields: tuple[tuple[str, object], ...] = ()

    def __str__(self) -> str:
        if not self.fields:
            return self.name
        return f"{self.name}({', '.join(f'{k}={v!r}' for k, v in self.fields)})"


@dataclass(frozen=True)
class Expectation:
    kind: str  # called | not_called | order | exit
    clause: str
    calls: tuple[Call, ...] = ()
    exit: str | None = None
    at_most: int | None = None
    at_least: int = 1
    text: str = ""
    informational: bool = False
    builtin: bool = False  # added by the runner to every case (transport checks)

    def describe(self) -> str:
        if self.text:
            return self.text
        if self.kind == "exit":
            return f"the LPA ends with {self.exit}"
        if self.kind == "order":
            return "in this order: " + " -> ".join(str(c) for c in self.calls)
        if self.kind == "not_called":
            return f"not called: {self.calls[0]}"
        bounds = []
        if self.at_least != 1:
            bounds.append(f"at least {self.at_least} times")
        if self.at_most is not None:
            bounds.append(f"at most {self.at_most} times")
        return f"called: {self.calls[0]}" + (f" ({', '.join(bounds)})" if bounds else "")


@dataclass
class Case:
    id: str
    group: str
    path: Path
    title: str
    operation: str
    args: dict[str, str]
    expectations: list[Expectation]
    timeout: float = DEFAULT_TIMEOUT
    transport_checks: bool = True
    not_applicable: dict[str, str] = field(default_factory=dict)
    smdp: dict[str, str] = field(default_factory=dict)
    text: str = ""
    personality: str | None = None  # a built-in personality; None: the generic card

    @property
    def needs_smdp(self) -> bool:
        return self.operation in NEEDS_SMDP or bool(self.smdp)

    @property
    def matching_id(self) -> str:
        return self.smdp.get("matching_id", DEFAULT_MATCHING_ID)

    def scenario_text(self, smdp_address: str) -> str:
        """The file as the card reads it: ``{smdp}`` replaced, lines kept in place."""
        return self.text.replace("{smdp}", smdp_address)

    def arguments(self, smdp_address: str) -> dict[str, str]:
        values = {k: v.replace("{smdp}", smdp_address) for k, v in self.args.items()}
        if self.operation == "download":
            values.setdefault("matching_id", self.matching_id)
            values["smdp"] = smdp_address
        return values


def builtin_cases_dir() -> Path:
    return Path(str(resources.files("euicc_tools.conformance") / "cases"))


def read_catalogue(directory: Path | None = None) -> list[Case]:
    """Every case under ``directory`` (the shipped catalogue by default), by group and id."""
    directory = directory or builtin_cases_dir()
    cases = [read_case(path, path.parent.name)
             for path in sorted(directory.glob("*/*.toml"))]
    seen: dict[str, Path] = {}
    for case in cases:
        if case.id in seen:
            raise CaseError(f"{case.path}: id {case.id!r} is already used by {seen[case.id]}")
        seen[case.id] = case.path
    return cases


def read_case(path: Path, group: str = "") -> Case:
    try:
        text = path.read_text(encoding="utf-8")
        document = tomllib.loads(text)
    except OSError as exc:
        raise CaseError(f"{path}: cannot read it ({exc.strerror})") from None
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise CaseError(f"{path}: not a TOML file: {exc}") from None
    lines = text.splitlines()

    def fail(key: str, message: str, section: str = "case", index: int = 0):
        raise CaseError(f"{path}:{_line(lines, section, key, index)}: {section}: {key}: "
                        f"{message}")

    unknown = [k for k in document if k not in (*CASE_SECTIONS, "preset", "fault")]
    if unknown:
        raise CaseError(f"{path}:{_line(lines, unknown[0], None)}: {unknown[0]}: unknown "
                        "section (allowed: case, expect, preset, fault)")
    head = document.get("case")
    if not isinstance(head, dict):
        raise CaseError(f"{path}:1: a case needs a [case] table")
    for key in head:
        if key not in CASE_KEYS:
            fail(key, f"unknown key (allowed: {', '.join(CASE_KEYS)})")
    operation = head.get("operation")
    if operation not in OPERATIONS:
        fail("operation", f"{operation!r} is not an operation (allowed: "
                          f"{', '.join(OPERATIONS)})")
    args = head.get("args", {})
    required, optional = OPERATIONS[operation]
    if not isinstance(args, dict) or not all(isinstance(v, str) for v in args.values()):
        fail("args", "a table of text values")
    for key in args:
        if key not in (*required, *optional):
            fail("args", f"{key}: not an argument of {operation} (its arguments: "
                         f"{', '.join((*required, *optional)) or 'none'})")
    missing = [k for k in required if k not in args]
    if missing:
        fail("args", f"{operation} needs {', '.join(missing)}")
    for key, kinds, what in (("timeout", (int, float), "number"),
                             ("transport_checks", (bool,), "true or false"),
                             ("title", (str,), "text"), ("id", (str,), "text")):
        value = head.get(key)
        if key in head and (not isinstance(value, kinds)
                            or (bool not in kinds and isinstance(value, bool))):
            fail(key, f"{value!r}: {what} expected")
    if "timeout" in head and not 0 < head["timeout"] <= 600:
        fail("timeout", "seconds, more than 0 and at most 600")
    not_applicable = head.get("not_applicable", {})
    if not isinstance(not_applicable, dict) or not all(
            isinstance(v, str) and v for v in not_applicable.values()):
        fail("not_applicable", "a table: adapter name = the reason")
    smdp = head.get("smdp", {})
    if not isinstance(smdp, dict) or any(k not in SMDP_KEYS for k in smdp) or not all(
            isinstance(v, str) for v in smdp.values()):
        fail("smdp", f"a table of text values with keys {', '.join(SMDP_KEYS)}")
    personality = head.get("personality")
    if personality is not None:
        from euicc_tools.personalities import builtin_names

        if personality not in builtin_names():
            fail("personality", f"{personality!r}: a built-in personality (allowed: "
                                f"{', '.join(builtin_names())})")
    tables = document.get("expect", [])
    if not isinstance(tables, list) or not tables:
        raise CaseError(f"{path}: a case needs at least one [[expect]] table")
    expectations = [_expectation(t, i, fail) for i, t in enumerate(tables)]
    case_id = head.get("id", path.stem)
    if not re.fullmatch(r"[a-z0-9][a-z0-9.-]{0,60}", case_id):
        fail("id", f"{case_id!r}: lower-case letters, digits, '.', '-'")
    return Case(case_id, group, path, head.get("title", case_id), operation, dict(args),
                expectations, float(head.get("timeout", DEFAULT_TIMEOUT)),
                head.get("transport_checks", True), dict(not_applicable), dict(smdp), text,
                personality)


def _expectation(table, index: int, fail) -> Expectation:
    def bad(key: str, message: str):
        fail(key, message, "expect", index)

    if not isinstance(table, dict):
        bad("expect", "an array of tables ([[expect]])")
    for key in table:
        if key not in EXPECT_KEYS:
            bad(key, f"unknown key (allowed: {', '.join(EXPECT_KEYS)})")
    kinds = [k for k in EXPECT_KINDS if k in table]
    if len(kinds) != 1:
        bad(kinds[1] if kinds else "called",
            f"exactly one of {', '.join(EXPECT_KINDS)} per expectation")
    kind = kinds[0]
    clause = table.get("clause")
    if not isinstance(clause, str) or not clause.strip():
        bad("clause", "every expectation names the clause that requires it")
    if kind != "called" and ("at_most" in table or "at_least" in table):
        bad("at_most" if "at_most" in table else "at_least", "only with called")
    if kind in ("order", "exit") and "with" in table:
        bad("with", f"not with {kind} (give each call of an order its own with)")
    for key in ("at_most", "at_least"):
        if key in table and (not isinstance(table[key], int) or isinstance(table[key], bool)
                             or table[key] < 0):
            bad(key, "a number >= 0")
    calls: tuple[Call, ...] = ()
    exit_value = None
    if kind == "exit":
        exit_value = table["exit"]
        if exit_value not in EXIT_VALUES:
            bad("exit", f"{exit_value!r} (allowed: {', '.join(EXIT_VALUES)})")
    elif kind == "order":
        items = table["order"]
        if not isinstance(items, list) or len(items) < 2:
            bad("order", "a list of at least two calls")
        calls = tuple(_call(item, None, bad, "order") for item in items)
    else:
        calls = (_call(table[kind], table.get("with"), bad, kind),)
    if "informational" in table and not isinstance(table["informational"], bool):
        bad("informational", "true or false")
    return Expectation(kind, clause.strip(), calls, exit_value, table.get("at_most"),
                       table.get("at_least", 1), table.get("text", ""),
                       table.get("informational", False))


def _call(item, fields, bad, key: str) -> Call:
    if isinstance(item, dict):
        unknown = [k for k in item if k not in ("call", "with")]
        if unknown:
            bad(key, f"{unknown[0]}: an order entry has call and with")
        item, fields = item.get("call"), item.get("with")
    if not isinstance(item, str) or not FUNCTION_NAME.fullmatch(item):
        bad(key, f"{item!r}: an ES10 or ES9+ function by its SGP.22 name "
                 "(ES10c.EnableProfile, ES9+.HandleNotification)")
    fields = fields or {}
    if not isinstance(fields, dict):
        bad("with", "a table: decoded field path = value")
    for name, value in fields.items():
        if not re.fullmatch(r"[A-Za-z][\w]*(\.[A-Za-z][\w]*)*", name):
            bad("with", f"{name!r}: a dotted path (request.seqNumber)")
        if not isinstance(value, (str, int, bool)):
            bad("with", f"{name}: a text, number or true/false")
    return Call(item, tuple(sorted(fields.items())))


def _line(lines: list[str], section: str, key: str | None, index: int = 0) -> int:
    """The line of ``key`` in the ``index``-th ``[section]``/``[[section]]``, else of the
    section's header, else 1."""
    headers = [n for n, s in enumerate(lines, 1)
               if re.match(rf"\s*\[\[?\s*{re.escape(section)}\s*\]", s)]
    if not headers:
        return 1
    start = headers[min(index, len(headers) - 1)]
    end = next((n for n, s in enumerate(lines, 1) if n > start and re.match(r"\s*\[", s)),
               len(lines) + 1)
    if key:
        for n in range(start + 1, end):
            if re.match(rf"\s*\"?{re.escape(key)}\"?\s*=", lines[n - 1]):
                return n
    return start
