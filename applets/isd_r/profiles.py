"""ES10c profile management (SGP.22 5.7.15 GetProfilesInfo, 5.7.16 EnableProfile,
5.7.17 DisableProfile, 5.7.18 DeleteProfile, 5.7.19 eUICCMemoryReset, 5.7.21 SetNickname)
and the Profile Policy Rules they enforce (SGP.22 2.9.1: PPR1 "disabling not allowed",
PPR2 "deletion not allowed").

Result codes are those of SGP.22; each operation that changes state records the
notification the profile's metadata asks for, in the same transaction.
"""

from __future__ import annotations

from collections.abc import Callable

from euicc.asn1 import decode_exact, rsp
from euicc.store import (
    PROFILE_BY_AID,
    PROFILE_BY_ICCID,
    CardStore,
    NotificationEvent,
    ProfileClass,
    ProfileRecord,
    ProfileState,
)
from euicc.tlv import TlvError, parse_tags

from .bits import bit_is_set
from .notifications import Notifications

# SGP.22 result values shared by several functions
OK = 0
NOT_FOUND = 1  # iccidOrAidNotFound / iccidNotFound
WRONG_STATE = 2  # profileNotInDisabledState / profileNotInEnabledState
DISALLOWED_BY_POLICY = 3
PPR1, PPR2 = 1, 2

# (the enabled profile, or None when none is; the refreshFlag of the request)
EnabledProfileListener = Callable[[ProfileRecord | None, bool], None]


def no_listener(profile: ProfileRecord | None, refresh: bool) -> None:
    """An ISD-R without a UICC side (tests of ES10 alone): nobody shows the profile."""


# ProfileInfo members by the tag a tagList names them with (SGP.22 5.7.15)
PROFILE_INFO_TAGS = {
    0x5A: "iccid", 0x4F: "isdpAid", 0x9F70: "profileState", 0x90: "profileNickname",
    0x91: "serviceProviderName", 0x92: "profileName", 0x93: "iconType", 0x94: "icon",
    0x95: "profileClass", 0xB6: "notificationConfigurationInfo", 0xB7: "profileOwner",
    0xB8: "dpProprietaryData", 0x99: "profilePolicyRules",
}
# The ProfileInfo members every LPA lists (lpac's `profile list`, pySim's get_profiles_info):
# iccid .. profileClass, without notificationConfigurationInfo, profileOwner,
# dpProprietaryData and profilePolicyRules
BASIC_PROFILE_INFO_TAGS = (0x5A, 0x4F, 0x9F70, 0x90, 0x91, 0x92, 0x93, 0x94, 0x95)
METADATA_FIELDS = (
    "serviceProviderName", "profileName", "iconType", "icon", "profileClass",
    "notificationConfigurationInfo", "profileOwner", "profilePolicyRules",
)


def has_rule(profile: ProfileRecord, rule: int) -> bool:
    metadata = decode_exact(rsp(), "StoreMetadataRequest", profile.metadata)
    rules = metadata.get("profilePolicyRules")
    return rules is not None and bit_is_set(rules, rule)


class ProfileManagement:
    def __init__(
        self,
        store: CardStore,
        notifications: Notifications,
        reset_default_dp_address: Callable[[], bool],
        on_enabled_profile_changed: EnabledProfileListener = no_listener,
        default_tags: tuple[int, ...] | None = None,
        class_explicit: bool = False,
    ) -> None:
        """``on_enabled_profile_changed`` is called with (the enabled profile or None, the
        refreshFlag) after an enable, a disable or a memory reset changed which profile is
        enabled: the UICC side switches the file system a terminal sees (SGP.22 3.2.1).
        ``default_tags``: the ProfileInfo members GetProfilesInfo returns when the request
        has no tagList (:attr:`.config.EuiccConfig.profiles_info_default_tags`), None:
        all. ``class_explicit``: profileClass operational is sent, not left out as its
        DEFAULT (:attr:`.config.EuiccConfig.profile_class_explicit`)."""
        self.default_tags = default_tags
        self.class_explicit = class_explicit
        self.store = store
        self.notifications = notifications
        self.reset_default_dp_address = reset_default_dp_address
        self.on_enabled_profile_changed = on_enabled_profile_changed
        # members a card variant adds to each ProfileInfo (SGP.32 v1.2 4.4), by tag
        self.info_tags = dict(PROFILE_INFO_TAGS)
        self.extra_info: Callable[[ProfileRecord], dict] | None = None

    def extend_info(self, tags: dict[int, str], members: Callable[[ProfileRecord], dict]) -> None:
        """ProfileInfo gains ``members(profile)``, named in a tagList by ``tags``."""
        self.info_tags.update(tags)
        self.extra_info = members

    # -- SGP.22 5.7.15 GetProfilesInfo -------------------------------------------------------------
    def profile_info(self, profile: ProfileRecord) -> dict:
        metadata = decode_exact(rsp(), "StoreMetadataRequest", profile.metadata)
        info = {
            "iccid": profile.iccid,
            "isdpAid": profile.isdp_aid,
            "profileState": int(profile.state),
        }
        if self.class_explicit or profile.profile_class != ProfileClass.OPERATIONAL:
            # DER leaves out a value equal to its DEFAULT (X.690 11.5): operational is implied,
            # unless this chip model sends it all the same
            info["profileClass"] = int(profile.profile_class)
        if profile.nickname is not None:
            info["profileNickname"] = profile.nickname
        for name in METADATA_FIELDS:
            if name in metadata and name not in info and name != "profileClass":
                info[name] = metadata[name]
        if self.extra_info is not None:
            info.update(self.extra_info(profile))
        return info

    def get_profiles_info(self, request: dict) -> tuple[str, object]:
        try:
            wanted = (parse_tags(request["tagList"]) if "tagList" in request
                      else self.default_tags)
        except TlvError:
            return ("profileInfoListError", 1)  # incorrectInputValues
        criteria = request.get("searchCriteria")
        if criteria is None:
            profiles = self.store.profiles()
        elif criteria[0] in (PROFILE_BY_AID, PROFILE_BY_ICCID):
            found = self.store.profile_by_identifier(criteria)
            profiles = [found] if found is not None else []
        else:  # profileClass
            profiles = [p for p in self.store.profiles() if int(p.profile_class) == criteria[1]]
        infos = [self.profile_info(p) for p in profiles]
        if wanted is not None:
            names = {self.info_tags[t] for t in wanted if t in self.info_tags}
            infos = [{k: v for k, v in info.items() if k in names} for info in infos]
        return ("profileInfoListOk", infos)

    # -- SGP.22 5.7.16 EnableProfile -------------------------------------------------------------
    def enable_profile(self, request: dict) -> dict:
        target = self.store.profile_by_identifier(request["profileIdentifier"])
        if target is None:
            return {"enableResult": NOT_FOUND}
        if target.state != ProfileState.DISABLED:
            return {"enableResult": WRONG_STATE}
        current = self.store.enabled_profile()
        if current is not None and has_rule(current, PPR1):
            return {"enableResult": DISALLOWED_BY_POLICY}
        if current is not None:
            self.store.set_profile_state(current.isdp_aid, ProfileState.DISABLED)
            self.notifications.record(NotificationEvent.DISABLE, current)
        self.store.set_profile_state(target.isdp_aid, ProfileState.ENABLED)
        self.notifications.record(NotificationEvent.ENABLE, target)
        self._changed(self.store.profile_by_aid(target.isdp_aid), request["refreshFlag"])
        return {"enableResult": OK}

    def switch_enabled(self, target: ProfileRecord | None, refresh: bool,
                       notify: bool = True) -> None:
        """``target`` becomes the enabled profile (None: none is), the one enabled before
        disabled, without the Profile Policy Rule checks of the ES10c functions: for the
        SGP.32 v1.2 mechanisms that switch profiles on the eUICC's own authority (the
        Fallback Mechanism, the Emergency Profile). ``notify``: the notifications the
        profiles' metadata ask for are recorded (else none, as 5.9.22 has it)."""
        current = self.store.enabled_profile()
        if current is not None and (target is None or current.isdp_aid != target.isdp_aid):
            self.store.set_profile_state(current.isdp_aid, ProfileState.DISABLED)
            if notify:
                self.notifications.record(NotificationEvent.DISABLE, current)
        enabled = None
        if target is not None:
            self.store.set_profile_state(target.isdp_aid, ProfileState.ENABLED)
            if notify:
                self.notifications.record(NotificationEvent.ENABLE, target)
            enabled = self.store.profile_by_aid(target.isdp_aid)
        self._changed(enabled, refresh)

    # -- SGP.22 5.7.17 DisableProfile ------------------------------------------------------------
    def disable_profile(self, request: dict) -> dict:
        target = self.store.profile_by_identifier(request["profileIdentifier"])
        if target is None:
            return {"disableResult": NOT_FOUND}
        if target.state != ProfileState.ENABLED:
            return {"disableResult": WRONG_STATE}
        if has_rule(target, PPR1):
            return {"disableResult": DISALLOWED_BY_POLICY}
        self.store.set_profile_state(target.isdp_aid, ProfileState.DISABLED)
        self.notifications.record(NotificationEvent.DISABLE, target)
        self._changed(None, request["refreshFlag"])
        return {"disableResult": OK}

    # -- SGP.22 5.7.18 DeleteProfile -------------------------------------------------------------
    def delete_profile(self, request: tuple[str, bytes]) -> dict:
        target = self.store.profile_by_identifier(request)
        if target is None:
            return {"deleteResult": NOT_FOUND}
        if target.state != ProfileState.DISABLED:
            return {"deleteResult": WRONG_STATE}
        if has_rule(target, PPR2):
            return {"deleteResult": DISALLOWED_BY_POLICY}
        self.store.delete_profile(target.isdp_aid)
        self.notifications.record(NotificationEvent.DELETE, target)
        return {"deleteResult": OK}

    # -- SGP.22 5.7.19 eUICCMemoryReset ------------------------------------------------------------
    def memory_reset(self, request: dict, pre_loaded_test: bool = False,
                     provisioning: bool = False) -> dict:
        """``pre_loaded_test`` / ``provisioning``: also the test profiles that were not
        field-loaded and the provisioning profiles (SGP.32 v1.2 5.9.5's
        deletePreLoadedTestProfiles, deleteProvisioningProfiles)."""
        options = request["resetOptions"]
        operational = bit_is_set(options, 0)  # deleteOperationalProfiles
        test = bit_is_set(options, 1)  # deleteFieldLoadedTestProfiles
        done = False
        enabled_deleted = False
        for profile in self.store.profiles():
            kind = profile.profile_class
            if (operational and kind == ProfileClass.OPERATIONAL) or (
                kind == ProfileClass.TEST and (test if profile.field_loaded else pre_loaded_test)
            ) or (provisioning and kind == ProfileClass.PROVISIONING):
                # Irrespective of state and Profile Policy Rules; no notification is made.
                self.store.delete_profile(profile.isdp_aid)
                enabled_deleted |= profile.state == ProfileState.ENABLED
                done = True
        if bit_is_set(options, 2):  # resetDefaultSmdpAddress
            done |= self.reset_default_dp_address()
        if enabled_deleted:
            self._changed(None, True)
        return {"resetResult": OK if done else 1}  # 1: nothingToDelete

    # -- SGP.22 5.7.21 SetNickname -------------------------------------------------------------
    def set_nickname(self, request: dict) -> dict:
        target = self.store.profile_by_iccid(request["iccid"])
        if target is None:
            return {"setNicknameResult": NOT_FOUND}  # iccidNotFound
        self.store.set_nickname(target.isdp_aid, request["profileNickname"])
        return {"setNicknameResult": OK}

    def _changed(self, profile: ProfileRecord | None, refresh: bool) -> None:
        self.on_enabled_profile_changed(profile, refresh)
