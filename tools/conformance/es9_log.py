"""The test SM-DP+ as a witness: every ES9+ call it receives (SGP.22 5.6.1-5.6.5) kept as a
timeline event, its base64 fields decoded as their SGP.22 types, with the outcome
(``Executed-Success`` or ``Failed`` with the subject and reason codes of 5.6)."""

from __future__ import annotations

import base64
import threading
import time

from euicc.asn1 import Asn1Error, decode_exact, rsp
from euicc_tools.smdp.es9 import Es9Error, Smdp

from .judge import Event, _show

# ES9+ function (its path, SGP.22 6.5.2) -> (SGP.22 name, the method, decoded fields)
FUNCTIONS = {
    "initiateAuthentication": ("ES9+.InitiateAuthentication", "initiate_authentication",
                               {"euiccInfo1": "EUICCInfo1"}),
    "authenticateClient": ("ES9+.AuthenticateClient", "authenticate_client",
                           {"authenticateServerResponse": "AuthenticateServerResponse"}),
    "getBoundProfilePackage": ("ES9+.GetBoundProfilePackage", "get_bound_profile_package",
                               {"prepareDownloadResponse": "PrepareDownloadResponse"}),
    "handleNotification": ("ES9+.HandleNotification", "handle_notification",
                           {"pendingNotification": "PendingNotification"}),
    "cancelSession": ("ES9+.CancelSession", "cancel_session",
                      {"cancelSessionResponse": "CancelSessionResponse"}),
}


class RecordingSmdp(Smdp):
    """A :class:`Smdp` that keeps each call it answers in :attr:`events`."""

    def __post_init__(self) -> None:
        super().__post_init__()
        self.events: list[Event] = []
        self._events_lock = threading.Lock()
        for name, method, decoded in FUNCTIONS.values():
            setattr(self, method, self._recorded(name, getattr(self, method), decoded))

    def _recorded(self, name: str, function, decoded: dict[str, str]):
        def call(body: dict):
            fields = {"request": _decode_body(body, decoded)}
            fields.update(_derived(name, fields["request"]))
            try:
                result = function(body)
            except Es9Error as err:
                fields.update(status="Failed", subjectCode=err.subject,
                              reasonCode=err.reason, message=err.message)
                self._keep(Event(time.time(), name, fields,
                                 f"Failed {err.subject}/{err.reason} {err.message}"))
                raise
            fields["status"] = "Executed-Success"
            self._keep(Event(time.time(), name, fields, "Executed-Success " + _show(
                {k: v for k, v in fields.items() if k in ("seq", "kind", "reason")})))
            return result

        return call

    def _keep(self, event: Event) -> None:
        with self._events_lock:
            self.events.append(event)


def _decode_body(body: dict, decoded: dict[str, str]) -> dict:
    request = dict(body)
    for key, type_name in decoded.items():
        try:
            request[key] = decode_exact(rsp(), type_name, base64.b64decode(body[key],
                                                                          validate=True))
        except (KeyError, ValueError, TypeError, Asn1Error):
            pass  # kept as sent; the SM-DP+ itself answers what is wrong with it
    return request


def _derived(name: str, request: dict) -> dict:
    """Short names for what a case most often asks about."""
    if name == "ES9+.HandleNotification":
        notification = request.get("pendingNotification")
        if isinstance(notification, tuple):
            kind, value = notification
            if kind == "profileInstallationResult":
                data = value["profileInstallationResultData"]
                meta = data["notificationMetadata"]
                return {"kind": kind, "seq": meta["seqNumber"],
                        "finalResult": data["finalResult"][0]}
            return {"kind": kind, "seq": value["tbsOtherNotification"]["seqNumber"]}
    if name == "ES9+.CancelSession":
        response = request.get("cancelSessionResponse")
        if isinstance(response, tuple) and response[0] == "cancelSessionResponseOk":
            return {"reason": response[1]["euiccCancelSessionSigned"]["reason"]}
    return {}
