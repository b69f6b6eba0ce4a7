"""The Fallback Mechanism of the IoT eUICC (SGP.32 v1.2: 4.4 the Fallback Attribute and the
Profile Metadata's fallbackAllowed, 2.11.1.1.3 the setFallbackAttribute / unsetFallbackAttribute
PSMOs with 3.4.6 / 3.4.7, 5.9.20 ES10b.ExecuteFallbackMechanism BF5D, 5.9.21
ES10b.ReturnFromFallback BF5E), under the card's ``[card] sgp32 = "1.2"`` setting; EUICCInfo2's
iotSpecificInfo then carries fallbackSupported (:mod:`.sgp32_eim`).

At most one profile holds the Fallback Attribute (the Fallback Profile, ProfileInfo
fallbackAttribute TRUE); the IPA switches to it with ExecuteFallbackMechanism when the
enabled profile has lost connectivity, and back with ReturnFromFallback.

setFallbackAttribute(iccid) (3.4.6), setFallbackAttributeResult, checked in this order:

1. no profile has the ICCID: iccidOrAidNotFound(1);
2. it holds the attribute already: ok(0), nothing changes;
3. its metadata's fallbackAllowed is not TRUE (absent is not allowed: the Profile Owner
   has not authorised fallback), or it is the Emergency Profile: fallbackNotAllowed(2);
4. another profile holds the attribute and is enabled: fallbackProfileEnabled(3);
5. ok(0): the attribute moves to it.

unsetFallbackAttribute (3.4.7), unsetFallbackAttributeResult: no profile holds it
noFallbackAttribute(2); the Fallback Profile is enabled fallbackProfileEnabled(3); else
ok(0), the attribute (and a pending return from fallback) removed.

ExecuteFallbackMechanism(refreshFlag), executeFallbackMechanismResult, in this order:

1. no profile is enabled: commandError(7) (there is nothing to fall back from);
2. no profile holds the attribute: fallbackNotAvailable(6);
3. the Emergency Profile is enabled: ecallActive(104) (:mod:`.sgp32_emergency`);
4. the Fallback Profile is the enabled one: profileNotInDisabledState(2);
5. ok(0): the enabled profile is disabled and remembered, the Fallback Profile enabled
   (notifications as the profiles' metadata ask, the UICC side told with the refreshFlag);
   a rollback an eUICC Package granted ends.

ReturnFromFallback(refreshFlag), returnFromFallbackResult: the Fallback Profile is not the
enabled one, or no profile is remembered (none was, or it has been deleted since):
fallbackNotAvailable(6); else ok(0): the remembered profile is enabled again, the Fallback
Profile disabled (notifications, refreshFlag as above), the memory of it cleared, a granted
rollback ended.

Around them (:mod:`.sgp32_package`): an enable PSMO during fallback makes the eIM's choice
the one that stands, so the return is forgotten (3.4.1); a delete PSMO of the profile to
return to while the Fallback Profile is enabled is returnFallbackProfile(21) (3.4.3); the
Fallback Profile itself may be deleted, its attribute going with it.

catBusy(5) is never answered: the card has no proactive session to be busy with. The
attribute and the profile to return to are profile marks of the store
(:meth:`euicc.store.CardStore.mark_profile`), written in the ES10 command's transaction:
they survive restarts and ``kill -9`` and go with their profile when that is deleted.

Readings of this card: the SGP.32 v1.2 text could not be consulted here. The types and codes
are the public v1.2 ASN.1's (wireshark's SGP32Definitions, the Iapyx onomondo-ipa fork); the
check orders follow the public emulations that cite the clauses (ddimension ipad's emu.c,
3.4.6/3.4.7/5.9.20/5.9.21; the Iapyx onomondo-ipa fork, which orders 5.9.20's first two
checks the other way and allows an absent fallbackAllowed, differs). Refusing the Emergency
Profile as Fallback Profile is this card's reading of 3.4.6's "Emergency Profile check";
ReturnFromFallback answers fallbackNotAvailable(6) also when the profile to return to has
been deleted (ipad's reading; the Iapyx fork answers commandError(7) there).
"""

from __future__ import annotations

from euicc.store import CardStore, ProfileRecord, ProfileState

from .profiles import OK, ProfileManagement
from .sgp32_emergency import ECALL_ACTIVE, EmergencyProfile, metadata_flags
from .sgp32_rollback import ProfileRollback

ATTRIBUTE_MARK = "sgp32_fallback"  # the Fallback Profile
RETURN_MARK = "sgp32_fallback_return"  # the profile ExecuteFallbackMechanism disabled
NOT_FOUND, NOT_ALLOWED, FALLBACK_PROFILE_ENABLED = 1, 2, 3  # SetFallbackAttributeResult
NO_FALLBACK_ATTRIBUTE = 2  # UnsetFallbackAttributeResult
WRONG_STATE, NOT_AVAILABLE, COMMAND_ERROR = 2, 6, 7  # Execute.. / ReturnFromFallback
RETURN_FALLBACK_PROFILE = 21  # DeleteProfileResult


class FallbackMechanism:
    def __init__(self, store: CardStore, profiles: ProfileManagement,
                 rollback: ProfileRollback, emergency: EmergencyProfile) -> None:
        self.store = store
        self.profiles = profiles
        self.rollback = rollback
        self.emergency = emergency

    def fallback_profile(self) -> ProfileRecord | None:
        return self.store.marked_profile(ATTRIBUTE_MARK)

    def returns_to(self) -> ProfileRecord | None:
        return self.store.marked_profile(RETURN_MARK)

    def in_fallback(self) -> bool:
        holder = self.fallback_profile()
        return holder is not None and holder.state == ProfileState.ENABLED

    # -- SGP.32 v1.2 3.4.6 / 3.4.7 the PSMOs ------------------------------------------------
    def set_fallback_attribute(self, value: dict) -> tuple[str, int]:
        target = self.store.profile_by_iccid(value["iccid"])
        if target is None:
            return ("setFallbackAttributeResult", NOT_FOUND)
        holder = self.fallback_profile()
        if holder is not None and holder.isdp_aid == target.isdp_aid:
            return ("setFallbackAttributeResult", OK)
        flags = metadata_flags(target)
        if flags.get("fallbackAllowed") is not True or flags.get("ecallIndication") is True:
            return ("setFallbackAttributeResult", NOT_ALLOWED)
        if holder is not None and holder.state == ProfileState.ENABLED:
            return ("setFallbackAttributeResult", FALLBACK_PROFILE_ENABLED)
        self.store.mark_profile(ATTRIBUTE_MARK, target.isdp_aid)
        return ("setFallbackAttributeResult", OK)

    def unset_fallback_attribute(self, value: dict) -> tuple[str, int]:
        holder = self.fallback_profile()
        if holder is None:
            return ("unsetFallbackAttributeResult", NO_FALLBACK_ATTRIBUTE)
        if holder.state == ProfileState.ENABLED:
            return ("unsetFallbackAttributeResult", FALLBACK_PROFILE_ENABLED)
        self.store.mark_profile(ATTRIBUTE_MARK, None)
        self.store.mark_profile(RETURN_MARK, None)
        return ("unsetFallbackAttributeResult", OK)

    def eim_enabled(self) -> None:
        """An enable PSMO succeeded: the eIM chose the enabled profile (3.4.1)."""
        self.store.mark_profile(RETURN_MARK, None)

    def delete_refusal(self, target: ProfileRecord | None) -> int | None:
        """returnFallbackProfile(21) for a delete of the profile to return to (3.4.3)."""
        back = self.returns_to()
        if (target is not None and back is not None and back.isdp_aid == target.isdp_aid
                and self.in_fallback()):
            return RETURN_FALLBACK_PROFILE
        return None

    # -- SGP.32 v1.2 5.9.20 ExecuteFallbackMechanism ------------------------------------------
    def execute_fallback_mechanism(self, request: dict) -> dict:
        current = self.store.enabled_profile()
        holder = self.fallback_profile()
        if current is None:
            code = COMMAND_ERROR
        elif holder is None:
            code = NOT_AVAILABLE
        elif self.emergency.active():
            code = ECALL_ACTIVE
        elif holder.isdp_aid == current.isdp_aid:
            code = WRONG_STATE
        else:
            self.store.mark_profile(RETURN_MARK, current.isdp_aid)
            self.profiles.switch_enabled(holder, request["refreshFlag"])
            self.rollback.disarm()
            code = OK
        return {"executeFallbackMechanismResult": code}

    # -- SGP.32 v1.2 5.9.21 ReturnFromFallback ------------------------------------------------
    def return_from_fallback(self, request: dict) -> dict:
        back = self.returns_to()
        if not self.in_fallback() or back is None:
            return {"returnFromFallbackResult": NOT_AVAILABLE}
        self.store.mark_profile(RETURN_MARK, None)
        self.profiles.switch_enabled(back, request["refreshFlag"])
        self.rollback.disarm()
        return {"returnFromFallbackResult": OK}

    # -- SGP.32 v1.2 4.4 ProfileInfo ----------------------------------------------------------
    def profile_info_members(self, profile: ProfileRecord) -> dict:
        """ecallIndication and fallbackAllowed as the metadata has them, fallbackAttribute
        TRUE on the Fallback Profile (FALSE is its DEFAULT, left out: X.690 11.5)."""
        members = metadata_flags(profile)
        holder = self.fallback_profile()
        if holder is not None and holder.isdp_aid == profile.isdp_aid:
            members["fallbackAttribute"] = True
        return members
