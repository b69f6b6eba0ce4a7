"""A device: one fleet card with the project's LPA (:mod:`euicc_tools.lpa`), driving it
through the SGP.22 procedures against an SM-DP+ over HTTPS:

- profile download (3.1.3: ES10b and ES9+ InitiateAuthentication, AuthenticateClient,
  GetBoundProfilePackage, with a confirmation code when the SM-DP+ asks, 3.1.3.1), given an
  activation code (4.1) or an SM-DP+ address and matchingId; then the Install notification
  delivered (ES9+.HandleNotification, 5.6.4) and removed from the card (5.7.11);
- profile management (3.2: enable, disable, delete, ES10c 5.7.16-5.7.18), each followed by
  the delivery of the notification it makes (3.5).

Each ES9+ function call is reported to an observer (function, seconds, the exception or
None), and so is each whole operation: the load test (``locustfile.py``) turns them into
Locust requests. A device keeps one HTTPS connection per SM-DP+ (:class:`Es9Https`) and
shares nothing with other devices; its card is held only while it works on it.
"""

from __future__ import annotations

import ssl
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from euicc_tools.lpa import management, notifications
from euicc_tools.lpa.es9 import Es9Call, Es9Error, Es9Malformed, answer_field
from euicc_tools.lpa.es10 import Es10Client
from euicc_tools.lpa.https import Es9Https, tls_context
from euicc_tools.lpa.operations import download_profile
from euicc_tools.lpa.outcome import classify

from .fleet import FleetCard

# (what: an ES9+ function or an operation, seconds, the failure or None)
Observer = Callable[[str, float, BaseException | None], None]


@dataclass(frozen=True)
class Target:
    """What a device downloads: an SM-DP+ address, a matchingId (the Activation Code Token)
    and the confirmation code, if the SM-DP+ asks for one."""

    smdp: str
    matching_id: str
    confirmation_code: str | None = None


def parse_activation_code(text: str, confirmation_code: str | None = None) -> Target:
    """An Activation Code (SGP.22 4.1): ``[LPA:]1$<SM-DP+ address>$<AC_Token>[$<SM-DP+
    OID>[$<Confirmation Code Required Flag>]]``. ValueError, saying what is wrong, for
    anything else; a code that requires a confirmation code none was given for too."""
    body = text.strip()
    if body.upper().startswith("LPA:"):
        body = body[4:]
    fields = body.split("$")
    if fields[0] != "1":
        raise ValueError(f"activation code {text!r}: AC_Format must be 1 (SGP.22 4.1)")
    if not 3 <= len(fields) <= 5:
        raise ValueError(f"activation code {text!r}: 3 to 5 '$'-separated fields expected")
    address, token = fields[1], fields[2]
    if not address or any(c in address for c in " /?#@"):
        raise ValueError(f"activation code {text!r}: no SM-DP+ address")
    if not token:
        raise ValueError(f"activation code {text!r}: no AC_Token (matchingId)")
    required = len(fields) == 5 and fields[4] == "1"
    if len(fields) == 5 and fields[4] not in ("0", "1", ""):
        raise ValueError(f"activation code {text!r}: Confirmation Code Required Flag "
                         f"{fields[4]!r} is not 0 or 1")
    if required and not confirmation_code:
        raise ValueError(f"activation code {text!r} requires a confirmation code")
    return Target(address, token, confirmation_code)


class HttpsEs9:
    """How the devices reach SM-DP+s over HTTPS: the TLS context (verified against the CI
    certificates, or ``insecure``), the timeout and where to connect (``connect_to``,
    ``host:port``, for every address). :meth:`for_device` gives each device its own
    clients, one per SM-DP+ address, each with its kept-alive connection."""

    def __init__(self, ci_certificates: list[Path] | None = None, insecure: bool = False,
                 timeout: float = 30.0, connect_to: str | None = None) -> None:
        self.context: ssl.SSLContext = tls_context(ci_certificates, insecure)
        self.timeout, self.connect_to = timeout, connect_to

    def for_device(self) -> Callable[[str], Es9Https]:
        clients: dict[str, Es9Https] = {}

        def es9_for(address: str) -> Es9Https:
            client = clients.get(address)
            if client is None:
                client = clients[address] = Es9Https(address, self.context, self.timeout,
                                                     self.connect_to)
            return client

        es9_for.clients = clients  # type: ignore[attr-defined]  # for close()
        return es9_for


# The base64 members each ES9+ answer has (SGP.22 5.6.1-5.6.3), besides its transactionId:
# an answer without one is a failure of that function's step, not of a later one
ANSWER_MEMBERS = {
    "initiateAuthentication": ("serverSigned1", "serverSignature1", "euiccCiPKIdToBeUsed",
                               "serverCertificate"),
    "authenticateClient": ("profileMetadata", "smdpSigned2", "smdpSignature2",
                           "smdpCertificate"),
    "getBoundProfilePackage": ("boundProfilePackage",),
}


def _check_answer(function: str, answer: dict | None) -> None:
    members = ANSWER_MEMBERS.get(function)
    if members is None:
        return
    if not isinstance(answer, dict) or not isinstance(answer.get("transactionId"), str):
        raise Es9Malformed(function, "the answer has no transactionId")
    for name in members:
        answer_field(answer, function, name)


def _observed(es9: Es9Call, observer: Observer | None) -> Es9Call:
    if observer is None:
        return es9

    def call(function: str, body: dict) -> dict | None:
        started = time.perf_counter()
        try:
            answer = es9(function, body)
            _check_answer(function, answer)
        except Es9Error as exc:
            observer(function, time.perf_counter() - started, exc)
            raise
        observer(function, time.perf_counter() - started, None)
        return answer

    return call


class DeviceError(RuntimeError):
    """An operation of a device failed: ``code`` is SGP.22's name for the refusal (the
    card's error code, or the SM-DP+'s subjectCode/reasonCode) where there is one."""

    def __init__(self, message: str, code: str | None = None) -> None:
        super().__init__(message if code is None or code in message else f"{message} [{code}]")
        self.code = code


class Device:
    """``card`` driven by the project's LPA; ``es9_for``: the ES9+ client of an SM-DP+
    address (:meth:`HttpsEs9.for_device`, or in-process ES9+ in tests)."""

    def __init__(self, card: FleetCard, es9_for: Callable[[str], Es9Call],
                 observer: Observer | None = None) -> None:
        self.card, self.observer = card, observer
        self._es9_for = es9_for
        self.installed: list[str] = []  # ICCIDs this device installed and still has

    @property
    def eid(self) -> str:
        return self.card.eid

    def _es9(self, address: str) -> Es9Call:
        return _observed(self._es9_for(address), self.observer)

    def _run(self, what: str, work: Callable[[Es10Client], dict]) -> dict:
        """``work`` on the card's ISD-R (a logical channel, as lpac), timed and reported;
        every failure of any layer comes out as a DeviceError with its reason."""
        started = time.perf_counter()
        failure: DeviceError | None = None
        try:
            with self.card.link() as link:
                es10 = Es10Client(link)
                es10.open()
                try:
                    data = work(es10)
                finally:
                    try:
                        es10.close()
                    except Exception:  # noqa: BLE001 - what failed first is the report
                        pass
        except Exception as exc:  # noqa: BLE001 - each layer's failure, worded by outcome
            found = classify(exc)
            if found is None:
                failure = DeviceError(f"{what}: internal error: {type(exc).__name__}: {exc}")
            else:
                failure = DeviceError(f"{what}: {found.message}", found.code)
            failure.__cause__ = exc
        if self.observer is not None:
            self.observer(what, time.perf_counter() - started, failure)
        if failure is not None:
            raise failure
        return data

    def download(self, target: Target, notify: bool = True) -> dict:
        """SGP.22 3.1.3 and the Install notification's delivery: ``{"iccid", "seqNumber",
        "notification": {..., "delivered", "removed"}}``; DeviceError if the download or
        the delivery failed."""
        def work(es10: Es10Client) -> dict:
            data = download_profile(es10, self._es9, target.smdp, target.matching_id,
                                    target.confirmation_code, notify=notify)
            return {"iccid": (data["profile"] or {}).get("iccid"),
                    "seqNumber": data["seqNumber"], "notification": data["notification"]}

        data = self._run("download", work)
        if data["iccid"]:
            self.installed.append(data["iccid"])
        return data

    def _manage(self, what: str, request: Callable[[], tuple[str, dict]], iccid: str) -> dict:
        def work(es10: Es10Client) -> dict:
            result = management.perform(es10, what, request())  # LpaFailure unless ok
            delivered = notifications.process(es10, self._es9)
            return {**result, "iccid": iccid, "notifications": delivered}

        return self._run(what, work)

    def enable(self, iccid: str) -> dict:
        return self._manage("enable", lambda: management.switch(iccid, False), iccid)

    def disable(self, iccid: str) -> dict:
        return self._manage("disable", lambda: management.switch(iccid, False), iccid)

    def delete(self, iccid: str) -> dict:
        data = self._manage("delete", lambda: management.delete(iccid), iccid)
        if iccid in self.installed:
            self.installed.remove(iccid)
        return data

    def close(self) -> None:
        for client in getattr(self._es9_for, "clients", {}).values():
            client.close()
