"""ES10a and ES10b functions about the eUICC itself:
SGP.22 5.7.3 GetEuiccConfiguredAddresses, 5.7.4 SetDefaultDpAddress, 5.7.7
GetEUICCChallenge, 5.7.8 GetEUICCInfo (EUICCInfo1 / EUICCInfo2),
5.7.16 GetRAT (Rules Authorisation Table) and 5.7.20 GetEID.
"""

from __future__ import annotations

from euicc.pki import CardCredentials
from euicc.store import CardStore
from euicc.sw import SW, SwError
from euicc.tlv import tlv

from .bits import bits_from_names
from .config import EuiccConfig, OperatorId, version_bytes
from .session import RspSession

DEFAULT_DP_KEY = "default_dp_address"
EID_TAG = b"\x5a"


class EuiccInfo:
    def __init__(
        self,
        config: EuiccConfig,
        credentials: CardCredentials,
        store: CardStore,
        session: RspSession,
    ) -> None:
        self.config = config
        self.credentials = credentials
        self.store = store
        self.session = session
        # Fixed for the card's life; computed here so no ES10 call pays for it.
        self._uicc_capability = bits_from_names("UICCCapability", config.uicc_capabilities)
        self._rsp_capability = bits_from_names("RspCapability", config.rsp_capabilities)

    # -- SGP.22 5.7.20 GetEID --------------------------------------------------------------
    def get_eid(self, request: dict) -> dict:
        if request["tagList"] != EID_TAG:
            raise SwError(SW.WRONG_DATA, "GetEID tagList must be '5A'")
        return {"eidValue": bytes.fromhex(self.credentials.eid)}

    # -- SGP.22 5.7.8 GetEUICCInfo -----------------------------------------------------------
    def ci_pkid_lists(self) -> dict:
        """euiccCiPKIdListForVerification / ForSigning: the CIs the card has, unless a preset
        declares other lists (the card still verifies and signs with the CIs it has)."""
        config, credentials = self.config, self.credentials
        verification = config.ci_pkids_for_verification
        signing = config.ci_pkids_for_signing
        return {
            "euiccCiPKIdListForVerification": list(
                credentials.pkids_for_verification if verification is None else verification),
            "euiccCiPKIdListForSigning": list(
                credentials.pkids_for_signing if signing is None else signing),
        }

    def euicc_info1(self, request: dict | None = None) -> dict:
        return {"svn": version_bytes(self.config.svn), **self.ci_pkid_lists()}

    def ext_card_resource(self) -> bytes:
        """ETSI TS 102 226 8.2.1.7.2: installed applications, free NVM, free RAM."""
        installed = self.config.installed_applications
        if installed is None:
            installed = len(self.store.profiles())
        free_nvm = free_memory(self.config, self.store)
        return (
            tlv(0x81, bytes([min(installed, 255)]))
            + tlv(0x82, free_nvm.to_bytes(4, "big"))
            + tlv(0x83, self.config.free_volatile.to_bytes(2, "big"))
        )

    def euicc_info2(self, request: dict | None = None) -> dict:
        config = self.config
        info = {
            "profileVersion": version_bytes(config.profile_version),
            "svn": version_bytes(config.svn),
            "euiccFirmwareVer": version_bytes(config.firmware_version),
            "extCardResource": self.ext_card_resource(),
            "uiccCapability": self._uicc_capability,
            "rspCapability": self._rsp_capability,
            **self.ci_pkid_lists(),
            "ppVersion": version_bytes(config.pp_version),
            "sasAcreditationNumber": config.sas_accreditation_number,
        }
        # The optional members only where this eUICC declares them (SGP.22 4.3)
        if config.ts102241_version is not None:
            info["ts102241Version"] = version_bytes(config.ts102241_version)
        if config.globalplatform_version is not None:
            info["globalplatformVersion"] = version_bytes(config.globalplatform_version)
        if config.euicc_category is not None:
            info["euiccCategory"] = config.euicc_category
        if config.forbidden_pprs is not None:
            info["forbiddenProfilePolicyRules"] = bits_from_names("PprIds",
                                                                  config.forbidden_pprs)
        if config.certification_data is not None:
            label, url = config.certification_data
            info["certificationDataObject"] = {"platformLabel": label,
                                               "discoveryBaseURL": url}
        return info

    # -- SGP.22 5.7.3 / 5.7.4 configured addresses ----------------------------------------------
    def default_dp_address(self) -> str | None:
        stored = self.store.get_meta(DEFAULT_DP_KEY)
        if stored is None:
            return self.config.initial_default_dp_address
        return stored or None  # "" records an explicit deletion of the initial address

    def configured_addresses(self, request: dict) -> dict:
        response = {"rootDsAddress": self.config.root_ds_address}
        address = self.default_dp_address()
        if address:
            response["defaultDpAddress"] = address
        return response

    def set_default_dp_address(self, request: dict) -> dict:
        # An empty address deletes the default SM-DP+ address (SGP.22 5.7.4).
        self.store.set_meta(DEFAULT_DP_KEY, request["defaultDpAddress"])
        return {"setDefaultDpAddressResult": 0}

    def reset_default_dp_address(self) -> bool:
        """eUICCMemoryReset resetDefaultSmdpAddress: back to the factory value."""
        if self.store.get_meta(DEFAULT_DP_KEY) is None:
            return False
        self.store.set_meta(DEFAULT_DP_KEY, None)
        return True

    # -- SGP.22 5.7.16 GetRAT --------------------------------------------------------------------
    def get_rat(self, request: dict) -> dict:
        rules = [
            {
                "pprIds": bits_from_names("PprIds", rule.ppr_ids),
                "allowedOperators": [operator_id(op) for op in rule.operators],
                "pprFlags": (b"\x80", 1) if rule.consent_required else (b"", 0),
            }
            for rule in self.config.rat
        ]
        return {"rat": rules}

    # -- SGP.22 5.7.7 GetEUICCChallenge ------------------------------------------------------------
    def get_euicc_challenge(self, request: dict) -> dict:
        return {"euiccChallenge": self.session.new_challenge()}


def operator_id(operator: OperatorId) -> dict:
    """SGP.22 2.9.2.1 OperatorId, gid1 and gid2 only where the rule names them."""
    value = {"mccMnc": operator.mcc_mnc}
    for key in ("gid1", "gid2"):
        if getattr(operator, key) is not None:
            value[key] = getattr(operator, key)
    return value


def free_memory(config: EuiccConfig, store: CardStore) -> int:
    """Non-volatile memory left for profiles: the capacity less the installed packages."""
    return max(config.nvm_capacity - sum(p.size for p in store.profiles()), 0)
