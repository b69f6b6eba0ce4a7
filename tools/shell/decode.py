"""Decoding of the common UICC/USIM/ISIM elementary files for the shell's ``read`` command:
bytes in, plain JSON-friendly data out, and a readable text form of that data.

Files, by their spec name (ETSI TS 102 221 13, 3GPP TS 31.102 4.2 / 4.4, 3GPP TS 31.103
4.2; see :mod:`.decode_uicc` and :mod:`.decode_usim` for the clause of each file)::

    >>> decode_ef("EF.IMSI", bytes.fromhex("080910101032540636"))
    {'imsi': '001010123456063', 'mcc': '001'}

Conventions:

- A transparent EF decodes to one dict.
- A record EF (linear fixed / cyclic) decodes to a list with one entry per record, record 1
  first, an erased ('FF'-filled) record being None. ``decode_ef`` takes the records as one
  byte string cut every ``record_length`` bytes (the whole file body; ``None`` = the data is
  one record), ``decode_records`` as a list of byte strings.
- Free entries inside a file (PLMN list slots, language codes) are None as well.
- Malformed content never raises: the file, record or entry becomes
  ``{"error": <why>, "raw": <hex>}``.
- Unknown file names give None.
- Session keys (EF.Keys, EF.KeysPS CK/IK) are masked unless ``reveal=True``, as the shell's
  ``keys`` command does with private keys.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from types import MappingProxyType

from . import decode_uicc as uicc
from . import decode_usim as usim

MASK = "********"


@dataclass(frozen=True)
class EfDecoder:
    """How one elementary file is decoded."""

    name: str  # spec name, e.g. "EF.IMSI"
    records: bool  # linear fixed / cyclic: decoded record by record
    decode: Callable[[bytes], dict | None]
    secret_fields: tuple[str, ...] = ()  # masked unless revealed (raw bytes too)


_ALL = (
    # ETSI TS 102 221
    EfDecoder("EF.ICCID", False, uicc.iccid),
    EfDecoder("EF.DIR", True, uicc.dir_record),
    EfDecoder("EF.PL", False, usim.languages),
    EfDecoder("EF.ARR", True, uicc.arr_record),
    # 3GPP TS 31.102
    EfDecoder("EF.LI", False, usim.languages),
    EfDecoder("EF.IMSI", False, usim.imsi),
    EfDecoder("EF.Keys", False, usim.keys, ("ck", "ik")),
    EfDecoder("EF.KeysPS", False, usim.keys, ("ck", "ik")),
    EfDecoder("EF.PLMNwAcT", False, usim.plmn_act_list),
    EfDecoder("EF.HPPLMN", False, usim.hpplmn),
    EfDecoder("EF.UST", False, usim.ust),
    EfDecoder("EF.SPN", False, usim.spn),
    EfDecoder("EF.ACC", False, usim.acc),
    EfDecoder("EF.FPLMN", False, usim.plmn_list),
    EfDecoder("EF.LOCI", False, usim.loci),
    EfDecoder("EF.AD", False, usim.ad),
    EfDecoder("EF.ECC", True, usim.ecc_record),
    EfDecoder("EF.PSLOCI", False, usim.psloci),
    EfDecoder("EF.ADN", True, usim.dialling_record),
    EfDecoder("EF.FDN", True, usim.dialling_record),
    EfDecoder("EF.SDN", True, usim.dialling_record),
    EfDecoder("EF.BDN", True, usim.dialling_record),
    EfDecoder("EF.MBDN", True, usim.dialling_record),
    EfDecoder("EF.MSISDN", True, usim.dialling_record),
    EfDecoder("EF.EST", False, usim.est),
    EfDecoder("EF.OPLMNwACT", False, usim.plmn_act_list),
    EfDecoder("EF.HPLMNwAcT", False, usim.plmn_act_list),
    EfDecoder("EF.EHPLMN", False, usim.plmn_list),
    EfDecoder("EF.EHPLMNPI", False, usim.ehplmnpi),
    EfDecoder("EF.EPSLOCI", False, usim.epsloci),
    EfDecoder("EF.5GS3GPPLOCI", False, usim.loci_5gs),
    EfDecoder("EF.5GSN3GPPLOCI", False, usim.loci_5gs),
    EfDecoder("EF.SUCI_Calc_Info", False, usim.suci_calc_info),
    # 3GPP TS 31.103
    EfDecoder("EF.IMPI", False, uicc.impi),
    EfDecoder("EF.DOMAIN", False, uicc.domain),
    EfDecoder("EF.IMPU", True, uicc.impu_record),
    EfDecoder("EF.IST", False, uicc.ist),
    EfDecoder("EF.P-CSCF", True, uicc.pcscf_record),
)


def _key(name: str) -> str:
    """Spelling-insensitive key: 'EF.OPLMNwACT', 'ef-oplmnwact' (SAIP), 'OPLMNwAcT' match."""
    text = name.strip().lower()
    for prefix in ("ef.", "ef-", "ef_"):
        if text.startswith(prefix):
            text = text[len(prefix):]
    return "".join(c for c in text if c.isalnum())


# SAIP names the USIM copy of the file in DF.SAIP "ef-suci-calc-info-usim".
_ALIASES = {"sucicalcinfousim": "sucicalcinfo"}
DECODERS = MappingProxyType({_key(d.name): d for d in _ALL})


def decoder_for(name: str) -> EfDecoder | None:
    key = _key(name)
    return DECODERS.get(_ALIASES.get(key, key))


def decodable_names() -> list[str]:
    """The spec names ``decode_ef`` knows, e.g. for completion and help."""
    return [d.name for d in _ALL]


def _raw(data: bytes, decoder: EfDecoder, reveal: bool) -> str:
    return MASK if decoder.secret_fields and not reveal else data.hex().upper()


def _decode_one(decoder: EfDecoder, data: bytes, reveal: bool) -> dict | None:
    try:
        value = decoder.decode(bytes(data))
    except (ValueError, IndexError) as exc:  # DecodeError and anything a bad length trips
        return {"error": str(exc) or type(exc).__name__, "raw": _raw(data, decoder, reveal)}
    if value is not None and not reveal:
        value = {k: MASK if k in decoder.secret_fields else v for k, v in value.items()}
    return value


def decode_records(name: str, records: list[bytes], *, reveal: bool = False) -> list | None:
    """Each record of a record EF decoded (None for an erased one); None for unknown names.
    A transparent EF's decoder is applied to each item all the same."""
    decoder = decoder_for(name)
    if decoder is None:
        return None
    return [_decode_one(decoder, record, reveal) for record in records]


def decode_ef(name: str, data: bytes, record_length: int | None = None, *,
              reveal: bool = False) -> dict | list | None:
    """Decode an EF by its spec name: a dict for a transparent EF, a list of per-record
    results for a record EF (``data`` cut every ``record_length`` bytes, or one record when
    ``record_length`` is None), None for a name without decoder."""
    decoder = decoder_for(name)
    if decoder is None:
        return None
    if not decoder.records:
        return _decode_one(decoder, data, reveal)
    size = record_length or len(data) or 1
    return [_decode_one(decoder, data[i:i + size], reveal) for i in range(0, len(data), size)]


# -- text form --------------------------------------------------------------------------------

LINE = 96
INLINE_FIELDS = 4  # a dict with more fields gets a line per field


def _is_scalar(value) -> bool:
    return not isinstance(value, dict | list)


def _scalar(value) -> str:
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)


def _inline(value) -> str | None:
    """One-line text for scalars, lists of scalars and flat dicts; None when nested."""
    if _is_scalar(value):
        return _scalar(value)
    if isinstance(value, list):
        # Free entries (None) are left to the block form, which collapses their runs.
        if all(_is_scalar(v) and v is not None for v in value):
            return ", ".join(_scalar(v) for v in value) if value else "(none)"
        return None
    if len(value) > INLINE_FIELDS:
        return None
    parts = []
    for key, item in value.items():
        text = _inline(item) if _is_scalar(item) or isinstance(item, list) else None
        if text is None:
            return None
        parts.append(f"{key}: {text}")
    return "; ".join(parts) if parts else "(none)"


def _lines(value, indent: int, start: int) -> list[str]:
    pad = " " * indent
    if isinstance(value, dict):
        if not value:
            return [pad + "(none)"]
        width = max(len(str(k)) for k in value)
        out = []
        for key, item in value.items():
            text = _inline(item)
            if text is not None and (_is_scalar(item)
                                     or indent + width + 2 + len(text) <= LINE):
                out.append(f"{pad}{key!s:<{width}}  {text}")
            else:
                out.append(f"{pad}{key}:")
                out += _lines(item, indent + 2, 1)
        return out
    if isinstance(value, list):
        if not value:
            return [pad + "(none)"]
        out, index = [], 0
        while index < len(value):
            item, label = value[index], f"[{start + index}]"
            if item is None:
                last = index
                while last + 1 < len(value) and value[last + 1] is None:
                    last += 1
                if last > index:
                    label = f"[{start + index}-{start + last}]"
                out.append(f"{pad}{label} (empty)")
                index = last + 1
                continue
            text = _inline(item)
            if text is not None and indent + len(label) + 1 + len(text) <= LINE:
                out.append(f"{pad}{label} {text}")
            else:
                out.append(f"{pad}{label}")
                out += _lines(item, indent + 4, 1)
            index += 1
        return out
    return [pad + _scalar(value)]


def format_decoded(value, start: int = 1) -> str:
    """Readable multi-line text of a ``decode_ef`` / ``decode_records`` result; list items
    are numbered from ``start`` (the first record number shown), runs of empty ones
    collapsed."""
    if value is None:
        return "(no decoder for this file)"
    return "\n".join(_lines(value, 0, start))
