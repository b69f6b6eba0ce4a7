"""What this eUICC declares about itself (SGP.22 4.3 "EUICCInfo", 5.7.8 GetEUICCInfo,
2.9.2 Rules Authorisation Table): versions, capabilities, memory, accreditation and the
factory RAT. Frozen and built once at start-up; nothing here is secret.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from euicc import __version__


def version_bytes(text: str) -> bytes:
    major, minor, revision = (int(x) for x in text.split("."))
    return bytes([major, minor, revision])


@dataclass(frozen=True)
class RatRule:
    """One ProfilePolicyAuthorisationRule; mcc_mnc 'EEEEEE' is the 'any operator' wildcard."""

    ppr_ids: tuple[str, ...] = ("ppr1", "ppr2")
    allowed_mcc_mnc: tuple[bytes, ...] = (b"\xee\xee\xee",)
    consent_required: bool = True


@dataclass(frozen=True)
class EuiccConfig:
    svn: str = "2.4.0"  # SGP.22 version implemented
    profile_version: str = "2.3.1"  # TCA eUICC Profile Package version supported
    firmware_version: str = __version__
    globalplatform_version: str = "2.3.0"
    pp_version: str = "1.0.0"  # SGP.25 Protection Profile version claimed
    sas_accreditation_number: str = "EUICC-EMU-TEST-ONLY"
    root_ds_address: str = "lpa.ds.gsma.com"
    initial_default_dp_address: str | None = None
    nvm_capacity: int = 1_048_576  # bytes of profile memory
    free_volatile: int = 8_192
    uicc_capabilities: tuple[str, ...] = (
        "usimSupport", "isimSupport", "akaMilenage", "akaTuak128", "akaTuak256",
        "berTlvFileSupport", "multipleUsimSupport", "multipleIsimSupport",
    )
    rsp_capabilities: tuple[str, ...] = ("additionalProfile", "testProfileSupport")
    rat: tuple[RatRule, ...] = field(default_factory=lambda: (RatRule(),))
