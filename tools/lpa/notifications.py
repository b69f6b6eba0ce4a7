"""Pending notifications as the LPAd handles them (SGP.22 3.5, transport-free): listed
with ES10b.ListNotification (5.7.9); each one taken from the card with
ES10b.RetrieveNotificationsList, searchCriteria seqNumber (5.7.10), sent as it is, the
card's signed bytes untouched, to the address it names in ES9+.HandleNotification (5.6.4;
``https://`` + notificationAddress), and removed with ES10b.RemoveNotificationFromList
(5.7.11) only once the SM-DP+ has accepted it. A delivery that fails leaves the
notification on the card for a later try."""

from __future__ import annotations

from collections.abc import Callable

from euicc.asn1 import encode, rsp
from euicc.coding import bcd_text
from euicc.tlv import TlvError, children

from .download import b64
from .es9 import Es9Call, Es9Error
from .es10 import Es10Client, MalformedResponse, decode_response, number_name
from .management import bit_names
from .outcome import LpaFailure

Es9For = Callable[[str], Es9Call]  # notificationAddress -> ES9+ of that SM-DP+


def _operation(metadata: dict) -> str:
    """The one NotificationEvent bit (5.7.9: exactly one set), e.g. notificationInstall ->
    install, as lpac and the shell name it."""
    names = bit_names("NotificationEvent", metadata["profileManagementOperation"])
    return ",".join(n.removeprefix("notification").lower() for n in names)


def _row(metadata: dict) -> dict:
    return {"seqNumber": metadata["seqNumber"], "operation": _operation(metadata),
            "address": metadata["notificationAddress"],
            "iccid": bcd_text(metadata["iccid"]) if "iccid" in metadata else None}


def pending(es10: Es10Client) -> list[dict]:
    """ListNotification (5.7.9): the metadata of every pending notification."""
    kind, value = es10.call("ListNotificationRequest", {}, "ListNotificationResponse")
    if kind != "notificationMetadataList":
        name = number_name("ListNotificationResponse", value, "listNotificationsResultError")
        raise LpaFailure(f"ES10b.ListNotification: {name} ({value})", name)
    return [_row(m) for m in value]


def retrieve(es10: Es10Client, seq: int) -> tuple[bytes, dict] | None:
    """The PendingNotification with ``seq`` (5.7.10): its exact bytes (what the eUICC signed
    travels unchanged) and its metadata; None when the card has none with that number."""
    raw = es10.store_data(encode(rsp(), "RetrieveNotificationsListRequest",
                                 {"searchCriteria": ("seqNumber", seq)}))
    kind, value = decode_response("RetrieveNotificationsListResponse", raw)
    if kind != "notificationList":
        if value == 1:  # noResultAvailable
            return None
        name = number_name("RetrieveNotificationsListResponse", value,
                           "notificationsListResultError")
        raise LpaFailure(f"ES10b.RetrieveNotificationsList: {name} ({value})", name)
    try:
        (_, listed), = children(raw)
        items = [item for _, item in children(listed)]
    except (TlvError, ValueError):
        raise MalformedResponse("RetrieveNotificationsListResponse: not one list") from None
    for item, (alternative, content) in zip(items, value, strict=True):
        metadata = (content["profileInstallationResultData"]["notificationMetadata"]
                    if alternative == "profileInstallationResult"
                    else content["tbsOtherNotification"])
        if metadata["seqNumber"] == seq:
            return item, metadata
    raise MalformedResponse(f"RetrieveNotificationsList for seqNumber {seq} answered others")


def deliver(es10: Es10Client, es9_for: Es9For, seq: int, remove: bool = True) -> dict:
    """Send notification ``seq`` to its SM-DP+ and, once accepted and if ``remove``, take
    it off the card. The row says what happened; ES9+ failures are in it, not raised."""
    found = retrieve(es10, seq)
    if found is None:
        return {"seqNumber": seq, "delivered": False, "removed": False, "code": None,
                "error": f"the card has no pending notification {seq}"}
    raw, metadata = found
    row = {**_row(metadata), "delivered": False, "removed": False}
    try:
        es9_for(metadata["notificationAddress"])("handleNotification",
                                                 {"pendingNotification": b64(raw)})
    except Es9Error as exc:
        return {**row, "error": str(exc), "code": getattr(exc, "code", None)}
    row["delivered"] = True
    if remove:
        status = es10.call("NotificationSentRequest", {"seqNumber": seq},
                           "NotificationSentResponse")["deleteNotificationStatus"]
        if status != 0:
            name = number_name("NotificationSentResponse", status, "deleteNotificationStatus")
            return {**row, "error": f"ES10b.RemoveNotificationFromList: {name} ({status})",
                    "code": name}
        row["removed"] = True
    return row


def process(es10: Es10Client, es9_for: Es9For, seqs: list[int] | None = None,
            remove: bool = True) -> list[dict]:
    """Deliver the given notifications, or every pending one; LpaFailure (with the rows) if
    any was not delivered or not removed."""
    numbers = seqs if seqs else [n["seqNumber"] for n in pending(es10)]
    rows = [deliver(es10, es9_for, seq, remove) for seq in numbers]
    failed = [r for r in rows if "error" in r]
    if failed:
        first = failed[0]
        raise LpaFailure(f"{len(failed)} of {len(rows)} notifications not done; seqNumber "
                         f"{first['seqNumber']}: {first['error']}", first.get("code"), rows)
    return rows
