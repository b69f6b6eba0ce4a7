"""The IoT variant of the ISD-R (SGP.32 v1.0 "eSIM IoT Technical Specification"): the ES10
functions SGP.32 adds or changes, put into the SGP.22 ISD-R's function table when the card
is an IoT eUICC (``IsdR(..., sgp32=Sgp32Settings(...))``; a personality's
``[card] sgp32 = "1.0"``). Without it the table is SGP.22's alone, unchanged.

This increment: 5.9.2 GetEUICCInfo2 (SGP32-EUICCInfo2 with ipaMode and iotSpecificInfo),
5.9.4 AddInitialEim (BF57), 5.9.10 GetCerts (BF56), 5.9.18 GetEimConfigurationData (BF55),
5.9.1 LoadEuiccPackage (BF51), 5.9.11 RetrieveNotificationsList and 5.9.12
RemoveNotificationFromList with the eUICC Package Results, 5.9.5 eUICCMemoryReset with
resetEimConfigData. The others of SGP.32 5.9 (ProfileRollback BF58,
ConfigureAutoProfileEnabling BF59, EnableUsingDD BF5A) and the refusal of the SGP.22
functions SGP.32 forbids to the IPA are not here yet: those tags still answer as the SGP.22
card does ('6A80' for an unknown one).
"""

from __future__ import annotations

from euicc.asn1 import sgp32

from .es10 import Es10Entry, Es10Function
from .euicc_info import EuiccInfo
from .sgp32_eim import EimConfiguration, Sgp32Settings
from .sgp32_notifications import Sgp32Notifications
from .sgp32_package import EuiccPackages
from .sgp32_reset import IotMemoryReset

__all__ = ["Sgp32Settings", "iot_functions"]

UNDEFINED = 127
EUICC_INFO2_TAG, RETRIEVE_TAG, REMOVE_TAG, RESET_TAG = 0xBF22, 0xBF2B, 0xBF30, 0xBF34
# the SGP.22 functions SGP.32 extends
REPLACED = (EUICC_INFO2_TAG, RETRIEVE_TAG, REMOVE_TAG, RESET_TAG)


def iot_functions(entries: list[Es10Entry], eims: EimConfiguration, info: EuiccInfo,
                  packages: EuiccPackages, notes: Sgp32Notifications,
                  reset: IotMemoryReset) -> list[Es10Entry]:
    """``entries`` (the SGP.22 table) with GetEUICCInfo2, RetrieveNotificationsList,
    RemoveNotificationFromList and eUICCMemoryReset in their SGP.32 forms and the SGP.32
    functions added."""
    f = Es10Function

    def euicc_info2(request: dict) -> dict:
        return {**info.euicc_info2(request), **eims.iot_members()}

    table = [e for e in entries if e.tag not in REPLACED]
    return table + [
        f("ES10b.RetrieveNotificationsList", RETRIEVE_TAG,
          "SGP32-RetrieveNotificationsListRequest", "SGP32-RetrieveNotificationsListResponse",
          notes.retrieve_notifications_list, ("notificationsListResultError", UNDEFINED),
          spec=sgp32),
        f("ES10b.RemoveNotificationFromList", REMOVE_TAG, "NotificationSentRequest",
          "NotificationSentResponse", notes.remove_notification_from_list,
          {"deleteNotificationStatus": UNDEFINED}, spec=sgp32),
        f("ES10c.eUICCMemoryReset", RESET_TAG, "SGP32-EuiccMemoryResetRequest",
          "SGP32-EuiccMemoryResetResponse", reset.memory_reset, {"resetResult": UNDEFINED},
          spec=sgp32),
        f("ES10b.GetEUICCInfo2", EUICC_INFO2_TAG, "GetEuiccInfo2Request", "SGP32-EUICCInfo2",
          euicc_info2, spec=sgp32),
        f("ES10b.AddInitialEim", 0xBF57, "AddInitialEimRequest", "AddInitialEimResponse",
          eims.add_initial_eim, ("addInitialEimError", UNDEFINED), spec=sgp32),
        f("ES10b.GetEimConfigurationData", 0xBF55, "GetEimConfigurationDataRequest",
          "GetEimConfigurationDataResponse", eims.get_eim_configuration_data, spec=sgp32),
        f("ES10b.GetCerts", 0xBF56, "GetCertsRequest", "GetCertsResponse", eims.get_certs,
          ("getCertsError", UNDEFINED), spec=sgp32),
        f("ES10b.LoadEuiccPackage", 0xBF51, "EuiccPackageRequest", "EuiccPackageResult",
          packages.load_euicc_package, with_raw=True, spec=sgp32),
    ]
