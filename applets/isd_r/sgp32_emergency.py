"""The Emergency Profile of the IoT eUICC (SGP.32 v1.2: 4.4 the Profile Metadata's
ecallIndication, 5.9.22 ES10b.EnableEmergencyProfile BF5B, 5.9.23
ES10b.DisableEmergencyProfile BF5C), under the card's ``[card] sgp32 = "1.2"`` setting;
EUICCInfo2's iotSpecificInfo then carries ecallSupported (:mod:`.sgp32_eim`).

The Emergency Profile is the profile whose StoreMetadataRequest (as the SM-DP+ sent it,
kept by the card) has ecallIndication TRUE; should several have it, the first installed.
While it is enabled the emergency call is active: an eUICC Package is refused with the
signed error ecallActive(104) (2.11.2.1 EuiccPackageErrorCode, :mod:`.sgp32_package`),
eUICCMemoryReset answers resetResult ecallActive(104) (:mod:`.sgp32_reset`) and
ExecuteFallbackMechanism ecallActive(104) (:mod:`.sgp32_fallback`).

EnableEmergencyProfile(refreshFlag), enableEmergencyProfileResult:

- ecallNotAvailable(8) ("Emergency Profile does not exist"): no profile has ecallIndication.
- profileNotInDisabledState(2): the Emergency Profile is enabled already.
- ok(0): the profile enabled until now (if any) is disabled and remembered, the Emergency
  Profile enabled, the UICC side told with the refreshFlag; no notification is made (5.9.22,
  as onomondo-ipa's and 1oT's readings quote it: "the eUICC SHALL NOT generate any
  Notifications"); a rollback an eUICC Package granted ends (the profile it would go back
  from is no longer the enabled one).

DisableEmergencyProfile(refreshFlag), disableEmergencyProfileResult:

- profileNotInEnabledState(2): the Emergency Profile is not enabled (or there is none).
- ok(0): the Emergency Profile is disabled and the profile remembered at its enabling is
  enabled again, if it is still installed (else none is enabled); no notification either
  (5.9.23 allows them, MAY: this card makes none, so the SM-DP+ never hears of a switch it
  did not hear the first half of).

catBusy(5) is never answered: the card has no proactive session to be busy with. The
remembered profile is a profile mark of the store (:meth:`euicc.store.CardStore.mark_profile`),
written in the ES10 command's transaction: it survives restarts and ``kill -9``, and goes
with the profile when that is deleted.

Readings of this card: the SGP.32 v1.2 text could not be consulted here; the types and codes
are those of the public v1.2 ASN.1 (wireshark's SGP32Definitions, the Iapyx onomondo-ipa
fork), the rules those the public IPA emulations (Iapyx onomondo-ipa, 1oT YggdraSIM) give
with clause numbers. Which profile is the Emergency Profile when several claim it, and the
absent notifications of 5.9.23, are this card's choices.
"""

from __future__ import annotations

from euicc.asn1 import Asn1Error, decode_exact, sgp32
from euicc.store import CardStore, ProfileRecord, ProfileState

from .profiles import OK, ProfileManagement
from .sgp32_rollback import ProfileRollback

RETURN_MARK = "sgp32_emergency_return"  # the profile enabled before the Emergency Profile
WRONG_STATE, ECALL_NOT_AVAILABLE = 2, 8
ECALL_ACTIVE = 104  # ecallActive of the other functions' results


def metadata_flags(profile: ProfileRecord) -> dict:
    """ecallIndication and fallbackAllowed of the profile's metadata (SGP.32 v1.2 4.4), those
    present; none for metadata that does not decode as SGP.32's (it decoded as SGP.22's
    when installed)."""
    try:
        metadata = decode_exact(sgp32(), "SGP32-StoreMetadataRequest", profile.metadata)
    except Asn1Error:
        return {}
    return {k: metadata[k] for k in ("ecallIndication", "fallbackAllowed") if k in metadata}


def emergency_profile(store: CardStore) -> ProfileRecord | None:
    """The Emergency Profile: the first installed with ecallIndication TRUE."""
    return next((p for p in store.profiles()
                 if metadata_flags(p).get("ecallIndication") is True), None)


class EmergencyProfile:
    def __init__(self, store: CardStore, profiles: ProfileManagement,
                 rollback: ProfileRollback) -> None:
        self.store = store
        self.profiles = profiles
        self.rollback = rollback

    def profile(self) -> ProfileRecord | None:
        return emergency_profile(self.store)

    def active(self) -> bool:
        """Whether the Emergency Profile is enabled (the emergency call is active)."""
        emergency = self.profile()
        return emergency is not None and emergency.state == ProfileState.ENABLED

    def returns_to(self) -> ProfileRecord | None:
        return self.store.marked_profile(RETURN_MARK)

    # -- SGP.32 v1.2 5.9.22 EnableEmergencyProfile ----------------------------------------------
    def enable_emergency_profile(self, request: dict) -> dict:
        emergency = self.profile()
        if emergency is None:
            return {"enableEmergencyProfileResult": ECALL_NOT_AVAILABLE}
        if emergency.state != ProfileState.DISABLED:
            return {"enableEmergencyProfileResult": WRONG_STATE}
        current = self.store.enabled_profile()
        self.store.mark_profile(RETURN_MARK, None if current is None else current.isdp_aid)
        self.profiles.switch_enabled(emergency, request["refreshFlag"], notify=False)
        self.rollback.disarm()
        return {"enableEmergencyProfileResult": OK}

    # -- SGP.32 v1.2 5.9.23 DisableEmergencyProfile ---------------------------------------------
    def disable_emergency_profile(self, request: dict) -> dict:
        if not self.active():
            return {"disableEmergencyProfileResult": WRONG_STATE}
        back = self.returns_to()
        self.store.mark_profile(RETURN_MARK, None)
        self.profiles.switch_enabled(back, request["refreshFlag"], notify=False)
        self.rollback.disarm()
        return {"disableEmergencyProfileResult": OK}
