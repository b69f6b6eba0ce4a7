"""The test eIM's state, one SQLite file (``eim.sqlite`` in its state folder): a queue of
orders per EID, the counterValue it last used per EID (SGP.32 2.11.1.1: each eUICC Package
carries a counterValue above the last, the eUICC refuses the others as replayError), the
eUICC certificates it learned from eUICC Data (2.11.2.2) and the results it received
(6.3.2.7). The CLI and the server share the file (SQLite's own locking, WAL).

An order is data: ``kind`` psmo / eco (``items``: each Psmo or Eco in ASN.1 JER, X.697, so
every alternative SGP32Definitions has is an order without code here), download
(``items``: one ProfileDownloadData in JER, 2.11.1.3) or euiccData (an IpaEuiccDataRequest,
2.11.1.2). ``faults`` make a hostile package for tests: ``signature`` "bad", ``counter`` N,
``eid`` HEX, ``eimId`` TEXT, ``raw`` HEX (sent as the BF51 content unchecked)."""

from __future__ import annotations

import json
import sqlite3
import time
from dataclasses import dataclass
from pathlib import Path

KINDS = ("psmo", "eco", "download", "euiccData")
FAULTS = ("signature", "counter", "eid", "eimId", "raw")
SCHEMA = """
CREATE TABLE IF NOT EXISTS orders (
    id INTEGER PRIMARY KEY, eid TEXT NOT NULL, kind TEXT NOT NULL, items TEXT NOT NULL,
    faults TEXT NOT NULL DEFAULT '{}', state TEXT NOT NULL DEFAULT 'queued',
    counter INTEGER, transaction_id BLOB, request BLOB, created REAL, sent REAL);
CREATE TABLE IF NOT EXISTS counters (eid TEXT PRIMARY KEY, value INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS euiccs (eid TEXT PRIMARY KEY, euicc_certificate BLOB,
    eum_certificate BLOB);
CREATE TABLE IF NOT EXISTS results (
    id INTEGER PRIMARY KEY, eid TEXT NOT NULL, order_id INTEGER, kind TEXT NOT NULL,
    der BLOB NOT NULL, summary TEXT NOT NULL, verified INTEGER, received REAL);
"""


class QueueError(ValueError):
    """An order that cannot be queued (message says why)."""


@dataclass
class Order:
    id: int
    eid: str
    kind: str
    items: list
    faults: dict
    state: str
    counter: int | None
    transaction_id: bytes | None
    request: bytes | None


def check_eid(eid: str) -> str:
    eid = eid.upper()
    if len(eid) != 32 or any(c not in "0123456789" for c in eid):
        raise QueueError(f"an EID is 32 digits: {eid!r}")
    return eid


class EimQueue:
    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.db = sqlite3.connect(self.path, timeout=10, isolation_level=None,
                                  check_same_thread=False)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.executescript(SCHEMA)

    def close(self) -> None:
        self.db.close()

    # -- orders ---------------------------------------------------------------------------
    def add(self, eid: str, kind: str, items: list, faults: dict | None = None) -> int:
        if kind not in KINDS:
            raise QueueError(f"an order is one of {', '.join(KINDS)}, not {kind!r}")
        unknown = set(faults or {}) - set(FAULTS)
        if unknown:
            raise QueueError(f"unknown fault {', '.join(sorted(unknown))} "
                             f"(known: {', '.join(FAULTS)})")
        cursor = self.db.execute(
            "INSERT INTO orders (eid, kind, items, faults, created) VALUES (?, ?, ?, ?, ?)",
            (check_eid(eid), kind, json.dumps(items), json.dumps(faults or {}), time.time()))
        return cursor.lastrowid

    def _order(self, row) -> Order:
        return Order(row[0], row[1], row[2], json.loads(row[3]), json.loads(row[4]), row[5],
                     row[6], row[7], row[8])

    _COLUMNS = "id, eid, kind, items, faults, state, counter, transaction_id, request"

    def next_queued(self, eid: str) -> Order | None:
        row = self.db.execute(f"SELECT {self._COLUMNS} FROM orders WHERE eid = ? AND "
                              "state = 'queued' ORDER BY id LIMIT 1", (eid,)).fetchone()
        return None if row is None else self._order(row)

    def orders(self, eid: str | None = None) -> list[Order]:
        where, args = ("WHERE eid = ?", (eid,)) if eid else ("", ())
        return [self._order(r) for r in self.db.execute(
            f"SELECT {self._COLUMNS} FROM orders {where} ORDER BY id", args)]

    def mark_sent(self, order_id: int, counter: int | None, transaction_id: bytes | None,
                  request: bytes) -> None:
        self.db.execute("UPDATE orders SET state = 'sent', counter = ?, transaction_id = ?, "
                        "request = ?, sent = ? WHERE id = ?",
                        (counter, transaction_id, request, time.time(), order_id))

    def mark(self, order_id: int, state: str) -> None:
        self.db.execute("UPDATE orders SET state = ? WHERE id = ?", (state, order_id))

    def remove(self, order_id: int) -> None:
        """An order that never went out (a push that reached no IPA made it)."""
        self.db.execute("DELETE FROM orders WHERE id = ?", (order_id,))

    def order_by_transaction(self, transaction_id: bytes) -> Order | None:
        """The order sent with ``transaction_id``, whatever its state now (a trigger whose
        Install notification came first, through the relay, is done already)."""
        row = self.db.execute(f"SELECT {self._COLUMNS} FROM orders WHERE transaction_id = ? "
                              "ORDER BY id DESC LIMIT 1", (transaction_id,)).fetchone()
        return None if row is None else self._order(row)

    def sent_order_any(self, kinds: str | tuple | None, transaction_id: bytes | None = None,
                       eid: str | None = None) -> Order | None:
        """The sent order a result answers: the one with ``transaction_id`` (a package's
        transactionId, 2.11.2.1 echoes it; a trigger's eimTransactionId, 2.11.2.3), else
        the oldest sent one of ``kinds`` (any kind: None), of ``eid`` if given."""
        if transaction_id is not None:
            row = self.db.execute(f"SELECT {self._COLUMNS} FROM orders WHERE state = 'sent' "
                                  "AND transaction_id = ?", (transaction_id,)).fetchone()
            if row is not None:
                return self._order(row)
        kinds = (kinds,) if isinstance(kinds, str) else kinds
        query = f"SELECT {self._COLUMNS} FROM orders WHERE state = 'sent'"
        args: tuple = ()
        if eid is not None:
            query += " AND eid = ?"
            args = (eid,)
        if kinds:
            query += f" AND kind IN ({', '.join('?' * len(kinds))})"
            args += tuple(kinds)
        row = self.db.execute(query + " ORDER BY id LIMIT 1", args).fetchone()
        return None if row is None else self._order(row)

    # -- counters -------------------------------------------------------------------------
    def next_counter(self, eid: str, initial: int) -> int:
        """The counterValue of the next package to ``eid``, persisted before it leaves."""
        with self.db:
            self.db.execute("BEGIN IMMEDIATE")
            row = self.db.execute("SELECT value FROM counters WHERE eid = ?",
                                  (eid,)).fetchone()
            value = (initial if row is None else row[0]) + 1
            self.db.execute("INSERT INTO counters VALUES (?, ?) ON CONFLICT(eid) DO UPDATE "
                            "SET value = excluded.value", (eid, value))
        return value

    def counter(self, eid: str) -> int | None:
        row = self.db.execute("SELECT value FROM counters WHERE eid = ?", (eid,)).fetchone()
        return None if row is None else row[0]

    # -- eUICCs and results ---------------------------------------------------------------
    def set_certificates(self, eid: str, euicc: bytes | None, eum: bytes | None) -> None:
        self.db.execute("INSERT INTO euiccs VALUES (?, ?, ?) ON CONFLICT(eid) DO UPDATE SET "
                        "euicc_certificate = coalesce(excluded.euicc_certificate, "
                        "euicc_certificate), eum_certificate = coalesce("
                        "excluded.eum_certificate, eum_certificate)", (eid, euicc, eum))

    def euicc_certificate(self, eid: str) -> bytes | None:
        row = self.db.execute("SELECT euicc_certificate FROM euiccs WHERE eid = ?",
                              (eid,)).fetchone()
        return None if row is None else row[0]

    def add_result(self, eid: str, order_id: int | None, kind: str, der: bytes,
                   summary: dict, verified: bool | None) -> int:
        cursor = self.db.execute(
            "INSERT INTO results (eid, order_id, kind, der, summary, verified, received) "
            "VALUES (?, ?, ?, ?, ?, ?, ?)", (eid, order_id, kind, der, json.dumps(summary),
                                             None if verified is None else int(verified),
                                             time.time()))
        return cursor.lastrowid

    def results(self, eid: str | None = None) -> list[dict]:
        where, args = ("WHERE eid = ?", (eid,)) if eid else ("", ())
        return [{"id": r[0], "eid": r[1], "order": r[2], "kind": r[3], "der": r[4].hex(),
                 "summary": json.loads(r[5]),
                 "verified": None if r[6] is None else bool(r[6])}
                for r in self.db.execute(
                    "SELECT id, eid, order_id, kind, der, summary, verified FROM results "
                    f"{where} ORDER BY id", args)]
