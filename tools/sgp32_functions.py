"""The ES10 functions of SGP.32 by tag, as the trace readers name them (the Wireshark
dissector's tables, :mod:`euicc_tools.wireshark.generate`; the conformance runner's pcap
reader, :mod:`euicc_tools.conformance.trace`): SGP.32 5.9, with the function's request and
response types of SGP32Definitions (``euicc/asn1/sgp32.asn``).

Where SGP.32 versions give a tag another function (BF59, BF5A: v1.0 5.9.15 EnableUsingDD
and 5.9.17 ConfigureAutoProfileEnabling; v1.2 ImmediateEnable and
ConfigureImmediateProfileEnabling) the name is the card's version's; the functions v1.2
adds (5.9.20-5.9.23) are only in its table. A function whose types
the card's module does not have yet is still named; its data is shown undecoded.

The card names its exchanges (the ``-vv`` log, ``euicc-emu shell log``, the fault plan) from
its own ES10 table; tests/unit/test_sgp32_names.py checks that the two agree.
"""

from __future__ import annotations

VERSIONS = ("1.0", "1.2")

# tag: (name, request type, response type), or {version: (...)} where versions differ
FUNCTIONS: dict[int, tuple[str, str, str] | dict[str, tuple[str, str, str]]] = {
    0xBF51: ("ES10b.LoadEuiccPackage", "EuiccPackageRequest", "EuiccPackageResult"),  # 5.9.1
    0xBF22: ("ES10b.GetEUICCInfo2", "GetEuiccInfo2Request", "SGP32-EUICCInfo2"),  # 5.9.2
    0xBF34: {"1.0": ("ES10c.eUICCMemoryReset", "SGP32-EuiccMemoryResetRequest",  # 5.9.5
                     "SGP32-EuiccMemoryResetResponse")},
    0xBF64: {"1.2": ("ES10b.eUICCMemoryReset", "SGP32v12-EuiccMemoryResetRequest",
                     "SGP32v12-EuiccMemoryResetResponse")},  # v1.2 5.9.5, moved
    0xBF57: ("ES10b.AddInitialEim", "AddInitialEimRequest", "AddInitialEimResponse"),  # 5.9.4
    0xBF56: ("ES10b.GetCerts", "GetCertsRequest", "GetCertsResponse"),  # 5.9.10
    0xBF2B: ("ES10b.RetrieveNotificationsList", "SGP32-RetrieveNotificationsListRequest",
             "SGP32-RetrieveNotificationsListResponse"),  # 5.9.11
    0xBF30: ("ES10b.RemoveNotificationFromList", "NotificationSentRequest",
             "NotificationSentResponse"),  # 5.9.12
    0xBF58: ("ES10b.ProfileRollback", "ProfileRollbackRequest",
             "ProfileRollbackResponse"),  # 5.9.16
    0xBF55: ("ES10b.GetEimConfigurationData", "GetEimConfigurationDataRequest",
             "GetEimConfigurationDataResponse"),  # 5.9.18
    0xBF59: {"1.0": ("ES10b.ConfigureAutoProfileEnabling",
                     "ConfigureAutoProfileEnablingRequest",
                     "ConfigureAutoProfileEnablingResponse"),  # v1.0 5.9.17
             "1.2": ("ES10b.ConfigureImmediateProfileEnabling",
                     "ConfigureImmediateProfileEnablingRequest",
                     "ConfigureImmediateProfileEnablingResponse")},  # v1.2 5.9.17
    0xBF5A: {"1.0": ("ES10b.EnableUsingDD", "EnableUsingDDRequest",
                     "EnableUsingDDResponse"),  # v1.0 5.9.15
             "1.2": ("ES10b.ImmediateEnable", "ImmediateEnableRequest",
                     "ImmediateEnableResponse")},  # v1.2 5.9.15
    # v1.2 only: ProfileInfo with the Emergency / Fallback members (4.4), the functions
    0xBF2D: {"1.2": ("ES10c.GetProfilesInfo", "ProfileInfoListRequest",
                     "SGP32-ProfileInfoListResponse")},
    0xBF5B: {"1.2": ("ES10b.EnableEmergencyProfile", "EnableEmergencyProfileRequest",
                     "EnableEmergencyProfileResponse")},  # v1.2 5.9.22
    0xBF5C: {"1.2": ("ES10b.DisableEmergencyProfile", "DisableEmergencyProfileRequest",
                     "DisableEmergencyProfileResponse")},  # v1.2 5.9.23
    0xBF5D: {"1.2": ("ES10b.ExecuteFallbackMechanism", "ExecuteFallbackMechanismRequest",
                     "ExecuteFallbackMechanismResponse")},  # v1.2 5.9.20
    0xBF5E: {"1.2": ("ES10b.ReturnFromFallback", "ReturnFromFallbackRequest",
                     "ReturnFromFallbackResponse")},  # v1.2 5.9.21
}
SGP32_ONLY = frozenset({0xBF51, 0xBF55, 0xBF56, 0xBF57, 0xBF58, 0xBF59, 0xBF5A, 0xBF5B,
                        0xBF5C, 0xBF5D, 0xBF5E, 0xBF64})


def functions(version: str) -> dict[int, tuple[str, str, str]]:
    """tag -> (name, request type, response type) of SGP.32 ``version``."""
    if version not in VERSIONS:
        raise ValueError(f"SGP.32 version {version!r}: one of {', '.join(VERSIONS)}")
    return {tag: entry[version] if isinstance(entry, dict) else entry
            for tag, entry in FUNCTIONS.items()
            if not isinstance(entry, dict) or version in entry}
