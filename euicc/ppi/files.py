"""File creation for the Profile Package Interpreter (TCA eUICC Profile Package 2.3/3.3,
section 8.3 "File system" and Annex A templates; ETSI TS 102 222 6.3 CREATE FILE for the
meaning of the FCP, 6.3.2.2.2 for fill and repeat patterns).

A SAIP ``File`` is a list of commands: ``fileDescriptor`` (an FCP that creates the file or,
for a template file, overrides parts of the template's FCP), ``fillFileOffset`` (skip bytes)
and ``fillFileContent`` (write bytes at the current offset), or ``doNotCreate``.

Every member an Fcp states wins over the template's value: file descriptor (structure,
shareable, record length), file ID, DF name, LCSI, security attributes, file size, PIN
status template, SFI, proprietary information (special file information, fill or repeat
pattern, BER-TLV file details and maximum size) and link. A descriptor that changes the
structure (records / transparent / BER-TLV) also drops the template's sizes, which belong
to the other structure. A linked EF is its target's content under another file ID: its
structure, record length and size are the target's (the SAIP Fcp allows no efFileSize for
a link file; TS.48 V5 links DF.TELECOM's EF.MSISDN, stated with the older 28-byte records,
to an ADF.USIM EF.MSISDN of 39-byte records).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from euicc.fs.model import (
    MF_FID,
    File,
    FileTree,
    FileType,
    LifeCycle,
    decode_descriptor_byte,
)
from euicc.tlv import tlv

from .names import known_name


class FileError(ValueError):
    """A file command the interpreter cannot carry out (PEStatus bad-values)."""


# The largest EF the card creates (its body is allocated at once): the whole profile memory
# of an eUICC (euicc_applets.isd_r.config.EuiccConfig.nvm_capacity).
MAX_EF_SIZE = 1 << 20
# Proprietary information 'A5' (TS 102 222 6.3.2.2.1 special file information, TS 102 221
# 11.1.1.4.6.5 / .6 file details and maximum file size of a BER-TLV EF)
TAG_SPECIAL_INFO, TAG_FILE_DETAILS, TAG_MAXIMUM_SIZE = 0xC0, 0x84, 0x86
HIGH_UPDATE_ACTIVITY = 0x80  # special file information b8
# The file types as module names: an Enum member read through its class costs several
# times a global's read, and each of a profile's hundreds of files asks a few of them.
_MF, _DF, _ADF = FileType.MF, FileType.DF, FileType.ADF
_TRANSPARENT, _BER_TLV = FileType.TRANSPARENT, FileType.BER_TLV
_MF_OR_ADF = (_MF, _ADF)


@dataclass
class FileSpec:
    """What is known about a file before it is created: template defaults merged with the
    profile's FCP (every field may still be None until the FCP says it)."""

    fid: int | None = None
    type: FileType | None = None
    name: str = ""
    aid: bytes | None = None
    sfi: int | None = None  # None: derive from the FID; -1: no SFI
    size: int | None = None
    record_length: int | None = None
    record_count: int | None = None
    shareable: bool = True
    lcsi: int = LifeCycle.ACTIVATED
    security: bytes = b""
    pin_status: bytes = b""
    special_info: bytes | None = None  # 'C0' value
    file_details: bytes | None = None  # '84' value (BER-TLV EFs)
    maximum_size: bytes | None = None  # '86' value (BER-TLV EFs)
    fill: bytes | None = None
    repeat: bool = False
    link: bytes | None = None  # linkPath: path (from the MF, MF FID left out) of the target

    @property
    def proprietary(self) -> bytes:
        """The 'A5' value the file keeps: what the FCP said of it, in TS 102 222 terms."""
        special = self.special_info
        if self.type is not _BER_TLV:  # most files: at most the one-octet 'C0'
            return tlv(TAG_SPECIAL_INFO, special) if special else b""
        value = tlv(TAG_SPECIAL_INFO, special) if special else b""
        for tag, item in ((TAG_FILE_DETAILS, self.file_details),
                          (TAG_MAXIMUM_SIZE, self.maximum_size)):
            value += tlv(tag, item) if item else b""
        return value


def merge_fcp(spec: FileSpec, fcp: dict, parent_is_mf: bool) -> None:
    """Apply the parts of a decoded SAIP ``Fcp`` that are present to ``spec``."""
    if "fileDescriptor" in fcp:
        _file_descriptor(spec, fcp["fileDescriptor"])
    if "fileID" in fcp:
        spec.fid = int.from_bytes(fcp["fileID"], "big")
    if "dfName" in fcp:
        spec.aid = bytes(fcp["dfName"])
        if spec.type in (None, _DF):
            spec.type = _ADF
    if "lcsi" in fcp:
        spec.lcsi = fcp["lcsi"][0]
    if "securityAttributesReferenced" in fcp:
        spec.security = security_referenced(
            fcp["securityAttributesReferenced"],
            parent_is_mf or spec.type in _MF_OR_ADF)
    if "efFileSize" in fcp:
        spec.size = int.from_bytes(fcp["efFileSize"], "big")
    if "pinStatusTemplateDO" in fcp:
        spec.pin_status = bytes(fcp["pinStatusTemplateDO"])
    if "shortEFID" in fcp:
        sfi = fcp["shortEFID"]
        spec.sfi = sfi[0] >> 3 if sfi else -1
    if "proprietaryEFInfo" in fcp:
        info = fcp["proprietaryEFInfo"]
        if "specialFileInformation" in info:
            spec.special_info = bytes(info["specialFileInformation"])
        if "fileDetails" in info:
            spec.file_details = bytes(info["fileDetails"])
        if "fillPattern" in info:
            spec.fill, spec.repeat = bytes(info["fillPattern"]), False
        if "repeatPattern" in info:
            spec.fill, spec.repeat = bytes(info["repeatPattern"]), True
        if "maximumFileSize" in info:
            spec.maximum_size = bytes(info["maximumFileSize"])
            spec.size = int.from_bytes(spec.maximum_size, "big")
    if "linkPath" in fcp:
        spec.link = bytes(fcp["linkPath"]) or None


def _file_descriptor(spec: FileSpec, descriptor: bytes) -> None:
    if not descriptor:
        raise FileError("empty file descriptor")
    try:
        kind, spec.shareable = decode_descriptor_byte(descriptor[0])
    except ValueError as exc:
        raise FileError(str(exc)) from None
    before = spec.type
    if kind is None:  # a DF: the MF, an ADF (it has a DF name) or a DF
        if spec.type not in _MF_OR_ADF:
            spec.type = _ADF if spec.aid else _DF
    else:
        spec.type = kind
    if before is not None and before.shape != spec.type.shape:
        # the template's sizes describe the structure the profile replaced
        spec.size = spec.record_length = spec.record_count = None
    if spec.type.is_record:
        if len(descriptor) < 4:
            raise FileError("record EF without record length")
        spec.record_length = int.from_bytes(descriptor[2:4], "big")
        if len(descriptor) >= 5:
            spec.record_count = descriptor[4]


def security_referenced(value: bytes, in_mf_or_adf: bool) -> bytes:
    """The '8B' security attribute TLV. SAIP allows the record number alone: EF.ARR is then
    2F06 for the MF, ADFs and files directly under the MF, 6F06 for any other file. A
    profile uses a handful of these for its hundreds of files: each is made once."""
    if value.__class__ is not bytes:
        value = bytes(value)
    made = _SECURITY_TLVS.get((value, in_mf_or_adf))
    if made is None:
        made = _security_tlv(value, in_mf_or_adf)
        if len(_SECURITY_TLVS) < 4096:  # bounded: a hostile package cannot grow it
            _SECURITY_TLVS[value, in_mf_or_adf] = made
    return made


_SECURITY_TLVS: dict[tuple[bytes, bool], bytes] = {}


def _security_tlv(value: bytes, in_mf_or_adf: bool) -> bytes:
    if len(value) == 1:
        value = (b"\x2f\x06" if in_mf_or_adf else b"\x6f\x06") + value
    return b"\x8b" + bytes([len(value)]) + value


def expand_pattern(pattern: bytes, repeat: bool, size: int) -> bytes:
    """TS 102 222 6.3.2.2.2: a fill pattern is written once and its last byte fills the
    rest; a repeat pattern is repeated to the end."""
    if not pattern or size <= 0:
        return b"\xff" * max(size, 0)
    if repeat:
        return (pattern * (size // len(pattern) + 1))[:size]
    return (pattern + pattern[-1:] * size)[:size]


def build_file(spec: FileSpec) -> File:
    """Create the file ``spec`` describes, filled per its pattern (default 'FF')."""
    kind = spec.type
    if kind is None:
        raise FileError(f"no file descriptor for {spec.name or spec.fid}")
    if spec.fid is None and kind is not _ADF:
        raise FileError(f"no file identifier for {spec.name or 'a file'}")
    record_length = spec.record_length or 0
    size = spec.size
    if kind.is_record:
        if not record_length:
            raise FileError(f"{spec.name or hex(spec.fid)}: no record length")
        if size is None and spec.record_count is not None:
            size = record_length * spec.record_count
        if size is None:
            raise FileError(f"{spec.name or hex(spec.fid)}: no file size or record count")
        if size % record_length:
            raise FileError(f"{spec.name or hex(spec.fid)}: size {size} is not a whole "
                            f"number of {record_length}-byte records")
    elif not kind.is_df and size is None:
        raise FileError(f"{spec.name or hex(spec.fid)}: no file size")
    if (kind is _TRANSPARENT or kind.is_record) and size > MAX_EF_SIZE:
        raise FileError(f"{spec.name or hex(spec.fid)}: {size} bytes do not fit in the card")
    if kind.is_df or spec.sfi == -1:
        sfi = None
    elif spec.sfi is None:
        sfi = spec.fid & 0x1F or None  # TS 102 221 11.1.1.4.8: the 5 low bits of the FID
    else:
        sfi = spec.sfi or None
    size = size or 0
    if kind.is_record:
        record = expand_pattern(spec.fill or b"", spec.repeat, record_length)
        body = bytearray(record * (size // record_length))
    elif kind is _TRANSPARENT:
        body = bytearray(expand_pattern(spec.fill or b"", spec.repeat, size))
    else:
        body = bytearray()
    # File's fields in their order, positionally: a profile's hundreds of files each
    # matched 13 keywords to the field names (nearly half of what File() itself cost)
    return File(spec.fid, kind, spec.name, spec.aid, sfi, size, record_length,
                spec.shareable, spec.lcsi, spec.security, spec.pin_status, spec.proprietary,
                None, body)


def create(tree: FileTree, parent: File, spec: FileSpec,
           default_body: Callable[[File], bytes] | None = None) -> File:
    """Create ``spec`` in ``parent``. A linked EF (SAIP Fcp linkPath) shares its target's
    body, and with it the target's structure, record length and size; any other EF gets
    ``default_body`` unless the FCP names a fill pattern."""
    if not spec.name:
        spec.name = known_name(parent, spec.fid)
    target = None
    if spec.link is not None:
        target = tree.find(path_from_saip(spec.link))
        what = spec.name or "file"
        if target is None or target.type.is_df:
            raise FileError(f"{what}: linkPath {spec.link.hex().upper()} names no EF")
        if spec.type is not None and spec.type.shape != target.type.shape:
            raise FileError(f"{what}: a {spec.type.name} EF cannot link to the "
                            f"{target.type.name} EF {target.label}")
        spec.type = spec.type or target.type
        spec.record_length, spec.record_count = target.record_length or None, None
        spec.size = target.size
    f = build_file(spec)
    if target is not None:
        f.body = target.body  # one body: an update through either is seen by both
    elif default_body is not None and spec.fill is None and not f.type.is_df:
        f.body = bytearray(default_body(f))
    try:
        parent.add(f)
    except ValueError as exc:
        raise FileError(str(exc)) from None
    return f


def fill(f: File, commands: list[tuple[str, object]], offset: int = 0) -> int:
    """Apply the fillFileOffset / fillFileContent commands among ``commands`` (others, such
    as the fileDescriptor that created the EF, are passed over) from ``offset`` on; returns
    the offset after them (a later command carries on from there)."""
    for kind, value in commands:
        if kind == "fillFileOffset":
            offset += value
        elif kind == "fillFileContent":
            write(f, offset, bytes(value))
            offset += len(value)
    return offset


def write(f: File, offset: int, data: bytes) -> None:
    if f.type.is_df:
        raise FileError(f"content for the DF {f.label}")
    if f.type is _BER_TLV:
        # The content of a BER-TLV EF is its data objects one after the other: no gaps.
        if offset > len(f.body):
            raise FileError(f"{f.label}: a gap before offset {offset} of a BER-TLV EF")
        f.body[offset:offset + len(data)] = data
        if len(f.body) > f.size:
            raise FileError(f"{f.label}: {len(f.body)} bytes in a {f.size}-byte BER-TLV EF")
        return
    if offset + len(data) > len(f.body):
        raise FileError(f"{f.label}: content ends at {offset + len(data)}, "
                        f"the file has {len(f.body)} bytes")
    f.body[offset:offset + len(data)] = data


def path_from_saip(path: bytes) -> tuple[int, ...]:
    """A SAIP filePath / linkPath (FIDs from the MF, MF left out) as a path from the MF.
    A package names a few paths for its many files (each file command of a
    genericFileManagement element starts from one): each is worked out once."""
    if path.__class__ is not bytes:
        path = bytes(path)  # a dictionary key
    made = _SAIP_PATHS.get(path)
    if made is None:
        if len(path) % 2:
            raise FileError(f"odd path length {path.hex()}")
        fids = [int.from_bytes(path[i:i + 2], "big") for i in range(0, len(path), 2)]
        if fids and fids[0] == MF_FID:
            fids = fids[1:]
        made = (MF_FID, *fids)
        if len(_SAIP_PATHS) < 4096:  # bounded: a hostile package cannot grow it
            _SAIP_PATHS[path] = made
    return made


_SAIP_PATHS: dict[bytes, tuple[int, ...]] = {}
