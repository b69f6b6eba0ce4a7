"""The card's local control interface: a Unix socket in the state directory, owner-only
(0600), never a network port. JSON lines, one request per line:

    {"op": "apdu", "hex": "<C-APDU>"}  -> {"ok": true, "hex": "<R-APDU>"}
    {"op": "subscribe"}                 -> {"ok": true}, then one line per APDU exchange
    {"op": "recent", "count": N}        -> {"ok": true, "exchanges": [the last N, oldest first]}
    {"op": "fault-add", "rule": {...}}  -> {"ok": true, "fault": {...}}  (a [[fault]] table's
                                           fields, euicc.faults.scenario; refused with why)
    {"op": "fault-list"}                -> {"ok": true, "faults": [each rule, its counters]}
    {"op": "fault-clear"[, "id": ID]}   -> {"ok": true, "removed": N}
    {"op": "fault-targets"}             -> {"ok": true, "targets": {layer: [names]}}
    anything else                       -> {"ok": false, "error": "<why>"}

Exchanges the fault plan changed carry ``"injected": [marks]``.

Commands injected here run through ``Card.transmit`` exactly like a reader's, so the
shell's management actions take the ES10 code paths (SGP.22 5.7) and make the same
notifications. Trace lines carry time, channel, command name, status word (ISO 7816-4
5.6) and sizes, never data (:class:`euicc.trace.TraceEvent`); ``recent`` answers from the
ring buffer the server keeps of the card's last exchanges (:class:`RecentExchanges`).
"""

from __future__ import annotations

import json
import logging
import os
import socket
import threading
from pathlib import Path

from .card import Card, Exchange
from .faults import Catalog, ScenarioError, rule_as_dict, rule_from_table
from .trace import RecentExchanges, TraceEvent

log = logging.getLogger(__name__)
SOCKET_NAME = "control.sock"
MAX_LINE = 70_000


class ControlServer:
    def __init__(self, card: Card, directory: Path, catalog: Catalog | None = None) -> None:
        """``catalog``: what the card's fault plan may name (without one, the fault
        requests are refused)."""
        self.card = card
        self.catalog = catalog
        self.path = directory / SOCKET_NAME
        self._subscribers: list[socket.socket] = []
        self._lock = threading.Lock()
        self.recent = RecentExchanges()
        if self.path.exists() or self.path.is_symlink():
            self.path.unlink()  # left by a process that died; the state lock is ours
        old_umask = os.umask(0o177)
        try:
            self._listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            self._listener.bind(str(self.path))
        finally:
            os.umask(old_umask)
        os.chmod(self.path, 0o600)
        self._listener.listen(4)
        card.observers += [self.recent, self._publish]
        threading.Thread(target=self._accept, daemon=True, name="control").start()

    def close(self) -> None:
        self._listener.close()
        self.path.unlink(missing_ok=True)

    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self._listener.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, conn: socket.socket) -> None:
        reader = conn.makefile("rb")
        try:
            for line in reader:
                if len(line) > MAX_LINE:
                    self._send(conn, {"ok": False, "error": "request too long"})
                    return
                try:
                    request = json.loads(line)
                    op = request["op"]
                except (ValueError, KeyError, TypeError):
                    self._send(conn, {"ok": False, "error": "bad request"})
                    continue
                if op == "apdu":
                    try:
                        command = bytes.fromhex(request["hex"])
                    except (KeyError, ValueError, TypeError):
                        self._send(conn, {"ok": False, "error": "hex APDU expected"})
                        continue
                    self._send(conn, {"ok": True, "hex": self.card.transmit(command).hex()})
                elif op == "recent":
                    self._send(conn, self._recent(request.get("count")))
                elif op.startswith("fault-"):
                    self._send(conn, self._fault(op, request))
                elif op == "subscribe":
                    with self._lock:
                        self._subscribers.append(conn)
                    self._send(conn, {"ok": True})
                else:
                    self._send(conn, {"ok": False, "error": f"unknown op {op!r}"})
        except OSError:
            pass
        finally:
            with self._lock:
                if conn in self._subscribers:
                    self._subscribers.remove(conn)
            conn.close()

    def _recent(self, count) -> dict:
        capacity = self.recent.capacity
        if isinstance(count, bool) or not isinstance(count, int) or not 1 <= count <= capacity:
            return {"ok": False, "error": f"count must be an integer from 1 to {capacity}"}
        return {"ok": True, "exchanges": [e.as_dict() for e in self.recent.last(count)]}

    def _fault(self, op: str, request: dict) -> dict:
        """The fault plan, changed live (euicc.faults)."""
        plan = self.card.faults
        if self.catalog is None:
            return {"ok": False, "error": "this card has no fault catalogue"}
        if op == "fault-add":
            table = request.get("rule")
            if not isinstance(table, dict):
                return {"ok": False, "error": "rule must be an object of [[fault]] fields"}
            try:
                rule = plan.add(rule_from_table(table, self.catalog))
            except (ScenarioError, ValueError) as exc:
                return {"ok": False, "error": str(exc)}
            log.info("fault added: %s %s", rule.id, rule.describe())
            return {"ok": True, "fault": rule_as_dict(rule)}
        if op == "fault-list":
            return {"ok": True, "faults": [rule_as_dict(r) for r in plan.rules()]}
        if op == "fault-clear":
            rule_id = request.get("id")
            if rule_id is None:
                removed = plan.clear()
            elif not isinstance(rule_id, str) or not plan.remove(rule_id):
                return {"ok": False, "error": f"no fault {rule_id!r} in the plan"}
            else:
                removed = 1
            return {"ok": True, "removed": removed}
        if op == "fault-targets":
            targets: dict[str, list[str]] = {}
            for name, target in sorted(self.catalog.targets.items()):
                targets.setdefault(target.layer.value, []).append(name)
            return {"ok": True, "targets": targets}
        return {"ok": False, "error": f"unknown op {op!r}"}

    @staticmethod
    def _send(conn: socket.socket, message: dict) -> None:
        conn.sendall(json.dumps(message).encode() + b"\n")

    def _publish(self, exchange: Exchange) -> None:
        if not self._subscribers:
            return  # nobody follows (a racy look is fine: the next exchange sees them)
        with self._lock:
            subscribers = list(self._subscribers)
        line = json.dumps(TraceEvent.of(exchange).as_dict()).encode() + b"\n"
        for conn in subscribers:
            try:
                conn.sendall(line)
            except OSError:
                with self._lock:
                    if conn in self._subscribers:
                        self._subscribers.remove(conn)
