"""ES9+ as the LPAd calls it (SGP.22 5.6; the HTTP/JSON binding of 6.5): a function name
and a JSON body in, the SM-DP+'s JSON answer out (``None`` for the 204 of
handleNotification). Over HTTPS the way lpac does it (``https://`` + the address, which may
carry a port; no certificate verification; lpac's headers), or any callable of the same
shape (``euicc_tools.testkit.in_process_es9`` in tests).

This layer's one exception is :class:`Es9Error`: the SM-DP+ answered its
functionExecutionStatus with a failure (:class:`Es9Refused`, with the SGP.22 subject and
reason codes of its statusCodeData), no answer came (:class:`Es9Unreachable`: no
connection, TLS, an HTTP error status), or one that is not an ES9+ response
(:class:`Es9Malformed`: not JSON, a member missing or not base64, not the SGP.22 type)."""

from __future__ import annotations

import base64
import json
import ssl
import urllib.error
import urllib.request
from collections.abc import Callable

Es9Call = Callable[[str, dict], dict | None]
PATH = "/gsma/rsp2/es9plus/"
HEADERS = {"Content-Type": "application/json", "X-Admin-Protocol": "gsma/rsp/v2.2.2",
           "User-Agent": "gsma-rsp-lpad"}


class Es9Error(RuntimeError):
    def __init__(self, function: str, message: str) -> None:
        super().__init__(f"ES9+.{function}: {message}")
        self.function = function


class Es9Refused(Es9Error):
    """functionExecutionStatus other than Executed-Success (SGP.22 6.5: statusCodeData
    with subjectCode and reasonCode)."""

    def __init__(self, function: str, subject: str | None, reason: str | None,
                 message: str = "") -> None:
        words = f"refused, subject {subject} reason {reason}" + (f": {message}"
                                                                  if message else "")
        super().__init__(function, words)
        self.subject, self.reason, self.message = subject, reason, message

    @property
    def code(self) -> str | None:
        """subjectCode/reasonCode, as SGP.22 numbers them (e.g. 8.2.7/3.8); None when the
        SM-DP+ gave no statusCodeData."""
        if self.subject is None or self.reason is None:
            return None
        return f"{self.subject}/{self.reason}"


class Es9Unreachable(Es9Error):
    """No answer: the network, TLS or the HTTP server failed."""


class Es9Malformed(Es9Error):
    """An answer that is not what the ES9+ function returns."""


def answer_field(answer: dict | None, function: str, name: str) -> bytes:
    """A base64 member of an ES9+ answer, decoded; Es9Malformed if missing or not base64."""
    try:
        return base64.b64decode(answer[name], validate=True)
    except (KeyError, TypeError, ValueError):
        raise Es9Malformed(function, f"the answer has no valid {name}") from None


def https_es9(address: str, timeout: float = 30.0) -> Es9Call:
    """ES9+ over HTTPS like lpac: https://<address>, no certificate verification."""
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE

    def call(function: str, body: dict) -> dict | None:
        request = urllib.request.Request(f"https://{address}{PATH}{function}",
                                         json.dumps(body).encode(), HEADERS)
        try:
            with urllib.request.urlopen(request, timeout=timeout, context=context) as response:
                data = response.read()
        except urllib.error.HTTPError as exc:
            raise Es9Unreachable(function, f"https://{address} answered HTTP {exc.code}") from exc
        except (urllib.error.URLError, OSError) as exc:
            why = getattr(exc, "reason", exc)
            raise Es9Unreachable(function, f"https://{address}: {why}") from exc
        if not data:
            return None
        try:
            answer = json.loads(data)
            status = answer["header"]["functionExecutionStatus"]
        except (ValueError, KeyError, TypeError) as exc:
            raise Es9Malformed(function, f"the answer is not an ES9+ response: {exc}") from exc
        if status.get("status") != "Executed-Success":
            codes = status.get("statusCodeData") or {}
            subject, reason = codes.get("subjectCode"), codes.get("reasonCode")
            raise Es9Refused(function, None if subject is None else str(subject),
                             None if reason is None else str(reason),
                             str(codes.get("message", "")))
        return answer

    return call
