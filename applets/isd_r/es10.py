"""The ES10 function table of the ISD-R (SGP.22 5.7 "Functions (ES10a, ES10b, ES10c)"):
the top-level tag of a reassembled STORE DATA command selects the function, whose request
is decoded as the SGP.22 ASN.1 type, handled, and whose response is DER-encoded.

Data that does not decode as the function's request type, holds a CHOICE alternative the
card does not know, or names no ES10 function, gets '6A80' (wrong data). An unexpected
failure inside a handler answers the function's own ``undefinedError`` result where SGP.22
defines one, and never leaves half-written state: each call runs in one store transaction.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

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


class Es10Table:
    def __init__(self, functions: list[Es10Function], transaction) -> None:
        self._by_tag = {f.tag: f for f in functions}
        self._transaction = transaction

    def function_for(self, data: bytes) -> Es10Function | None:
        try:
            return self._by_tag.get(read_header(data).tag)
        except TlvError:
            return None

    def function_for_tag(self, tag: int) -> Es10Function | None:
        return self._by_tag.get(tag)

    def tags(self) -> list[int]:
        return list(self._by_tag)

    def execute(self, data: bytes) -> bytes:
        try:
            read_header(data)
        except TlvError as exc:
            raise SwError(SW.WRONG_DATA, f"not a TLV: {exc}") from None
        function = self.function_for(data)
        if function is None:
            raise SwError(SW.WRONG_DATA, "unknown ES10 function")
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
