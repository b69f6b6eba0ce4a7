"""Template tables for ADF.USIM and the DFs inside it (TCA eUICC Profile Package:
Interoperable Format Technical Specification, Annex A: ADF.USIM mandatory and optional files,
DF.GSM-ACCESS, DF.5GS (versions 1-4), DF.SAIP, DF.SNPN, DF.5G_ProSe, DF.EAP; file
identifiers and SFIs as in 3GPP TS 31.102 4.2, 4.4.3, 4.4.11-4.4.13 and ETSI TS 102 310 5).

Row format: see :mod:`euicc.ppi.templates_data_mf`.
"""

from __future__ import annotations


def with_changes(rows: list[tuple], target: str, **changes) -> list[tuple]:
    """``rows`` with the named columns of the row of ``target`` (a pe_name) replaced: a
    later version of a template that only resizes or re-defaults a file."""
    columns = ("pe_name", "name", "fid", "kind", "records", "size", "arr", "sfi", "default",
               "flags", "parent")
    out, found = [], False
    for row in rows:
        if row[0] == target:
            found = True
            row = list(row)
            for key, value in changes.items():
                row[columns.index(key)] = value
            row = tuple(row)
        out.append(row)
    if not found:
        raise KeyError(target)
    return out


# -- 2.23.143.1.2.4: ADF.USIM (created by default) -------------------------------------------
USIM_ROWS = [
    ("adf-usim", "ADF.USIM", None, "ADF", None, None, 14, None, None, ""),
    ("ef-imsi", "EF.IMSI", 0x6F07, "TR", None, 9, 2, 0x07, None, "c"),
    ("ef-arr", "EF.ARR", 0x6F06, "LF", None, None, 10, 0x17, None, "csn"),
    ("ef-keys", "EF.Keys", 0x6F08, "TR", None, 33, 5, 0x08, "07FF...FF", "h"),
    ("ef-keysPS", "EF.KeysPS", 0x6F09, "TR", None, 33, 5, 0x09, "07FF...FF", "h"),
    ("ef-hpplmn", "EF.HPPLMN", 0x6F31, "TR", None, 1, 2, 0x12, "0A", ""),
    ("ef-ust", "EF.UST", 0x6F38, "TR", None, 14, 2, 0x04, None, "c"),
    ("ef-fdn", "EF.FDN", 0x6F3B, "LF", 20, 26, 8, None, "FF...FF", ""),
    ("ef-sms", "EF.SMS", 0x6F3C, "LF", 10, 176, 5, None, "00FF...FF", ""),
    ("ef-smsp", "EF.SMSP", 0x6F42, "LF", 1, 38, 5, None, "FF...FF", ""),
    ("ef-smss", "EF.SMSS", 0x6F43, "TR", None, 2, 5, None, "FFFF", ""),
    ("ef-spn", "EF.SPN", 0x6F46, "TR", None, 17, 10, None, None, "c"),
    ("ef-est", "EF.EST", 0x6F56, "TR", None, 1, 8, 0x05, None, "c"),
    ("ef-start-hfn", "EF.START-HFN", 0x6F5B, "TR", None, 6, 5, 0x0F, "F00000F00000", "h"),
    ("ef-threshold", "EF.THRESHOLD", 0x6F5C, "TR", None, 3, 2, 0x10, "FFFFFF", ""),
    ("ef-psloci", "EF.PSLOCI", 0x6F73, "TR", None, 14, 5, 0x0C, "FFFFFFFFFFFFFFFFFFFF0000FF01",
     "h"),
    ("ef-acc", "EF.ACC", 0x6F78, "TR", None, 2, 2, 0x06, None, "c"),
    ("ef-fplmn", "EF.FPLMN", 0x6F7B, "TR", None, 12, 5, 0x0D, "FF...FF", ""),
    ("ef-loci", "EF.LOCI", 0x6F7E, "TR", None, 11, 5, 0x0B, "FFFFFFFFFFFFFF0000FF01", "h"),
    ("ef-ad", "EF.AD", 0x6FAD, "TR", None, 4, 10, 0x03, "00000002", ""),
    ("ef-ecc", "EF.ECC", 0x6FB7, "LF", 1, 4, 10, 0x01, None, "c"),
    ("ef-netpar", "EF.NETPAR", 0x6FC4, "TR", None, 128, 5, None, "FF...FF", "h"),
    ("ef-epsloci", "EF.EPSLOCI", 0x6FE3, "TR", None, 18, 5, 0x1E,
     "FFFFFFFFFFFFFFFFFFFFFFFFFFFFFF000001", "h"),
    ("ef-epsnsc", "EF.EPSNSC", 0x6FE4, "LF", 1, 80, 5, 0x18, "FF...FF", "h"),
]

# -- 2.23.143.1.2.4.2 (SAIP 3.x): EF.UST grows to 17 bytes -----------------------------------
USIM_V2_ROWS = with_changes(USIM_ROWS, "ef-ust", size=17)

# -- 2.23.143.1.2.5: optional files of ADF.USIM (not created by default) ---------------------
OPT_USIM_ROWS = [
    ("ef-li", "EF.LI", 0x6F05, "TR", None, 6, 1, 0x02, "FF...FF", ""),
    ("ef-acmax", "EF.ACMmax", 0x6F37, "TR", None, 3, 5, None, "000000", ""),
    ("ef-acm", "EF.ACM", 0x6F39, "CY", 1, 3, 7, None, "000000", "h"),
    ("ef-gid1", "EF.GID1", 0x6F3E, "TR", None, 8, 2, None, None, "c"),
    ("ef-gid2", "EF.GID2", 0x6F3F, "TR", None, 8, 2, None, None, "c"),
    ("ef-msisdn", "EF.MSISDN", 0x6F40, "LF", 1, 24, 2, None, "FF...FF", ""),
    ("ef-puct", "EF.PUCT", 0x6F41, "TR", None, 5, 5, None, "FFFFFF0000", ""),
    ("ef-cbmi", "EF.CBMI", 0x6F45, "TR", None, 10, 5, None, "FF...FF", ""),
    ("ef-cbmid", "EF.CBMID", 0x6F48, "TR", None, 10, 2, 0x0E, "FF...FF", ""),
    ("ef-sdn", "EF.SDN", 0x6F49, "LF", 10, 24, 2, None, "FF...FF", ""),
    ("ef-ext2", "EF.EXT2", 0x6F4B, "LF", 10, 13, 8, None, "00FF...FF", ""),
    ("ef-ext3", "EF.EXT3", 0x6F4C, "LF", 10, 13, 2, None, "00FF...FF", ""),
    ("ef-cbmir", "EF.CBMIR", 0x6F50, "TR", None, 20, 5, None, "FF...FF", ""),
    ("ef-plmnwact", "EF.PLMNwAcT", 0x6F60, "TR", None, 40, 5, 0x0A, "FFFFFF0000", "r"),
    ("ef-oplmnwact", "EF.OPLMNwAcT", 0x6F61, "TR", None, 40, 2, 0x11, "FFFFFF0000", "r"),
    ("ef-hplmnwact", "EF.HPLMNwAcT", 0x6F62, "TR", None, 5, 2, 0x13, "FFFFFF0000", "r"),
    ("ef-dck", "EF.DCK", 0x6F2C, "TR", None, 16, 5, None, "FF...FF", ""),
    ("ef-cnl", "EF.CNL", 0x6F32, "TR", None, 30, 2, None, "FF...FF", ""),
    ("ef-smsr", "EF.SMSR", 0x6F47, "LF", 10, 30, 5, None, "00FF...FF", ""),
    ("ef-bdn", "EF.BDN", 0x6F4D, "LF", 10, 25, 8, None, "FF...FF", ""),
    ("ef-ext5", "EF.EXT5", 0x6F4E, "LF", 10, 13, 5, None, "00FF...FF", ""),
    ("ef-ccp2", "EF.CCP2", 0x6F4F, "LF", 5, 15, 5, 0x16, "FF...FF", ""),
    ("ef-ext4", "EF.EXT4", 0x6F55, "LF", 10, 13, 8, None, "00FF...FF", ""),
    ("ef-acl", "EF.ACL", 0x6F57, "TR", None, 101, 8, None, "00FF...FF", ""),
    ("ef-cmi", "EF.CMI", 0x6F58, "LF", 10, 11, 2, None, "FF...FF", ""),
    ("ef-ici", "EF.ICI", 0x6F80, "CY", 20, 38, 5, 0x14, "FF...FF0000000001FFFF", "h"),
    ("ef-oci", "EF.OCI", 0x6F81, "CY", 20, 37, 5, 0x15, "FF...FF00000001FFFF", "h"),
    ("ef-ict", "EF.ICT", 0x6F82, "CY", 1, 3, 7, None, "000000", "h"),
    ("ef-oct", "EF.OCT", 0x6F83, "CY", 1, 3, 7, None, "000000", "h"),
    ("ef-vgcs", "EF.VGCS", 0x6FB1, "TR", None, 20, 2, None, None, "c"),
    ("ef-vgcss", "EF.VGCSS", 0x6FB2, "TR", None, 7, 5, None, None, "c"),
    ("ef-vbs", "EF.VBS", 0x6FB3, "TR", None, 20, 2, None, None, "c"),
    ("ef-vbss", "EF.VBSS", 0x6FB4, "TR", None, 7, 5, None, None, "c"),
    ("ef-emlpp", "EF.eMLPP", 0x6FB5, "TR", None, 2, 2, None, None, "c"),
    ("ef-aaem", "EF.AaeM", 0x6FB6, "TR", None, 1, 5, None, "00", ""),
    ("ef-hiddenkey", "EF.HiddenKey", 0x6FC3, "TR", None, 4, 5, None, "FF...FF", ""),
    ("ef-pnn", "EF.PNN", 0x6FC5, "LF", 10, 16, 10, 0x19, None, "c"),
    ("ef-opl", "EF.OPL", 0x6FC6, "LF", 5, 8, 10, 0x1A, None, "c"),
    ("ef-mbdn", "EF.MBDN", 0x6FC7, "LF", 3, 24, 5, None, None, "c"),
    ("ef-ext6", "EF.EXT6", 0x6FC8, "LF", 10, 13, 5, None, "00FF...FF", ""),
    ("ef-mbi", "EF.MBI", 0x6FC9, "LF", 10, 5, 5, None, None, "c"),
    ("ef-mwis", "EF.MWIS", 0x6FCA, "LF", 10, 6, 5, None, "00...00", "h"),
    ("ef-cfis", "EF.CFIS", 0x6FCB, "LF", 10, 16, 5, None, "0100FF...FF", ""),
    ("ef-ext7", "EF.EXT7", 0x6FCC, "LF", 10, 13, 5, None, "00FF...FF", ""),
    ("ef-spdi", "EF.SPDI", 0x6FCD, "TR", None, 17, 2, 0x1B, None, "c"),
    ("ef-mmsn", "EF.MMSN", 0x6FCE, "LF", 10, 6, 5, None, "000000FF...FF", ""),
    ("ef-ext8", "EF.EXT8", 0x6FCF, "LF", 10, 13, 5, None, "00FF...FF", ""),
    ("ef-mmsicp", "EF.MMSICP", 0x6FD0, "TR", None, 100, 2, None, "FF...FF", ""),
    ("ef-mmsup", "EF.MMSUP", 0x6FD1, "LF", None, None, 5, None, "FF...FF", "sn"),
    ("ef-mmsucp", "EF.MMSUCP", 0x6FD2, "TR", None, 100, 5, None, "FF...FF", ""),
    ("ef-nia", "EF.NIA", 0x6FD3, "LF", 5, 11, 2, None, "FF...FF", ""),
    ("ef-vgcsca", "EF.VGCSCA", 0x6FD4, "TR", None, None, 2, None, "00...00", "s"),
    ("ef-vbsca", "EF.VBSCA", 0x6FD5, "TR", None, None, 2, None, "00...00", "s"),
    ("ef-gbabp", "EF.GBABP", 0x6FD6, "TR", None, None, 5, None, "FF...FF", "s"),
    ("ef-msk", "EF.MSK", 0x6FD7, "LF", None, None, 2, None, "FF...FF", "hsn"),
    ("ef-muk", "EF.MUK", 0x6FD8, "LF", None, None, 2, None, "FF...FF", "sn"),
    ("ef-ehplmn", "EF.EHPLMN", 0x6FD9, "TR", None, 15, 2, 0x1D, "FF...FF", ""),
    ("ef-gbanl", "EF.GBANL", 0x6FDA, "LF", None, None, 2, None, "FF...FF", "sn"),
    ("ef-ehplmnpi", "EF.EHPLMNPI", 0x6FDB, "TR", None, 1, 2, None, "00", ""),
    ("ef-lrplmnsi", "EF.LRPLMNSI", 0x6FDC, "TR", None, 1, 2, None, "00", ""),
    ("ef-nafkca", "EF.NAFKCA", 0x6FDD, "LF", None, None, 2, None, "FF...FF", "sn"),
    ("ef-spni", "EF.SPNI", 0x6FDE, "TR", None, None, 10, None, "00FF...FF", "s"),
    ("ef-pnni", "EF.PNNI", 0x6FDF, "LF", None, None, 10, None, "00FF...FF", "sn"),
    ("ef-ncp-ip", "EF.NCP-IP", 0x6FE2, "LF", None, None, 2, None, None, "csn"),
    ("ef-ufc", "EF.UFC", 0x6FE6, "TR", None, 30, 10, None,
     "801E60C01E900080040000000000000000F0000000004000000000000080", ""),
    ("ef-nasconfig", "EF.NASCONFIG", 0x6FE8, "TR", None, 18, 2, None, None, "c"),
    ("ef-uicciari", "EF.UICCIARI", 0x6FE7, "LF", None, None, 2, None, None, "csn"),
    ("ef-pws", "EF.PWS", 0x6FEC, "TR", None, None, 10, None, None, "cs"),
    ("ef-fdnuri", "EF.FDNURI", 0x6FED, "LF", None, None, 8, None, "FF...FF", "sn"),
    ("ef-bdnuri", "EF.BDNURI", 0x6FEE, "LF", None, None, 8, None, "FF...FF", "sn"),
    ("ef-sdnuri", "EF.SDNURI", 0x6FEF, "LF", None, None, 2, None, "FF...FF", "sn"),
    # EF.IWL up to SAIP 3.2, EF.IAL since (same file, same PE component position)
    ("ef-ial", "EF.IAL", 0x6FF0, "LF", None, None, 3, None, "FF...FF", "sn"),
    ("ef-ips", "EF.IPS", 0x6FF1, "CY", None, 4, 10, None, "FF...FF", "hn"),
    ("ef-ipd", "EF.IPD", 0x6FF2, "LF", None, None, 3, None, "FF...FF", "hsn"),
]

# -- 2.23.143.1.2.5.2 (SAIP 3.x): ePDG, IMS and PS data off files ----------------------------
OPT_USIM_V2_ROWS = [
    *OPT_USIM_ROWS,
    ("ef-epdgid", "EF.ePDGId", 0x6FF3, "TR", None, None, 2, None, None, "cs"),
    ("ef-epdgselection", "EF.ePDGSelection", 0x6FF4, "TR", None, None, 2, None, None, "cs"),
    ("ef-epdgidem", "EF.ePDGIdEm", 0x6FF5, "TR", None, None, 2, None, None, "cs"),
    ("ef-epdgselectionem", "EF.ePDGSelectionEm", 0x6FF6, "TR", None, None, 2, None, None,
     "cs"),
    ("ef-frompreferred", "EF.FromPreferred", 0x6FF7, "TR", None, 1, 2, None, "00", ""),
    ("ef-imsconfigdata", "EF.IMSConfigData", 0x6FF8, "BT", None, None, 2, None, None, "cs"),
    ("ef-3gpppsdataoff", "EF.3GPPPSDATAOFF", 0x6FF9, "TR", None, 4, 2, None, None, "c"),
    ("ef-3gpppsdataoffservicelist", "EF.3GPPPSDATAOFFservicelist", 0x6FFA, "LF", None, None,
     2, None, None, "csn"),
    ("ef-xcapconfigdata", "EF.XCAPConfigData", 0x6FFC, "BT", None, None, 2, None, None, "cs"),
    ("ef-earfcnlist", "EF.EARFCNList", 0x6FFD, "TR", None, None, 10, None, None, "cs"),
    ("ef-mudmidconfigdata", "EF.MuDMiDConfigData", 0x6FFE, "BT", None, None, 2, None, None,
     "cs"),
]

# -- 2.23.143.1.2.5.3 (SAIP 3.3): adds EF.eAKA -----------------------------------------------
OPT_USIM_V3_ROWS = [
    *OPT_USIM_V2_ROWS,
    ("ef-eaka", "EF.eAKA", 0x6F01, "TR", None, 1, 3, None, None, "c"),
]

# -- 2.23.143.1.2.7: DF.GSM-ACCESS in ADF.USIM (not created by default) ----------------------
GSM_ACCESS_ROWS = [
    ("df-gsm-access", "DF.GSM-ACCESS", 0x5F3B, "DF", None, None, 14, None, None, ""),
    ("ef-kc", "EF.Kc", 0x4F20, "TR", None, 9, 5, 0x01, "FF...FF07", "h"),
    ("ef-kcgprs", "EF.KcGPRS", 0x4F52, "TR", None, 9, 5, 0x02, "FF...FF07", "h"),
    ("ef-cpbcch", "EF.CPBCCH", 0x4F63, "TR", None, 10, 5, None, "FF...FF", "h"),
    ("ef-invscan", "EF.InvScan", 0x4F64, "TR", None, 1, 2, None, "00", ""),
]

# -- 2.23.143.1.2.13: DF.5GS in ADF.USIM (SAIP 2.3, not created by default) ------------------
_LOCI_5G = "FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF00000001"
DF_5GS_ROWS = [
    ("df-df-5gs", "DF.5GS", 0x5FC0, "DF", None, None, 14, None, None, ""),
    ("ef-5gs3gpploci", "EF.5GS3GPPLOCI", 0x4F01, "TR", None, 20, 5, 0x01, _LOCI_5G, "h"),
    ("ef-5gsn3gpploci", "EF.5GSN3GPPLOCI", 0x4F02, "TR", None, 20, 5, 0x02, _LOCI_5G, "h"),
    ("ef-5gs3gppnsc", "EF.5GS3GPPNSC", 0x4F03, "LF", 1, 57, 5, 0x03, "FF...FF", "h"),
    ("ef-5gsn3gppnsc", "EF.5GSN3GPPNSC", 0x4F04, "LF", 1, 57, 5, 0x04, "FF...FF", "h"),
    ("ef-5gauthkeys", "EF.5GAUTHKEYS", 0x4F05, "TR", None, 110, 5, 0x05, None, "ch"),
    ("ef-uac-aic", "EF.UAC_AIC", 0x4F06, "TR", None, 4, 2, 0x06, None, "c"),
    ("ef-suci-calc-info", "EF.SUCI_Calc_Info", 0x4F07, "TR", None, None, 2, 0x07, "FF...FF",
     "s"),
    ("ef-opl5g", "EF.OPL5G", 0x4F08, "LF", None, 10, 10, 0x08, "FF...FF", "n"),
    ("ef-supinai", "EF.SUPI_NAI", 0x4F09, "TR", None, None, 2, 0x09, None, "cs"),
    ("ef-routing-indicator", "EF.Routing_Indicator", 0x4F0A, "TR", None, 4, 2, 0x0A,
     "F0FFFFFF", ""),
]

# -- 2.23.143.1.2.13.2 (SAIP 3.1): adds EF.URSP and EF.TN3GPPSNN -----------------------------
DF_5GS_V2_ROWS = [
    *DF_5GS_ROWS,
    ("ef-ursp", "EF.URSP", 0x4F0B, "BT", None, None, 2, None, None, "s"),
    ("ef-tn3gppsnn", "EF.TN3GPPSNN", 0x4F0C, "TR", None, 1, 2, 0x0C, "00", ""),
]

# -- 2.23.143.1.2.13.3 (SAIP 3.1): the NSC files get two 62-byte records ----------------------
# (one record only when service n°136 is not in EF.UST: the profile then says so)
DF_5GS_V3_ROWS = with_changes(
    with_changes(DF_5GS_V2_ROWS, "ef-5gs3gppnsc", records=2, size=62),
    "ef-5gsn3gppnsc", records=2, size=62)

# -- 2.23.143.1.2.13.4 (SAIP 3.3): Rel-17 files; EF.Routing_Indicator default changes ---------
DF_5GS_V4_ROWS = [
    *with_changes(DF_5GS_V3_ROWS, "ef-routing-indicator", default="F0FF0000"),
    ("ef-cag", "EF.CAG", 0x4F0D, "TR", None, 2, 2, 0x0D, None, "c"),
    ("ef-sor-cmci", "EF.SOR_CMCI", 0x4F0E, "TR", None, None, 2, 0x0E, None, "cs"),
    ("ef-dri", "EF.DRI", 0x4F0F, "TR", None, 7, 2, 0x0F, None, "c"),
    ("ef-5gsedrx", "EF.5GSEDRX", 0x4F10, "TR", None, 2, 2, 0x10, None, "c"),
    ("ef-5gnswo-conf", "EF.5GNSWO_CONF", 0x4F11, "TR", None, 1, 2, 0x11, None, "c"),
    ("ef-mchpplmn", "EF.MCHPPLMN", 0x4F15, "TR", None, 1, 2, 0x15, None, "c"),
    ("ef-kausf-derivation", "EF.KAUSF_DERIVATION", 0x4F16, "TR", None, 1, 2, 0x16, None, "c"),
]

# -- 2.23.143.1.2.14: DF.SAIP in ADF.USIM (SUCI calculated by the USIM) ----------------------
DF_SAIP_ROWS = [
    ("df-df-saip", "DF.SAIP", 0x5FD0, "DF", None, None, 14, None, None, ""),
    ("ef-suci-calc-info-usim", "EF.SUCI_Calc_Info_USIM", 0x4F01, "TR", None, None, 3, None,
     "FF...FF", "s"),
]

# -- 2.23.143.1.2.15: DF.SNPN in ADF.USIM (SAIP 3.3) -----------------------------------------
DF_SNPN_ROWS = [
    ("df-df-snpn", "DF.SNPN", 0x5FE0, "DF", None, None, 14, None, None, ""),
    ("ef-pws-snpn", "EF.PWS_SNPN", 0x4F01, "TR", None, 1, 10, None, None, "c"),
]

# -- 2.23.143.1.2.16: DF.5G_ProSe in ADF.USIM (SAIP 3.3) -------------------------------------
DF_5GPROSE_ROWS = [
    ("df-df-5g-prose", "DF.5G_ProSe", 0x5FF0, "DF", None, None, 14, None, None, ""),
    ("ef-5g-prose-st", "EF.5G_PROSE_ST", 0x4F01, "TR", None, 1, 2, 0x01, None, "c"),
    ("ef-5g-prose-dd", "EF.5G_PROSE_DD", 0x4F02, "TR", None, 26, 2, 0x02, None, "c"),
    ("ef-5g-prose-dc", "EF.5G_PROSE_DC", 0x4F03, "TR", None, 12, 2, 0x03, None, "c"),
    ("ef-5g-prose-u2nru", "EF.5G_PROSE_U2NRU", 0x4F04, "TR", None, 32, 2, 0x04, None, "c"),
    ("ef-5g-prose-ru", "EF.5G_PROSE_RU", 0x4F05, "TR", None, 29, 2, 0x05, None, "c"),
    ("ef-5g-prose-uir", "EF.5G_PROSE_UIR", 0x4F06, "TR", None, 32, 2, 0x06, None, "c"),
]

# -- 2.23.143.1.2.12: DF.EAP (SAIP 2.2, not created by default) ------------------------------
# TS 102 310 5: the DF's identifier is the profile's (EF.DIR names it), its EFs are fixed.
DF_EAP_ROWS = [
    ("df-eap", "DF.EAP", None, "DF", None, None, 14, None, None, "f"),
    ("ef-eapkeys", "EF.EAPKEYS", 0x4F01, "TR", None, None, 2, None, None, "chs"),
    ("ef-eapstatus", "EF.EAPSTATUS", 0x4F02, "TR", None, 1, 2, None, "00", "h"),
    ("ef-puid", "EF.PUId", 0x4F03, "TR", None, None, 2, None, None, "cs"),
    ("ef-ps", "EF.Ps", 0x4F04, "TR", None, None, 5, None, "FF...FF", "hs"),
    ("ef-curid", "EF.CurID", 0x4F20, "TR", None, None, 5, None, "FF...FF", "hs"),
    ("ef-reid", "EF.ReID", 0x4F21, "TR", None, None, 5, None, None, "cs"),
    ("ef-realm", "EF.Realm", 0x4F22, "TR", None, None, 5, None, None, "cs"),
]
