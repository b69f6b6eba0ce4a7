"""Profile rollback of the IoT eUICC (SGP.32 v1.0 2.11.1.1.3 enable PSMO with rollbackFlag,
5.9.16 ES10b.ProfileRollback, BF58; RollbackProfileResult of 2.11.2.1).

An enable PSMO carrying rollbackFlag is the eIM's grant: should the IPA fail to bring the
eUICC Package Result to the eIM over the newly enabled profile, it may ask the eUICC to go
back. When such an enable succeeds and another profile was enabled before it, the card
arms the rollback (:meth:`ProfileRollback.arm`): the previously enabled profile, the one
the package enabled, the package result's seqNumber and the package's eimSignature data
object, kept in the store (meta, in the package's transaction: it survives restarts and
``kill -9``). The next executed eUICC Package supersedes it, the IPA removing that package
result (RemoveNotificationFromList: delivered) ends it, and a rollback uses it up.

ProfileRollback(refreshFlag), cmdResult:

- ok(0): the previously enabled profile is enabled again (the package's profile disabled,
  the notifications their metadata ask for made, the UICC side told with the request's
  refreshFlag, as ES10c.EnableProfile does); eUICCPackageResult is the package's result
  with rollbackResult ok(0) appended to its euiccResult, signed anew (euiccSignEPR over the
  new result data and the package's eimSignature, 2.11.2.1), and it replaces the kept
  result under the same seqNumber, so the IPA delivers the one with the rollback.
- rollbackNotAllowed(1) ("usage of rollback was not granted by the eIM"): nothing armed.
- commandError(7): armed, but the card is no longer where the package left it: the profile
  the package enabled is not the enabled one, or the previous one is gone or not disabled,
  or enabling it is refused (a Profile Policy Rule): no eUICCPackageResult, nothing changed.
- undefinedError(127): an internal failure (the ES10 table's answer; nothing changed).
- catBusy(5) is never answered: the card has no proactive session to be busy with.

Readings of this card, not checked against the SGP.32 text (not available here; the names
and codes are the public ASN.1 module's, the flow is onomondo-ipa's, which re-enables the
profile enabled before the package and appends rollbackResult to the package's result):
an enable with rollbackFlag while no profile was enabled arms nothing (there is nothing to
go back to); commandError(7) for the cases above; the rollback ends when the result is
removed; the appended result is signed anew rather than sent with the old signature.
"""

from __future__ import annotations

import json

from euicc.asn1 import decode_exact, encode, sgp32
from euicc.crypto.entropy import CardEntropy
from euicc.store import CardStore, ProfileState
from euicc.tlv import tlv

from .profiles import OK, ProfileManagement
from .sgp32_eim import EimConfiguration

ROLLBACK_KEY = "sgp32_rollback"  # store meta key: the armed rollback, JSON
NOT_ALLOWED, COMMAND_ERROR = 1, 7
RESPONSE_TAG = 0xBF58


def sign_result(spec, eims: EimConfiguration, entropy: CardEntropy, data: dict,
                signature_object: bytes) -> tuple:
    """An EuiccPackageResult's euiccPackageResultSigned: euiccSignEPR with the eUICC key of
    the eIM's euiccCiPKId over the result data followed by the package's eimSignature data
    object ('5F37'), SGP.32 2.11.2.1."""
    found = eims.find(data["eimId"])
    identity = eims.identity_for({} if found is None else found[1])
    tbs = encode(spec, "EuiccPackageResultDataSigned", data) + signature_object
    return ("euiccPackageResultSigned", {"euiccPackageResultDataSigned": data,
                                         "euiccSignEPR": entropy.sign(identity.private_key, tbs)})


class ProfileRollback:
    def __init__(self, store: CardStore, eims: EimConfiguration, profiles: ProfileManagement,
                 entropy: CardEntropy) -> None:
        self.store = store
        self.eims = eims
        self.profiles = profiles
        self.entropy = entropy

    def armed(self) -> dict | None:
        raw = self.store.get_meta(ROLLBACK_KEY)
        return None if raw is None else json.loads(raw)

    def arm(self, previous: bytes, enabled: bytes, seq: int, signature_object: bytes) -> None:
        self.store.set_meta(ROLLBACK_KEY, json.dumps({
            "previous": previous.hex(), "enabled": enabled.hex(), "seq": seq,
            "signature_object": signature_object.hex()}))

    def disarm(self) -> None:
        self.store.set_meta(ROLLBACK_KEY, None)

    def result_removed(self, seq: int) -> None:
        """The IPA removed a package result (delivered to its eIM): its rollback ends."""
        state = self.armed()
        if state is not None and state["seq"] == seq:
            self.disarm()

    # -- SGP.32 5.9.16 ProfileRollback ------------------------------------------------------------
    def profile_rollback(self, request: dict) -> dict | bytes:
        state = self.armed()
        if state is None:
            return {"cmdResult": NOT_ALLOWED}
        previous, enabled = bytes.fromhex(state["previous"]), bytes.fromhex(state["enabled"])
        current = self.store.enabled_profile()
        target = self.store.profile_by_aid(previous)
        kept = [r for seq, _, r in self.store.package_results() if seq == state["seq"]]
        if (current is None or current.isdp_aid != enabled or target is None
                or target.state != ProfileState.DISABLED or not kept):
            return {"cmdResult": COMMAND_ERROR}
        answer = self.profiles.enable_profile({"profileIdentifier": ("isdpAid", previous),
                                               "refreshFlag": request["refreshFlag"]})
        if answer["enableResult"] != OK:
            return {"cmdResult": COMMAND_ERROR}
        spec = sgp32()
        kind, value = decode_exact(spec, "EuiccPackageResult", kept[0])
        data = value["euiccPackageResultDataSigned"]
        data["euiccResult"] = [*data["euiccResult"], ("rollbackResult", OK)]
        result = encode(spec, "EuiccPackageResult", sign_result(
            spec, self.eims, self.entropy, data, bytes.fromhex(state["signature_object"])))
        self.store.replace_package_result(state["seq"], result)
        self.disarm()
        # eUICCPackageResult [81] IMPLICIT: the kept result's own 'BF51' TLV, byte for byte
        return tlv(RESPONSE_TAG, tlv(0x02, bytes([OK])) + result)
