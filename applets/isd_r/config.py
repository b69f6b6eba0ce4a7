"""What this eUICC declares about itself (SGP.22 4.3 "EUICCInfo", 5.7.8 GetEUICCInfo,
2.9.2 Rules Authorisation Table): versions, capabilities, memory, accreditation and the
factory RAT. Frozen and built once at start-up; nothing here is secret. A scenario's
preset may change any of it for one state (:mod:`.preset_config`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from euicc import __version__


def version_bytes(text: str) -> bytes:
    major, minor, revision = (int(x) for x in text.split("."))
    return bytes([major, minor, revision])


@dataclass(frozen=True)
class OperatorId:
    """SGP.22 2.9.2.1 OperatorId: ``mcc_mnc`` as 3GPP TS 24.008 10.5.1.3 codes it (MNC digit 3
    'F' for a two-digit MNC), a digit 'E' matching any digit; ``gid1``/``gid2``: the content
    of EF GID1 / GID2 (3GPP TS 31.102 4.2.10, 4.2.11) the profile owner must have, None: any.
    """

    mcc_mnc: bytes = b"\xee\xee\xee"  # 'EEEEEE': any operator
    gid1: bytes | None = None
    gid2: bytes | None = None


@dataclass(frozen=True)
class RatRule:
    """One ProfilePolicyAuthorisationRule (SGP.22 2.9.2.1): the PPRs (PprIds names) the
    operators given may set, and whether the end user's consent is required."""

    ppr_ids: tuple[str, ...] = ("ppr1", "ppr2")
    operators: tuple[OperatorId, ...] = (OperatorId(),)
    consent_required: bool = True


@dataclass(frozen=True)
class EuiccConfig:
    svn: str = "2.4.0"  # SGP.22 version implemented
    profile_version: str = "2.3.1"  # TCA eUICC Profile Package version supported
    firmware_version: str = __version__
    ts102241_version: str | None = None  # no Java Card UICC API (TS 102 241) declared
    globalplatform_version: str | None = "2.3.0"  # None: left out (OPTIONAL, SGP.22 4.3)
    pp_version: str = "1.0.0"  # SGP.25 Protection Profile version claimed
    sas_accreditation_number: str = "EUICC-EMU-TEST-ONLY"
    root_ds_address: str = "lpa.ds.gsma.com"
    initial_default_dp_address: str | None = None
    nvm_capacity: int = 1_048_576  # bytes of profile memory
    free_volatile: int = 8_192
    installed_applications: int | None = None  # None: the number of installed profiles
    uicc_capabilities: tuple[str, ...] = (
        "usimSupport", "isimSupport", "akaMilenage", "akaTuak128", "akaTuak256",
        "berTlvFileSupport", "multipleUsimSupport", "multipleIsimSupport",
    )
    rsp_capabilities: tuple[str, ...] = ("additionalProfile", "testProfileSupport")
    # None: the CIs the card has (euicc.pki); a tuple: what EUICCInfo1/2 declare instead
    ci_pkids_for_verification: tuple[bytes, ...] | None = None
    ci_pkids_for_signing: tuple[bytes, ...] | None = None
    euicc_category: int | None = None  # EUICCInfo2 euiccCategory, None: absent
    forbidden_pprs: tuple[str, ...] | None = None  # forbiddenProfilePolicyRules, None: absent
    certification_data: tuple[str, str] | None = None  # (platformLabel, discoveryBaseURL)
    rat: tuple[RatRule, ...] = field(default_factory=lambda: (RatRule(),))
    # GetProfilesInfo without a tagList (SGP.22 5.7.15): None: every ProfileInfo member the
    # card holds; a tuple of tags: only those (a chip model's choice, see
    # euicc_tools.personalities Quirk.PROFILES_INFO_BASIC_TAGS)
    profiles_info_default_tags: tuple[int, ...] | None = None
    # ProfileInfo profileClass operational, its DEFAULT: False: left out as DER does (X.690
    # 11.5); True: sent as 95 01 02 (Quirk.PROFILE_CLASS_EXPLICIT)
    profile_class_explicit: bool = False
    # The longest STORE DATA data field the ISD-R takes (:mod:`.store_data`, its FCI
    # '9F65'): None: any a short or extended APDU carries, the FCI saying 'FF'
    max_store_data: int | None = None
