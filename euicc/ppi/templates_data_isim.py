"""Template tables for ADF.ISIM, ADF.CSIM and the IoT minimal profile (TCA eUICC Profile
Package: Interoperable Format Technical Specification, Annex A: ADF.ISIM mandatory/optional,
ADF.CSIM mandatory/optional, IoT templates; file identifiers as in 3GPP TS 31.103 4.2 and
3GPP2 C.S0065 5.2).

Row format: see :mod:`euicc.ppi.templates_data_mf`.

ADF.CSIM: the specification's CSIM tables were not available when this was written. The rows
below take file identifiers, structures and sizes from 3GPP2 C.S0065 and check them against the
CSIM elements of the GSMA TS.48 test profiles. They give no access rule to the EFs (the ``arr``
column is None: the profile element has to state securityAttributesReferenced, as TS.48 packages
do; the ADF and EF.ARR get the rules every other template gives a DF and an EF.ARR), sizes only
where C.S0065 fixes them, and no "content required" flags.
"""

from __future__ import annotations

from euicc.ppi.templates_data_mf import MF_ROWS
from euicc.ppi.templates_data_usim import (
    DF_5GS_V4_ROWS,
    DF_SAIP_ROWS,
    OPT_USIM_ROWS,
    USIM_V2_ROWS,
    with_changes,
)

# -- 2.23.143.1.2.8: ADF.ISIM (created by default) -------------------------------------------
ISIM_ROWS = [
    ("adf-isim", "ADF.ISIM", None, "ADF", None, None, 14, None, None, ""),
    ("ef-impi", "EF.IMPI", 0x6F02, "TR", None, None, 2, 0x02, None, "cs"),
    ("ef-impu", "EF.IMPU", 0x6F04, "LF", 1, None, 2, 0x04, None, "cs"),
    ("ef-domain", "EF.DOMAIN", 0x6F03, "TR", None, None, 2, 0x05, None, "cs"),
    ("ef-ist", "EF.IST", 0x6F07, "TR", None, 14, 2, 0x07, None, "c"),
    ("ef-ad", "EF.AD", 0x6FAD, "TR", None, 3, 10, 0x03, "000000", ""),
    ("ef-arr", "EF.ARR", 0x6F06, "LF", None, None, 10, 0x06, None, "csn"),
]

# -- 2.23.143.1.2.9: optional files of ADF.ISIM (not created by default) ---------------------
OPT_ISIM_ROWS = [
    ("ef-pcscf", "EF.P-CSCF", 0x6F09, "LF", 1, None, 2, None, None, "cs"),
    ("ef-sms", "EF.SMS", 0x6F3C, "LF", 10, 176, 5, None, "00FF...FF", ""),
    ("ef-smsp", "EF.SMSP", 0x6F42, "LF", 1, 38, 5, None, "FF...FF", ""),
    ("ef-smss", "EF.SMSS", 0x6F43, "TR", None, 2, 5, None, "FFFF", ""),
    ("ef-smsr", "EF.SMSR", 0x6F47, "LF", 10, 30, 5, None, "00FF...FF", ""),
    ("ef-gbabp", "EF.GBABP", 0x6FD5, "TR", None, None, 5, None, "FF...FF", "s"),
    ("ef-gbanl", "EF.GBANL", 0x6FD7, "LF", None, None, 2, None, "FF...FF", "sn"),
    ("ef-nafkca", "EF.NAFKCA", 0x6FDD, "LF", None, None, 2, None, "FF...FF", "sn"),
    ("ef-uicciari", "EF.UICCIARI", 0x6FE7, "LF", None, None, 2, None, None, "csn"),
]

# -- 2.23.143.1.2.9.2 (SAIP 3.x) -------------------------------------------------------------
OPT_ISIM_V2_ROWS = [
    *OPT_ISIM_ROWS,
    ("ef-frompreferred", "EF.FromPreferred", 0x6FF7, "TR", None, 1, 2, None, "00", ""),
    ("ef-imsconfigdata", "EF.IMSConfigData", 0x6FF8, "BT", None, None, 2, None, None, "cs"),
    ("ef-xcapconfigdata", "EF.XCAPConfigData", 0x6FFC, "BT", None, None, 2, None, None, "cs"),
    ("ef-webrtcuri", "EF.WebRTCURI", 0x6FFA, "LF", None, None, 2, None, None, "csn"),
    ("ef-mudmidconfigdata", "EF.MuDMiDConfigData", 0x6FFE, "BT", None, None, 2, None, None,
     "cs"),
]

# -- 2.23.143.1.2.10: ADF.CSIM (created by default) ------------------------------------------
# EF.CallCount: C.S0065 fixes the 2-byte record, not how many; one record is assumed.
CSIM_ROWS = [
    ("adf-csim", "ADF.CSIM", None, "ADF", None, None, 14, None, None, ""),
    ("ef-arr", "EF.ARR", 0x6F06, "LF", None, None, 10, None, None, "sn"),
    ("ef-call-count", "EF.CallCount", 0x6F21, "CY", 1, 2, None, None, "0000", "h"),
    ("ef-imsi-m", "EF.IMSI_M", 0x6F22, "TR", None, 10, None, None, None, ""),
    ("ef-imsi-t", "EF.IMSI_T", 0x6F23, "TR", None, 10, None, None, None, ""),
    ("ef-tmsi", "EF.TMSI", 0x6F24, "TR", None, 16, None, None, None, "h"),
    ("ef-ah", "EF.AH", 0x6F25, "TR", None, 2, None, None, None, ""),
    ("ef-aop", "EF.AOP", 0x6F26, "TR", None, 1, None, None, None, ""),
    ("ef-aloc", "EF.ALOC", 0x6F27, "TR", None, 7, None, None, None, "h"),
    ("ef-cdmahome", "EF.CDMAHOME", 0x6F28, "LF", None, 5, None, None, None, "n"),
    ("ef-znregi", "EF.ZNREGI", 0x6F29, "LF", None, 8, None, None, None, "hn"),
    ("ef-snregi", "EF.SNREGI", 0x6F2A, "TR", None, 7, None, None, None, "h"),
    ("ef-distregi", "EF.DISTREGI", 0x6F2B, "TR", None, 7, None, None, None, "h"),
    ("ef-accolc", "EF.ACCOLC", 0x6F2C, "TR", None, 1, None, None, None, ""),
    ("ef-term", "EF.TERM", 0x6F2D, "TR", None, 1, None, None, None, ""),
    ("ef-acp", "EF.ACP", 0x6F2F, "TR", None, 7, None, None, None, ""),
    ("ef-prl", "EF.PRL", 0x6F30, "TR", None, None, None, None, None, "s"),
    ("ef-ruimid", "EF.RUIMID", 0x6F31, "TR", None, 8, None, None, None, ""),
    ("ef-csim-st", "EF.CSIM_ST", 0x6F32, "TR", None, None, None, None, None, "s"),
    ("ef-spc", "EF.SPC", 0x6F33, "TR", None, 3, None, None, None, ""),
    ("ef-otapaspc", "EF.OTAPASPC", 0x6F34, "TR", None, 1, None, None, None, ""),
    ("ef-namlock", "EF.NAMLOCK", 0x6F35, "TR", None, 1, None, None, None, ""),
    # 1 + 2 bytes per OTA feature; 17 bytes hold the eight features TS.48 profiles list
    ("ef-ota", "EF.OTA", 0x6F36, "TR", None, 17, None, None, None, ""),
    ("ef-sp", "EF.SP", 0x6F37, "TR", None, 1, None, None, None, ""),
    ("ef-esn-meid-me", "EF.ESN_MEID_ME", 0x6F38, "TR", None, 8, None, None, None, ""),
    ("ef-li", "EF.LI", 0x6F3A, "TR", None, None, None, None, None, "s"),
    ("ef-usgind", "EF.USGIND", 0x6F42, "TR", None, 1, None, None, None, ""),
    ("ef-ad", "EF.AD", 0x6F43, "TR", None, 3, None, None, None, ""),
    ("ef-max-prl", "EF.MAXPRL", 0x6F45, "TR", None, 4, None, None, None, ""),
    ("ef-spcs", "EF.SPCS", 0x6F46, "TR", None, 1, None, None, None, ""),
    ("ef-mecrp", "EF.MECRP", 0x6F55, "TR", None, 3, None, None, None, ""),
    ("ef-home-tag", "EF.HOME_TAG", 0x6F70, "TR", None, None, None, None, None, "s"),
    ("ef-group-tag", "EF.GROUP_TAG", 0x6F71, "TR", None, None, None, None, None, "s"),
    ("ef-specific-tag", "EF.SPECIFIC_TAG", 0x6F72, "TR", None, None, None, None, None, "s"),
    ("ef-call-prompt", "EF.CALL_PROMPT", 0x6F73, "TR", None, None, None, None, None, "s"),
]

# -- 2.23.143.1.2.11: optional files of ADF.CSIM (not created by default) --------------------
# Several of these are typically link files to the ADF.USIM counterpart (TS.48 links EF.FDN,
# EF.SDN, EF.EXT2/3/5/8, EF.ICI, EF.OCI, EF.CCP2, EF.HiddenKey and the MMS files): the
# profile element then gives the linkPath.
OPT_CSIM_ROWS = [
    ("ef-ssci", "EF.SSCI", 0x6F2E, "TR", None, 1, None, None, None, ""),
    ("ef-fdn", "EF.FDN", 0x6F3B, "LF", None, None, None, None, "FF...FF", "sn"),
    ("ef-sms", "EF.SMS", 0x6F3C, "LF", None, None, None, None, "00FF...FF", "sn"),
    ("ef-smsp", "EF.SMSP", 0x6F3D, "LF", None, None, None, None, "FF...FF", "sn"),
    ("ef-smss", "EF.SMSS", 0x6F3E, "TR", None, None, None, None, None, "s"),
    ("ef-ssfc", "EF.SSFC", 0x6F3F, "TR", None, None, None, None, None, "s"),
    ("ef-spn", "EF.SPN", 0x6F41, "TR", None, 35, None, None, None, ""),
    ("ef-mdn", "EF.MDN", 0x6F44, "LF", None, 11, None, None, None, "n"),
    ("ef-ecc", "EF.ECC", 0x6F47, "TR", None, None, None, None, None, "s"),
    ("ef-me3gpdopc", "EF.ME3GPDOPC", 0x6F48, "TR", None, 1, None, None, None, ""),
    ("ef-3gpdopm", "EF.3GPDOPM", 0x6F49, "TR", None, 1, None, None, None, ""),
    ("ef-sipcap", "EF.SIPCAP", 0x6F4A, "TR", None, 4, None, None, None, ""),
    ("ef-mipcap", "EF.MIPCAP", 0x6F4B, "TR", None, 5, None, None, None, ""),
    ("ef-sipupp", "EF.SIPUPP", 0x6F4C, "TR", None, None, None, None, None, "s"),
    ("ef-mipupp", "EF.MIPUPP", 0x6F4D, "TR", None, None, None, None, None, "s"),
    ("ef-sipsp", "EF.SIPSP", 0x6F4E, "TR", None, 1, None, None, None, ""),
    ("ef-mipsp", "EF.MIPSP", 0x6F4F, "TR", None, None, None, None, None, "s"),
    ("ef-sippapss", "EF.SIPPAPSS", 0x6F50, "TR", None, None, None, None, None, "s"),
    ("ef-puzl", "EF.PUZL", 0x6F53, "TR", None, None, None, None, None, "s"),
    ("ef-maxpuzl", "EF.MAXPUZL", 0x6F54, "TR", None, None, None, None, None, "s"),
    ("ef-hrpdcap", "EF.HRPDCAP", 0x6F56, "TR", None, 3, None, None, None, ""),
    ("ef-hrpdupp", "EF.HRPDUPP", 0x6F57, "TR", None, None, None, None, None, "s"),
    ("ef-csspr", "EF.CSSPR", 0x6F58, "TR", None, 1, None, None, None, ""),
    ("ef-atc", "EF.ATC", 0x6F59, "TR", None, 1, None, None, None, ""),
    ("ef-eprl", "EF.EPRL", 0x6F5A, "TR", None, None, None, None, None, "s"),
    ("ef-bcsmscfg", "EF.BCSMSCFG", 0x6F5B, "TR", None, None, None, None, None, "s"),
    ("ef-bcsmspref", "EF.BCSMSPREF", 0x6F5C, "TR", None, None, None, None, None, "s"),
    ("ef-bcsmstable", "EF.BCSMSTABLE", 0x6F5D, "LF", None, None, None, None, None, "sn"),
    ("ef-bcsmsp", "EF.BCSMSP", 0x6F5E, "LF", None, None, None, None, None, "sn"),
    ("ef-bakpara", "EF.BAKPARA", 0x6F63, "LF", None, None, None, None, None, "sn"),
    ("ef-upbakpara", "EF.UPBAKPARA", 0x6F64, "LF", None, None, None, None, None, "sn"),
    ("ef-mmsn", "EF.MMSN", 0x6F65, "LF", None, None, None, None, "000000FF...FF", "sn"),
    ("ef-ext8", "EF.EXT8", 0x6F66, "LF", None, 13, None, None, "00FF...FF", "n"),
    ("ef-mmsicp", "EF.MMSICP", 0x6F67, "TR", None, None, None, None, "FF...FF", "s"),
    ("ef-mmsup", "EF.MMSUP", 0x6F68, "LF", None, None, None, None, "FF...FF", "sn"),
    ("ef-mmsucp", "EF.MMSUCP", 0x6F69, "TR", None, None, None, None, "FF...FF", "s"),
    ("ef-auth-capability", "EF.AuthCapability", 0x6F6A, "TR", None, None, None, None, None,
     "s"),
    # CK, IK and their key set identifier, as EF.Keys of the USIM (33 bytes assumed)
    ("ef-3gcik", "EF.3GCIK", 0x6F6B, "TR", None, 33, None, None, None, ""),
    ("ef-dck", "EF.DCK", 0x6F6C, "TR", None, None, None, None, "FF...FF", "s"),
    ("ef-gid1", "EF.GID1", 0x6F6D, "TR", None, None, None, None, None, "s"),
    ("ef-gid2", "EF.GID2", 0x6F6E, "TR", None, None, None, None, None, "s"),
    ("ef-cdmacnl", "EF.CDMACNL", 0x6F6F, "TR", None, None, None, None, None, "s"),
    ("ef-sf-euimid", "EF.SF_EUIMID", 0x6F74, "TR", None, 7, None, None, None, ""),
    ("ef-est", "EF.EST", 0x6F75, "TR", None, None, None, None, None, "s"),
    ("ef-hidden-key", "EF.HiddenKey", 0x6F76, "TR", None, 4, None, None, "FF...FF", ""),
    ("ef-lcsver", "EF.LCSVER", 0x6F77, "TR", None, 1, None, None, None, ""),
    ("ef-lcscp", "EF.LCSCP", 0x6F78, "TR", None, None, None, None, None, "s"),
    ("ef-sdn", "EF.SDN", 0x6F79, "LF", None, None, None, None, "FF...FF", "sn"),
    ("ef-ext2", "EF.EXT2", 0x6F7A, "LF", None, 13, None, None, "00FF...FF", "n"),
    ("ef-ext3", "EF.EXT3", 0x6F7B, "LF", None, 13, None, None, "00FF...FF", "n"),
    ("ef-ici", "EF.ICI", 0x6F7C, "CY", None, None, None, None, None, "hsn"),
    ("ef-oci", "EF.OCI", 0x6F7D, "CY", None, None, None, None, None, "hsn"),
    ("ef-ext5", "EF.EXT5", 0x6F7E, "LF", None, 13, None, None, "00FF...FF", "n"),
    ("ef-ccp2", "EF.CCP2", 0x6F7F, "LF", None, 15, None, None, "FF...FF", "n"),
    ("ef-applabels", "EF.AppLabels", 0x6F80, "TR", None, None, None, None, None, "s"),
    ("ef-model", "EF.MODEL", 0x6F81, "TR", None, 126, None, None, None, ""),
    ("ef-rc", "EF.RC", 0x6F82, "TR", None, None, None, None, None, "s"),
    ("ef-smscap", "EF.SMSCAP", 0x6F83, "TR", None, None, None, None, None, "s"),
    ("ef-mipflags", "EF.MIPFlags", 0x6F84, "TR", None, 1, None, None, None, ""),
    ("ef-3gpduppext", "EF.3GPDUPPExt", 0x6F85, "TR", None, None, None, None, None, "s"),
    ("ef-ipv6cap", "EF.IPV6CAP", 0x6F87, "TR", None, None, None, None, None, "s"),
    ("ef-tcpconfig", "EF.TCPConfig", 0x6F88, "TR", None, None, None, None, None, "s"),
    ("ef-dgc", "EF.DGC", 0x6F89, "TR", None, None, None, None, None, "s"),
    ("ef-wapbrowsercp", "EF.WAPBrowserCP", 0x6F8A, "TR", None, None, None, None, None, "s"),
    ("ef-wapbrowserbm", "EF.WAPBrowserBM", 0x6F8B, "TR", None, None, None, None, None, "s"),
    ("ef-mmsconfig", "EF.MMSConfig", 0x6F8C, "TR", None, None, None, None, None, "s"),
    ("ef-jdl", "EF.JDL", 0x6F8D, "TR", None, None, None, None, None, "s"),
]


def _pick(rows: list[tuple], names: list[str], parent: str | None = None) -> list[tuple]:
    by_name = {row[0]: row for row in rows}
    picked = [by_name[name] for name in names]
    if parent is None:
        return picked
    return [row[:10] + (parent,) for row in picked]


# -- 2.23.143.1.2.17: IoT minimal profile (SAIP 3.3, created by default) ---------------------
# The MF files and the core ADF.USIM files in one element; the files keep the definitions of
# the MF and ADF.USIM (3.x) templates. EF.ARR of the ADF is "ef-arr-usim" in PE-IoT.
_IOT_USIM = ["adf-usim", "ef-imsi", "ef-arr", "ef-keys", "ef-keysPS", "ef-hpplmn", "ef-ust",
             "ef-start-hfn", "ef-threshold", "ef-psloci", "ef-acc", "ef-fplmn", "ef-loci",
             "ef-ad", "ef-ecc", "ef-netpar"]
IOT_ROWS = [
    *MF_ROWS,
    *_pick(USIM_V2_ROWS, _IOT_USIM[:1]),
    *with_changes(_pick(USIM_V2_ROWS, _IOT_USIM[1:], parent="adf-usim"), "ef-arr",
                  pe_name="ef-arr-usim"),
]

# -- 2.23.143.1.2.18: optional IoT files in ADF.USIM (SAIP 3.3, not created by default) -------
_OPT_IOT_USIM = ["ef-fdn", "ef-sms", "ef-smsp", "ef-smss", "ef-spn", "ef-est", "ef-epsloci",
                 "ef-epsnsc"]
_OPT_IOT_5GS = ["df-df-5gs", "ef-5gs3gpploci", "ef-5gsn3gpploci", "ef-5gs3gppnsc",
                "ef-5gsn3gppnsc", "ef-5gauthkeys", "ef-uac-aic", "ef-suci-calc-info",
                "ef-opl5g", "ef-supinai", "ef-routing-indicator", "ef-ursp", "ef-tn3gppsnn"]
OPT_IOT_ROWS = [
    *_pick(USIM_V2_ROWS, _OPT_IOT_USIM[:6]),
    *_pick(OPT_USIM_ROWS, ["ef-oplmnwact", "ef-hplmnwact", "ef-ehplmn"]),
    *_pick(USIM_V2_ROWS, _OPT_IOT_USIM[6:]),
    *_pick(DF_5GS_V4_ROWS, _OPT_IOT_5GS[:1]),
    # PE-OPT-IoT spells EF.SUPI_NAI "ef-supi-nai" (PE-DF-5GS: "ef-supinai")
    *with_changes(_pick(DF_5GS_V4_ROWS, _OPT_IOT_5GS[1:], parent="df-df-5gs"), "ef-supinai",
                  pe_name="ef-supi-nai"),
    *_pick(DF_SAIP_ROWS, ["df-df-saip"]),
    *_pick(DF_SAIP_ROWS, ["ef-suci-calc-info-usim"], parent="df-df-saip"),
]
