"""The ISD-R (SGP.22 2.2.1 and 5.7; AID A0000005591010FFFFFFFF8900000100): receives ES10
commands as STORE DATA (GlobalPlatform 11.11, SGP.22 5.7.2) on any logical channel,
including the basic one, and answers each with the DER of the function's response. The
pieces of a Bound Profile Package (5.7.6 LoadBoundProfilePackage) go through the same ES10
table, to the BPP loader.
"""

from __future__ import annotations

from euicc.apdu import CommandApdu, ResponseApdu
from euicc.applet import Applet
from euicc.asn1 import pe, rsp
from euicc.channels import Channel
from euicc.crypto.entropy import CardEntropy
from euicc.dispatch import WITH_DATA, ClassFamily, CommandSpec, CommandTable
from euicc.faults import FaultPlan, Layer, Target, bpp_point_name
from euicc.ins import Ins
from euicc.pki import CardCredentials
from euicc.store import CardStore, ProfileRecord
from euicc.tlv import tlv

from . import store_data
from .authentication import Authentication
from .bpp import BPP_TAG
from .config import EuiccConfig
from .error_results import bpp_error_reasons, error_alternative, refusal, result_code
from .es10 import Es10Entry, Es10Function, Es10Stream, Es10Table
from .euicc_info import EuiccInfo, free_memory
from .install import PART_NAMES, BppLoader
from .notifications import Notifications
from .preset_config import stored_config
from .profiles import EnabledProfileListener, ProfileManagement, no_listener
from .rat import ppr_refusal
from .session import RspSession
from .sgp32 import IotParts, Sgp32Settings, iot_functions
from .sgp32_enabling import InstallationContext, InstalledProfile

ISD_R_AID = bytes.fromhex("A0000005591010FFFFFFFF8900000100")


class IsdR(Applet):
    aid = ISD_R_AID
    name = "ISD-R"

    def __init__(self, store: CardStore, credentials: CardCredentials, config: EuiccConfig,
                 entropy: CardEntropy,
                 on_enabled_profile_changed: EnabledProfileListener = no_listener,
                 faults: FaultPlan | None = None, sgp32: Sgp32Settings | None = None):
        """``entropy``: the card's randomness and signer (:mod:`euicc.crypto.entropy`).
        ``on_enabled_profile_changed``: told when ES10c changes which profile is enabled
        (:class:`~.profiles.ProfileManagement`); the UICC side that shows that profile.
        ``faults``: the card's fault plan, consulted per ES10 function and BPP part.
        ``config`` is the factory configuration; what a scenario's preset changed in it for
        this state (versions, capabilities, memory, RAT, addresses) is kept in the store and
        overrides it (:func:`.preset_config.stored_config`). ``sgp32``: the card is an IoT
        eUICC of that SGP.32 version (:mod:`.sgp32`); None: the SGP.22 card."""
        config = stored_config(store, config)
        self.store = store
        self.max_store_data = config.max_store_data
        self.faults = faults if faults is not None else FaultPlan()
        # The SGP.22 and SAIP modules now, not in the first ES10 command or download
        rsp(), pe()
        self.session = RspSession(entropy)
        self.info = EuiccInfo(config, credentials, store, self.session)
        self.authentication = Authentication(credentials, self.session, self.info.euicc_info2,
                                             entropy)
        self.notifications = Notifications(store, credentials, entropy)
        self.installed = InstallationContext()  # SGP.32 5.9.15's session context
        self.loader = BppLoader(store, self.session, credentials.eid,
                                on_installed=self._installed,
                                faults=self.faults,
                                free_memory=lambda: free_memory(config, store),
                                ppr_refusal=lambda metadata: ppr_refusal(metadata, config))
        self.profiles = ProfileManagement(
            store, self.notifications, self.info.reset_default_dp_address,
            on_enabled_profile_changed, config.profiles_info_default_tags,
            config.profile_class_explicit,
        )
        functions = self._functions()
        if sgp32 is not None:
            parts = IotParts.build(sgp32, store, credentials, self.info, self.profiles,
                                   entropy, self.installed)
            functions = iot_functions(functions, parts, self.info)
        self.es10 = Es10Table(functions, store.transaction, self.faults)
        # "STORE DATA ES10b.GetEUICCInfo1" per ES10 function, made at its first block a
        # trace names (each block of a download is named while an observer listens)
        self._store_data_names: dict[str, str] = {}
        self._commands = CommandTable(
            [CommandSpec(Ins.STORE_DATA, ClassFamily.PROPRIETARY, self._store_data, WITH_DATA)]
        )

    def _functions(self) -> list[Es10Entry]:
        info, profiles, notes = self.info, self.profiles, self.notifications
        auth = self.authentication
        undefined = 127
        f = Es10Function
        return [
            f("ES10c.GetEID", 0xBF3E, "GetEuiccDataRequest", "GetEuiccDataResponse",
              info.get_eid),
            f("ES10b.GetEUICCInfo1", 0xBF20, "GetEuiccInfo1Request", "EUICCInfo1",
              info.euicc_info1),
            f("ES10b.GetEUICCInfo2", 0xBF22, "GetEuiccInfo2Request", "EUICCInfo2",
              info.euicc_info2),
            f("ES10a.GetEuiccConfiguredAddresses", 0xBF3C, "EuiccConfiguredAddressesRequest",
              "EuiccConfiguredAddressesResponse", info.configured_addresses),
            f("ES10a.SetDefaultDpAddress", 0xBF3F, "SetDefaultDpAddressRequest",
              "SetDefaultDpAddressResponse", info.set_default_dp_address,
              {"setDefaultDpAddressResult": undefined},
              error=result_code("SetDefaultDpAddressResponse", "setDefaultDpAddressResult")),
            f("ES10b.GetRAT", 0xBF43, "GetRatRequest", "GetRatResponse", info.get_rat),
            f("ES10b.GetEUICCChallenge", 0xBF2E, "GetEuiccChallengeRequest",
              "GetEuiccChallengeResponse", info.get_euicc_challenge),
            f("ES10b.CancelSession", 0xBF41, "CancelSessionRequest", "CancelSessionResponse",
              auth.cancel_session, ("cancelSessionResponseError", undefined),
              error=error_alternative("CancelSessionResponse", "cancelSessionResponseError")),
            f("ES10b.AuthenticateServer", 0xBF38, "AuthenticateServerRequest",
              "AuthenticateServerResponse", auth.authenticate_server, with_raw=True,
              error=refusal("AuthenticateErrorCode", auth.refuse_authentication)),
            f("ES10b.PrepareDownload", 0xBF21, "PrepareDownloadRequest",
              "PrepareDownloadResponse", auth.prepare_download, with_raw=True,
              error=refusal("DownloadErrorCode", auth.refuse_download)),
            Es10Stream("ES10b.LoadBoundProfilePackage", BPP_TAG, self.loader),
            f("ES10c.GetProfilesInfo", 0xBF2D, "ProfileInfoListRequest",
              "ProfileInfoListResponse", profiles.get_profiles_info,
              ("profileInfoListError", undefined),
              error=error_alternative("ProfileInfoListResponse", "profileInfoListError")),
            f("ES10c.EnableProfile", 0xBF31, "EnableProfileRequest", "EnableProfileResponse",
              profiles.enable_profile, {"enableResult": undefined},
              error=result_code("EnableProfileResponse", "enableResult")),
            f("ES10c.DisableProfile", 0xBF32, "DisableProfileRequest",
              "DisableProfileResponse", profiles.disable_profile, {"disableResult": undefined},
              error=result_code("DisableProfileResponse", "disableResult")),
            f("ES10c.DeleteProfile", 0xBF33, "DeleteProfileRequest", "DeleteProfileResponse",
              profiles.delete_profile, {"deleteResult": undefined},
              error=result_code("DeleteProfileResponse", "deleteResult")),
            f("ES10c.SetNickname", 0xBF29, "SetNicknameRequest", "SetNicknameResponse",
              profiles.set_nickname, {"setNicknameResult": undefined},
              error=result_code("SetNicknameResponse", "setNicknameResult")),
            f("ES10c.eUICCMemoryReset", 0xBF34, "EuiccMemoryResetRequest",
              "EuiccMemoryResetResponse", profiles.memory_reset, {"resetResult": undefined},
              error=result_code("EuiccMemoryResetResponse", "resetResult")),
            f("ES10b.ListNotification", 0xBF28, "ListNotificationRequest",
              "ListNotificationResponse", notes.list_notification,
              ("listNotificationsResultError", undefined),
              error=error_alternative("ListNotificationResponse",
                                      "listNotificationsResultError")),
            f("ES10b.RetrieveNotificationsList", 0xBF2B, "RetrieveNotificationsListRequest",
              "RetrieveNotificationsListResponse", notes.retrieve_notifications_list,
              ("notificationsListResultError", undefined),
              error=error_alternative("RetrieveNotificationsListResponse",
                                      "notificationsListResultError")),
            f("ES10b.RemoveNotificationFromList", 0xBF30, "NotificationSentRequest",
              "NotificationSentResponse", notes.remove_notification_from_list,
              {"deleteNotificationStatus": undefined},
              error=result_code("NotificationSentResponse", "deleteNotificationStatus")),
        ]

    def _installed(self, record: ProfileRecord) -> None:
        """LoadBoundProfilePackage installed a profile (the session still holds its
        SM-DP+)."""
        self.authentication.forget_one_time_key()
        self.installed.installed = InstalledProfile(record.isdp_aid, self.session.smdp_oid,
                                                    self.session.server_address)

    def command_names(self) -> list[str]:
        return self._commands.names()

    def fault_targets(self) -> list[Target]:
        """What the fault plan may name here: each ES10 function with its error results
        (:mod:`.error_results`), and each part of LoadBoundProfilePackage with the
        ProfileInstallationResult's errorReasons."""
        targets = [Target(e.name, Layer.ES10,
                          dict(e.error.codes) if getattr(e, "error", None) else {})
                   for e in self.es10.entries()]
        reasons = bpp_error_reasons()
        targets += [Target(bpp_point_name(part), Layer.BPP, reasons,
                           segmented=part in ("StoreMetadata", "LoadProfileElements"))
                    for part in PART_NAMES.values()]
        return targets

    def reset(self) -> None:
        self.loader.abort()  # an interrupted download leaves nothing behind
        self.session.clear()
        self.installed.clear()

    def process(self, apdu: CommandApdu, channel: Channel) -> ResponseApdu:
        return self._commands.dispatch(apdu, channel)

    def command_name(self, apdu: CommandApdu, channel: Channel) -> str | None:
        if apdu.ins != Ins.STORE_DATA:
            return self._commands.name_of(apdu)
        # Name a STORE DATA block after the ES10 function its command goes to
        pending = channel.applet_state.get(store_data.STATE_KEY)
        first = apdu.data if apdu.p2 == 0 or pending is None else pending.buffer
        name = self.es10.name_of(bytes(first[:2]))
        if name is None:
            return Ins.STORE_DATA.label
        label = self._store_data_names.get(name)
        if label is None:
            label = self._store_data_names[name] = f"{Ins.STORE_DATA.label} {name}"
        return label

    def fci_proprietary(self) -> bytes:
        """'9F65' maximum length of data field in command message (GlobalPlatform 2.3
        11.9.3.1): the longest STORE DATA block this chip takes, 'FF' unless it has a limit
        (:attr:`.config.EuiccConfig.max_store_data`)."""
        most = self.max_store_data
        if most is None:
            return super().fci_proprietary()
        return tlv(0x9F65, most.to_bytes(1 if most < 0x100 else 2, "big"))

    def _store_data(self, apdu: CommandApdu, channel: Channel) -> ResponseApdu:
        command = store_data.accept_block(apdu, channel, self.max_store_data)
        if command is None:
            return ResponseApdu()
        return ResponseApdu(self.es10.execute(command))

