"""Which PIN a key reference means where: ETSI TS 102 221 9.4-9.5 (table 9.3: global PINs
'01'-'08', universal PIN '11', ADM '0A'-'0E' and '8A'-'8E', local PINs '81'-'88'). A local
PIN belongs to the DF or ADF that defined it (:attr:`Pin.scope`, SAIP PE-PINCodes), so two
applications may both have a '81'; a global PIN is the same everywhere.

Verification status is kept per PIN, identified by :data:`PinId` (key reference, scope).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping

from .model import File, Pin

UNIVERSAL_PIN = 0x11  # TS 102 221 9.4.1

PinId = tuple[int, tuple[int, ...]]


def pin_id(pin: Pin) -> PinId:
    return pin.key_ref, pin.scope


def is_adm(key_ref: int) -> bool:
    """Administrative key references '0A'-'0E' and '8A'-'8E'."""
    return 0x0A <= key_ref & 0x7F <= 0x0E


class PinTable:
    """The PINs of a profile (not its PUKs), looked up by key reference from a file."""

    def __init__(self, pins: Iterable[Pin] | Mapping[int, Pin] = ()) -> None:
        self._pins = list(pins.values()) if isinstance(pins, Mapping) else list(pins)

    def __iter__(self) -> Iterator[Pin]:
        return iter(self._pins)

    def __len__(self) -> int:
        return len(self._pins)

    def find(self, key_ref: int, file: File | None = None) -> Pin | None:
        """The PIN ``key_ref`` names for ``file``: a local PIN of the nearest DF above
        ``file`` (the file's DF included) that defined one, else a PIN without scope."""
        candidates = [p for p in self._pins if p.key_ref == key_ref]
        unscoped = next((p for p in candidates if not p.scope), None)
        if file is None:
            return unscoped if unscoped is not None or len(candidates) != 1 else candidates[0]
        path = file.df.path
        scoped = [p for p in candidates if p.scope and path[:len(p.scope)] == p.scope]
        if scoped:
            return max(scoped, key=lambda p: len(p.scope))
        return unscoped
