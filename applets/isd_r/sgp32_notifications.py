"""Notifications and eUICC Package Results of the IoT eUICC (SGP.32 v1.0 5.9.11
RetrieveNotificationsList, 5.9.12 RemoveNotificationFromList): the SGP.22 notifications
(SGP.22 5.7.10, 5.7.11) and the signed EuiccPackageResults of LoadEuiccPackage (SGP.32
5.9.1) share one sequence-number counter, so one seqNumber names one of either.

RetrieveNotificationsList answers SGP32-RetrieveNotificationsListResponse: without search
criteria the notificationList when only notifications are pending, the
euiccPackageResultList when only package results are, the notificationAndEprList when both
are (an empty notificationList when nothing is); seqNumber: the one notification or result
with that number; profileManagementOperation: the notifications of those events; the
euiccPackageResults criterion: the results. What matches nothing is the empty list of its
kind: SGP.32's notificationsListResultError has no noResultAvailable, only undefinedError.

Each item is answered as the card signed and stored it, byte for byte (the response is built
around the stored DER, not re-encoded).
"""

from __future__ import annotations

from collections.abc import Callable

from euicc.store import CardStore
from euicc.tlv import tlv

from .bits import bit_is_set

# SGP32-RetrieveNotificationsListResponse alternatives (AUTOMATIC TAGS: [0] .. [3])
NOTIFICATION_LIST, EPR_LIST, BOTH = 0xA0, 0xA2, 0xA3
RESPONSE_TAG = 0xBF2B
OK, NOTHING_TO_DELETE = 0, 1


class Sgp32Notifications:
    def __init__(self, store: CardStore,
                 on_result_removed: Callable[[int], None] = lambda seq: None) -> None:
        """``on_result_removed(seq)``: a package result was removed (the rollback it armed
        ends, :meth:`.sgp32_rollback.ProfileRollback.result_removed`)."""
        self.store = store
        self.on_result_removed = on_result_removed

    def retrieve_notifications_list(self, request: dict) -> bytes:
        notifications = [(r.seq, r.event, r.pending) for r in self.store.notifications()]
        results = [(seq, result) for seq, _, result in self.store.package_results()]
        criteria = request.get("searchCriteria")
        if criteria is None:
            if notifications and results:
                body = tlv(BOTH, tlv(0xA0, b"".join(p for *_, p in notifications))
                           + tlv(0xA1, b"".join(r for _, r in results)))
                return tlv(RESPONSE_TAG, body)
            if results:
                return self._list(EPR_LIST, [r for _, r in results])
            return self._list(NOTIFICATION_LIST, [p for *_, p in notifications])
        kind, value = criteria
        if kind == "seqNumber":
            found = [r for seq, r in results if seq == value]
            if found:
                return self._list(EPR_LIST, found)
            return self._list(NOTIFICATION_LIST, [p for seq, _, p in notifications
                                                  if seq == value])
        if kind == "profileManagementOperation":
            return self._list(NOTIFICATION_LIST, [p for _, event, p in notifications
                                                  if bit_is_set(value, int(event))])
        return self._list(EPR_LIST, [r for _, r in results])  # euiccPackageResults

    @staticmethod
    def _list(tag: int, items: list[bytes]) -> bytes:
        return tlv(RESPONSE_TAG, tlv(tag, b"".join(items)))

    def remove_notification_from_list(self, request: dict) -> dict:
        seq = request["seqNumber"]
        if not 0 <= seq < 1 << 63:
            return {"deleteNotificationStatus": NOTHING_TO_DELETE}
        removed = self.store.remove_notification(seq)
        if not removed and self.store.remove_package_result(seq):
            self.on_result_removed(seq)
            removed = True
        return {"deleteNotificationStatus": OK if removed else NOTHING_TO_DELETE}
