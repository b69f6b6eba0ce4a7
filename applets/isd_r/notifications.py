"""Notifications (SGP.22 3.5 "Notifications", 4.4 NotificationMetadata, 5.7.9
ListNotification, 5.7.10 RetrieveNotificationsList, 5.7.11 RemoveNotificationFromList).

A profile management operation produces a notification only when the profile's metadata
(notificationConfigurationInfo) asks for that event; it is signed by the eUICC when it is
made (otherSignedNotification, signature over tbsOtherNotification) and stays pending,
with its sequence number, until the LPA removes it.
"""

from __future__ import annotations

from euicc.asn1 import decode_exact, encode, rsp
from euicc.crypto.entropy import CardEntropy
from euicc.pki import CardCredentials, EuiccIdentity
from euicc.store import CardStore, NotificationEvent, NotificationRecord, ProfileRecord

from .bits import bit_is_set, bits_from_numbers

SEQ_COUNTER = "notification_seq"


def event_bits(event: NotificationEvent) -> tuple[bytes, int]:
    return bits_from_numbers([int(event)])


def other_signed_notification(metadata: dict, identity: EuiccIdentity,
                              entropy: CardEntropy) -> bytes:
    """SGP.22 5.7.10 PendingNotification otherSignedNotification: the NotificationMetadata
    signed with SK.EUICC.SIG, with the eUICC and EUM certificates."""
    spec = rsp()
    tbs = encode(spec, "NotificationMetadata", metadata)
    return encode(spec, "PendingNotification", ("otherSignedNotification", {
        "tbsOtherNotification": metadata,
        "euiccNotificationSignature": entropy.sign(identity.private_key, tbs),
        "euiccCertificate": identity.certificate_der,
        "eumCertificate": identity.eum_certificate_der,
    }))


def signed_installation_result(data: dict, identity: EuiccIdentity,
                               entropy: CardEntropy) -> bytes:
    """SGP.22 5.7.6 ProfileInstallationResult: the result data with euiccSignPIR over it
    (also its PendingNotification: an untagged CHOICE, the BF37 TLV is its encoding)."""
    spec = rsp()
    signed = encode(spec, "ProfileInstallationResultData", data)
    return encode(spec, "ProfileInstallationResult", {
        "profileInstallationResultData": data,
        "euiccSignPIR": entropy.sign(identity.private_key, signed),
    })


class Notifications:
    def __init__(self, store: CardStore, credentials: CardCredentials,
                 entropy: CardEntropy) -> None:
        self.store = store
        self.credentials = credentials
        self.entropy = entropy  # signs the notifications with SK.EUICC.SIG

    def identity_for(self, profile: ProfileRecord) -> EuiccIdentity:
        """Sign with the eUICC key of the CI the profile was downloaded under."""
        identity = None
        if profile.ci_pkid is not None:
            identity = self.credentials.identity_for_ci(profile.ci_pkid)
        return identity or self.credentials.identities[0]

    @staticmethod
    def address_for(profile: ProfileRecord, event: NotificationEvent) -> str | None:
        metadata = decode_exact(rsp(), "StoreMetadataRequest", profile.metadata)
        for entry in metadata.get("notificationConfigurationInfo", []):
            if bit_is_set(entry["profileManagementOperation"], int(event)):
                return entry["notificationAddress"]
        return None

    def record(self, event: NotificationEvent, profile: ProfileRecord) -> int | None:
        """Make, sign and queue the notification for ``event`` if the profile asks for it."""
        address = self.address_for(profile, event)
        if address is None:
            return None
        seq = self.store.next_counter(SEQ_COUNTER)
        metadata = {
            "seqNumber": seq,
            "profileManagementOperation": event_bits(event),
            "notificationAddress": address,
            "iccid": profile.iccid,
        }
        pending = other_signed_notification(metadata, self.identity_for(profile), self.entropy)
        self.store.add_notification(
            NotificationRecord(seq, event, address, profile.iccid, pending)
        )
        return seq

    @staticmethod
    def metadata_of(record: NotificationRecord) -> dict:
        metadata = {
            "seqNumber": record.seq,
            "profileManagementOperation": event_bits(record.event),
            "notificationAddress": record.address,
        }
        if record.iccid is not None:
            metadata["iccid"] = record.iccid
        return metadata

    # -- SGP.22 5.7.9 ListNotification ---------------------------------------------------------
    def list_notification(self, request: dict) -> tuple[str, object]:
        wanted = request.get("profileManagementOperation")
        records = [
            r for r in self.store.notifications()
            if wanted is None or bit_is_set(wanted, int(r.event))
        ]
        return ("notificationMetadataList", [self.metadata_of(r) for r in records])

    # -- SGP.22 5.7.10 RetrieveNotificationsList ---------------------------------------------------
    def retrieve_notifications_list(self, request: dict) -> tuple[str, object]:
        criteria = request.get("searchCriteria")
        records = self.store.notifications()
        if criteria is not None:
            kind, value = criteria
            if kind == "seqNumber":
                records = [r for r in records if r.seq == value]
            else:
                records = [r for r in records if bit_is_set(value, int(r.event))]
            if not records:
                return ("notificationsListResultError", 1)  # noResultAvailable
        spec = rsp()
        return (
            "notificationList",
            [decode_exact(spec, "PendingNotification", r.pending) for r in records],
        )

    # -- SGP.22 5.7.11 RemoveNotificationFromList --------------------------------------------------
    def remove_notification_from_list(self, request: dict) -> dict:
        seq = request["seqNumber"]
        # The card numbers notifications with a 64-bit counter: a larger seqNumber names none.
        removed = 0 <= seq < 1 << 63 and self.store.remove_notification(seq)
        return {"deleteNotificationStatus": 0 if removed else 1}
