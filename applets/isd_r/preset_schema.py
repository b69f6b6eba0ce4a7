"""Reading a scenario's ``[preset]`` tables (:mod:`.presets`, :mod:`.preset_config`): each
check raises :class:`~euicc.faults.ScenarioError` as ``where: key: what is allowed``, which
:meth:`euicc.faults.scenario.Scenario.error` turns into the file and the line of that key.
Names that come from the SGP.22 ASN.1 module (named bits, named numbers) are checked
against it, so the allowed values are the module's own.
"""

from __future__ import annotations

import re

from euicc.asn1 import named_bits, rsp_types
from euicc.faults import ScenarioError

VERSION = re.compile(r"\d{1,3}\.\d{1,3}\.\d{1,3}")


def fail(where: str, message: str):
    raise ScenarioError(f"{where}: {message}")


def text(where: str, value, limit: int | None = None) -> str:
    if not isinstance(value, str) or (limit is not None and len(value) > limit):
        fail(where, f"{value!r}: text{'' if limit is None else f' of at most {limit} characters'}")
    return value


def choice(where: str, value, allowed):
    if value not in allowed:
        fail(where, f"{value!r} (allowed: {', '.join(allowed)})")
    return allowed[value] if isinstance(allowed, dict) else value


def unknown_keys(where: str, table, keys) -> None:
    if not isinstance(table, dict):
        fail(where, "a table expected")
    extra = [k for k in table if k not in keys]
    if extra:
        fail(f"{where}: {extra[0]}", f"unknown key (allowed: {', '.join(keys)})")


def flag(where: str, value) -> bool:
    if not isinstance(value, bool):
        fail(where, f"{value!r}: true or false")
    return value


def number(where: str, value, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        fail(where, f"{value!r}: a number, {low} .. {high}")
    return value


def version(where: str, value) -> str:
    """A VersionType (SGP.22 2.x: major, minor, revision, one byte each)."""
    if not isinstance(value, str) or not VERSION.fullmatch(value) or any(
            int(part) > 255 for part in value.split(".")):
        fail(where, f"{value!r}: a version, e.g. \"2.2.0\" (each part 0 .. 255)")
    return value


def hex_bytes(where: str, value, low: int = 1, high: int = 32) -> bytes:
    if not isinstance(value, str) or not re.fullmatch(r"(?:[0-9A-Fa-f]{2})+", value) or not (
            low <= len(value) // 2 <= high):
        fail(where, f"{value!r}: {low} to {high} bytes in hex")
    return bytes.fromhex(value)


def bit_names(where: str, value, type_name: str) -> tuple[str, ...]:
    """A list of the named bits of the SGP.22 BIT STRING ``type_name``."""
    allowed = named_bits(type_name)
    if not isinstance(value, list):
        fail(where, f"{value!r}: a list of {type_name} bits ({', '.join(allowed)})")
    for name in value:
        choice(where, name, tuple(allowed))
    if len(set(value)) != len(value):
        fail(where, f"{value!r}: a bit named twice")
    return tuple(value)


def named_number(where: str, value, type_name: str, member: str) -> int:
    """One named number of the INTEGER ``member`` of the SGP.22 SEQUENCE ``type_name``."""
    (spec,) = [m for m in rsp_types()[type_name]["members"] if m["name"] == member]
    return choice(where, value, dict(spec["named-numbers"]))
