"""The ES10 function table of the ISD-R (SGP.22 5.7 "Functions (ES10a, ES10b, ES10c)"):
the top-level tag of a reassembled STORE DATA command selects the function, whose request
is decoded as the SGP.22 ASN.1 type, handled, and whose response is DER-encoded.

One entry is a stream, ES10b.LoadBoundProfilePackage (SGP.22 5.7.6): its command opens with
the BoundProfilePackage tag, and the pieces after it are cut anywhere in the package, so a
piece that is no ES10 request continues it while the stream is active. Any other ES10
function ends a package in progress. :meth:`Es10Table.entry_for` is that one rule, for the
dispatch and for the trace names.

The card's fault plan (:mod:`euicc.faults`) is consulted here, once per ES10 command, by
the function's SGP.22 name: after the request decoded (a malformed request keeps its
'6A80'), a rule may delay the answer, replace it with a status word or with one of the
function's own error results (:mod:`.error_results`, built by the same code as a real one),
or damage it. For LoadBoundProfilePackage the function-level rules apply to its first
piece; its parts have rules of their own (the BPP loader consults them).

Data that does not decode as the function's request type, holds a CHOICE alternative the
card does not know, or names no ES10 function, gets '6A80' (wrong data). An unexpected
failure inside a handler answers the function's own ``undefinedError`` result where SGP.22
defines one, and never leaves half-written state: each call runs in one store transaction.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from euicc.asn1 import Asn1Error, decode_known, encode, rsp
from euicc.faults import (
    DATA_FORMS,
    NOTHING,
    ActionKind,
    FaultPlan,
    Fired,
    Layer,
    Point,
    malformed_data,
    withdrawal,
)
from euicc.sw import SW, SwError
from euicc.tlv import TlvError, read_header

from .error_results import ErrorResult

log = logging.getLogger(__name__)

Handler = Callable[[Any], Any]


@dataclass(frozen=True)
class Es10Function:
    name: str  # SGP.22 function name, e.g. "ES10c.GetEID"
    tag: int
    request_type: str
    response_type: str
    handler: Handler
    undefined_error: Any = None  # response value for an internal failure, if SGP.22 has one
    with_raw: bool = False  # the handler also gets the request bytes (signatures over them)
    error: ErrorResult | None = None  # its error results, for the fault plan's error action
    spec: Callable[[], Any] | None = None  # the compiled module of its types; None: SGP.22's


class StreamReceiver(Protocol):
    """What takes a streamed ES10 command (the BPP loader): each method answers the
    response data of one piece, b"" while more pieces are expected."""

    @property
    def active(self) -> bool: ...

    def start(self, piece: bytes) -> bytes: ...

    def resume(self, piece: bytes) -> bytes: ...

    def abort(self) -> None: ...


@dataclass(frozen=True)
class Es10Stream:
    name: str  # SGP.22 function name, "ES10b.LoadBoundProfilePackage"
    tag: int  # the tag its first piece starts with
    receiver: StreamReceiver


Es10Entry = Es10Function | Es10Stream


class Es10Table:
    def __init__(self, entries: list[Es10Entry], transaction,
                 faults: FaultPlan | None = None) -> None:
        streams = [e for e in entries if isinstance(e, Es10Stream)]
        if len(streams) > 1:
            raise ValueError("one streamed ES10 function at most")
        self._stream: Es10Stream | None = streams[0] if streams else None
        self._by_tag = {e.tag: e for e in entries if isinstance(e, Es10Function)}
        self._transaction = transaction
        self._faults = faults if faults is not None else FaultPlan()

    def tags(self) -> list[int]:
        """The tags of the functions with a decoded request (not the stream's)."""
        return list(self._by_tag)

    def function_for(self, data: bytes) -> Es10Function | None:
        """The function with a decoded request that the header of ``data`` names."""
        try:
            return self._by_tag.get(read_header(data).tag)
        except TlvError:
            return None

    def entry_for(self, tag: int | None) -> Es10Entry | None:
        """The entry a command whose top-level tag is ``tag`` (None: no tag) goes to."""
        stream = self._stream
        if stream is not None and tag == stream.tag:
            return stream
        function = self._by_tag.get(tag)
        if function is None and stream is not None and stream.receiver.active:
            return stream  # a later piece of the package, cut anywhere
        return function

    def name_of(self, head: bytes) -> str | None:
        """The function the command starting with ``head`` goes to, by its first two octets
        only (every ES10 tag is two octets, BFxx): runs for each block a trace sees."""
        entry = self.entry_for(int.from_bytes(head[:2], "big") if len(head) >= 2 else None)
        return None if entry is None else entry.name

    def execute(self, data: bytes) -> bytes:
        """Answer one reassembled ES10 command; its TLV header is read once, here."""
        try:
            header = read_header(data)
        except TlvError as exc:
            header, bad_header = None, exc
        tag = None if header is None else header.tag
        stream = self._stream
        if stream is not None and data[:2] == stream.tag.to_bytes(2, "big"):
            tag = stream.tag  # a first piece may end inside the package's own length
        entry = self.entry_for(tag)
        if isinstance(entry, Es10Stream):
            if tag == entry.tag:
                fired = self._fire(entry.name)
                return self._damaged(fired, entry.receiver.start(data))
            return entry.receiver.resume(data)
        if stream is not None:
            stream.receiver.abort()  # another function ends a package in progress
        if header is None:
            raise SwError(SW.WRONG_DATA, f"not a TLV: {bad_header}") from None
        if entry is None:
            raise SwError(SW.WRONG_DATA, "unknown ES10 function")
        return self._call(entry, data)

    def entries(self) -> list[Es10Entry]:
        """Every function, the stream included (the fault plan's catalogue lists them)."""
        return [*self._by_tag.values(), *([self._stream] if self._stream else [])]

    # -- the fault plan (euicc.faults) ----------------------------------------------------------
    def _fire(self, name: str) -> Fired:
        """The rules for the function ``name``: delays are served here; a status word
        ends the command; what else is due comes back."""
        if not self._faults:
            return NOTHING
        fired = self._faults.fire(Point(Layer.ES10, name))
        if fired.delay_ms:
            time.sleep(fired.delay_ms / 1000)
        action = fired.action
        if action is not None and action.kind is ActionKind.STATUS:
            raise SwError(action.sw, f"{name}: injected")
        if action is not None and action.kind is ActionKind.TRANSPORT:
            raise withdrawal(action)
        return fired

    def _damaged(self, fired: Fired, response: bytes) -> bytes:
        action = fired.action
        if action is None or action.kind is not ActionKind.MALFORMED:
            return response
        if action.form in DATA_FORMS:
            return malformed_data(action.form, response)
        self._faults.shape_response(action.form)  # an R-APDU form: the card OS applies it
        return response

    def _call(self, function: Es10Function, data: bytes) -> bytes:
        spec = rsp() if function.spec is None else function.spec()
        try:
            request, unknown = decode_known(spec, function.request_type, data)
        except Asn1Error as exc:
            log.info("%s: malformed request: %s", function.name, exc)
            raise SwError(SW.WRONG_DATA, str(exc)) from None
        if unknown is not None:  # an extension this card cannot act on: not its request
            log.info("%s: unknown alternative at %s", function.name, unknown)
            raise SwError(SW.WRONG_DATA, f"unknown alternative at {unknown}")
        fired = self._fire(function.name)
        action = fired.action
        try:
            with self._transaction():
                if action is not None and action.kind is ActionKind.ERROR and function.error:
                    # the function's own error result, as its handler would build it
                    response = function.error.build(action.code, request)
                elif function.with_raw:
                    response = function.handler(request, data)
                else:
                    response = function.handler(request)
        except SwError:
            raise
        except Exception:
            log.exception("%s failed", function.name)
            if function.undefined_error is None:
                raise SwError(SW.NO_PRECISE_DIAGNOSIS) from None
            response = function.undefined_error
        if not isinstance(response, bytes):  # else built by hand around bytes kept as they are
            response = encode(spec, function.response_type, response)
        return self._damaged(fired, response)
