"""Automatic profile enabling of the IoT eUICC: the configuration an eIM sets with the
configureAutoEnable PSMO (SGP.32 v1.0 2.11.1.1.3, its ConfigureAutoEnableResult in 2.11.2.1)
or an IPA with ES10b.ConfigureAutoProfileEnabling (5.9.17, BF59) while no eIM is
associated, and its use: ES10b.EnableUsingDD (5.9.15, BF5A) enables the profile just
downloaded when the configuration allows it. SGP.32 v1.2 names the same pair
ConfigureImmediateProfileEnabling (BF59) and ImmediateEnable (BF5A, with a refreshFlag);
the card's version (:class:`.sgp32_eim.Sgp32Settings`) says which pair BF59 / BF5A are.
eUICCMemoryReset's resetAutoEnableConfig (5.9.5) removes the configuration
(:mod:`.sgp32_reset`).

The configuration (autoEnableFlag, smdpOid, smdpAddress) is one meta entry of the store,
written in the ES10 command's transaction: it survives restarts and ``kill -9`` and a
refused command writes nothing. A configuration with none of the three members given is no
configuration.

The session context EnableUsingDD acts on is volatile (:class:`InstallationContext`): the
ISD-P, SM-DP+ OID and SM-DP+ address of the last profile LoadBoundProfilePackage installed
since the card's last reset.

How this card reads the functions where the public text gives names and codes but not the
rule (the SGP.32 text itself could not be consulted; the codes are those of the public
ASN.1 module, the rules follow onomondo-ipa's emulation of an IoT eUICC, its -E mode):

- configureAutoEnable replaces the configuration with the PSMO's members: ok(0).
  insufficientMemory(1) and commandError(7) are never answered (nothing can run out; no
  member combination is refused).
- ConfigureAutoProfileEnabling (v1.0) with an eIM associated is
  unsignedAutoEnableConfigDisallowed(2) (the unsigned way is for an unmanaged device; v1.2
  names the same code associatedEimAlreadyExists(2)); else as the PSMO: ok(0).
- EnableUsingDD / ImmediateEnable: no autoEnableFlag configured is autoEnableNotAvailable(1)
  (v1.2: immediateEnableNotAvailable(1)); no profile installed since the last reset
  noSessionContext(4); neither smdpOid nor smdpAddress configured, or the one configured not
  that of the SM-DP+ the profile came from, autoEnableNotAvailable(1); the enable refused
  (a Profile Policy Rule of the enabled profile, the profile deleted since) undefinedError
  (127). On ok(0) the profile is enabled as ES10c.EnableProfile does it (notifications, the
  UICC side told; v1.0 has no refreshFlag: REFRESH is asked for) and the context is used
  up. catBusy(5) is never answered: the card has no proactive session to be busy with.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from euicc.store import CardStore, ProfileState

from .profiles import OK, ProfileManagement

AUTO_ENABLE_KEY = "sgp32_auto_enable"  # store meta key: the configuration, JSON
NOT_AVAILABLE, UNSIGNED_DISALLOWED, NO_SESSION_CONTEXT, UNDEFINED = 1, 2, 4, 127


@dataclass(frozen=True)
class AutoEnableConfig:
    flag: bool = False
    smdp_oid: str | None = None
    smdp_address: str | None = None

    def matches(self, smdp_oid: str | None, smdp_address: str | None) -> bool:
        """Whether a profile from that SM-DP+ may be enabled: the members configured are
        its (an FQDN compared without case, RFC 4343)."""
        if self.smdp_oid is None and self.smdp_address is None:
            return False
        if self.smdp_oid is not None and self.smdp_oid != smdp_oid:
            return False
        return self.smdp_address is None or (
            smdp_address is not None and self.smdp_address.casefold() == smdp_address.casefold())


@dataclass(frozen=True)
class InstalledProfile:
    isdp_aid: bytes
    smdp_oid: str | None
    smdp_address: str | None


class InstallationContext:
    """The last profile installed since the card's reset (volatile, SGP.32 5.9.15's session
    context)."""

    def __init__(self) -> None:
        self.installed: InstalledProfile | None = None

    def clear(self) -> None:
        self.installed = None


class ProfileEnabling:
    def __init__(self, store: CardStore, profiles: ProfileManagement,
                 context: InstallationContext) -> None:
        self.store = store
        self.profiles = profiles
        self.context = context

    # -- the stored configuration ---------------------------------------------------------------
    def configuration(self) -> AutoEnableConfig | None:
        raw = self.store.get_meta(AUTO_ENABLE_KEY)
        return None if raw is None else AutoEnableConfig(**json.loads(raw))

    def configure(self, flag: bool, smdp_oid: str | None, smdp_address: str | None) -> None:
        config = AutoEnableConfig(flag, smdp_oid, smdp_address)
        empty = config == AutoEnableConfig()
        self.store.set_meta(AUTO_ENABLE_KEY, None if empty else json.dumps(config.__dict__))

    def reset(self) -> bool:
        """eUICCMemoryReset resetAutoEnableConfig: whether there was a configuration."""
        had = self.configuration() is not None
        self.store.set_meta(AUTO_ENABLE_KEY, None)
        return had

    # -- SGP.32 2.11.1.1.3 configureAutoEnable PSMO ------------------------------------------------
    def configure_auto_enable_psmo(self, value: dict) -> tuple[str, int]:
        self.configure("autoEnableFlag" in value, value.get("smdpOid"), value.get("smdpAddress"))
        return ("configureAutoEnableResult", OK)

    # -- SGP.32 v1.0 5.9.17 ConfigureAutoProfileEnabling / v1.2 ConfigureImmediateProfileEnabling
    def configure_auto_profile_enabling(self, request: dict) -> dict:
        if self.store.eims():
            return {"configAutoEnableResult": UNSIGNED_DISALLOWED}
        self.configure("autoEnableFlag" in request, request.get("smdpOid"),
                       request.get("smdpAddress"))
        return {"configAutoEnableResult": OK}

    def configure_immediate_profile_enabling(self, request: dict) -> dict:
        if self.store.eims():
            return {"configImmediateEnableResult": UNSIGNED_DISALLOWED}
        self.configure("immediateEnableFlag" in request, request.get("defaultSmdpOid"),
                       request.get("defaultSmdpAddress"))
        return {"configImmediateEnableResult": OK}

    # -- SGP.32 v1.0 5.9.15 EnableUsingDD / v1.2 ImmediateEnable --------------------------------
    def enable_using_dd(self, request: dict) -> dict:
        return {"enableUsingDDResult": self._enable_installed(refresh=True)}

    def immediate_enable(self, request: dict) -> dict:
        return {"immediateEnableResult": self._enable_installed(request["refreshFlag"])}

    def _enable_installed(self, refresh: bool) -> int:
        config = self.configuration()
        if config is None or not config.flag:
            return NOT_AVAILABLE
        installed = self.context.installed
        if installed is None:
            return NO_SESSION_CONTEXT
        if not config.matches(installed.smdp_oid, installed.smdp_address):
            return NOT_AVAILABLE
        profile = self.store.profile_by_aid(installed.isdp_aid)
        if profile is None or profile.state != ProfileState.DISABLED:
            return UNDEFINED
        answer = self.profiles.enable_profile({"profileIdentifier": ("isdpAid", installed.isdp_aid),
                                               "refreshFlag": refresh})
        if answer["enableResult"] != OK:
            return UNDEFINED
        self.context.clear()
        return OK
