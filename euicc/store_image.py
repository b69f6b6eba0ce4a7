"""The store's form of an ISD-P's interpreted content (TCA eUICC Profile Package 2.x/3.x,
section 8, as the Profile Package Interpreter leaves it): :class:`ProfileImage` with its file
tree, PIN/PUK codes (ETSI TS 102 221 9.5) and AKA parameters (SAIP 8.6.1), and the rows the
card store keeps of it: the files as installed in one ``isdp_image`` row (:func:`pack_rows`),
each file changed since by a command in an ``isdp_files`` row of its own, and one
``isdp_secrets`` row per PIN, PUK, AKA parameter set and SQN array, so the enabled profile's
file system is rebuilt exactly as the last command left it.

This is persistence, so it lives beside :mod:`euicc.store`, not in the interpreter: the PPI
hands a :class:`ProfileImage` down to the store (``PPI -> store``), and the runtime UICC
reads its files back through this module without importing the interpreter.
"""

from __future__ import annotations

import json
import struct
from dataclasses import dataclass, field
from enum import IntEnum
from json.encoder import encode_basestring_ascii as _text
from typing import Any

from euicc.fs.model import MF_FID, File, FileTree, FileType, Pin, path_text

# Kinds of rows in the store's isdp_secrets table
SECRET_PIN, SECRET_PUK, SECRET_AKA, SECRET_SQN = "pin", "puk", "aka", "sqn"


class AkaAlgorithmId(IntEnum):
    """SAIP AlgoParameter.algorithmID (SAIP 8.6.1 "AKA parameters")."""

    MILENAGE = 1
    TUAK = 2
    USIM_TEST_ALGORITHM = 3  # the XOR test algorithm of TS 34.108 8.1.2

    @property
    def label(self) -> str:
        return {1: "MILENAGE", 2: "TUAK", 3: "USIM test algorithm (TS 34.108)"}[self]


@dataclass
class AkaConfig:
    """One PE-AKAParameter (SAIP 8.6.1 / "AKA parameters"): the NAA authentication
    algorithm and its keys, bound to the ADF(s) it serves.

    ``algorithm`` is the SAIP algorithmID (:class:`AkaAlgorithmId`).
    ``adf_aids`` are the ADFs it authenticates for (the NAA element before it)."""

    algorithm: AkaAlgorithmId
    options: int
    key: bytes
    opc: bytes
    rotation: bytes = bytes.fromhex("4000204060")
    # c1..c5 of TS 35.206 4.1: 0, 1, 2, 4, 8 as 128-bit values
    constants: bytes = b"".join(bytes(15) + bytes([n]) for n in (0, 1, 2, 4, 8))
    keccak_iterations: int = 1
    sqn_options: int = 0x02
    sqn_delta: bytes = bytes.fromhex("000010000000")
    sqn_age_limit: bytes = bytes.fromhex("000010000000")
    sqn_init: tuple[bytes, ...] = ()
    adf_aids: tuple[bytes, ...] = ()
    auth_counter_max: bytes | None = None

    def __repr__(self) -> str:  # K and OPc never reach a log
        return f"AkaConfig(algorithm={self.algorithm}, adfs={len(self.adf_aids)})"

    def to_bytes(self) -> bytes:
        # vars(), not asdict(): the fields are bytes, numbers and tuples of bytes, which
        # asdict would copy one by one before the JSON is made of them anyway
        value = {k: (v.hex() if isinstance(v, bytes) else v) for k, v in vars(self).items()}
        value["sqn_init"] = [s.hex() for s in self.sqn_init]
        value["adf_aids"] = [a.hex() for a in self.adf_aids]
        return json.dumps(value, sort_keys=True).encode()

    @classmethod
    def from_bytes(cls, data: bytes) -> AkaConfig:
        value = json.loads(data)
        for name in ("key", "opc", "rotation", "constants", "sqn_delta", "sqn_age_limit"):
            value[name] = bytes.fromhex(value[name])
        if value["auth_counter_max"] is not None:
            value["auth_counter_max"] = bytes.fromhex(value["auth_counter_max"])
        value["sqn_init"] = tuple(bytes.fromhex(s) for s in value["sqn_init"])
        value["adf_aids"] = tuple(bytes.fromhex(a) for a in value["adf_aids"])
        value["algorithm"] = AkaAlgorithmId(value["algorithm"])
        return cls(**value)


@dataclass
class ProfileImage:
    """The interpreted profile: everything its ISD-P holds besides the metadata."""

    tree: FileTree
    # PINs in definition order; local PINs of different DFs may share a key reference
    pins: list[Pin] = field(default_factory=list)
    puks: dict[int, Pin] = field(default_factory=dict)
    aka: list[AkaConfig] = field(default_factory=list)
    # Elements kept as decoded, not executed: securityDomain, rfm, application, nonStandard,
    # cdmaParameter (name, value) in package order. They hold keys: never in a repr.
    kept: list[tuple[str, Any]] = field(default_factory=list, repr=False)
    header: dict = field(default_factory=dict)


def empty_tree() -> FileTree:
    """An MF with nothing under it: the UICC of an eUICC with no enabled profile, and of a
    profile whose elements could not be interpreted."""
    return FileTree(File(MF_FID, FileType.MF, name="MF", security=b"\x8b\x03\x2f\x06\x01"))


# -- persistence ------------------------------------------------------------------------------
def _attributes(f: File, link: str | None) -> str:
    """The file's attributes as ``json.dumps(..., sort_keys=True)`` writes them (the test
    holds the two equal), formatted directly: the text form of an ``isdp_files`` row (and of
    the images of version 1, which :func:`pack_rows` reads)."""
    fid, lcsi, record_length, sfi, size, total_size = (
        f.fid, f.lcsi, f.record_length, f.sfi, f.size, f.total_size)
    return (f'{{"aid": {_text(f.aid.hex()) if f.aid else "null"}, '
            f'"fid": {"null" if fid is None else _int(fid)}, '
            f'"lcsi": {"null" if lcsi is None else _int(lcsi)}, '
            f'"link": {"null" if link is None else _text(link)}, '
            f'"name": {_text(f.name)}, "pin_status": "{f.pin_status.hex()}", '
            f'"proprietary": "{f.proprietary.hex()}", '
            f'"record_length": {"null" if record_length is None else _int(record_length)}, '
            f'"security": "{f.security.hex()}", '
            f'"sfi": {"null" if sfi is None else _int(sfi)}, '
            f'"shareable": {"true" if f.shareable else "false"}, '
            f'"size": {"null" if size is None else _int(size)}, '
            f'"total_size": {"null" if total_size is None else _int(total_size)}, '
            f'"type": {f.type.json_text}}}')


_int = int.__repr__  # as JSON writes an int (also an IntEnum's or a bool subclass's value)


def _file(a: dict, body: bytes) -> File:
    return File(
        fid=a["fid"], type=FileType(a["type"]), name=a["name"],
        aid=bytes.fromhex(a["aid"]) if a["aid"] else None, sfi=a["sfi"], size=a["size"],
        record_length=a["record_length"], shareable=a["shareable"], lcsi=a["lcsi"],
        security=bytes.fromhex(a["security"]), pin_status=bytes.fromhex(a["pin_status"]),
        proprietary=bytes.fromhex(a["proprietary"]), total_size=a["total_size"],
        body=bytearray(body),
    )


def body_owner(tree: FileTree, f: File) -> File:
    """The file whose row stores ``f``'s body: ``f`` itself, or the target of a linked EF
    (SAIP linkPath; the first file in the tree with that body)."""
    return next(g for g in tree.walk() if g.body is f.body)


def file_row(tree: FileTree, f: File) -> tuple[str, str, bytes]:
    """The ``isdp_files`` row of one file a command changed: as :func:`file_rows` makes
    it, with the attributes as JSON text (one row, read by people with sqlite3 too)."""
    owner = body_owner(tree, f)
    link = None if owner is f or f.type.is_df else path_text(owner.path)
    return path_text(f.path), _attributes(f, link), b"" if link else bytes(f.body)


def file_rows(tree: FileTree) -> list[tuple[str, bytes, bytes]]:
    """One row per file, parents first, its attributes packed (:func:`_packed`, the form
    of an image); a linked EF names the file holding its body."""
    owners: dict[int, str] = {}
    rows = []
    pending = [(tree.mf, path_text(tree.mf.path))]  # each path from its parent's: no walk up
    while pending:
        f, key = pending.pop()
        if f.type.is_df:
            rows.append((key, _packed(f, None), bytes(f.body)))  # no EF links to a DF
            pending.extend((c, f"{key}/{_fid_text(c.fid or 0)}") for c in reversed(f.children))
            continue
        body = f.body
        link = owners.get(id(body))
        if link is None:
            owners[id(body)] = key
            rows.append((key, _packed(f, None), bytes(body)))
        else:
            rows.append((key, _packed(f, link), b""))
    return rows


_FID_TEXTS: dict[int, str] = {}


def _fid_text(fid: int) -> str:
    """'6F07': a file identifier as a path writes it, made once per FID (a profile's
    hundreds of files have a few dozen identifiers; 65,536 at most)."""
    text = _FID_TEXTS.get(fid)
    if text is None:
        text = _FID_TEXTS[fid] = f"{fid:04X}"
    return text


# -- the installed files as one value ------------------------------------------------------
# A profile's hundreds of files were one row each: at a download, SQLite's per-row work (the
# row and its primary-key index entry) was more than the rest of storing the profile. The
# image packs the rows: a version octet, then per file the lengths of its path, attributes
# and body, and the three. Version 1 kept each file's attributes as JSON text
# (:func:`_attributes`, as an isdp_files row still does); version 2 packs them
# (:func:`_packed`), which makes the image of a TS.48 profile 34 kB instead of 83 kB, and
# marks rows whose attributes are still text (bit 15 of their length). Both are read.
IMAGE_VERSION = 2
_ROW_HEADER = struct.Struct(">HHI")
# flags, type, fid, lcsi, record length, SFI, size, total size, then the lengths of name,
# DF name (AID), PIN status template, proprietary 'A5' value, security attributes, link
_PACKED = struct.Struct(">BBHBHBIIHHHHHH")
_HAS_FID, _HAS_LCSI, _HAS_RECORD_LENGTH, _HAS_SFI = 0x01, 0x02, 0x04, 0x08
_HAS_SIZE, _HAS_TOTAL_SIZE, _HAS_LINK, _SHAREABLE = 0x10, 0x20, 0x40, 0x80
_TYPES = tuple(FileType)  # a packed file's type: its index here (the enum's order is kept)
_TYPE_CODES = {kind: code for code, kind in enumerate(_TYPES)}


def _packed(f: File, link: str | None) -> bytes:
    """A file's attributes in an image of version 2: what :func:`_attributes` writes as
    text, in fixed fields and length-prefixed octets (an empty AID is none, as there)."""
    fid, lcsi, record_length, sfi, size, total_size = (
        f.fid, f.lcsi, f.record_length, f.sfi, f.size, f.total_size)
    name, aid, pin_status, proprietary, security = (
        f.name.encode(), f.aid or b"", f.pin_status, f.proprietary, f.security)
    flags = _SHAREABLE if f.shareable else 0
    if fid is not None:
        flags |= _HAS_FID
    if lcsi is not None:
        flags |= _HAS_LCSI
    if record_length is not None:
        flags |= _HAS_RECORD_LENGTH
    if sfi is not None:
        flags |= _HAS_SFI
    if size is not None:
        flags |= _HAS_SIZE
    if total_size is not None:
        flags |= _HAS_TOTAL_SIZE
    if link is None:
        link_octets = b""
    else:
        flags |= _HAS_LINK
        link_octets = link.encode()
    try:
        fixed = _PACKED.pack(
            flags, _TYPE_CODES[f.type], fid or 0, lcsi or 0, record_length or 0, sfi or 0,
            size or 0, total_size or 0, len(name), len(aid), len(pin_status),
            len(proprietary), len(security), len(link_octets))
    except struct.error as exc:  # a value no file of the card has (sizes are bounded)
        raise ValueError(f"file {f.name or fid} cannot be stored: {exc}") from None
    return b"".join((fixed, name, aid, pin_status, proprietary, security, link_octets))


def _from_packed(data: bytes, body: bytes) -> tuple[File, str | None]:
    """(file, the path of the file holding its body or None) of :func:`_packed`'s form."""
    if len(data) < _PACKED.size:
        raise ValueError("stored file attributes cut short")
    (flags, code, fid, lcsi, record_length, sfi, size, total_size,
     *lengths) = _PACKED.unpack_from(data)
    if code >= len(_TYPES) or _PACKED.size + sum(lengths) != len(data):
        raise ValueError("stored file attributes damaged")
    at, fields = _PACKED.size, []
    for length in lengths:
        fields.append(data[at:at + length])
        at += length
    name, aid, pin_status, proprietary, security, link = fields
    f = File(  # File's fields in their order: no 14 keywords to match per file
        fid if flags & _HAS_FID else None, _TYPES[code], name.decode(), aid or None,
        sfi if flags & _HAS_SFI else None, size if flags & _HAS_SIZE else None,
        record_length if flags & _HAS_RECORD_LENGTH else None, bool(flags & _SHAREABLE),
        lcsi if flags & _HAS_LCSI else None, security, pin_status, proprietary,
        total_size if flags & _HAS_TOTAL_SIZE else None, bytearray(body),
    )
    return f, link.decode() if flags & _HAS_LINK else None


_TEXT = 0x8000  # in a row header's attributes length (version 2): the attributes are text


def pack_rows(rows: list[tuple[str, str | bytes, bytes]]) -> bytes:
    """The rows of :func:`file_rows` as one ``isdp_image`` value. Attributes that are JSON
    text (rows as isdp_files keeps them, which the schema 2 -> 3 migration packs) stay
    text, marked so in their length."""
    parts = [bytes([IMAGE_VERSION])]
    header = _ROW_HEADER.pack
    for path, attributes, body in rows:
        key = path.encode()
        if attributes.__class__ is str:
            attributes = attributes.encode()
            length = len(attributes) | _TEXT
        else:
            length = len(attributes)
        if len(attributes) >= _TEXT:
            raise ValueError(f"{path}: {len(attributes)} bytes of attributes")
        parts += (header(len(key), length, len(body)), key, attributes, body)
    return b"".join(parts)


def unpack_rows(image: bytes) -> list[tuple[str, str | bytes, bytes]]:
    """:func:`pack_rows` undone (attributes packed, or JSON text where so marked and in a
    version 1 image); ValueError for a value it did not make."""
    image = bytes(image)
    version = image[0] if image else None
    if version not in (1, IMAGE_VERSION):
        raise ValueError(f"stored file image of an unknown version {image[:1].hex()}")
    rows, offset, size = [], 1, len(image)
    header, step = _ROW_HEADER.unpack_from, _ROW_HEADER.size
    while offset < size:
        if offset + step > size:
            raise ValueError("stored file image cut inside a row header")
        key, length, body = header(image, offset)
        text = version == 1 or length & _TEXT
        if version != 1:
            length &= ~_TEXT
        start = offset + step
        offset = start + key + length + body
        if offset > size:
            raise ValueError("stored file image cut inside a row")
        attributes = image[start + key:start + key + length]
        rows.append((image[start:start + key].decode(),
                     attributes.decode() if text else attributes,
                     image[start + key + length:offset]))
    return rows


def tree_from_rows(rows: list[tuple[str, str | bytes, bytes]]) -> FileTree:
    """Rebuild a tree; rows come parents first (creation order), their attributes packed
    or JSON text (:func:`pack_rows`)."""
    by_path: dict[str, File] = {}
    mf = None
    for path, attributes, body in rows:
        if attributes.__class__ is str:
            a = json.loads(attributes)
            f, link = _file(a, body), a.get("link")
        else:
            f, link = _from_packed(attributes, body)
        if link:
            f.body = by_path[link].body
        parent_key = path.rsplit("/", 1)[0] if "/" in path else None
        if parent_key is None:
            mf = f
        else:
            by_path[parent_key].add(f)
        by_path[path] = f
    if mf is None:
        raise ValueError("no MF among the stored files")
    return FileTree(mf)


def pin_to_bytes(pin: Pin) -> bytes:
    value = dict(vars(pin))  # plain fields: asdict's deep copy would change nothing
    value["value"] = pin.value.hex()
    value["scope"] = list(pin.scope)
    return json.dumps(value, sort_keys=True).encode()


def pin_from_bytes(data: bytes) -> Pin:
    value = json.loads(data)
    value["value"] = bytes.fromhex(value["value"])
    value["scope"] = tuple(value["scope"])
    return Pin(**value)


def secret_rows(image: ProfileImage) -> list[tuple[str, int, bytes]]:
    rows = [(SECRET_PIN, n, pin_to_bytes(p)) for n, p in enumerate(image.pins)]
    rows += [(SECRET_PUK, ref, pin_to_bytes(p)) for ref, p in image.puks.items()]
    rows += [(SECRET_AKA, n, a.to_bytes()) for n, a in enumerate(image.aka)]
    return rows


def image_from_rows(files: list[tuple[str, str, bytes]],
                    secrets: list[tuple[str, int, bytes]]) -> ProfileImage:
    """The runtime part of an image (tree, PINs, PUKs, AKA); SQN rows stay with the NAA.
    No file rows (a schema 1 profile the migration has not seen): an empty MF."""
    image = ProfileImage(tree_from_rows(files) if files else empty_tree())
    for kind, ref, value in secrets:
        if kind == SECRET_PIN:
            image.pins.append(pin_from_bytes(value))
        elif kind == SECRET_PUK:
            image.puks[ref] = pin_from_bytes(value)
        elif kind == SECRET_AKA:
            image.aka.append(AkaConfig.from_bytes(value))
    return image
