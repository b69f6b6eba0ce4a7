"""Reading TCA eUICC Profile Packages in tests, independently of the card's interpreter
(TCA eUICC Profile Package: Interoperable Format Technical Specification 2.3 / 3.3, section 8
and PEDefinitions; ETSI TS 102 222 6.3 for what an Fcp means): the GSMA TS.48 packages of
../shared/profiles, every Fcp a file-system element states and every byte its fill commands
write, and from those what a package says a card must show (EF.ICCID, the USIM's AID,
EF.IMSI/AD/UST, its AKA algorithm and K, the files of DF.5GS, the SUCI calculation data).

Unit tests hold the interpreter's image against this reading; integration tests hold what
the card answers through pcscd against it. Only the template tables (where a template file
sits) come from the project.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pytest

from euicc.asn1 import decode_exact, pe
from euicc.coding import decode_imsi
from euicc.fs.model import MF_FID, FileDescriptor
from euicc.ppi.templates import ADF_FID, PE_FID, TEMPLATES
from euicc.tlv import split
from tests.support.shared_material import SHARED

# Every TS.48 package of ../shared/profiles (the V5 generation in its subfolder)
TS48_PACKAGES = (
    "TS48V1-A-UNIQUE.der",
    "TS48V2-SAIP2-1-NOBERTLV-UNIQUE.der",
    "TS48V2-SAIP2-3-BERTLV-UNIQUE.der",
    "TS48V4-SAIP2-1A-NOBERTLV-UNIQUE.der",
    "ts48v5/TS48V5-SAIP2-1A-NOBERTLV-UNIQUE.der",
    "ts48v5/TS48V5-SAIP2-3-BERTLV-SUCI-UNIQUE.der",
)
TS48_V5 = tuple(name for name in TS48_PACKAGES if name.startswith("ts48v5/"))
PROFILES = SHARED / "profiles"

DF_5GS, DF_SAIP = 0x5FC0, 0x5FD0
EF_ICCID, EF_IMSI, EF_AD, EF_UST = 0x2FE2, 0x6F07, 0x6FAD, 0x6F38
EF_ROUTING_INDICATOR, EF_SUCI_CALC_INFO, EF_SUCI_CALC_INFO_USIM = 0x4F0A, 0x4F07, 0x4F01


def package_path(name: str) -> Path:
    """A TS.48 package of ../shared/profiles; the test skips when it is not there."""
    path = PROFILES / name
    if not path.exists():
        pytest.skip(f"{path} is not available on this machine")
    return path


def shared_packages() -> list[str]:
    """Every package ../shared/profiles holds, as names relative to it."""
    return sorted(str(p.relative_to(PROFILES)) for p in PROFILES.glob("**/*.der"))


def matching_id(name: str) -> str:
    """The test SM-DP+ serves ``<matchingId>.der``: the file name without folder or .der."""
    return Path(name).stem


def elements(package: bytes) -> list[tuple[str, object]]:
    return [decode_exact(pe(), "ProfileElement", element) for element in split(package)]


# -- what the file-system elements state ------------------------------------------------------
@dataclass
class StatedFile:
    """One file a profile element states an Fcp for: where it must be, the Fcp, and the
    element it came from (its identification)."""

    element: int | None
    path: tuple[int, ...]
    fcp: dict
    in_mf_or_adf: bool  # EF.ARR '2F06' for a one-byte securityAttributesReferenced

    @property
    def is_df(self) -> bool:
        descriptor = bytes(self.fcp.get("fileDescriptor", b""))
        return not descriptor or descriptor[0] & 0x3F == FileDescriptor.DF


@dataclass
class Write:
    """A fillFileOffset / fillFileContent result: ``data`` at ``offset`` of ``path``."""

    path: tuple[int, ...]
    offset: int
    data: bytes


@dataclass
class Reading:
    files: list[StatedFile] = field(default_factory=list)
    writes: list[Write] = field(default_factory=list)
    adf_fids: dict[str, int] = field(default_factory=dict)  # NAA -> temporary file ID
    adf_aids: dict[int, bytes] = field(default_factory=dict)  # temporary file ID -> AID

    def file(self, path: tuple[int, ...]) -> StatedFile | None:
        """The last Fcp stated for ``path`` (a later element may create it again)."""
        return next((f for f in reversed(self.files) if f.path == path), None)


def fid_value(value: bytes) -> int:
    return int.from_bytes(value, "big")


def saip_path(value: bytes) -> tuple[int, ...]:
    """A SAIP filePath / linkPath as a path from the MF (the MF's FID may be left out)."""
    fids = [fid_value(value[i:i + 2]) for i in range(0, len(value), 2)]
    return (MF_FID, *(fids[1:] if fids[:1] == [MF_FID] else fids))


def _header_id(value: dict) -> int | None:
    return next((v.get("identification") for k, v in value.items()
                 if k.endswith("-header") and isinstance(v, dict)), None)


def read_package(package: bytes) -> Reading:
    """Every Fcp of every file-system element (template elements and
    genericFileManagement), and every write of content, in package order."""
    reading = Reading()

    def commands(path: tuple[int, ...], items: list, offset: int = 0) -> int:
        for kind, item in items:
            if kind == "fillFileOffset":
                offset += item
            elif kind == "fillFileContent":
                reading.writes.append(Write(path, offset, bytes(item)))
                offset += len(item)
        return offset

    for kind, value in elements(package):
        if not isinstance(value, dict):
            continue
        ident = _header_id(value)
        if value.get("templateID") in TEMPLATES:
            _template_element(reading, TEMPLATES[value["templateID"]], value, ident, commands)
        elif kind == "genericFileManagement":
            for command in value["fileManagementCMD"]:
                df, current, offset = (MF_FID,), None, 0
                for name, item in command:
                    if name == "filePath":  # a DF, or an EF to fill
                        df, current, offset = saip_path(bytes(item)), None, 0
                    elif name == "createFCP":
                        stated = StatedFile(ident, (*df, fid_value(item["fileID"])), item,
                                            len(df) == 1)
                        reading.files.append(stated)
                        offset = 0
                        df, current = (stated.path, None) if stated.is_df \
                            else (df, stated.path)
                    else:
                        offset = commands(current or df, [(name, item)], offset)
    return reading


def _template_element(reading: Reading, t, value: dict, ident: int | None, commands) -> None:
    root_fcp = next((v for k, v in value.get(t.root, []) if k == "fileDescriptor"), {}) \
        if t.root else {}
    if t.root and t.file(t.root).type.value == "ADF":
        fid = fid_value(root_fcp["fileID"])
        reading.adf_fids[t.naa] = fid
        reading.adf_aids[fid] = bytes(root_fcp["dfName"])
    for name, items in value.items():
        if name == "templateID" or name.endswith("-header") or \
                any(k == "doNotCreate" for k, _ in items):
            continue
        fcp = next((v for k, v in items if k == "fileDescriptor"), {})
        path = tuple(reading.adf_fids[t.naa] if fid == ADF_FID else
                     fid_value(root_fcp["fileID"]) if fid == PE_FID else fid
                     for fid in t.path_of(name))
        if "fileID" in fcp and path != (MF_FID,):
            path = (*path[:-1], fid_value(fcp["fileID"]))
        in_mf = len(path) <= 2 or t.file(name).type.value == "ADF"
        if fcp:
            reading.files.append(StatedFile(ident, path, fcp, in_mf))
        commands(path, items)


def expand_pattern(pattern: bytes, repeat: bool, length: int) -> bytes:
    """ETSI TS 102 222 6.3.2.2.2: a fill pattern once, then its last byte; a repeat pattern
    over and over."""
    if repeat:
        return (pattern * length)[:length]
    return (pattern + pattern[-1:] * length)[:length]


def transparent_content(reading: Reading, path: tuple[int, ...], size: int,
                        required: bool = True) -> bytes | None:
    """The content the package gives a transparent EF of ``size`` bytes: its Fcp's fill or
    repeat pattern, then every write, in order. When some byte is left to a template's
    default (the package does not state the whole content): fails, or None if not
    ``required``."""
    known: dict[int, int] = {}
    stated = reading.file(path)
    info = stated.fcp.get("proprietaryEFInfo", {}) if stated else {}
    pattern = info.get("fillPattern", info.get("repeatPattern"))
    if pattern is not None:
        known.update(enumerate(expand_pattern(bytes(pattern), "repeatPattern" in info, size)))
    for w in reading.writes:
        if w.path == path:
            known.update({w.offset + i: byte for i, byte in enumerate(w.data)})
    missing = [offset for offset in range(size) if offset not in known]
    if missing and not required:
        return None
    assert not missing, f"the package leaves bytes {missing} of {path} to the template"
    return bytes(known[offset] for offset in range(size))


# -- what a TS.48 package says its USIM is ----------------------------------------------------
@dataclass
class UsimFacts:
    """What the package states about its first USIM (ADF.USIM), decoded from its elements."""

    iccid: bytes  # EF.ICCID content
    aid: bytes
    imsi: bytes  # EF.IMSI, EF.AD, EF.UST content
    ad: bytes
    ust: bytes
    algorithm_id: int  # PE-AKAParameter algorithmID (3: the TS 34.108 test algorithm)
    k: bytes
    opc: bytes
    df_5gs: list[StatedFile]  # the files the package creates in DF.5GS
    routing_indicator: bytes | None  # DF.5GS/EF.Routing_Indicator, first 2 bytes
    # DF.SAIP/EF.SUCI_Calc_Info_USIM, else DF.5GS/EF.SUCI_Calc_Info, where the package
    # states the whole content
    suci_calc_info: bytes | None

    @property
    def imsi_digits(self) -> str:
        """TS 31.102 4.2.2: length, then BCD low nibble first after the parity nibble."""
        return decode_imsi(self.imsi)

    @property
    def mnc_length(self) -> int:
        return self.ad[3] & 0x0F  # TS 31.102 4.2.18: byte 4, b4-b1

    def service(self, number: int) -> bool:
        """Service ``number`` of EF.UST (TS 31.102 4.2.8: bit (n-1) % 8 of byte (n-1) // 8)."""
        index = (number - 1) // 8
        return index < len(self.ust) and bool(self.ust[index] >> ((number - 1) % 8) & 1)


def _size(reading: Reading, path: tuple[int, ...], template_size: int) -> int:
    stated = reading.file(path)
    if stated is not None and "efFileSize" in stated.fcp:
        return fid_value(stated.fcp["efFileSize"])
    return template_size


def usim_facts(package: bytes) -> UsimFacts:
    reading = read_package(package)
    usim = reading.adf_fids["usim"]
    adf = (MF_FID, usim)

    def content(path: tuple[int, ...], template_size: int) -> bytes:
        return transparent_content(reading, path, _size(reading, path, template_size))

    aka = next(v for k, v in elements(package) if k == "akaParameter")
    _, config = aka["algoConfiguration"]
    df_5gs = [f for f in reading.files if f.path[:3] == (*adf, DF_5GS) and len(f.path) == 4]
    suci_paths = [(*adf, DF_SAIP, EF_SUCI_CALC_INFO_USIM), (*adf, DF_5GS, EF_SUCI_CALC_INFO)]
    suci_path = next((p for p in suci_paths if reading.file(p) is not None), None)
    routing = (*adf, DF_5GS, EF_ROUTING_INDICATOR)
    return UsimFacts(
        iccid=content((MF_FID, EF_ICCID), 10), aid=reading.adf_aids[usim],
        # template sizes of SAIP Annex A: EF.IMSI 9, EF.AD 4, EF.UST 14 (17 from SAIP 3.1)
        imsi=content((*adf, EF_IMSI), 9), ad=content((*adf, EF_AD), 4),
        ust=content((*adf, EF_UST), 14),
        algorithm_id=config["algorithmID"], k=bytes(config["key"]), opc=bytes(config["opc"]),
        df_5gs=df_5gs,
        routing_indicator=content(routing, 2)[:2] if reading.file(routing) else None,
        suci_calc_info=transparent_content(reading, suci_path, _size(reading, suci_path, 0),
                                           required=False) if suci_path else None,
    )
