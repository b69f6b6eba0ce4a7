"""Template tables for the MF, DF.CD, DF.TELECOM and DF.PHONEBOOK (TCA eUICC Profile Package:
Interoperable Format Technical Specification, Annex A "File Structure Templates Definition":
files at MF, DF.CD, DF.TELECOM and DF.PHONEBOOK; ETSI TS 102 221 13 for the MF files,
3GPP TS 31.102 4.4.2-4.4.13 for the DF.TELECOM / DF.PHONEBOOK file identifiers and SFIs).

Rows follow the column order of the specification's tables; :mod:`euicc.ppi.templates` turns
them into :class:`~euicc.ppi.templates.FileTemplate` objects. One row is::

    (pe_name, name, fid, kind, records, size, arr, sfi, default, flags[, parent])

- ``pe_name``: the component of the PE that carries the file ("ef-imsi", "df-phonebook");
- ``kind``: "MF", "DF", "ADF", "TR" transparent, "LF" linear fixed, "CY" cyclic, "BT" BER-TLV;
- ``records``: number of records (LF/CY); ``size``: file size (TR/BT) or record length (LF/CY);
- ``arr``: record number in EF.ARR (the EF.ARR itself follows from where the file is);
- ``sfi``: short EF identifier, None when the template gives the file none;
- ``default``: default content in the specification's notation: hex digits, "XX...XX" for
  a run of the byte XX ("00FF...FF": '00' then 'FF' up to the end, "FF...FF07": 'FF' then a
  final '07');
- ``flags``: "c" the profile element must give the content, "h" high update activity,
  "r" the default is a repeat pattern, and what the profile element must supply: "f" file
  identifier, "s" size (record length for LF/CY), "n" number of records, "i" SFI;
- ``parent``: pe_name of the DF of the same template the file is in (absent: the base DF).
"""

from __future__ import annotations

# -- 2.23.143.1.2.1: files at MF (created by default) -------------------------------------
# TS 102 221 13.2/13.4 give EF.ICCID SFI '02' and EF.ARR SFI '06'; the tables leave the
# column empty, and TS.48 packages state both explicitly, so the TS 102 221 value is kept.
MF_ROWS = [
    ("mf", "MF", 0x3F00, "MF", None, None, 14, None, None, ""),
    ("ef-pl", "EF.PL", 0x2F05, "TR", None, 2, 1, 0x05, "FF...FF", ""),
    ("ef-iccid", "EF.ICCID", 0x2FE2, "TR", None, 10, 11, 0x02, None, "c"),
    ("ef-dir", "EF.DIR", 0x2F00, "LF", None, None, 10, 0x1E, None, "csn"),
    ("ef-arr", "EF.ARR", 0x2F06, "LF", None, None, 10, 0x06, None, "csn"),
    ("ef-umpc", "EF.UMPC", 0x2F08, "TR", None, 5, 10, 0x08, None, ""),
]

# -- 2.23.143.1.2.2: DF.CD (not created by default) ------------------------------------------
# EF.ICON: one of '6F40'..'6F7E', the profile element names it.
CD_ROWS = [
    ("df-cd", "DF.CD", 0x7F11, "DF", None, None, 14, None, None, ""),
    ("ef-launchpad", "EF.LAUNCHPAD", 0x6F01, "TR", None, None, 2, None, None, "cs"),
    ("ef-icon", "EF.ICON", None, "TR", None, None, 2, None, None, "cfs"),
]


def phonebook_rows(parent: str | None) -> list[tuple]:
    """DF.PHONEBOOK files; the same set sits in DF.TELECOM and (own template) in ADF.USIM.
    Only EF.PBR, EF.PSC, EF.CC and EF.PUID have fixed identifiers (TS 31.102 4.4.2); the
    others get theirs from the profile (EF.PBR points to them)."""
    rows = [
        ("ef-pbr", "EF.PBR", 0x4F30, "LF", None, None, 2, None, None, "csn"),
        ("ef-ext1", "EF.EXT1", None, "LF", None, 13, 5, None, "00FF...FF", "fni"),
        ("ef-aas", "EF.AAS", None, "LF", None, None, 5, None, "FF...FF", "fsn"),
        ("ef-gas", "EF.GAS", None, "LF", None, None, 5, None, "FF...FF", "fsn"),
        ("ef-psc", "EF.PSC", 0x4F22, "TR", None, 4, 5, None, "00000000", "i"),
        ("ef-cc", "EF.CC", 0x4F23, "TR", None, 2, 5, None, "0000", "hi"),
        ("ef-puid", "EF.PUID", 0x4F24, "TR", None, 2, 5, None, "0000", "hi"),
        ("ef-iap", "EF.IAP", None, "LF", None, None, 5, None, "FF...FF", "fsni"),
        ("ef-adn", "EF.ADN", None, "LF", None, None, 5, None, "FF...FF", "fsni"),
        ("ef-pbc", "EF.PBC", None, "LF", None, 2, 5, None, "00...00", "fni"),
        ("ef-anr", "EF.ANR", None, "LF", None, None, 5, None, "FF...FF", "fsni"),
        ("ef-puri", "EF.PURI", None, "LF", None, None, 5, None, None, "cfsni"),
        ("ef-email", "EF.EMAIL", None, "LF", None, None, 5, None, "FF...FF", "fsni"),
        ("ef-sne", "EF.SNE", None, "LF", None, None, 5, None, "FF...FF", "fsni"),
        ("ef-uid", "EF.UID", None, "LF", None, 2, 5, None, "0000", "fni"),
        ("ef-grp", "EF.GRP", None, "LF", None, None, 5, None, "00...00", "fsni"),
        ("ef-ccp1", "EF.CCP1", None, "LF", None, None, 5, None, "FF...FF", "fsni"),
    ]
    if parent is None:
        return rows
    return [row + (parent,) for row in rows]


PHONEBOOK_DF_ROW = ("df-phonebook", "DF.PHONEBOOK", 0x5F3A, "DF", None, None, 14, None, None, "")

# -- 2.23.143.1.2.6: DF.PHONEBOOK in ADF.USIM (not created by default) -----------------------
PHONEBOOK_ROWS = [PHONEBOOK_DF_ROW, *phonebook_rows(None)]

# -- 2.23.143.1.2.3: DF.TELECOM (not created by default) -------------------------------------
# EF.IIDF and EF.ICON of DF.GRAPHICS: '4F40'..'4F7F' and '4F80'..'4FBF', named by the profile.
_GRAPHICS = "df-graphics"
_MMSS = "df-mmss"
TELECOM_ROWS = [
    ("df-telecom", "DF.TELECOM", 0x7F10, "DF", None, None, 14, None, None, ""),
    ("ef-arr", "EF.ARR", 0x6F06, "LF", None, None, 10, None, None, "csn"),
    ("ef-rma", "EF.RMA", 0x6F53, "LF", None, None, 3, None, None, "csn"),
    ("ef-sume", "EF.SUME", 0x6F54, "TR", None, 22, 3, None, None, "c"),
    ("ef-ice-dn", "EF.ICE_DN", 0x6FE0, "LF", 50, 24, 9, None, "FF...FF", ""),
    ("ef-ice-ff", "EF.ICE_FF", 0x6FE1, "LF", None, None, 9, None, "FF...FF", "sn"),
    ("ef-psismsc", "EF.PSISMSC", 0x6FE5, "LF", None, None, 5, None, None, "csn"),
    ("df-graphics", "DF.GRAPHICS", 0x5F50, "DF", None, None, 14, None, None, ""),
    ("ef-img", "EF.IMG", 0x4F20, "LF", None, None, 2, None, "00FF...FF", "sn", _GRAPHICS),
    ("ef-iidf", "EF.IIDF", None, "TR", None, None, 2, None, "FF...FF", "fs", _GRAPHICS),
    ("ef-ice-graphics", "EF.ICE_graphics", 0x4F21, "BT", None, None, 9, None, None, "s",
     _GRAPHICS),
    ("ef-launch-scws", "EF.LAUNCH_SCWS", 0x4F01, "TR", None, None, 10, None, None, "cs",
     _GRAPHICS),
    ("ef-icon", "EF.ICON", None, "TR", None, None, 10, None, None, "cfs", _GRAPHICS),
    PHONEBOOK_DF_ROW,
    *phonebook_rows("df-phonebook"),
    ("df-multimedia", "DF.MULTIMEDIA", 0x5F3B, "DF", None, None, 14, None, None, ""),
    ("ef-mml", "EF.MML", 0x4F47, "BT", None, None, 5, None, None, "s", "df-multimedia"),
    ("ef-mmdf", "EF.MMDF", 0x4F48, "BT", None, None, 5, None, None, "s", "df-multimedia"),
    ("df-mmss", "DF.MMSS", 0x5F3C, "DF", None, None, 14, None, None, ""),
    ("ef-mlpl", "EF.MLPL", 0x4F20, "TR", None, None, 2, 0x01, None, "cs", _MMSS),
    ("ef-mspl", "EF.MSPL", 0x4F21, "TR", None, None, 2, 0x02, None, "cs", _MMSS),
    ("ef-mmssmode", "EF.MMSSMODE", 0x4F22, "TR", None, 1, 2, 0x03, None, "c", _MMSS),
]

# -- 2.23.143.1.2.3.2 (SAIP 3.x): adds DF.MCS and DF.V2X --------------------------------------
TELECOM_V2_ROWS = [
    *TELECOM_ROWS,
    ("df-mcs", "DF.MCS", 0x5F3D, "DF", None, None, 14, None, None, ""),
    ("ef-mst", "EF.MST", 0x4F01, "TR", None, None, 2, 0x01, None, "cs", "df-mcs"),
    ("ef-mcs-config", "EF.MCS_CONFIG", 0x4F02, "BT", None, None, 2, 0x02, None, "cs", "df-mcs"),
    ("df-v2x", "DF.V2X", 0x5F3E, "DF", None, None, 14, None, None, ""),
    ("ef-vst", "EF.VST", 0x4F01, "TR", None, None, 2, 0x01, None, "cs", "df-v2x"),
    ("ef-v2x-config", "EF.V2X_CONFIG", 0x4F02, "BT", None, None, 2, 0x02, None, "cs", "df-v2x"),
    ("ef-v2xp-pc5", "EF.V2XP_PC5", 0x4F03, "TR", None, None, 2, None, None, "cs", "df-v2x"),
    ("ef-v2xp-Uu", "EF.V2XP_Uu", 0x4F04, "TR", None, None, 2, None, None, "cs", "df-v2x"),
]
