"""The IoT variant of the ISD-R (SGP.32 "eSIM IoT Technical Specification", v1.0 with the
v1.0.1 corrections, or v1.2 where the two differ): the ES10 functions SGP.32 adds or
changes, put into the SGP.22 ISD-R's function table when the card is an IoT eUICC
(``IsdR(..., sgp32=Sgp32Settings(...))``; a personality's ``[card] sgp32 = "1.0"`` or
``"1.2"``). Without it the table is SGP.22's alone, unchanged.

The functions, each in its module:

- 5.9.2 GetEUICCInfo2 (SGP32-EUICCInfo2 with ipaMode and iotSpecificInfo), 5.9.4
  AddInitialEim (BF57), 5.9.10 GetCerts (BF56), 5.9.18 GetEimConfigurationData (BF55):
  :mod:`.sgp32_eim`.
- 5.9.1 LoadEuiccPackage (BF51) with the PSMOs and eCOs: :mod:`.sgp32_package`,
  :mod:`.sgp32_eco`.
- 5.9.11 RetrieveNotificationsList and 5.9.12 RemoveNotificationFromList with the eUICC
  Package Results: :mod:`.sgp32_notifications`.
- 5.9.5 eUICCMemoryReset with resetEimConfigData and resetAutoEnableConfig (v1.2: moved to
  'BF64', with the v1.2 options; 'BF34' is then no function: '6A80'): :mod:`.sgp32_reset`.
- 5.9.16 ProfileRollback (BF58) and the enable PSMO's rollbackFlag: :mod:`.sgp32_rollback`.
- v1.0: 5.9.17 ConfigureAutoProfileEnabling (BF59), 5.9.15 EnableUsingDD (BF5A), and the
  configureAutoEnable PSMO; v1.2: ConfigureImmediateProfileEnabling (BF59), ImmediateEnable
  (BF5A): :mod:`.sgp32_enabling`.
- v1.2 only: 5.9.20 ExecuteFallbackMechanism (BF5D), 5.9.21 ReturnFromFallback (BF5E) with
  the setFallbackAttribute / unsetFallbackAttribute PSMOs: :mod:`.sgp32_fallback`; 5.9.22
  EnableEmergencyProfile (BF5B), 5.9.23 DisableEmergencyProfile (BF5C):
  :mod:`.sgp32_emergency`; ProfileInfo with ecallIndication, fallbackAttribute and
  fallbackAllowed (4.4) in ES10c.GetProfilesInfo and the listProfileInfo PSMO.

The SGP.22 functions an IPA has no use of on an IoT eUICC are not in its table:
ES10c.EnableProfile (BF31), DisableProfile (BF32) and DeleteProfile (BF33). On the IoT
eUICC the eIM changes profile states, through the signed enable, disable and delete PSMOs
(SGP.32 2.11.1.1.3) that replace them; the card answers these tags as any ES10 function
it does not have, '6A80' (SGP.22 5.7.2). Which SGP.22 functions SGP.32 excludes, and
with which status word, is this card's reading: the SGP.32 text could not be consulted
here (SetNickname, GetProfilesInfo and the download functions stay). A v1.0 card answers
BF5B-BF5E as functions it does not have, '6A80'. Not here, on either version:
GetConnectivityParameters (BF5F) and IpaeActivation (BF42), for an IPA in the eUICC
(IPAe) this card does not have (its ipaMode is IPAd).
"""

from __future__ import annotations

from dataclasses import dataclass

from euicc.asn1 import sgp32, sgp32_types
from euicc.crypto.entropy import CardEntropy
from euicc.pki import CardCredentials
from euicc.store import CardStore

from .error_results import ErrorResult, error_alternative, named_numbers, result_code
from .es10 import Es10Entry, Es10Function
from .euicc_info import EuiccInfo
from .profiles import ProfileManagement
from .sgp32_eim import EimConfiguration, Sgp32Settings
from .sgp32_emergency import EmergencyProfile
from .sgp32_enabling import InstallationContext, ProfileEnabling
from .sgp32_fallback import FallbackMechanism
from .sgp32_notifications import Sgp32Notifications
from .sgp32_package import EuiccPackages
from .sgp32_reset import IotMemoryReset
from .sgp32_rollback import ProfileRollback

__all__ = ["IotParts", "Sgp32Settings", "iot_functions"]

UNDEFINED = 127
EUICC_INFO2_TAG, RETRIEVE_TAG, REMOVE_TAG, RESET_TAG = 0xBF22, 0xBF2B, 0xBF30, 0xBF34
# the SGP.22 functions SGP.32 extends
REPLACED = (EUICC_INFO2_TAG, RETRIEVE_TAG, REMOVE_TAG, RESET_TAG)
# the SGP.22 functions the IoT eUICC leaves to the eIM's PSMOs (see the module doc)
FOR_THE_EIM_ONLY = {0xBF31: "ES10c.EnableProfile", 0xBF32: "ES10c.DisableProfile",
                    0xBF33: "ES10c.DeleteProfile"}
ROLLBACK_TAG, CONFIGURE_ENABLING_TAG, ENABLE_INSTALLED_TAG = 0xBF58, 0xBF59, 0xBF5A
PROFILES_INFO_TAG = 0xBF2D
V12_RESET_TAG = 0xBF64  # v1.2 eUICCMemoryReset, moved from 'BF34'
ENABLE_EMERGENCY_TAG, DISABLE_EMERGENCY_TAG = 0xBF5B, 0xBF5C
EXECUTE_FALLBACK_TAG, RETURN_FROM_FALLBACK_TAG = 0xBF5D, 0xBF5E
# ProfileInfo members of v1.2 by the tag a tagList names them with (SGP.32 4.4)
V12_PROFILE_INFO_TAGS = {0x9F7B: "ecallIndication", 0x9F26: "fallbackAttribute",
                         0x9F67: "fallbackAllowed"}


@dataclass(frozen=True)
class IotParts:
    """The IoT eUICC's handlers over one store."""

    settings: Sgp32Settings
    eims: EimConfiguration
    packages: EuiccPackages
    notes: Sgp32Notifications
    reset: IotMemoryReset
    enabling: ProfileEnabling
    rollback: ProfileRollback
    fallback: FallbackMechanism | None = None  # v1.2
    emergency: EmergencyProfile | None = None  # v1.2

    @classmethod
    def build(cls, settings: Sgp32Settings, store: CardStore, credentials: CardCredentials,
              info: EuiccInfo, profiles: ProfileManagement, entropy: CardEntropy,
              context: InstallationContext) -> IotParts:
        eims = EimConfiguration(store, credentials, settings)
        enabling = ProfileEnabling(store, profiles, context)
        rollback = ProfileRollback(store, eims, profiles, entropy)
        fallback = emergency = None
        if settings.version != "1.0":
            emergency = EmergencyProfile(store, profiles, rollback)
            fallback = FallbackMechanism(store, profiles, rollback, emergency)
            profiles.extend_info(V12_PROFILE_INFO_TAGS, fallback.profile_info_members)
        packages = EuiccPackages(store, eims, profiles, info, entropy, enabling, rollback,
                                 fallback, emergency)
        return cls(settings, eims, packages, Sgp32Notifications(store, rollback.result_removed),
                   IotMemoryReset(store, profiles, enabling, emergency), enabling, rollback,
                   fallback, emergency)


def iot_function(name: str, tag: int, request_type: str, response_type: str, handler,
                 undefined_error=None, **options) -> Es10Function:
    """An SGP.32 function: its types in SGP32Definitions, and the error results the fault
    plan's ``error`` action may inject, the named numbers of the result member (a dict
    default) or the error alternative (a tuple default) its undefinedError(127) names."""
    error: ErrorResult | None = options.pop("error", None)
    if isinstance(undefined_error, dict):
        error = result_code(response_type, next(iter(undefined_error)), sgp32_types())
    elif isinstance(undefined_error, tuple):
        error = error_alternative(response_type, undefined_error[0], sgp32_types())
    return Es10Function(name, tag, request_type, response_type, handler, undefined_error,
                        error=error, spec=sgp32, **options)


def package_error_codes(version: str) -> dict[str, int]:
    """EuiccPackageErrorCode's named numbers (2.11.2.1) of the card's version: v1.0 has no
    ecallActive(104), which v1.2 adds with the Emergency Profile."""
    codes = named_numbers("EuiccPackageErrorCode", types=sgp32_types())
    if version == "1.0":
        codes.pop("ecallActive", None)
    return codes


def enabling_functions(parts: IotParts) -> list[Es10Entry]:
    """BF59 and BF5A as the card's SGP.32 version has them."""
    f, enabling = iot_function, parts.enabling
    if parts.settings.version == "1.0":
        return [
            f("ES10b.ConfigureAutoProfileEnabling", CONFIGURE_ENABLING_TAG,
              "ConfigureAutoProfileEnablingRequest", "ConfigureAutoProfileEnablingResponse",
              enabling.configure_auto_profile_enabling, {"configAutoEnableResult": UNDEFINED}),
            f("ES10b.EnableUsingDD", ENABLE_INSTALLED_TAG, "EnableUsingDDRequest",
              "EnableUsingDDResponse", enabling.enable_using_dd,
              {"enableUsingDDResult": UNDEFINED}),
        ]
    return [
        f("ES10b.ConfigureImmediateProfileEnabling", CONFIGURE_ENABLING_TAG,
          "ConfigureImmediateProfileEnablingRequest",
          "ConfigureImmediateProfileEnablingResponse",
          enabling.configure_immediate_profile_enabling,
          {"configImmediateEnableResult": UNDEFINED}),
        f("ES10b.ImmediateEnable", ENABLE_INSTALLED_TAG, "ImmediateEnableRequest",
          "ImmediateEnableResponse", enabling.immediate_enable,
          {"immediateEnableResult": UNDEFINED}),
    ]


def v12_functions(parts: IotParts, profiles: ProfileManagement) -> list[Es10Entry]:
    """The functions SGP.32 v1.2 adds, and GetProfilesInfo with its ProfileInfo."""
    if parts.fallback is None or parts.emergency is None:
        return []
    f, fallback, emergency = iot_function, parts.fallback, parts.emergency
    return [
        f("ES10c.GetProfilesInfo", PROFILES_INFO_TAG, "ProfileInfoListRequest",
          "SGP32-ProfileInfoListResponse", profiles.get_profiles_info,
          ("profileInfoListError", UNDEFINED)),
        f("ES10b.EnableEmergencyProfile", ENABLE_EMERGENCY_TAG, "EnableEmergencyProfileRequest",
          "EnableEmergencyProfileResponse", emergency.enable_emergency_profile,
          {"enableEmergencyProfileResult": UNDEFINED}),
        f("ES10b.DisableEmergencyProfile", DISABLE_EMERGENCY_TAG,
          "DisableEmergencyProfileRequest", "DisableEmergencyProfileResponse",
          emergency.disable_emergency_profile, {"disableEmergencyProfileResult": UNDEFINED}),
        f("ES10b.ExecuteFallbackMechanism", EXECUTE_FALLBACK_TAG,
          "ExecuteFallbackMechanismRequest", "ExecuteFallbackMechanismResponse",
          fallback.execute_fallback_mechanism, {"executeFallbackMechanismResult": UNDEFINED}),
        f("ES10b.ReturnFromFallback", RETURN_FROM_FALLBACK_TAG, "ReturnFromFallbackRequest",
          "ReturnFromFallbackResponse", fallback.return_from_fallback,
          {"returnFromFallbackResult": UNDEFINED}),
        f("ES10b.eUICCMemoryReset", V12_RESET_TAG, "SGP32v12-EuiccMemoryResetRequest",
          "SGP32v12-EuiccMemoryResetResponse", parts.reset.memory_reset_v12,
          {"resetResult": UNDEFINED}),
    ]


def iot_functions(entries: list[Es10Entry], parts: IotParts, info: EuiccInfo) -> list[Es10Entry]:
    """``entries`` (the SGP.22 table) with GetEUICCInfo2, RetrieveNotificationsList,
    RemoveNotificationFromList and eUICCMemoryReset in their SGP.32 forms, the functions
    left to the eIM out, and the SGP.32 functions added."""
    f = iot_function
    eims, notes = parts.eims, parts.notes

    def euicc_info2(request: dict) -> dict:
        return {**info.euicc_info2(request), **eims.iot_members()}

    added = v12_functions(parts, parts.packages.profiles)
    replaced = {*REPLACED, *FOR_THE_EIM_ONLY, *(e.tag for e in added)}
    table = [e for e in entries if e.tag not in replaced]
    v10_reset = [] if added else [
        f("ES10c.eUICCMemoryReset", RESET_TAG, "SGP32-EuiccMemoryResetRequest",
          "SGP32-EuiccMemoryResetResponse", parts.reset.memory_reset,
          {"resetResult": UNDEFINED})]
    return table + added + v10_reset + [
        f("ES10b.RetrieveNotificationsList", RETRIEVE_TAG,
          "SGP32-RetrieveNotificationsListRequest", "SGP32-RetrieveNotificationsListResponse",
          notes.retrieve_notifications_list, ("notificationsListResultError", UNDEFINED)),
        f("ES10b.RemoveNotificationFromList", REMOVE_TAG, "NotificationSentRequest",
          "NotificationSentResponse", notes.remove_notification_from_list,
          {"deleteNotificationStatus": UNDEFINED}),
        f("ES10b.GetEUICCInfo2", EUICC_INFO2_TAG, "GetEuiccInfo2Request", "SGP32-EUICCInfo2",
          euicc_info2),
        f("ES10b.AddInitialEim", 0xBF57, "AddInitialEimRequest", "AddInitialEimResponse",
          eims.add_initial_eim, ("addInitialEimError", UNDEFINED)),
        f("ES10b.GetEimConfigurationData", 0xBF55, "GetEimConfigurationDataRequest",
          "GetEimConfigurationDataResponse", eims.get_eim_configuration_data),
        f("ES10b.GetCerts", 0xBF56, "GetCertsRequest", "GetCertsResponse", eims.get_certs,
          ("getCertsError", UNDEFINED)),
        f("ES10b.LoadEuiccPackage", 0xBF51, "EuiccPackageRequest", "EuiccPackageResult",
          parts.packages.load_euicc_package, with_raw=True,
          # the fault plan's error: a refusal by EuiccPackageErrorCode (2.11.2.1)
          error=ErrorResult(package_error_codes(parts.settings.version),
                            parts.packages.injected_error)),
        f("ES10b.ProfileRollback", ROLLBACK_TAG, "ProfileRollbackRequest",
          "ProfileRollbackResponse", parts.rollback.profile_rollback,
          {"cmdResult": UNDEFINED}),
        *enabling_functions(parts),
    ]
