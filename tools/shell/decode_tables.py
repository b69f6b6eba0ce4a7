"""Name tables for :mod:`euicc_tools.shell.decode`: the service numbers of the USIM Service Table
(3GPP TS 31.102 4.2.8), the Enabled Services Table (TS 31.102 4.2.47) and the ISIM Service
Table (3GPP TS 31.103 4.2.7), well-known application identifiers (ETSI TS 101 220 annex E,
GSMA SGP.02/SGP.22) and the key references and commands met in access rules (ETSI TS 102 221
9.5.1 table 9.3, 10.1.2 table 10.5; ETSI TS 102 222 6.1)."""

from __future__ import annotations

from types import MappingProxyType

from euicc.ins import Ins

USIM_SERVICES = {
    1: "Local Phone Book",
    2: "Fixed Dialling Numbers (FDN)",
    3: "Extension 2",
    4: "Service Dialling Numbers (SDN)",
    5: "Extension 3",
    6: "Barred Dialling Numbers (BDN)",
    7: "Extension 4",
    8: "Outgoing Call Information (OCI and OCT)",
    9: "Incoming Call Information (ICI and ICT)",
    10: "Short Message Storage (SMS)",
    11: "Short Message Status Reports (SMSR)",
    12: "Short Message Service Parameters (SMSP)",
    13: "Advice of Charge (AoC)",
    14: "Capability Configuration Parameters 2 (CCP2)",
    15: "Cell Broadcast Message Identifier",
    16: "Cell Broadcast Message Identifier Ranges",
    17: "Group Identifier Level 1",
    18: "Group Identifier Level 2",
    19: "Service Provider Name",
    20: "User controlled PLMN selector with Access Technology",
    21: "MSISDN",
    22: "Image (IMG)",
    23: "Support of Localised Service Areas (SoLSA)",
    24: "Enhanced Multi-Level Precedence and Pre-emption Service",
    25: "Automatic Answer for eMLPP",
    26: "RFU",
    27: "GSM Access",
    28: "Data download via SMS-PP",
    29: "Data download via SMS-CB",
    30: "Call Control by USIM",
    31: "MO-SMS Control by USIM",
    32: "RUN AT COMMAND command",
    33: "shall be set to 1",
    34: "Enabled Services Table",
    35: "APN Control List (ACL)",
    36: "Depersonalisation Control Keys",
    37: "Co-operative Network List",
    38: "GSM security context",
    39: "CPBCCH Information",
    40: "Investigation Scan",
    41: "MexE",
    42: "Operator controlled PLMN selector with Access Technology",
    43: "HPLMN selector with Access Technology",
    44: "Extension 5",
    45: "PLMN Network Name",
    46: "Operator PLMN List",
    47: "Mailbox Dialling Numbers",
    48: "Message Waiting Indication Status",
    49: "Call Forwarding Indication Status",
    50: "Reserved and shall be ignored",
    51: "Service Provider Display Information",
    52: "Multimedia Messaging Service (MMS)",
    53: "Extension 8",
    54: "Call control on GPRS by USIM",
    55: "MMS User Connectivity Parameters",
    56: "Network's indication of alerting in the MS (NIA)",
    57: "VGCS Group Identifier List (EF.VGCS and EF.VGCSS)",
    58: "VBS Group Identifier List (EF.VBS and EF.VBSS)",
    59: "Pseudonym",
    60: "User Controlled PLMN selector for I-WLAN access",
    61: "Operator Controlled PLMN selector for I-WLAN access",
    62: "User controlled WSID list",
    63: "Operator controlled WSID list",
    64: "VGCS security",
    65: "VBS security",
    66: "WLAN Reauthentication Identity",
    67: "Multimedia Messages Storage",
    68: "Generic Bootstrapping Architecture (GBA)",
    69: "MBMS security",
    70: "Data download via USSD and USSD application mode",
    71: "Equivalent HPLMN",
    72: "Additional TERMINAL PROFILE after UICC activation",
    73: "Equivalent HPLMN Presentation Indication",
    74: "Last RPLMN Selection Indication",
    75: "OMA BCAST Smart Card Profile",
    76: "GBA-based Local Key Establishment Mechanism",
    77: "Terminal Applications",
    78: "Service Provider Name Icon",
    79: "PLMN Network Name Icon",
    80: "Connectivity Parameters for USIM IP connections",
    81: "Home I-WLAN Specific Identifier List",
    82: "I-WLAN Equivalent HPLMN Presentation Indication",
    83: "I-WLAN HPLMN Priority Indication",
    84: "I-WLAN Last Registered PLMN",
    85: "EPS Mobility Management Information",
    86: "Allowed CSG Lists and corresponding indications",
    87: "Call control on EPS PDN connection by USIM",
    88: "HPLMN Direct Access",
    89: "eCall Data",
    90: "Operator CSG Lists and corresponding indications",
    91: "Support for SM-over-IP",
    92: "Support of CSG Display Control",
    93: "Communication Control for IMS by USIM",
    94: "Extended Terminal Applications",
    95: "Support of UICC access to IMS",
    96: "Non-Access Stratum configuration by USIM",
    97: "PWS configuration by USIM",
    98: "RFU",
    99: "URI support by UICC",
    100: "Extended EARFCN support",
    101: "ProSe",
    102: "USAT Application Pairing",
    103: "Media Type support",
    104: "IMS call disconnection cause",
    105: "URI support for MO SHORT MESSAGE CONTROL",
    106: "ePDG configuration Information support",
    107: "ePDG configuration Information configured",
    108: "ACDC support",
    109: "MCPTT",
    110: "ePDG configuration Information for Emergency Service support",
    111: "ePDG configuration Information for Emergency Service configured",
    112: "eCall Data over IMS",
    113: "URI support for SMS-PP DOWNLOAD",
    114: "From Preferred",
    115: "IMS configuration data",
    116: "TV configuration",
    117: "3GPP PS Data Off",
    118: "3GPP PS Data Off Service List",
    119: "V2X",
    120: "XCAP Configuration Data",
    121: "EARFCN list for MTC/NB-IOT UEs",
    122: "5GS Mobility Management Information",
    123: "5G Security Parameters",
    124: "Subscription identifier privacy support",
    125: "SUCI calculation by the USIM",
    126: "UAC Access Identities support",
    127: "Expect control plane-based Steering of Roaming information during initial "
         "registration in VPLMN",
    128: "Call control on PDU Session by USIM",
    129: "5GS Operator PLMN List",
    130: "Support for SUPI of type NSI or GLI or GCI",
    131: "3GPP PS Data Off separate Home and Roaming lists",
    132: "Support for URSP by USIM",
    133: "5G Security Parameters extended",
    134: "MuD and MiD configuration data",
    135: "Support for Trusted non-3GPP access networks by USIM",
    136: "Support for multiple records of NAS security context storage",
    137: "Pre-configured CAG information list",
    138: "SOR-CMCI storage in USIM",
    139: "5G ProSe",
    140: "Storage of disaster roaming information in USIM",
    141: "Pre-configured eDRX parameters",
    142: "5G NSWO support",
    143: "PWS configuration for SNPN in USIM",
    144: "Multiplier Coefficient for Higher Priority PLMN search via NG-RAN satellite access",
    145: "K_AUSF derivation configuration",
    146: "Network Identifier for SNPN (NID)",
}

ENABLED_SERVICES = {
    1: "Fixed Dialling Numbers (FDN)",
    2: "Barred Dialling Numbers (BDN)",
    3: "APN Control List (ACL)",
}

ISIM_SERVICES = {
    1: "P-CSCF address",
    2: "Generic Bootstrapping Architecture (GBA)",
    3: "HTTP Digest",
    4: "GBA-based Local Key Establishment Mechanism",
    5: "Support of P-CSCF discovery for IMS Local Break Out",
    6: "Short Message Storage (SMS)",
    7: "Short Message Status Reports (SMSR)",
    8: "Support for SM-over-IP including data download via SMS-PP",
    9: "Communication Control for IMS by ISIM",
    10: "Support of UICC access to IMS",
    11: "URI support by UICC",
    12: "Media Type support",
    13: "IMS call disconnection cause",
    14: "URI support for MO SHORT MESSAGE CONTROL",
    15: "MCPTT",
    16: "URI support for SMS-PP DOWNLOAD",
    17: "From Preferred",
    18: "IMS configuration data",
    19: "XCAP Configuration Data",
    20: "WebRTC URI",
    21: "MuD and MiD configuration data",
    22: "IMS Data Channel indication",
}

# AID prefixes (RID + application code): TS 101 220 annex E for 3GPP and 3GPP2, SGP.22 2.2.
APPLICATIONS = {
    "A0000000871002": "USIM",
    "A0000000871004": "ISIM",
    "A0000003431002": "CSIM",
    "A0000005591010FFFFFFFF8900000100": "ISD-R",
    "A0000005591010FFFFFFFF8900000200": "ECASD",
}


def application_name(aid: bytes) -> str | None:
    text = aid.hex().upper()
    for prefix, name in APPLICATIONS.items():
        if text.startswith(prefix):
            return name
    return None


def key_reference_name(reference: int) -> str:
    """TS 102 221 table 9.3: '01'-'08' application PINs, '0A'-'0E' and '8A'-'8E' ADM1-10,
    '11' universal PIN, '81'-'88' second application PINs."""
    if 0x01 <= reference <= 0x08 or 0x81 <= reference <= 0x88:
        return f"PIN {reference:02X}"
    if 0x0A <= reference <= 0x0E:
        return f"ADM{reference - 0x09} ({reference:02X})"
    if 0x8A <= reference <= 0x8E:
        return f"ADM{reference - 0x8A + 6} ({reference:02X})"
    if reference == 0x11:
        return "universal PIN (11)"
    return f"key {reference:02X}"


# Commands named by an access rule's command header AM_DO (TS 102 221 10.1.2, TS 102 222).
INSTRUCTIONS = MappingProxyType({ins: ins.label for ins in (
    Ins.DEACTIVATE_FILE, Ins.TERMINAL_PROFILE, Ins.VERIFY_PIN, Ins.CHANGE_PIN, Ins.DISABLE_PIN,
    Ins.ENABLE_PIN, Ins.UNBLOCK_PIN, Ins.INCREASE, Ins.ACTIVATE_FILE, Ins.AUTHENTICATE,
    Ins.AUTHENTICATE_ODD, Ins.SEARCH_RECORD, Ins.SELECT, Ins.READ_BINARY, Ins.READ_RECORD,
    Ins.ENVELOPE, Ins.RETRIEVE_DATA, Ins.RESIZE_FILE, Ins.UPDATE_BINARY, Ins.SET_DATA,
    Ins.UPDATE_RECORD, Ins.CREATE_FILE, Ins.DELETE_FILE, Ins.TERMINATE_DF, Ins.TERMINATE_EF,
    Ins.TERMINATE_CARD_USAGE,
)})

# Access mode byte, b1..b7 (ISO/IEC 7816-4 tables 18 and 19 as used by TS 102 221 9.2.7).
EF_ACCESS_MODES = ("READ", "UPDATE", "WRITE", "DEACTIVATE", "ACTIVATE", "TERMINATE", "DELETE")
DF_ACCESS_MODES = ("DELETE child", "CREATE EF", "CREATE DF", "DEACTIVATE", "ACTIVATE",
                   "TERMINATE", "DELETE")
