"""Spec names of files a profile creates without a template (genericFileManagement): the
SAIP templates' files by their DF and FID, and the EFs of DF.TELECOM that TS.48 profiles
create or link this way (3GPP TS 31.102 4.4.1 / 4.4.2 and 3GPP TS 51.011 10.5). Names are
only labels for people (the shell, traces); nothing selects by them on the card."""

from __future__ import annotations

from functools import cache

from euicc.fs.model import File

from .templates import TEMPLATES

TELECOM_EFS = {
    0x6F3A: "EF.ADN", 0x6F3B: "EF.FDN", 0x6F3C: "EF.SMS", 0x6F3D: "EF.CCP",
    0x6F40: "EF.MSISDN", 0x6F42: "EF.SMSP", 0x6F43: "EF.SMSS", 0x6F44: "EF.LND",
    0x6F47: "EF.SMSR", 0x6F49: "EF.SDN", 0x6F4A: "EF.EXT1", 0x6F4B: "EF.EXT2",
    0x6F4C: "EF.EXT3", 0x6F4D: "EF.BDN", 0x6F4E: "EF.EXT4", 0x6F58: "EF.CMI",
    0x6F54: "EF.SUME", 0x6FE0: "EF.ICE_DN", 0x6FE1: "EF.ICE_FF", 0x6FE5: "EF.PSISMSC",
}


@cache
def _catalogue() -> dict[tuple[str, int], str]:
    """(name of the DF, FID) -> file name, over every template version."""
    names: dict[tuple[str, int], str] = {("DF.TELECOM", fid): n for fid, n in TELECOM_EFS.items()}
    for t in TEMPLATES.values():
        base = t.file(t.root).name if t.root else {"usim": "ADF.USIM", "isim": "ADF.ISIM",
                                                   "csim": "ADF.CSIM"}.get(t.naa or "", "")
        for f in t.files:
            if f.fid is None or f.pe_name == t.root:
                continue
            parent = t.file(f.parent).name if f.parent else base
            names.setdefault((parent, f.fid), f.name)
    return names


def known_name(parent: File, fid: int | None) -> str:
    """The spec name of file ``fid`` in ``parent``, or "" when none is known."""
    if fid is None or not parent.name:
        return ""
    return _catalogue().get((parent.name, fid), "")
