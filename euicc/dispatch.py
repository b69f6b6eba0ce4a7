"""Declarative command tables (onomondo-uicc style): (INS, class family, handler, allowed
cases), each entry named by its instruction (:class:`euicc.ins.Ins`). A table answers '6D00'
when no entry has the INS and '6E00' when entries have it but not for this class (ISO/IEC
7816-4 5.1.3 and 5.4.1, ETSI TS 102 221 10.1.1).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from enum import Flag, auto
from typing import TYPE_CHECKING

from .apdu import ClassByte, CommandApdu, ResponseApdu
from .ins import Ins
from .sw import SW, SwError

if TYPE_CHECKING:
    from .channels import Channel

Handler = Callable[[CommandApdu, "Channel"], ResponseApdu]


class ClassFamily(Flag):
    INTERINDUSTRY = auto()  # CLA 0X, 4X-7X (ISO/IEC 7816-4)
    PROPRIETARY = auto()  # CLA 8X-BX, CX-FX (GlobalPlatform, TS 102 221 '8X' commands)
    ANY = INTERINDUSTRY | PROPRIETARY

    @classmethod
    def of(cls, cla: ClassByte) -> ClassFamily:
        return cls.PROPRIETARY if cla.proprietary else cls.INTERINDUSTRY


ALL_CASES = frozenset({1, 2, 3, 4})
NO_DATA = frozenset({1, 2})
WITH_DATA = frozenset({3, 4})


@dataclass(frozen=True)
class CommandSpec:
    ins: Ins
    classes: ClassFamily
    handler: Handler
    cases: frozenset[int] = ALL_CASES

    @property
    def name(self) -> str:
        """The command's name in traces and errors ('READ BINARY')."""
        return self.ins.label


class CommandTable:
    def __init__(self, specs: Iterable[CommandSpec]) -> None:
        self._by_ins: dict[int, list[CommandSpec]] = {}
        for spec in specs:
            self._by_ins.setdefault(spec.ins, []).append(spec)
        # The entry each INS has for an interindustry and for a proprietary CLA (the first
        # in table order, None: 6E00), resolved once: a command's look-up is then an index,
        # not Flag arithmetic per entry.
        self._by_ins_and_family: dict[int, tuple[CommandSpec | None, CommandSpec | None]] = {
            ins: tuple(next((e for e in entries if family & e.classes), None)
                       for family in (ClassFamily.INTERINDUSTRY, ClassFamily.PROPRIETARY))
            for ins, entries in self._by_ins.items()
        }

    def has_ins(self, ins: int) -> bool:
        return ins in self._by_ins

    def lookup(self, apdu: CommandApdu) -> CommandSpec:
        by_family = self._by_ins_and_family.get(apdu.ins)
        if by_family is None:
            raise SwError(SW.INS_NOT_SUPPORTED, f"INS {apdu.ins:02X}")
        # b8 of CLA: proprietary (ISO/IEC 7816-4 5.4.1; the card refused a CLA that is not
        # a class byte before dispatching it)
        spec = by_family[apdu.cla >> 7]
        if spec is None:
            raise SwError(SW.CLA_NOT_SUPPORTED, f"CLA {apdu.cla:02X} for INS {apdu.ins:02X}")
        if apdu.case not in spec.cases:
            raise SwError(SW.WRONG_LENGTH, f"{spec.name} in case {apdu.case}")
        return spec

    def names(self) -> list[str]:
        """Every command's name, in table order (what a fault plan's rule may name)."""
        return [spec.name for specs in self._by_ins.values() for spec in specs]

    def name_of(self, apdu: CommandApdu) -> str | None:
        specs = self._by_ins.get(apdu.ins)
        return specs[0].name if specs else None

    def dispatch(self, apdu: CommandApdu, channel: Channel) -> ResponseApdu:
        return self.lookup(apdu).handler(apdu, channel)
