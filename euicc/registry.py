"""Applet registry keyed by AID with exact and partial selection (ISO/IEC 7816-4 5.3.1 and
GlobalPlatform Card Specification 2.3, 11.9.2.3 "Application selection" with P2
occurrence first/last/next/previous).
"""

from __future__ import annotations

from collections.abc import Iterator

from .applet import Applet

MIN_PARTIAL_AID = 5  # a RID


class Registry:
    def __init__(self) -> None:
        self._applets: list[Applet] = []
        # further AIDs an installed applet answers SELECT at (a chip whose ISD-R has a
        # vendor AID and the standard one too); exact selection only
        self._aliases: dict[bytes, Applet] = {}

    def install(self, applet: Applet) -> None:
        if not 5 <= len(applet.aid) <= 16:
            raise ValueError(f"AID length {len(applet.aid)} outside 5..16")
        if self.get(applet.aid) is not None:
            raise ValueError(f"AID {applet.aid.hex().upper()} already installed")
        self._applets.append(applet)

    def alias(self, aid: bytes, applet: Applet) -> None:
        """Let the installed ``applet`` be selected at ``aid`` as well (exactly)."""
        if applet not in self._applets:
            raise ValueError("alias of an applet that is not installed")
        if self.get(aid) is not None:
            raise ValueError(f"AID {aid.hex().upper()} already installed")
        self._aliases[aid] = applet

    def get(self, aid: bytes) -> Applet | None:
        return next((a for a in self._applets if a.aid == aid), self._aliases.get(aid))

    def __iter__(self) -> Iterator[Applet]:
        return iter(list(self._applets))

    def find(self, aid: bytes, occurrence: int = 0, current: Applet | None = None) -> Applet | None:
        """Resolve a SELECT by DF name. ``occurrence`` is P2 bits 2-1: 0 first or only,
        1 last, 2 next, 3 previous (relative to ``current``)."""
        exact = self.get(aid)
        if exact is not None and occurrence in (0, 1):
            return exact
        if len(aid) < MIN_PARTIAL_AID:
            return exact
        matches = [a for a in self._applets if a.aid.startswith(aid)]
        if not matches:
            return None
        if occurrence in (1, 3):
            matches.reverse()
        if occurrence in (0, 1):
            return matches[0]
        if current in matches:
            index = matches.index(current) + 1
            return matches[index] if index < len(matches) else None
        return matches[0]
