"""File system templates of the TCA eUICC Profile Package (Interoperable Format Technical
Specification 2.x/3.x, section 8.3 "File system" and Annex A "File Structure Templates
Definition"): what each template OID (2.23.143.1.2.*) creates, file by file, so that the
Profile Package Interpreter can build a whole file tree from a profile element that names
its ``templateID`` and overrides only a few files.

A :class:`Template` is a list of :class:`FileTemplate` in creation order, each naming the PE
component that carries it (``pe_name``, e.g. "ef-imsi"). The tables themselves are in
``templates_data_mf`` (MF, DF.CD, DF.TELECOM, DF.PHONEBOOK), ``templates_data_usim``
(ADF.USIM and its DFs, DF.EAP) and ``templates_data_isim`` (ADF.ISIM, ADF.CSIM, IoT).

Conventions used here and by the interpreter:

- ``base_path`` is the path of the template's base DF from the MF. An ADF has no FID of its
  own in a template (the profile element gives a temporary one): paths write it as
  :data:`ADF_FID` ('7FFF', the "current ADF" of ETSI TS 102 221 8.4.2). A DF whose FID the
  profile element supplies (DF.EAP, TS 102 310) is written :data:`PE_FID`.
- ``arr`` is the securityAttributesReferenced value a file gets by default: EF.ARR file ID
  and record number. The specification tables give the record number; the EF.ARR is '2F06'
  for the MF, ADFs and files directly under the MF, '6F06' for any other file (SAIP Fcp
  definition of securityAttributesReferenced).
- ``sfi`` None means the template gives the file no SFI (an absent shortEFID in the profile
  then keeps it so; it does not fall back to the low bits of the FID).
- Default contents use the semantics of ETSI TS 102 222 6.3.2.2.2: a fill pattern is written
  once and its last byte repeats to the end, a repeat pattern repeats as a whole; the tables'
  "FF...FF07" form adds a fixed tail. :func:`default_body` produces a whole body.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

from euicc.fs.model import CURRENT_ADF_FID, MF_FID, FileType, LifeCycle
from euicc.ppi import templates_data_isim as _isim
from euicc.ppi import templates_data_mf as _mf
from euicc.ppi import templates_data_usim as _usim

OID_PREFIX = "2.23.143.1.2."
ADF_FID = CURRENT_ADF_FID  # in a base path: the ADF the NAA profile element creates
PE_FID = -1  # in a base path: a DF identifier that the profile element supplies
ARR_MF = 0x2F06
ARR_LOCAL = 0x6F06

@dataclass(frozen=True)
class FileTemplate:
    """One file of a template, as the specification's table defines it.

    ``size`` is the size of a transparent or BER-TLV EF; record EFs have ``record_length``
    and ``record_count``. A None value is one the profile element must supply (listed in
    ``from_pe`` with "fid", "size", "record_length", "record_count", "sfi", "aid" and
    "pin_status" for a DF's pinStatusTemplateDO)."""

    pe_name: str
    name: str
    fid: int | None
    type: FileType
    sfi: int | None = None
    size: int | None = None
    record_length: int | None = None
    record_count: int | None = None
    arr: bytes = b""
    default: bytes | None = None  # fill pattern, or repeat pattern when ``repeat``
    default_suffix: bytes = b""  # fixed bytes ending the file (each record): "FF...FF07"
    repeat: bool = False
    parent: str | None = None  # pe_name of its DF in the template; None: the base DF
    aid: bytes | None = None
    lcsi: int = LifeCycle.ACTIVATED
    shareable: bool = True  # every template file is shareable (SAIP 8.3)
    pin_status: bytes | None = None
    high_update: bool = False  # "high update activity" (proprietary info, TS 102 222)
    content_required: bool = False  # the profile element must give the content
    from_pe: frozenset[str] = frozenset()

    @property
    def arr_record(self) -> int | None:
        return self.arr[-1] if self.arr else None

    @property
    def body_size(self) -> int | None:
        """Bytes of the whole body when the template fixes it (records: length x count)."""
        if self.type.is_record:
            if self.record_length is None or self.record_count is None:
                return None
            return self.record_length * self.record_count
        return None if self.type.is_df else self.size


@dataclass(frozen=True)
class Template:
    """A file structure template. ``root`` is the pe_name of its base DF (None for a
    template that adds files to the base DF of the template it ``extends``); ``parent`` is
    the template whose base DF holds this one's (DF.5GS in ADF.USIM); ``naa`` names the ADF
    ("usim", "isim", "csim") that :data:`ADF_FID` stands for in the paths."""

    oid: str
    name: str
    pe: str  # the ProfileElement CHOICE alternative that uses it ("usim", "df-5gs", ...)
    base_path: tuple[int, ...]
    files: tuple[FileTemplate, ...]
    created_by_default: bool
    root: str | None = None
    extends: str | None = None
    parent: str | None = None
    naa: str | None = None
    versions: str = ""  # SAIP versions that define it
    source: str = "transcribed from the specification's table"

    def file(self, pe_name: str) -> FileTemplate:
        for f in self.files:
            if f.pe_name == pe_name:
                return f
        raise KeyError(f"{self.oid} ({self.name}) has no file {pe_name!r}")

    def pe_names(self) -> tuple[str, ...]:
        return tuple(f.pe_name for f in self.files)

    def path_of(self, pe_name: str) -> tuple[int, ...]:
        """Path from the MF of a file, placeholders as in :attr:`base_path`."""
        f = self.file(pe_name)
        if pe_name == self.root:
            return self.base_path
        where = self.path_of(f.parent) if f.parent else self.base_path
        return (*where, _own_fid(f))


def _own_fid(f: FileTemplate) -> int:
    if f.fid is not None:
        return f.fid
    return ADF_FID if f.type == FileType.ADF else PE_FID


def expand_default(ft: FileTemplate, length: int) -> bytes:
    """``length`` bytes of ``ft``'s default content (one record of a record EF)."""
    if length <= 0:
        return b""
    if ft.default is None:
        return b"\xff" * length
    if ft.repeat:
        return (ft.default * (length // len(ft.default) + 1))[:length]
    fill = length - len(ft.default) - len(ft.default_suffix)
    if fill < 0:  # the profile made the file shorter than the template's value
        return (ft.default + ft.default_suffix)[:length]
    return ft.default + ft.default[-1:] * fill + ft.default_suffix


_BER_TLV = FileType.BER_TLV  # a global: read for each template file made


def default_body(ft: FileTemplate, *, size: int | None = None,
                 record_length: int | None = None, record_count: int | None = None) -> bytes:
    """The whole default body of a template EF (every record filled), with the sizes the
    profile element supplies taking precedence over the template's. DFs and BER-TLV EFs
    start empty. Raises ValueError when neither gives the size."""
    if ft.type.is_df or ft.type is _BER_TLV:
        return b""
    if ft.type.is_record:
        length = record_length if record_length is not None else ft.record_length
        if size is not None and length:
            count = size // length
        else:
            count = record_count if record_count is not None else ft.record_count
        if length is None or count is None:
            raise ValueError(f"{ft.name}: the profile element must give the record length "
                             "and count")
        return expand_default(ft, length) * count
    total = size if size is not None else ft.size
    if total is None:
        raise ValueError(f"{ft.name}: the profile element must give the file size")
    return expand_default(ft, total)


# -- building templates from the tables ---------------------------------------------------

def _parse_default(text: str | None) -> tuple[bytes | None, bytes]:
    """The tables' notation: "07FF...FF" -> ('07FF', b''), "FF...FF07" -> ('FF', '07')."""
    if text is None:
        return None, b""
    if "..." not in text:
        return bytes.fromhex(text), b""
    head, tail = text.split("...")
    head_bytes, tail_bytes = bytes.fromhex(head), bytes.fromhex(tail)
    if not head_bytes or tail_bytes[:1] != head_bytes[-1:]:
        raise ValueError(f"default {text!r}: the run must start and end with the same byte")
    return head_bytes, tail_bytes[1:]


def _from_pe(kind: FileType, flags: str) -> frozenset[str]:
    wanted = set()
    if kind.is_df:
        wanted.add("pin_status")
    if kind == FileType.ADF:
        wanted |= {"fid", "aid"}
    letters = {"f": "fid", "s": "record_length" if kind.is_record else "size",
               "n": "record_count", "i": "sfi"}
    wanted |= {name for letter, name in letters.items() if letter in flags}
    return frozenset(wanted)


def _file(row: tuple, parent_path: tuple[int, ...]) -> FileTemplate:
    pe_name, name, fid, kind_code, records, size, arr, sfi, default, flags = row[:10]
    kind = FileType(kind_code)  # the tables' two-letter codes are FileType's values
    head, tail = _parse_default(default)
    arr_fid = ARR_MF if kind in (FileType.MF, FileType.ADF) or parent_path == (MF_FID,) \
        else ARR_LOCAL
    return FileTemplate(
        pe_name=pe_name, name=name, fid=fid, type=kind, sfi=sfi,
        size=None if kind.is_record or kind.is_df else size,
        record_length=size if kind.is_record else None,
        record_count=records if kind.is_record else None,
        arr=arr_fid.to_bytes(2, "big") + bytes([arr]) if arr is not None else b"",
        default=head, default_suffix=tail, repeat="r" in flags,
        parent=row[10] if len(row) > 10 else None,
        high_update="h" in flags, content_required="c" in flags,
        from_pe=_from_pe(kind, flags),
    )


def _template(oid: str, name: str, pe: str, base_path: tuple[int, ...], rows: list[tuple],
              created_by_default: bool, *, extends: str | None = None,
              parent: str | None = None, naa: str | None = None, versions: str = "",
              source: str = "") -> Template:
    root = None if extends else rows[0][0]
    paths: dict[str, tuple[int, ...]] = {}
    files = []
    for row in rows:
        pe_name, dir_name = row[0], row[10] if len(row) > 10 else None
        if pe_name == root:
            parent_path = base_path[:-1]
        else:
            parent_path = paths[dir_name] if dir_name else base_path
        f = _file(row, parent_path)
        paths[pe_name] = base_path if pe_name == root else (*parent_path, _own_fid(f))
        files.append(f)
    return Template(oid=OID_PREFIX + oid, name=name, pe=pe, base_path=base_path,
                    files=tuple(files), created_by_default=created_by_default, root=root,
                    extends=OID_PREFIX + extends if extends else None,
                    parent=OID_PREFIX + parent if parent else None, naa=naa,
                    versions=versions, source=source or Template.source)


_MF = (MF_FID,)
_USIM = (MF_FID, ADF_FID)
_CSIM_SOURCE = ("derived from 3GPP2 C.S0065 and the TS.48 test profiles (the specification's "
                "CSIM table was not available): no EF access rules, sizes only where fixed")
_IOT_SOURCE = ("composed from the MF and ADF.USIM 3.x templates (the specification's IoT "
               "tables were not available)")


def _all_templates() -> list[Template]:
    t = _template
    return [
        t("1", "MF", "mf", _MF, _mf.MF_ROWS, True, versions="1.0-"),
        t("2", "DF.CD", "cd", (MF_FID, 0x7F11), _mf.CD_ROWS, False, versions="1.0-"),
        t("3", "DF.TELECOM", "telecom", (MF_FID, 0x7F10), _mf.TELECOM_ROWS, False,
          versions="1.0-2.3.1"),
        t("3.2", "DF.TELECOM", "telecom", (MF_FID, 0x7F10), _mf.TELECOM_V2_ROWS, False,
          versions="3.1-"),
        t("4", "ADF.USIM", "usim", _USIM, _usim.USIM_ROWS, True, naa="usim",
          versions="1.0-2.3.1"),
        t("4.2", "ADF.USIM", "usim", _USIM, _usim.USIM_V2_ROWS, True, naa="usim",
          versions="3.1-"),
        t("5", "ADF.USIM optional files", "opt-usim", _USIM, _usim.OPT_USIM_ROWS, False,
          extends="4", naa="usim", versions="1.0-2.3.1"),
        t("5.2", "ADF.USIM optional files", "opt-usim", _USIM, _usim.OPT_USIM_V2_ROWS, False,
          extends="4.2", naa="usim", versions="3.1-3.2"),
        t("5.3", "ADF.USIM optional files", "opt-usim", _USIM, _usim.OPT_USIM_V3_ROWS, False,
          extends="4.2", naa="usim", versions="3.3-"),
        t("6", "DF.PHONEBOOK in ADF.USIM", "phonebook", (*_USIM, 0x5F3A),
          _mf.PHONEBOOK_ROWS, False, parent="4", naa="usim", versions="1.0-"),
        t("7", "DF.GSM-ACCESS", "gsm-access", (*_USIM, 0x5F3B), _usim.GSM_ACCESS_ROWS, False,
          parent="4", naa="usim", versions="1.0-"),
        t("8", "ADF.ISIM", "isim", _USIM, _isim.ISIM_ROWS, True, naa="isim",
          versions="1.0-"),
        t("9", "ADF.ISIM optional files", "opt-isim", _USIM, _isim.OPT_ISIM_ROWS, False,
          extends="8", naa="isim", versions="1.0-2.3.1"),
        t("9.2", "ADF.ISIM optional files", "opt-isim", _USIM, _isim.OPT_ISIM_V2_ROWS, False,
          extends="8", naa="isim", versions="3.1-"),
        t("10", "ADF.CSIM", "csim", _USIM, _isim.CSIM_ROWS, True, naa="csim",
          versions="1.0-2.3.1", source=_CSIM_SOURCE),
        t("10.2", "ADF.CSIM", "csim", _USIM, _isim.CSIM_ROWS, True, naa="csim",
          versions="3.1-", source=_CSIM_SOURCE),
        t("11", "ADF.CSIM optional files", "opt-csim", _USIM, _isim.OPT_CSIM_ROWS, False,
          extends="10", naa="csim", versions="1.0-2.3.1", source=_CSIM_SOURCE),
        t("11.2", "ADF.CSIM optional files", "opt-csim", _USIM, _isim.OPT_CSIM_ROWS, False,
          extends="10.2", naa="csim", versions="3.1-", source=_CSIM_SOURCE),
        t("12", "DF.EAP", "eap", (*_USIM, PE_FID), _usim.DF_EAP_ROWS, False, parent="4",
          naa="usim", versions="2.2-"),
        t("13", "DF.5GS", "df-5gs", (*_USIM, 0x5FC0), _usim.DF_5GS_ROWS, False, parent="4",
          naa="usim", versions="2.3-2.3.1"),
        t("13.2", "DF.5GS", "df-5gs", (*_USIM, 0x5FC0), _usim.DF_5GS_V2_ROWS, False,
          parent="4", naa="usim", versions="3.1-"),
        t("13.3", "DF.5GS", "df-5gs", (*_USIM, 0x5FC0), _usim.DF_5GS_V3_ROWS, False,
          parent="4", naa="usim", versions="3.1-"),
        t("13.4", "DF.5GS", "df-5gs", (*_USIM, 0x5FC0), _usim.DF_5GS_V4_ROWS, False,
          parent="4", naa="usim", versions="3.3-"),
        t("14", "DF.SAIP", "df-saip", (*_USIM, 0x5FD0), _usim.DF_SAIP_ROWS, False,
          parent="4", naa="usim", versions="2.3-"),
        t("15", "DF.SNPN", "df-snpn", (*_USIM, 0x5FE0), _usim.DF_SNPN_ROWS, False,
          parent="4", naa="usim", versions="3.3-"),
        t("16", "DF.5G_ProSe", "df-5gprose", (*_USIM, 0x5FF0), _usim.DF_5GPROSE_ROWS, False,
          parent="4", naa="usim", versions="3.3-"),
        t("17", "IoT minimal profile", "iot", _MF, _isim.IOT_ROWS, True, naa="usim",
          versions="3.3-", source=_IOT_SOURCE),
        t("18", "IoT optional files", "opt-iot", _USIM, _isim.OPT_IOT_ROWS, False,
          extends="17", naa="usim", versions="3.3-", source=_IOT_SOURCE),
    ]


TEMPLATES: Mapping[str, Template] = MappingProxyType({t.oid: t for t in _all_templates()})


def template(oid: str) -> Template:
    """The template with the dotted ``oid``; KeyError for one this card does not know."""
    try:
        return TEMPLATES[oid]
    except KeyError:
        raise KeyError(f"unknown file system template {oid}") from None


def templates_for_pe(pe: str) -> tuple[Template, ...]:
    """Every version of the templates a ProfileElement alternative ("usim", ...) uses."""
    return tuple(t for t in TEMPLATES.values() if t.pe == pe)
