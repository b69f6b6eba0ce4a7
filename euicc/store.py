"""Persistent state of one card: a single SQLite database in the card's state directory.

Every ES10 command runs in one transaction (:meth:`CardStore.transaction`), so a crash or
``kill -9`` at any moment leaves either the state before the command or the state after it
(SQLite WAL journal). ``synchronous=NORMAL``: in WAL mode a committed transaction survives the
process being killed at any point after COMMIT returns, because the WAL frames are in the
operating system's cache; only a crash of the operating system or a power loss may lose the
last commits, and even then the database stays consistent (whole transactions or nothing).
``FULL`` would add an fsync of the WAL to every commit (about 0.6 ms of a 12 kB profile
download on the development machine) for the host's power loss, which is not the card's
(removing the card is the process ending, kill -9 included).

Profiles (ISD-P records with their SGP.22 StoreMetadata), pending notifications with their
sequence numbers, the default SM-DP+ address and counters all live here, and each ISD-P's
interpreted content: its files (the installed ones in one ``isdp_image`` row, each file an
UPDATE command changed since in an ``isdp_files`` row) and its NAA secrets
(``isdp_secrets``: PINs, PUKs, AKA keys and SQN state), in the rows of
:mod:`euicc.store_image`. The profile elements (``isdp_content``) are kept without their
secrets (:func:`euicc.ppi.blank_secrets`), so K, OPc, PINs and keys are stored once.
Holds no eUICC private keys: those stay in the PKI folder.

Schema versions: 1 kept the elements as received and, for a profile installed before the
card had a Profile Package Interpreter, no files or secrets rows; 2 keeps elements without
secrets and every profile interpreted, one ``isdp_files`` row per file; 3 (this one) keeps
the installed files as one ``isdp_image`` row. A store created now starts at 3; an older one
is brought up by :func:`euicc.migrations.migrate`, which the card's wiring runs once at start
(the migration interprets elements, and the store does not import the interpreter).

Erasure of a deleted profile (SGP.22 3.2.3 "the eUICC shall delete the Profile", 5.7.19
eUICCMemoryReset): SQLite alone would keep a deleted profile's K, PINs and profile elements
in two places, the superseded page copies in the WAL file and old page images in the
database file that no checkpoint has rewritten yet. So deleted rows are overwritten with
zeros in their pages (``secure_delete``), and the transaction that deletes a profile is
followed, before the caller goes on, by :meth:`CardStore.erase`: VACUUM rebuilds the
database from its live rows, and a full checkpoint writes it into the database file and
truncates the WAL to nothing. The same
transaction sets the ``erase_pending`` mark, so a process killed between the commit and the
erasure erases at its next start (the card opens its store before it answers anything).
"""

from __future__ import annotations

import logging
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from enum import IntEnum
from pathlib import Path

from .coding import bcd_text
from .store_image import pack_rows, unpack_rows

log = logging.getLogger(__name__)

SCHEMA_VERSION = 3
SCHEMA_KEY = "schema_version"  # meta key
DB_NAME = "card.sqlite3"
ERASE_PENDING = "erase_pending"  # meta key: a profile was deleted, its pages not yet erased
# The two ways SGP.22 names one profile (the CHOICE alternatives of its ASN.1)
PROFILE_BY_AID, PROFILE_BY_ICCID = "isdpAid", "iccid"
ERASE_ATTEMPTS = 5  # checkpoint tries (each waits busy_timeout) while a reader holds a snapshot

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (
    key TEXT PRIMARY KEY,
    value BLOB
);
CREATE TABLE IF NOT EXISTS profiles (
    isdp_aid BLOB PRIMARY KEY,
    iccid BLOB NOT NULL UNIQUE,
    state INTEGER NOT NULL,
    profile_class INTEGER NOT NULL,
    nickname TEXT,
    metadata BLOB NOT NULL,
    ci_pkid BLOB,
    smdp_oid TEXT,
    field_loaded INTEGER NOT NULL DEFAULT 1,
    size INTEGER NOT NULL DEFAULT 0,
    installed_at REAL NOT NULL DEFAULT (julianday('now'))
);
CREATE TABLE IF NOT EXISTS isdp_content (
    isdp_aid BLOB NOT NULL REFERENCES profiles(isdp_aid) ON DELETE CASCADE,
    seq INTEGER NOT NULL,
    element BLOB NOT NULL,
    PRIMARY KEY (isdp_aid, seq)
);
CREATE TABLE IF NOT EXISTS isdp_image (
    isdp_aid BLOB PRIMARY KEY REFERENCES profiles(isdp_aid) ON DELETE CASCADE,
    files BLOB NOT NULL
);
CREATE TABLE IF NOT EXISTS isdp_files (
    isdp_aid BLOB NOT NULL REFERENCES profiles(isdp_aid) ON DELETE CASCADE,
    path TEXT NOT NULL,
    seq INTEGER NOT NULL,
    attributes TEXT NOT NULL,
    body BLOB NOT NULL,
    PRIMARY KEY (isdp_aid, path)
);
CREATE TABLE IF NOT EXISTS isdp_secrets (
    isdp_aid BLOB NOT NULL REFERENCES profiles(isdp_aid) ON DELETE CASCADE,
    kind TEXT NOT NULL,
    ref INTEGER NOT NULL,
    value BLOB NOT NULL,
    PRIMARY KEY (isdp_aid, kind, ref)
);
CREATE TABLE IF NOT EXISTS notifications (
    seq INTEGER PRIMARY KEY,
    event INTEGER NOT NULL,
    address TEXT NOT NULL,
    iccid BLOB,
    pending BLOB NOT NULL
);
CREATE TABLE IF NOT EXISTS eims (
    eim_id TEXT PRIMARY KEY,
    position INTEGER NOT NULL,
    config BLOB NOT NULL,
    counter INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS profile_marks (
    mark TEXT PRIMARY KEY,
    isdp_aid BLOB NOT NULL REFERENCES profiles(isdp_aid) ON DELETE CASCADE
);
CREATE TABLE IF NOT EXISTS euicc_package_results (
    seq INTEGER PRIMARY KEY,
    eim_id TEXT NOT NULL,
    result BLOB NOT NULL
);
"""


class ProfileState(IntEnum):
    """SGP.22 ProfileState."""

    DISABLED = 0
    ENABLED = 1


class ProfileClass(IntEnum):
    """SGP.22 ProfileClass."""

    TEST = 0
    PROVISIONING = 1
    OPERATIONAL = 2


class NotificationEvent(IntEnum):
    """Bit numbers of SGP.22 NotificationEvent."""

    INSTALL = 0
    ENABLE = 1
    DISABLE = 2
    DELETE = 3


@dataclass(frozen=True)
class ProfileRecord:
    isdp_aid: bytes
    iccid: bytes  # the 10 stored bytes of Iccid (tag 5A value)
    state: ProfileState
    profile_class: ProfileClass
    metadata: bytes  # StoreMetadataRequest (BF25) DER as received from the SM-DP+
    nickname: str | None = None
    ci_pkid: bytes | None = None
    smdp_oid: str | None = None
    field_loaded: bool = True
    size: int = 0

    @property
    def iccid_digits(self) -> str:
        """The ICCID as it is shown (never fails, whatever the SM-DP+ sent)."""
        return bcd_text(self.iccid)


@dataclass(frozen=True)
class NotificationRecord:
    seq: int
    event: NotificationEvent
    address: str
    iccid: bytes | None
    pending: bytes  # PendingNotification DER, signed when it was made


@dataclass(frozen=True)
class EimRecord:
    """An eIM associated with an IoT eUICC (SGP.32 2.11.1.1.1): its EimConfigurationData as
    associated (DER) and the last counterValue the card accepted from it (replay
    protection, SGP.32 2.11.1.1)."""

    eim_id: str
    config: bytes
    counter: int


class CardStore:
    """One card's persistent state. Thread-safe; reentrant transactions."""

    def __init__(self, directory: Path, read_only: bool = False) -> None:
        """``read_only`` opens an existing store for inspection beside a running card."""
        self.path = directory / DB_NAME
        self.read_only = read_only
        self._lock = threading.RLock()
        self._depth = 0
        self._erase_due = False  # this transaction deleted a profile
        if read_only:
            if not self.path.exists():
                raise FileNotFoundError(f"no card state in {directory}")
            self._db = sqlite3.connect(f"file:{self.path}?mode=ro", uri=True,
                                       isolation_level=None, check_same_thread=False)
            return
        directory.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")  # see the module docstring
        self._db.execute("PRAGMA foreign_keys=ON")
        self._db.execute("PRAGMA secure_delete=ON")
        self._db.execute("PRAGMA temp_store=MEMORY")  # no spill files with profile data
        self._db.execute("PRAGMA busy_timeout=50")  # checkpoints wait for short readers
        with self.transaction():
            for statement in filter(str.strip, _SCHEMA.split(";")):
                self._db.execute(statement)
            if self.get_meta(SCHEMA_KEY) is None:
                self.set_meta(SCHEMA_KEY, SCHEMA_VERSION)
        if self.get_meta(ERASE_PENDING) is not None:
            log.info("erasing a deleted profile left over from the last run")
            self.erase()

    def close(self) -> None:
        """A writer's close checkpoints the WAL into the database file first, so a cleanly
        stopped card leaves one file (SQLite removes -wal and -shm with the last
        connection)."""
        with self._lock:
            if not self.read_only:
                try:
                    self._db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
                except sqlite3.Error as exc:
                    log.warning("checkpoint at close failed: %s", exc)
            self._db.close()

    def release_memory(self) -> None:
        """Free what the connection caches between uses (``PRAGMA shrink_memory``: its page
        cache, a few hundred kB once a profile is installed); the next command reads its
        pages again from the file (the operating system's cache). For many open cards in
        one process (tools/fleet), between one device's operations; a lone card keeps its
        cache."""
        with self._lock:
            if self._depth == 0:
                try:
                    self._db.execute("PRAGMA shrink_memory")
                except sqlite3.Error as exc:  # only memory is at stake: the card goes on
                    log.warning("shrink_memory failed: %s", exc)

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """All writes inside commit together or not at all."""
        with self._lock:
            outer = self._depth == 0
            if outer:
                self._db.execute("BEGIN IMMEDIATE")
            self._depth += 1
            try:
                yield
            except BaseException:
                self._depth -= 1
                if outer:
                    self._db.execute("ROLLBACK")
                    self._erase_due = False
                raise
            self._depth -= 1
            if outer:
                self._db.execute("COMMIT")
                if self._erase_due:
                    self.erase()

    @contextmanager
    def savepoint(self) -> Iterator[None]:
        """Inside a transaction: the writes of this block are undone alone when it raises,
        the transaction around it goes on (SQLite SAVEPOINT). One operation of several in a
        command (an SGP.32 eUICC Package's PSMO) fails without half its writes."""
        with self._lock, self.transaction():
            self._db.execute("SAVEPOINT operation")
            try:
                yield
            except BaseException:
                self._db.execute("ROLLBACK TO operation")
                self._db.execute("RELEASE operation")
                raise
            self._db.execute("RELEASE operation")

    def erase(self) -> bool:
        """Leave no copy of deleted rows on disk: rebuild the database (VACUUM), checkpoint
        the WAL into the database file and truncate it, then clear the ``erase_pending``
        mark.
        False (mark kept, retried after the next commit and at the next start) while a
        reader keeps an older snapshot alive the whole time."""
        with self._lock:
            self._erase_due = True
            try:
                # VACUUM writes the live rows into fresh pages (through the WAL): no free
                # page, no unused part of a page keeps what secure_delete might have missed.
                self._db.execute("VACUUM")
                for _ in range(ERASE_ATTEMPTS):
                    busy, _, _ = self._db.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
                    if not busy:
                        break
                else:
                    log.warning("a reader blocks erasing a deleted profile; retried later")
                    return False
                self._db.execute("DELETE FROM meta WHERE key = ?", (ERASE_PENDING,))
            except sqlite3.Error as exc:  # the delete itself is committed: retry, don't fail
                log.warning("erasing a deleted profile failed (%s); retried later", exc)
                return False
            self._erase_due = False
            return True

    # -- meta ----------------------------------------------------------------------------
    def get_meta(self, key: str, default=None):
        with self._lock:
            row = self._db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return default if row is None else row[0]

    def set_meta(self, key: str, value) -> None:
        with self.transaction():
            if value is None:
                self._db.execute("DELETE FROM meta WHERE key = ?", (key,))
            else:
                self._db.execute(
                    "INSERT INTO meta(key, value) VALUES(?, ?) "
                    "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                    (key, value),
                )

    def next_counter(self, key: str, start: int = 1) -> int:
        """Return the counter's next value and persist it (inside the caller's transaction)."""
        with self.transaction():
            value = int(self.get_meta(key, start - 1)) + 1
            self.set_meta(key, value)
            return value

    # -- profiles ------------------------------------------------------------------------
    _PROFILE_COLUMNS = (
        "isdp_aid, iccid, state, profile_class, metadata, nickname, ci_pkid, smdp_oid, "
        "field_loaded, size"
    )

    @staticmethod
    def _profile(row) -> ProfileRecord:
        return ProfileRecord(
            bytes(row[0]), bytes(row[1]), ProfileState(row[2]), ProfileClass(row[3]),
            bytes(row[4]), row[5], None if row[6] is None else bytes(row[6]), row[7],
            bool(row[8]), row[9],
        )

    def profiles(self) -> list[ProfileRecord]:
        with self._lock:
            rows = self._db.execute(
                f"SELECT {self._PROFILE_COLUMNS} FROM profiles ORDER BY installed_at, isdp_aid"
            ).fetchall()
        return [self._profile(r) for r in rows]

    def profile_by_aid(self, aid: bytes) -> ProfileRecord | None:
        return next((p for p in self.profiles() if p.isdp_aid == aid), None)

    def profile_by_iccid(self, iccid: bytes) -> ProfileRecord | None:
        return next((p for p in self.profiles() if p.iccid == iccid), None)

    def profile_by_identifier(self, identifier: tuple[str, bytes]) -> ProfileRecord | None:
        """The profile an SGP.22 profile identifier names: ``("isdpAid", AID)`` or
        ``("iccid", Iccid)``, the CHOICE of EnableProfileRequest / DisableProfileRequest
        .profileIdentifier, DeleteProfileRequest and ProfileInfoListRequest.searchCriteria
        (5.7.15-5.7.18), as decoded from the ASN.1 or given to the shell."""
        kind, value = identifier
        if kind == PROFILE_BY_AID:
            return self.profile_by_aid(value)
        if kind == PROFILE_BY_ICCID:
            return self.profile_by_iccid(value)
        raise ValueError(f"a profile is named by its ISD-P AID or its ICCID, not by {kind}")

    def enabled_profile(self) -> ProfileRecord | None:
        return next((p for p in self.profiles() if p.state == ProfileState.ENABLED), None)

    def add_profile(self, record: ProfileRecord) -> None:
        with self.transaction():
            self._db.execute(
                f"INSERT INTO profiles({self._PROFILE_COLUMNS}) VALUES(?,?,?,?,?,?,?,?,?,?)",
                (record.isdp_aid, record.iccid, int(record.state), int(record.profile_class),
                 record.metadata, record.nickname, record.ci_pkid, record.smdp_oid,
                 int(record.field_loaded), record.size),
            )

    def set_profile_state(self, aid: bytes, state: ProfileState) -> None:
        with self.transaction():
            self._db.execute("UPDATE profiles SET state = ? WHERE isdp_aid = ?", (int(state), aid))

    def set_nickname(self, aid: bytes, nickname: str | None) -> None:
        with self.transaction():
            self._db.execute("UPDATE profiles SET nickname = ? WHERE isdp_aid = ?",
                             (nickname, aid))

    def delete_profile(self, aid: bytes) -> None:
        """The profile and (ON DELETE CASCADE) its elements, files and secrets; erased from
        disk once the enclosing transaction commits."""
        with self.transaction():
            self._db.execute("DELETE FROM profiles WHERE isdp_aid = ?", (aid,))
            self.set_meta(ERASE_PENDING, 1)
            self._erase_due = True

    # -- ISD-P content -------------------------------------------------------------------
    def set_profile_content(self, aid: bytes, configure_isdp: bytes,
                            elements: list[bytes], replace: bool = True) -> None:
        """The ISD-P's ConfigureISDP data (seq 0) and its profile elements (seq 1..), the
        latter without secrets (:func:`euicc.ppi.elements_without_secrets`). ``replace``
        False: the profile row was added in this transaction, so no row of it can exist
        (every content row references it; a deleted profile's went with it)."""
        with self.transaction():
            if replace:
                self._db.execute("DELETE FROM isdp_content WHERE isdp_aid = ?", (aid,))
            self._db.executemany(
                "INSERT INTO isdp_content(isdp_aid, seq, element) VALUES(?, ?, ?)",
                [(aid, n, e) for n, e in enumerate([configure_isdp, *elements])],
            )

    def set_profile_elements(self, aid: bytes, elements: list[bytes]) -> None:
        """Replace the profile elements (seq 1..), keeping the ConfigureISDP data."""
        with self.transaction():
            self._db.execute("DELETE FROM isdp_content WHERE isdp_aid = ? AND seq > 0", (aid,))
            self._db.executemany(
                "INSERT INTO isdp_content(isdp_aid, seq, element) VALUES(?, ?, ?)",
                [(aid, n, e) for n, e in enumerate(elements, start=1)],
            )

    @property
    def schema_version(self) -> int:
        """The version of the rows' layout and meaning (see the module docstring)."""
        return int(self.get_meta(SCHEMA_KEY, 1))

    def profile_elements(self, aid: bytes) -> list[bytes]:
        with self._lock:
            rows = self._db.execute(
                "SELECT element FROM isdp_content WHERE isdp_aid = ? AND seq > 0 ORDER BY seq",
                (aid,)).fetchall()
        return [bytes(r[0]) for r in rows]

    # -- interpreted ISD-P content (files and NAA secrets) ---------------------------------
    def set_profile_image(self, aid: bytes, files: list[tuple[str, str, bytes]],
                          secrets: list[tuple[str, int, bytes]], replace: bool = True) -> None:
        """Replace the ISD-P's files ((path, attributes JSON, body) in creation order) and
        secrets ((kind, ref, value)). The files as installed are one ``isdp_image`` row
        (:func:`euicc.store_image.pack_rows`); :meth:`update_file` keeps each file changed
        since in an ``isdp_files`` row of its own. ``replace`` False: a profile added in
        this transaction, which has no rows to replace (as :meth:`set_profile_content`)."""
        with self.transaction():
            if replace:
                self._db.execute("DELETE FROM isdp_files WHERE isdp_aid = ?", (aid,))
                self._db.execute("DELETE FROM isdp_secrets WHERE isdp_aid = ?", (aid,))
            self._write_image(aid, pack_rows(files))
            self._db.executemany(
                "INSERT INTO isdp_secrets(isdp_aid, kind, ref, value) VALUES(?, ?, ?, ?)",
                [(aid, kind, ref, value) for kind, ref, value in secrets])

    def profile_files(self, aid: bytes) -> list[tuple[str, str, bytes]]:
        """(path, attributes JSON, body) of every file in creation order, as the last
        command left it: the installed image with the files changed since in their place.
        A schema 2 store (read-only beside an older card) has no image: its ``isdp_files``
        rows are all its files."""
        with self._lock:
            image = self._db.execute("SELECT files FROM isdp_image WHERE isdp_aid = ?",
                                     (aid,)).fetchone() if self._has_image_table() else None
            changed = self._db.execute(
                "SELECT path, attributes, body FROM isdp_files WHERE isdp_aid = ? ORDER BY seq",
                (aid,)).fetchall()
        changed = [(r[0], r[1], bytes(r[2])) for r in changed]
        if image is None:
            return changed
        rows = unpack_rows(image[0])
        if changed:
            latest = {row[0]: row for row in changed}
            rows = [latest.get(row[0], row) for row in rows]
        return rows

    def _has_image_table(self) -> bool:
        """A writer made the table when it opened; a read-only reader beside a card of an
        older version may find a schema 2 state without it."""
        if not self.read_only:
            return True
        return self._db.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND "
                                "name = 'isdp_image'").fetchone() is not None

    def update_file(self, aid: bytes, path: str, attributes: str, body: bytes) -> None:
        """A file changed by a command: its row replaces the installed image's copy."""
        with self.transaction():
            self._db.execute(
                "INSERT OR REPLACE INTO isdp_files(isdp_aid, path, seq, attributes, body) "
                "VALUES(?, ?, 0, ?, ?)", (aid, path, attributes, body))

    def pack_files(self, aid: bytes) -> None:
        """Schema 2 -> 3: an ISD-P's file rows become its image row."""
        with self.transaction():
            rows = self.profile_files(aid)
            self._db.execute("DELETE FROM isdp_files WHERE isdp_aid = ?", (aid,))
            self._write_image(aid, pack_rows(rows))

    def _write_image(self, aid: bytes, image: bytes) -> None:
        """The image row, its value written through incremental blob I/O: bound as a
        parameter, SQLite would keep its copy of the whole value (tens of kB) with the
        cached statement until the statement's next use, in every open card of a fleet."""
        cursor = self._db.execute(
            "INSERT OR REPLACE INTO isdp_image(isdp_aid, files) VALUES(?, zeroblob(?))",
            (aid, len(image)))
        with self._db.blobopen("isdp_image", "files", cursor.lastrowid) as blob:
            blob.write(image)

    def profile_secrets(self, aid: bytes) -> list[tuple[str, int, bytes]]:
        with self._lock:
            rows = self._db.execute(
                "SELECT kind, ref, value FROM isdp_secrets WHERE isdp_aid = ? "
                "ORDER BY kind, ref", (aid,)).fetchall()
        return [(r[0], r[1], bytes(r[2])) for r in rows]

    def set_secret(self, aid: bytes, kind: str, ref: int, value: bytes) -> None:
        with self.transaction():
            self._db.execute(
                "INSERT INTO isdp_secrets(isdp_aid, kind, ref, value) VALUES(?, ?, ?, ?) "
                "ON CONFLICT(isdp_aid, kind, ref) DO UPDATE SET value = excluded.value",
                (aid, kind, ref, value))

    # -- notifications -------------------------------------------------------------------
    def add_notification(self, record: NotificationRecord) -> None:
        with self.transaction():
            self._db.execute(
                "INSERT INTO notifications(seq, event, address, iccid, pending) "
                "VALUES(?,?,?,?,?)",
                (record.seq, int(record.event), record.address, record.iccid, record.pending),
            )

    def notifications(self) -> list[NotificationRecord]:
        with self._lock:
            rows = self._db.execute(
                "SELECT seq, event, address, iccid, pending FROM notifications ORDER BY seq"
            ).fetchall()
        return [
            NotificationRecord(r[0], NotificationEvent(r[1]), r[2],
                               None if r[3] is None else bytes(r[3]), bytes(r[4]))
            for r in rows
        ]

    def remove_notification(self, seq: int) -> bool:
        with self.transaction():
            cur = self._db.execute("DELETE FROM notifications WHERE seq = ?", (seq,))
            return cur.rowcount > 0

    # -- profile marks -------------------------------------------------------------------
    # A mark names at most one profile (SGP.32 v1.2's Fallback Attribute, the profile a
    # fallback or the Emergency Profile will return to) and goes with it when the profile is
    # deleted (ON DELETE CASCADE): a reinstalled profile never inherits one.
    def marked_profile(self, mark: str) -> ProfileRecord | None:
        with self._lock:
            row = self._db.execute(
                "SELECT isdp_aid FROM profile_marks WHERE mark = ?", (mark,)).fetchone()
        return None if row is None else self.profile_by_aid(bytes(row[0]))

    def mark_profile(self, mark: str, aid: bytes | None) -> None:
        """``mark`` on the profile ``aid`` (moved from any other), or removed (None)."""
        with self.transaction():
            if aid is None:
                self._db.execute("DELETE FROM profile_marks WHERE mark = ?", (mark,))
            else:
                self._db.execute(
                    "INSERT INTO profile_marks(mark, isdp_aid) VALUES(?, ?) "
                    "ON CONFLICT(mark) DO UPDATE SET isdp_aid = excluded.isdp_aid", (mark, aid))

    # -- SGP.32 eIM configuration and eUICC Package Results ------------------------------
    # The tables come with CREATE TABLE IF NOT EXISTS at every open (an older store gets them
    # empty at its next start): no migration step is needed for them.
    def eims(self) -> list[EimRecord]:
        with self._lock:
            rows = self._db.execute(
                "SELECT eim_id, config, counter FROM eims ORDER BY position").fetchall()
        return [EimRecord(r[0], bytes(r[1]), r[2]) for r in rows]

    def add_eim(self, record: EimRecord) -> None:
        with self.transaction():
            self._db.execute(
                "INSERT INTO eims(eim_id, position, config, counter) "
                "VALUES(?, (SELECT COALESCE(MAX(position), 0) + 1 FROM eims), ?, ?)",
                (record.eim_id, record.config, record.counter))

    def set_eim_counter(self, eim_id: str, counter: int) -> None:
        with self.transaction():
            self._db.execute("UPDATE eims SET counter = ? WHERE eim_id = ?", (counter, eim_id))

    def replace_eim(self, record: EimRecord) -> None:
        """A new configuration and counter for the eIM ``record.eim_id`` (its place kept)."""
        with self.transaction():
            self._db.execute("UPDATE eims SET config = ?, counter = ? WHERE eim_id = ?",
                             (record.config, record.counter, record.eim_id))

    def delete_eim(self, eim_id: str) -> bool:
        with self.transaction():
            return self._db.execute("DELETE FROM eims WHERE eim_id = ?", (eim_id,)).rowcount > 0

    def delete_eims(self) -> int:
        with self.transaction():
            return self._db.execute("DELETE FROM eims").rowcount

    def add_package_result(self, seq: int, eim_id: str, result: bytes) -> None:
        with self.transaction():
            self._db.execute(
                "INSERT INTO euicc_package_results(seq, eim_id, result) VALUES(?, ?, ?)",
                (seq, eim_id, result))

    def package_results(self) -> list[tuple[int, str, bytes]]:
        with self._lock:
            rows = self._db.execute(
                "SELECT seq, eim_id, result FROM euicc_package_results ORDER BY seq").fetchall()
        return [(r[0], r[1], bytes(r[2])) for r in rows]

    def replace_package_result(self, seq: int, result: bytes) -> None:
        with self.transaction():
            self._db.execute("UPDATE euicc_package_results SET result = ? WHERE seq = ?",
                             (result, seq))

    def remove_package_result(self, seq: int) -> bool:
        with self.transaction():
            cur = self._db.execute("DELETE FROM euicc_package_results WHERE seq = ?", (seq,))
            return cur.rowcount > 0
