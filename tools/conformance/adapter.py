"""LPA adapters: how the runner makes an LPA do one operation, as data (TOML).

::

    [adapter]
    name = "lpac"
    command = ["lpac"]            # the start of every command line ("{python}": this
                                  # interpreter); --program replaces its first word
    env = { LPAC_APDU_PCSC_DRV_NAME = "{reader}" }   # added to the environment

    [operations]                  # operation -> the rest of the command line
    download = ["profile", "download", "-s", "{smdp}", "-m", "{matching_id}",
                ["-c", "{confirmation_code}"]]   # a list inside: only when all of its
                                                 # placeholders have a value

Placeholders: ``{reader}`` (the PC/SC reader name of the case's card), ``{python}``, and the
case's arguments (``{smdp}``, ``{matching_id}``, ``{confirmation_code}``, ``{reject}``,
``{iccid}``, ``{nickname}``, ``{address}``). An operation the adapter lacks, or an argument
of the case its command line has no place for, makes the case not applicable to that LPA.
The built-in adapters are ``lpac`` and ``euicc-lpa`` (the project's own LPA).
"""

from __future__ import annotations

import re
import sys
import tomllib
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from .case import OPERATIONS

PLACEHOLDER = re.compile(r"\{([a-z_]+)\}")
ADAPTER_KEYS = ("name", "command", "env")


class AdapterError(ValueError):
    """An adapter file that cannot be used, or an operation it cannot do."""


@dataclass(frozen=True)
class Adapter:
    name: str
    command: tuple[str, ...]
    env: dict[str, str]
    operations: dict[str, list]
    path: Path

    def with_program(self, program: str | None) -> Adapter:
        if not program:
            return self
        return Adapter(self.name, (program, *self.command[1:]), self.env, self.operations,
                       self.path)

    def unsupported(self, operation: str, args: dict[str, str]) -> str | None:
        """Why this adapter cannot run ``operation`` with ``args``, or None."""
        template = self.operations.get(operation)
        if template is None:
            return f"adapter {self.name} has no {operation} operation"
        named = set(PLACEHOLDER.findall(repr(template)))
        missing = [k for k in args if k not in named and k != "smdp"]
        if missing:
            return f"adapter {self.name} has no way to pass {', '.join(missing)} to {operation}"
        return None

    def argv(self, operation: str, values: dict[str, str]) -> list[str]:
        values = {"python": sys.executable, **values}
        out = [_fill(word, values) for word in self.command]
        for item in self.operations[operation]:
            if isinstance(item, list):
                if all(name in values for w in item for name in PLACEHOLDER.findall(w)):
                    out += [_fill(w, values) for w in item]
            else:
                out.append(_fill(item, values))
        return out

    def environment(self, values: dict[str, str]) -> dict[str, str]:
        return {k: _fill(v, values) for k, v in self.env.items()}


def _fill(word: str, values: dict[str, str]) -> str:
    def one(match: re.Match) -> str:
        if match.group(1) not in values:
            raise AdapterError(f"no value for {{{match.group(1)}}} in {word!r}")
        return values[match.group(1)]

    return PLACEHOLDER.sub(one, word)


def builtin_adapters() -> dict[str, Path]:
    folder = Path(str(resources.files("euicc_tools.conformance") / "adapters"))
    return {p.stem: p for p in sorted(folder.glob("*.toml"))}


def load_adapter(name_or_path: str) -> Adapter:
    """A built-in adapter by name, or an adapter file."""
    builtin = builtin_adapters()
    path = builtin.get(name_or_path) or Path(name_or_path)
    if name_or_path not in builtin and not path.suffix == ".toml":
        raise AdapterError(f"{name_or_path}: not a built-in adapter ({', '.join(builtin)}) "
                           "nor an adapter file (.toml)")
    try:
        document = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise AdapterError(f"{path}: cannot read it ({exc.strerror})") from None
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise AdapterError(f"{path}: not a TOML file: {exc}") from None
    unknown = [k for k in document if k not in ("adapter", "operations")]
    if unknown:
        raise AdapterError(f"{path}: {unknown[0]}: unknown section (allowed: adapter, "
                           "operations)")
    head, operations = document.get("adapter", {}), document.get("operations", {})
    bad = [k for k in head if k not in ADAPTER_KEYS]
    if bad:
        raise AdapterError(f"{path}: adapter.{bad[0]}: unknown key (allowed: "
                           f"{', '.join(ADAPTER_KEYS)})")
    command = head.get("command")
    if not (isinstance(command, list) and command and all(isinstance(w, str) for w in command)):
        raise AdapterError(f"{path}: adapter.command: a non-empty list of words")
    env = head.get("env", {})
    if not isinstance(env, dict) or not all(isinstance(v, str) for v in env.values()):
        raise AdapterError(f"{path}: adapter.env: a table of text values")
    for operation, template in operations.items():
        if operation not in OPERATIONS:
            raise AdapterError(f"{path}: operations.{operation}: not an operation (allowed: "
                               f"{', '.join(OPERATIONS)})")
        if not isinstance(template, list) or not all(
                isinstance(w, str) or (isinstance(w, list) and w and all(
                    isinstance(x, str) for x in w)) for w in template):
            raise AdapterError(f"{path}: operations.{operation}: a list of words (a list "
                               "inside for an optional group)")
    return Adapter(head.get("name", path.stem), tuple(command), dict(env), dict(operations),
                   path)
