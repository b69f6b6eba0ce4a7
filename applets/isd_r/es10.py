"""The ES10 function table of the ISD-R (SGP.22 5.7 "Functions (ES10a, ES10b, ES10c)"):
the top-level tag of a reassembled STORE DATA command selects the function, whose request
is decoded as the SGP.22 ASN.1 type, handled, and whose response is DER-encoded.

One entry is a stream, ES10b.LoadBoundProfilePackage (SGP.22 5.7.6): its command opens with
the BoundProfilePackage tag, and the pieces after it are cut anywhere in the package, so a
piece that is no ES10 request continues it while the stream is active. Any other ES10
function ends a package in progress. :meth:`Es10Table.entry_for` is that one rule, for the
dispatch and for the trace names.

Data that does not decode as the function's request type, holds a CHOICE alternative the
card does not know, or names no ES10 function, gets '6A80' (wrong data). An unexpected
failure inside a handler answers the function's own ``undefinedError`` result where SGP.22
defines one, and never leaves half-written state: each call runs in one store transaction.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from euicc.asn1 import Asn1Error, decode_known, encode, rsp
from euicc.sw import SW, SwError
from euicc.tlv import TlvError, read_header

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
    def __init__(self, entries: list[Es10Entry], transaction) -> None:
        streams = [e for e in entries if isinstance(e, Es10Stream)]
        if len(streams) > 1:
            raise ValueError("one streamed ES10 function at most")
        self._stream: Es10Stream | None = streams[0] if streams else None
        self._by_tag = {e.tag: e for e in entries if isinstance(e, Es10Function)}
        self._transaction = transaction

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
                return entry.receiver.start(data)
            return entry.receiver.resume(data)
        if stream is not None:
            stream.receiver.abort()  # another function ends a package in progress
        if header is None:
            raise SwError(SW.WRONG_DATA, f"not a TLV: {bad_header}") from None
        if entry is None:
            raise SwError(SW.WRONG_DATA, "unknown ES10 function")
        return self._call(entry, data)

    def _call(self, function: Es10Function, data: bytes) -> bytes:
        spec = rsp()
        try:
            request, unknown = decode_known(spec, function.request_type, data)
        except Asn1Error as exc:
            log.info("%s: malformed request: %s", function.name, exc)
            raise SwError(SW.WRONG_DATA, str(exc)) from None
        if unknown is not None:  # an extension this card cannot act on: not its request
            log.info("%s: unknown alternative at %s", function.name, unknown)
            raise SwError(SW.WRONG_DATA, f"unknown alternative at {unknown}")
        try:
            with self._transaction():
                if function.with_raw:
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
        if isinstance(response, bytes):  # built by hand around bytes that must not change
            return response
        return encode(spec, function.response_type, response)
