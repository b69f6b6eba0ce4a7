"""An in-process fleet of eUICCs: N independent cards, each its own EID, eUICC certificate
(:mod:`.identity`: issued on first use under one EUM, reproducible from a seed) and state,
reached through an in-process APDU link (:class:`euicc_tools.lpa.link.DirectLink`), no
PC/SC. Each card is the emulator's own (:func:`euicc_tools.emulator.card.build_card`: card
OS, ISD-R with every ES10 function, ECASD, UICC file system), so what a device does to it
is what a real chip does: SGP.22 3.1.3 download, 3.2 profile management, 3.5 notifications.

How state is kept: one SQLite file per card (the card's own :class:`euicc.store.CardStore`,
``<directory>/<EID>/card.sqlite3``), not one shared store keyed by card, because

- every ES10 command of a card is one SQLite write transaction: a shared database has one
  writer at a time, so every device's every command would queue behind every other's (a
  global lock between devices); separate files have none;
- deleting a profile erases it (SGP.22 3.2.3; ``VACUUM`` and a WAL checkpoint,
  :mod:`euicc.store`): per card that rewrites one card's few hundred kB, in a shared file
  it would rewrite the whole fleet's (10,000 cards: gigabytes) at every delete;
- a card's state stays what the rest of the project reads (the shell, ``euicc-emu run
  --state``), crash consistency included, with no second store implementation to keep right.

What that costs is file descriptors (a WAL database holds three) and memory per open card:
its objects and its SQLite connection. The connection's page cache (the whole database once
a profile is installed, about 180 kB) is freed whenever the card's device is done with it
(:meth:`euicc.store.CardStore.release_memory`; the next operation reads its pages again
from the operating system's cache), leaving about 200 kB per open card, mostly the
connection's prepared statements and schema and the card's objects. And the fleet keeps at
most ``open_limit`` cards open: a card not used
for longest is closed (its store checkpointed into its one file, its objects dropped) and
opened again, powered on anew, when a device next uses it - as a phone is switched off and
on. Its identity is derived again (:mod:`.identity`), nothing else is lost. 10,000 cards
thus take 10,000 small files and, in memory, ``open_limit`` open cards plus a few hundred
bytes per closed one (bench/fleet.py measures both).

Cards serve one device at a time (:meth:`FleetCard.link` holds the card's own lock: a real
chip has one terminal); different cards share no lock but the brief one of the open-card
bookkeeping.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from euicc.card import Card
from euicc.identity import META_EID
from euicc.store import CardStore
from euicc_applets.isd_r import EuiccConfig
from euicc_tools.emulator.card import build_card
from euicc_tools.lpa.link import ApduLink, DirectLink

from .identity import FleetError, FleetIssuer

DEFAULT_OPEN_LIMIT = 256  # 3 descriptors each: far below a usual 1024-descriptor limit


class FleetCard:
    """One card of a fleet: a handle that costs nothing until the card is used."""

    def __init__(self, fleet: Fleet, index: int) -> None:
        self.fleet, self.index = fleet, index
        self.eid = fleet.issuer.eid(index)
        self._lock = threading.Lock()
        self._card: Card | None = None
        self._store: CardStore | None = None

    @property
    def state(self) -> Path:
        return self.fleet.directory / self.eid

    @property
    def is_open(self) -> bool:
        return self._card is not None

    def _open(self) -> Card:
        """Build the card from its state (made on first use) with its derived identity."""
        credentials = self.fleet.issuer.credentials(self.index)
        store = CardStore(self.state)
        try:
            recorded = store.get_meta(META_EID)
            if recorded is None:
                store.set_meta(META_EID, credentials.eid)
            elif recorded != credentials.eid:  # another fleet's state in this folder
                raise FleetError(f"{self.state} holds the card with EID {recorded}, not "
                                 f"{credentials.eid}: another seed or worker made it")
            card = build_card(store, credentials, self.fleet.config)
            card.power_on()
        except BaseException:
            store.close()
            raise
        self._card, self._store = card, store
        return card

    def _park(self) -> None:
        """Close the card (caller holds its lock): the store is checkpointed and closed."""
        if self._store is not None:
            self._store.close()
        self._card = self._store = None

    @contextmanager
    def link(self) -> Iterator[ApduLink]:
        """The card, opened if it is not, for one device's use; other users of this card
        wait until the block ends."""
        with self._lock:
            card = self._card or self._open()
            self.fleet._used(self)
            try:
                yield DirectLink(card)
            finally:
                if self._store is not None:
                    # an open card waits for its device's next operation with no page
                    # cache: 390 -> 200 kB per open card (bench/fleet.py --all-open)
                    self._store.release_memory()
                self.fleet._release(self)

    def close(self) -> None:
        with self._lock:
            self._park()


class Fleet:
    """The cards of one fleet worker: ``directory`` keeps their states, ``pki`` the CI and
    EUM (with its key) that issue their identities, ``seed`` and ``worker`` which identities
    (:class:`.identity.FleetIssuer`). Cards are made on first use: ``fleet.card(i)`` for
    any ``i`` below 10^12."""

    def __init__(self, directory: Path, pki: Path, seed: str | bytes, *, worker: int = 0,
                 open_limit: int = DEFAULT_OPEN_LIMIT, config: EuiccConfig | None = None
                 ) -> None:
        if open_limit < 1:
            raise FleetError("open_limit must be at least 1")
        self.directory = Path(directory)
        self.directory.mkdir(parents=True, exist_ok=True)
        self.issuer = FleetIssuer(pki, seed, worker)
        self.open_limit = open_limit
        self.config = config or EuiccConfig()
        self._cards: dict[int, FleetCard] = {}
        self._lock = threading.Lock()  # the two tables below, never held while a card works
        self._recent: OrderedDict[int, FleetCard] = OrderedDict()  # open cards, oldest first
        self._in_use: dict[int, int] = {}
        self.opened = 0  # how many times a card was opened (first use or after parking)

    @property
    def worker(self) -> int:
        return self.issuer.worker

    def card(self, index: int) -> FleetCard:
        with self._lock:
            card = self._cards.get(index)
            if card is None:
                card = self._cards[index] = FleetCard(self, index)
            return card

    def open_cards(self) -> int:
        with self._lock:
            return len(self._recent)

    def _used(self, card: FleetCard) -> None:
        with self._lock:
            if card.index not in self._recent:
                self.opened += 1
            self._recent[card.index] = card
            self._recent.move_to_end(card.index)
            self._in_use[card.index] = self._in_use.get(card.index, 0) + 1

    def _release(self, card: FleetCard) -> None:
        with self._lock:
            left = self._in_use.pop(card.index) - 1
            if left:
                self._in_use[card.index] = left
            surplus = len(self._recent) - self.open_limit
            idle = [c for i, c in self._recent.items() if i not in self._in_use][:max(surplus, 0)]
            for parked in idle:
                del self._recent[parked.index]
        for parked in idle:
            if parked is card:
                card._park()  # its lock is this thread's, held by link()
            elif parked._lock.acquire(blocking=False):  # busy: a device took it up again
                try:
                    with self._lock:
                        taken_up = parked.index in self._recent
                    if not taken_up:
                        parked._park()
                finally:
                    parked._lock.release()

    def close(self) -> None:
        """Close every open card (their stores checkpointed into one file each)."""
        with self._lock:
            cards = list(self._recent.values())
            self._recent.clear()
        for card in cards:
            card.close()
