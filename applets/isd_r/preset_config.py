"""What a preset changes in the eUICC's declared configuration (:class:`.config.EuiccConfig`):
the ``[preset]`` keys below, read by :func:`config_changes`, written into the state by
:func:`.presets.apply_preset` and read back by :func:`stored_config` each time the ISD-R is
made, so a restart, with or without the scenario, answers as the first start did.

::

    [preset]
    memory_full = false                # true: no NVM left (extCardResource free 0, a
                                       # download ends errorReason 10, SGP.22 5.7.6)
    default_dp_address = "smdp.example.com"   # ES10a configured addresses (SGP.22 5.7.3)
    root_ds_address = "lpa.ds.example.com"
    svn = "2.2.0"                      # EUICCInfo1 and EUICCInfo2 svn (SGP.22 4.3)
    rat = []                           # an empty RAT: every PPR is refused (or:)

    [[preset.rat]]                     # the card's RAT (SGP.22 2.9.2.1, ES10b.GetRAT
                                       # 5.7.16): one ProfilePolicyAuthorisationRule each,
                                       # replacing the factory RAT (any operator: ppr1, ppr2)
    ppr = ["ppr1"]                     # pprIds: pprUpdateControl | ppr1 | ppr2
    operators = [{ plmn = "00101", gid1 = "A1", gid2 = "B2" }]   # allowedOperators
    consent_required = false           # pprFlags consentRequired (default true)

    [preset.euicc_info2]               # ES10b.GetEUICCInfo2 (SGP.22 4.3, 5.7.8)
    profile_version = "2.3.1"          # profileVersion; firmware: euiccFirmwareVer;
    firmware = "1.2.3"                 # ts102241_version (absent unless given),
    ts102241_version = "9.2.0"         # globalplatform_version, pp_version: VersionTypes
    uicc_capability = ["usimSupport", "isimSupport"]   # UICCCapability bit names
    rsp_capability = ["additionalProfile"]             # RspCapability bit names
    ci_pkids_for_verification = ["F54172BDF98A95D65CBEB88A38A1C11D800A85C3"]  # hex
    ci_pkids_for_signing = []
    euicc_category = "basicEuicc"      # other | basicEuicc | mediumEuicc | contactlessEuicc
    forbidden_ppr = ["ppr1"]           # forbiddenProfilePolicyRules (PprIds names)
    sas_accreditation_number = "GSMA-SAS-0001"   # at most 64 characters
    certification_data = { platform_label = "1.2.3", discovery_base_url = "https://a.example" }
    free_nvm = 65536                   # extCardResource: bytes free once the preset is
    free_volatile = 4096               # written (the capacity is that plus the preset
    installed_applications = 3         # profiles' packages), 0 .. 65535, and a fixed count
    leave_out = ["globalplatform_version"]   # OPTIONAL members the card answers unless
                                       # told (only globalplatformVersion: the others are
                                       # left out unless given)

Effects. ``plmn`` is the MCC and MNC digits (five or six), coded as 3GPP TS 24.008 10.5.1.3
(MNC digit 3 'F' when it has two digits); 'E' in a digit matches any digit ("EEEEEE": any
operator); ``gid1`` / ``gid2`` (hex, EF GID1 / GID2 content) narrow the rule to owners with
that group identifier. A downloaded profile whose metadata sets a PPR no rule allows for its
profileOwner, or one of ``forbidden_ppr``, is refused with pprNotAllowed (:mod:`.rat`). The
CI key id lists are what EUICCInfo1 and EUICCInfo2 declare, nothing more: the card verifies
and signs with the CIs it has, so an SM-DP+ that picks a declared CI the card does not have
gets AuthenticateServer ciPKUnknown (SGP.22 5.7.13), a test of how the LPA reports it.
``installed_applications`` is reported as given whatever is installed. ``svn`` stays at the
top of ``[preset]`` (it is EUICCInfo1's too).
"""

from __future__ import annotations

import json
import re
from dataclasses import replace

from euicc.faults import ScenarioError
from euicc.store import CardStore

from .config import EuiccConfig, OperatorId, RatRule
from .preset_schema import (
    bit_names,
    choice,
    fail,
    flag,
    hex_bytes,
    named_number,
    number,
    text,
    unknown_keys,
    version,
)
from .rat import PLMN, encode_plmn

CONFIG_META = "preset_config"
DIGITS = re.compile(r"\d{5,6}")
CONFIG_KEYS = ("memory_full", "default_dp_address", "root_ds_address", "svn", "rat",
               "euicc_info2")
RULE_KEYS = ("ppr", "operators", "consent_required")
OPERATOR_KEYS = ("plmn", "gid1", "gid2")
# euicc_info2 key -> (EuiccConfig field, reader)
VERSIONS = {"profile_version": "profile_version", "firmware": "firmware_version",
            "ts102241_version": "ts102241_version",
            "globalplatform_version": "globalplatform_version", "pp_version": "pp_version"}
INFO2_KEYS = (*VERSIONS, "uicc_capability", "rsp_capability", "ci_pkids_for_verification",
              "ci_pkids_for_signing", "euicc_category", "forbidden_ppr",
              "sas_accreditation_number", "certification_data", "free_nvm", "free_volatile",
              "installed_applications", "leave_out")
# EUICCInfo2's OPTIONAL members (SGP.22 4.3) by key: the one the card sends unless left out,
# and those it leaves out unless given
DEFAULT_PRESENT = {"globalplatform_version": "globalplatformVersion"}
ABSENT_UNLESS_GIVEN = {"ts102241_version": "ts102241Version",
                       "euicc_category": "euiccCategory",
                       "forbidden_ppr": "forbiddenProfilePolicyRules",
                       "certification_data": "certificationDataObject"}
CERTIFICATION_KEYS = ("platform_label", "discovery_base_url")


def operator(where: str, table, wildcards: bool = True) -> dict:
    """An OperatorId (SGP.22 2.9.2.1) as the ASN.1 value: ``plmn`` and optional ``gid1``,
    ``gid2``. ``wildcards``: whether 'E' may stand for any digit (a RAT rule) or not (a
    profileOwner)."""
    unknown_keys(where, table, OPERATOR_KEYS)
    plmn = table.get("plmn")
    if not isinstance(plmn, str) or not (PLMN if wildcards else DIGITS).fullmatch(
            plmn.upper()):
        fail(f"{where}: plmn", f"{plmn!r}: MCC and MNC, 5 or 6 digits" + (
            ", 'E' for any digit (\"EEEEEE\": any operator)" if wildcards else ""))
    value = {"mccMnc": encode_plmn(plmn)}
    value.update({key: hex_bytes(f"{where}: {key}", table[key], 1, 255)
                  for key in ("gid1", "gid2") if key in table})
    return value


def _rat_operator(value: dict) -> OperatorId:
    return OperatorId(value["mccMnc"], value.get("gid1"), value.get("gid2"))


def _rule(where: str, table) -> RatRule:
    unknown_keys(where, table, RULE_KEYS)
    if "ppr" not in table or "operators" not in table:
        fail(f"{where}: {'ppr' if 'ppr' not in table else 'operators'}",
             "a rule needs its pprIds (ppr) and allowedOperators (operators)")
    operators = table["operators"]
    if not isinstance(operators, list):
        fail(f"{where}: operators", "a list of { plmn = ..., gid1 = ..., gid2 = ... }")
    return RatRule(
        ppr_ids=bit_names(f"{where}: ppr", table["ppr"], "PprIds"),
        operators=tuple(_rat_operator(operator(f"{where}: operators {n + 1}", t))
                        for n, t in enumerate(operators)),
        consent_required=flag(f"{where}: consent_required",
                              table.get("consent_required", True)))


def _euicc_info2(where: str, table, profile_bytes: int, memory_full: bool) -> dict:
    if isinstance(table, dict) and "svn" in table:
        fail(f"{where}: svn", "set at the top of [preset] (svn = \"2.2.0\"): it is "
                              "EUICCInfo1's too")
    unknown_keys(where, table, INFO2_KEYS)
    changes = {field: version(f"{where}: {key}", table[key])
               for key, field in VERSIONS.items() if key in table}
    for key, field, type_name in (("uicc_capability", "uicc_capabilities", "UICCCapability"),
                                  ("rsp_capability", "rsp_capabilities", "RspCapability"),
                                  ("forbidden_ppr", "forbidden_pprs", "PprIds")):
        if key in table:
            changes[field] = bit_names(f"{where}: {key}", table[key], type_name)
    for key in ("ci_pkids_for_verification", "ci_pkids_for_signing"):
        if key in table:
            ids = table[key]
            if not isinstance(ids, list):
                fail(f"{where}: {key}", f"{ids!r}: a list of key identifiers in hex")
            changes[key] = tuple(hex_bytes(f"{where}: {key}", i) for i in ids)
    if "euicc_category" in table:
        changes["euicc_category"] = named_number(f"{where}: euicc_category",
                                                 table["euicc_category"], "EUICCInfo2",
                                                 "euiccCategory")
    if "sas_accreditation_number" in table:
        changes["sas_accreditation_number"] = text(f"{where}: sas_accreditation_number",
                                                   table["sas_accreditation_number"], 64)
    if "certification_data" in table:
        data = table["certification_data"]
        inner = f"{where}: certification_data"
        unknown_keys(inner, data, CERTIFICATION_KEYS)
        changes["certification_data"] = tuple(
            text(f"{inner}: {key}", data.get(key), 255) for key in CERTIFICATION_KEYS)
    if "free_nvm" in table:
        if memory_full:
            fail(f"{where}: free_nvm", "memory_full already says 0 bytes are free")
        free = number(f"{where}: free_nvm", table["free_nvm"], 0, 2 ** 32 - 1)
        changes["nvm_capacity"] = free + profile_bytes
    if "free_volatile" in table:
        changes["free_volatile"] = number(f"{where}: free_volatile", table["free_volatile"],
                                          0, 0xFFFF)
    if "installed_applications" in table:
        changes["installed_applications"] = number(
            f"{where}: installed_applications", table["installed_applications"], 0, 255)
    if "leave_out" in table:
        changes.update(_left_out(f"{where}: leave_out", table))
    return changes


def _left_out(where: str, table: dict) -> dict:
    """``leave_out``: the OPTIONAL EUICCInfo2 members (SGP.22 4.3) a chip does not send,
    of those the card sends by default."""
    keys = table["leave_out"]
    if not isinstance(keys, list):
        fail(where, f"{keys!r}: a list of {', '.join(DEFAULT_PRESENT)}")
    changes = {}
    for key in keys:
        if key in ABSENT_UNLESS_GIVEN:
            fail(where, f"{key!r}: {ABSENT_UNLESS_GIVEN[key]} is left out unless given")
        choice(where, key, tuple(DEFAULT_PRESENT))
        if key in table:
            fail(where, f"{key!r} is given as well")
        changes[VERSIONS[key]] = None
    return changes


def config_changes(tables: dict, profile_bytes: int = 0, where: str = "preset") -> dict:
    """The :class:`EuiccConfig` fields the ``[preset]`` keys of :data:`CONFIG_KEYS` set;
    ``profile_bytes``: the size of the preset profiles' packages (free_nvm is what is left
    beside them)."""
    changes: dict = {}
    memory_full = flag(f"{where}: memory_full", tables.get("memory_full", False))
    if memory_full:
        changes["nvm_capacity"] = 0
    for key, field in (("root_ds_address", "root_ds_address"),
                       ("default_dp_address", "initial_default_dp_address")):
        if key in tables:
            changes[field] = text(f"{where}: {key}", tables[key], 255)
    if "svn" in tables:
        changes["svn"] = version(f"{where}: svn", tables["svn"])
    if "rat" in tables:
        rules = tables["rat"]
        if not isinstance(rules, list):
            fail(f"{where}: rat", "[[preset.rat]] tables, or rat = [] for an empty RAT")
        changes["rat"] = tuple(_rule(f"{where}.rat {n + 1}", t) for n, t in enumerate(rules))
    if "euicc_info2" in tables:
        changes.update(_euicc_info2(f"{where}.euicc_info2", tables["euicc_info2"],
                                    profile_bytes, memory_full))
    return changes


def config_record(tables: dict, profile_bytes: int) -> str:
    """What :func:`stored_config` reads back: the preset's configuration keys as written
    (already checked) and the preset packages' size, as JSON in the store's meta table."""
    return json.dumps({"tables": {k: tables[k] for k in CONFIG_KEYS if k in tables},
                       "profile_bytes": profile_bytes}, sort_keys=True, default=str)


def stored_config(store: CardStore, base: EuiccConfig) -> EuiccConfig:
    """``base`` with what the preset written into ``store`` changed (``base`` if none)."""
    record = store.get_meta(CONFIG_META)
    if record is None:
        return base
    try:
        value = json.loads(record)
        return replace(base, **config_changes(value["tables"], value["profile_bytes"]))
    except (ValueError, KeyError, TypeError, ScenarioError) as exc:
        raise ScenarioError(f"the preset this state was made with no longer reads ({exc}); "
                            "start with a new --state") from None
