"""The UICC file model (ETSI TS 102 221 8.1-8.6 file types, 11.1.1.3 FCP): MF, DF, ADF and
the four kinds of EF, each carrying what its FCP says about it and, for an EF, its body.

A profile's whole file system is a :class:`FileTree`. The tree knows nothing of APDUs or
storage: the command engine (:mod:`euicc.fs.commands`) works on it, and whoever owns the
tree (the ISD-P of the enabled profile) persists a file when the engine reports a change
through :attr:`FileTree.on_change`.

Paths are tuples of file identifiers from the MF, e.g. ``(0x3F00, 0x7FF0, 0x6F07)``; an ADF
sits under the MF with its temporary FID (SAIP uses 7FF0-7FFF) and is also found by AID.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from enum import Enum, IntEnum
from types import MappingProxyType

MF_FID = 0x3F00
CURRENT_ADF_FID = 0x7FFF  # TS 102 221 8.4.2: '7FFF' in a path names the current ADF


def path_text(path: tuple[int, ...]) -> str:
    """'3F00/7FF0/6F07': how paths are written in the store, the shell and logs."""
    return "/".join(f"{fid:04X}" for fid in path)


class FileType(Enum):
    MF = "MF"
    DF = "DF"
    ADF = "ADF"
    TRANSPARENT = "TR"
    LINEAR_FIXED = "LF"
    CYCLIC = "CY"
    BER_TLV = "BT"

    # Plain member attributes, set once (every file operation asks them: a property would
    # be a call and a tuple scan each time).
    is_df: bool
    is_record: bool
    json_text: str  # the value as JSON writes it ('"MF"'): the store writes one per file
    shape: str

    def __init__(self, value: str) -> None:
        self.is_df = value in ("MF", "DF", "ADF")
        self.is_record = value in ("LF", "CY")
        self.json_text = f'"{value}"'
        # what the file's sizes mean: records, bytes, data objects, or nothing (a DF)
        self.shape = "df" if self.is_df else "records" if self.is_record else value


class FileDescriptor(IntEnum):
    """b6-b1 of the file descriptor byte (TS 102 221 11.1.1.4.3, table 11.5): b6-b4 the file
    type ('000' working EF, '001' internal EF, '111' DF / ADF and BER-TLV EF), b3-b1 the EF
    structure. b7 is the shareable flag (:data:`SHAREABLE`), b8 is 0."""

    TRANSPARENT = 0x01
    LINEAR_FIXED = 0x02
    CYCLIC = 0x06
    DF = 0x38  # MF, DF or ADF: which one, the FID and DF name tell
    BER_TLV = 0x39


SHAREABLE = 0x40  # file descriptor byte b7 (TS 102 221 11.1.1.4.3)
FILE_TYPE_BITS, STRUCTURE_BITS = 0x38, 0x07  # b6-b4, b3-b1
WORKING_EF, INTERNAL_EF = 0x00, 0x08  # b6-b4 of an EF with a structure in b3-b1
# The descriptor of each kind of EF (a DF of any kind has FileDescriptor.DF)
EF_DESCRIPTORS = MappingProxyType({
    FileType.TRANSPARENT: FileDescriptor.TRANSPARENT,
    FileType.LINEAR_FIXED: FileDescriptor.LINEAR_FIXED,
    FileType.CYCLIC: FileDescriptor.CYCLIC,
    FileType.BER_TLV: FileDescriptor.BER_TLV,
})
_EF_OF_STRUCTURE = MappingProxyType(
    {code: kind for kind, code in EF_DESCRIPTORS.items() if kind is not FileType.BER_TLV})


def descriptor_byte(kind: FileType, shareable: bool) -> int:
    """The file descriptor byte of a file of ``kind`` (as SELECT's FCP reports it)."""
    code = FileDescriptor.DF if kind.is_df else EF_DESCRIPTORS[kind]
    return code | (SHAREABLE if shareable else 0)


def _decode_descriptor_byte(byte: int) -> tuple[FileType | None, bool] | str:
    code = byte & (FILE_TYPE_BITS | STRUCTURE_BITS)
    shareable = bool(byte & SHAREABLE)
    if code == FileDescriptor.DF:
        return None, shareable
    if code == FileDescriptor.BER_TLV:
        return FileType.BER_TLV, shareable
    kind = _EF_OF_STRUCTURE.get(code & STRUCTURE_BITS)
    if kind is None or code & FILE_TYPE_BITS not in (WORKING_EF, INTERNAL_EF):
        return f"file descriptor byte {byte:02X}"
    return kind, shareable


# Every byte's meaning, worked out once: a profile package states hundreds of descriptors.
_DESCRIPTOR_BYTES = tuple(_decode_descriptor_byte(byte) for byte in range(256))


def decode_descriptor_byte(byte: int) -> tuple[FileType | None, bool]:
    """(the EF type, or None for a DF; shareable) of a file descriptor byte. A working or
    internal EF is told by its structure; ValueError for any other code."""
    meaning = _DESCRIPTOR_BYTES[byte]
    if meaning.__class__ is str:
        raise ValueError(meaning)
    return meaning


class LifeCycle:
    """Life Cycle Status Integer values (TS 102 221 11.1.1.4.9)."""

    CREATION = 0x01
    INITIALISATION = 0x03
    ACTIVATED = 0x05
    DEACTIVATED = 0x04
    TERMINATED = 0x0C


@dataclass(eq=False, slots=True)
class File:
    """One file. For EFs ``body`` holds the whole content:

    - transparent: ``size`` bytes;
    - linear fixed / cyclic: ``record_count * record_length`` bytes, record 1 first
      (for a cyclic EF, record 1 is the most recently written one);
    - BER-TLV: the concatenated TLV data objects, at most ``size`` bytes.
    """

    fid: int | None
    type: FileType
    name: str = ""  # spec name when known, e.g. "EF.IMSI", "ADF.USIM"
    aid: bytes | None = None  # DF name (ADF: the application's AID)
    sfi: int | None = None  # short EF identifier, 1..30
    size: int = 0  # transparent / BER-TLV: bytes; records: record_count * record_length
    record_length: int = 0
    shareable: bool = True
    lcsi: int = LifeCycle.ACTIVATED
    # Security attributes as FCP TLVs, kept exactly: '8B' (referenced to EF.ARR), '8C'
    # (compact) or 'AB' (expanded), TS 102 221 11.1.1.4.7.
    security: bytes = b""
    # DF/ADF: the value of the PIN status template DO 'C6' (TS 102 221 11.1.1.4.10)
    pin_status: bytes = b""
    # Proprietary information 'A5' value, kept as given (UICC characteristics, ...)
    proprietary: bytes = b""
    # Total file size '81' of a DF/ADF when the profile states one
    total_size: int | None = None
    body: bytearray = field(default_factory=bytearray)
    # In creation order (the order of a tree walk and of stored rows). Change it only
    # through add() and remove(): they keep the FID index below in step with it.
    children: list[File] = field(default_factory=list)
    parent: File | None = field(default=None, repr=False)
    # fid -> the first child with that FID: a look-up (every add, path and SELECT) costs
    # the same in a DF of 3 files as in one of 300. ``fid`` is a plain attribute (every
    # file operation reads it): no command renames a file once it is in a DF, so the
    # index cannot go stale; one that did would have to call _index_children().
    _by_fid: dict[int, File] = field(default_factory=dict, init=False, repr=False)

    def __post_init__(self) -> None:
        if self.children:  # a file made with children (dataclasses.replace, tests)
            self._index_children()

    def _index_children(self) -> None:
        by_fid: dict[int, File] = {}
        for c in self.children:
            if c.fid is not None:
                by_fid.setdefault(c.fid, c)
        self._by_fid = by_fid

    # -- structure ------------------------------------------------------------------------
    @property
    def record_count(self) -> int:
        return self.size // self.record_length if self.record_length else 0

    def add(self, child: File) -> File:
        if not self.type.is_df:
            raise ValueError(f"{self.label} is not a DF")
        fid = child.fid
        if fid is not None and fid in self._by_fid:
            raise ValueError(f"{self.label} already has a file {fid:04X}")
        child.parent = self
        self.children.append(child)
        if fid is not None:
            self._by_fid[fid] = child
        return child

    def remove(self, child: File) -> None:
        self.children.remove(child)
        child.parent = None
        if child.fid is not None and self._by_fid.get(child.fid) is child:
            self._index_children()  # a sibling with the same FID (renamed to it) takes over

    def child(self, fid: int) -> File | None:
        return self._by_fid.get(fid)

    def child_by_sfi(self, sfi: int) -> File | None:
        return next((c for c in self.children if c.sfi == sfi and not c.type.is_df), None)

    @property
    def path(self) -> tuple[int, ...]:
        node, fids = self, []
        while node is not None:
            fids.append(node.fid if node.fid is not None else 0)
            node = node.parent
        return tuple(reversed(fids))

    @property
    def label(self) -> str:
        return self.name or path_text(self.path)

    @property
    def df(self) -> File:
        """The DF this file is in (itself for a DF)."""
        return self if self.type.is_df or self.parent is None else self.parent

    @property
    def adf(self) -> File | None:
        node: File | None = self
        while node is not None and node.type != FileType.ADF:
            node = node.parent
        return node

    def walk(self) -> Iterator[File]:
        """This file and everything below it, depth first in creation order (an explicit
        stack: nested generators would cost a frame per level for every file yielded)."""
        stack = [self]
        while stack:
            node = stack.pop()
            yield node
            if node.children:
                stack.extend(reversed(node.children))

    # -- records --------------------------------------------------------------------------
    def record(self, number: int) -> bytes:
        """Record ``number`` (1-based) of a record EF."""
        start = (number - 1) * self.record_length
        return bytes(self.body[start:start + self.record_length])

    def set_record(self, number: int, data: bytes) -> None:
        start = (number - 1) * self.record_length
        self.body[start:start + self.record_length] = data


@dataclass
class FileTree:
    """A profile's file system: the MF and everything below it."""

    mf: File
    # Called with each file whose body changed through a command (persistence).
    on_change: Callable[[File], None] = field(default=lambda _file: None, repr=False)

    def find(self, path: tuple[int, ...]) -> File | None:
        if not path or path[0] != MF_FID:
            return None
        node: File | None = self.mf
        for fid in path[1:]:
            node = node.child(fid) if node is not None and node.type.is_df else None
        return node

    def adfs(self) -> list[File]:
        return [f for f in self.mf.walk() if f.type == FileType.ADF]

    def adf_by_aid(self, aid: bytes, partial: bool = True) -> File | None:
        """The ADF with DF name ``aid``; with ``partial`` also one whose name starts with it
        (ISO/IEC 7816-4 5.3.1.1 selection by a truncated DF name)."""
        adfs = self.adfs()
        exact = next((a for a in adfs if a.aid == aid), None)
        if exact is not None or not partial:
            return exact
        return next((a for a in adfs if a.aid and a.aid.startswith(aid)), None)

    def walk(self) -> Iterator[File]:
        return self.mf.walk()


@dataclass
class Pin:
    """A PIN or PUK of the profile (TS 102 221 9.5; SAIP PE-PINCodes / PE-PUKCodes).

    ``key_ref`` is the key reference (01-08 universal/global PINs, 0A-0E ADM, 81-88 local
    PINs). ``value`` is kept padded to 8 bytes with 'FF'. A PIN names the PUK that unblocks
    it through ``unblock_ref``."""

    key_ref: int
    value: bytes
    max_attempts: int
    attempts_left: int
    enabled: bool = True
    unblock_ref: int | None = None
    puk: bool = False
    # SAIP pinAttributes: may the user disable it / change it (TS 102 221 9.5.1)
    can_disable: bool = True
    can_change: bool = True
    # Disabled with the universal PIN as its replacement (TS 102 221 9.5.1, DISABLE PIN '91')
    replaced_by_universal: bool = False
    # Where a local PIN (key references 81-8E) was defined: the path of its DF/ADF. Local
    # PINs of different applications may share a key reference (SAIP PE-PINCodes);
    # global PINs and ADM keys have an empty scope.
    scope: tuple[int, ...] = ()

    def __repr__(self) -> str:  # the value never reaches a log
        kind = "PUK" if self.puk else "PIN"
        return f"{kind}({self.key_ref:02X}, {self.attempts_left}/{self.max_attempts})"

    @property
    def blocked(self) -> bool:
        return self.attempts_left == 0

    @property
    def local(self) -> bool:
        return self.key_ref & 0x80 == 0x80
