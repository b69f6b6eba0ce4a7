"""Decoders of the UICC-level files (ETSI TS 102 221 13: EF.DIR 13.1, EF.ICCID 13.2, EF.ARR
13.4 with the expanded security attributes of 9.2.7 / ISO/IEC 7816-4 tables 18-19, 32-33)
and of the ISIM files (3GPP TS 31.103: EF.IMPI 4.2.2, EF.DOMAIN 4.2.3, EF.IMPU 4.2.4, EF.IST
4.2.7, EF.P-CSCF 4.2.8).

Each takes the file body (or one record) and returns plain data; erased records are None.
"""

from __future__ import annotations

import ipaddress

from euicc.coding import luhn_valid

from .decode_coding import (
    DecodeError,
    alpha,
    bcd_digits,
    first_object,
    is_erased,
    tlv_objects,
    utf8,
)
from .decode_tables import (
    DF_ACCESS_MODES,
    EF_ACCESS_MODES,
    INSTRUCTIONS,
    ISIM_SERVICES,
    application_name,
    key_reference_name,
)
from .decode_usim import service_table


def iccid(data: bytes) -> dict:
    """Ten bytes of swapped BCD, 'F' padded; the last digit is a Luhn check digit."""
    if len(data) != 10:
        raise DecodeError(f"EF.ICCID needs 10 bytes, got {len(data)}")
    if is_erased(data):
        return {"iccid": None}
    digits = bcd_digits(data, "ICCID")
    return {"iccid": digits, "luhnValid": luhn_valid(digits)}


def dir_record(record: bytes) -> dict | None:
    """Application template '61' { '4F' AID, '50' label, '73' discretionary data }."""
    if is_erased(record):
        return None
    template = first_object(record, 0x61)
    if template is None:
        return None
    out: dict = {"aid": None, "application": None, "label": None}
    for tag, value in tlv_objects(template):
        if tag == 0x4F:
            out["aid"] = value.hex().upper()
            out["application"] = application_name(value)
        elif tag == 0x50:
            out["label"] = alpha(value)
        else:
            out[f"tag{tag:02X}"] = value.hex().upper()
    if out["aid"] is None:
        raise DecodeError("application template without an AID ('4F')")
    return out


# -- EF.ARR -----------------------------------------------------------------------------------

def _access_modes(am: int, for_df: bool) -> list[str]:
    """AM byte: b1..b7 name operations; with b8 = 1, b7..b4 are proprietary."""
    names = DF_ACCESS_MODES if for_df else EF_ACCESS_MODES
    bits = range(3) if am & 0x80 else range(7)
    modes = [names[bit] for bit in bits if am & (1 << bit)]
    if am & 0x80 and am & 0x78:
        modes.append(f"proprietary {am & 0x78:02X}")
    return modes


def _command(tag: int, value: bytes) -> str:
    """Command header description AM_DO '81'-'8F': CLA, INS, P1, P2 as the tag's b4..b1 say."""
    fields = [name for mask, name in ((8, "CLA"), (4, "INS"), (2, "P1"), (1, "P2"))
              if tag & mask]
    if len(value) != len(fields):
        raise DecodeError(f"AM_DO '{tag:02X}' needs {len(fields)} bytes, got {len(value)}")
    header = dict(zip(fields, value, strict=True))
    detail = " ".join(f"{name} {byte:02X}" for name, byte in header.items())
    if "INS" in header:
        return f"{INSTRUCTIONS.get(header['INS'], 'command')} ({detail})"
    return f"command ({detail})"


def _security_condition_byte(byte: int) -> str:
    """ISO/IEC 7816-4 table 20: '00' always, 'FF' never, else mechanisms (b8: all / one)."""
    if byte == 0x00:
        return "always"
    if byte == 0xFF:
        return "never"
    mechanisms = [name for mask, name in ((0x40, "secure messaging"),
                                          (0x20, "external authentication"),
                                          (0x10, "user authentication")) if byte & mask]
    text = (" and " if byte & 0x80 else " or ").join(mechanisms) or "no mechanism"
    return text + (f" (SE {byte & 0x0F:02X})" if byte & 0x0F else "")


def _group(parts: list[str]) -> list[str]:
    return [f"({p})" if " or " in p or " and " in p else p for p in parts]


def _condition(tag: int, value: bytes) -> str:
    """One security condition DO (ISO/IEC 7816-4 table 33) as text."""
    if tag == 0x90:
        return "always"
    if tag == 0x97:
        return "never"
    if tag in (0x9D, 0x9E):
        if len(value) != 1:
            raise DecodeError(f"security condition byte DO with {len(value)} bytes")
        return _security_condition_byte(value[0])
    if tag == 0xA4:
        fields = dict(tlv_objects(value))
        key = fields.get(0x83)
        text = key_reference_name(key[0]) if key else "user authentication"
        usage = fields.get(0x95)
        if usage and usage != b"\x08":  # '08': user authentication, knowledge based (PIN)
            text += f" (usage qualifier {usage.hex().upper()})"
        return text
    if tag in (0xB4, 0xB6, 0xB8):
        return {0xB4: "secure messaging (CCT)", 0xB6: "secure messaging (DST)",
                0xB8: "secure messaging (CT)"}[tag]
    if tag in (0xA0, 0xAF, 0xA7):
        inner = _group([_condition(t, v) for t, v in tlv_objects(value)])
        if not inner:
            raise DecodeError(f"empty template '{tag:02X}'")
        if tag == 0xA7:  # NOT: none of the conditions may be satisfied
            return "not " + (inner[0] if len(inner) == 1 else f"({' or '.join(inner)})")
        return (" or " if tag == 0xA0 else " and ").join(inner)
    raise DecodeError(f"unknown security condition DO '{tag:02X}'")


def arr_record(record: bytes, for_df: bool = False) -> dict | None:
    """Access rules in expanded format: each AM_DO ('80' AM byte or '81'-'8F' command
    header) followed by its SC_DOs; several SC_DOs after one AM_DO are alternatives (OR).

    EF.ARR does not say whether a record is referenced by an EF or a DF: the AM bits are
    named with their EF meaning unless ``for_df``.
    """
    if is_erased(record):
        return None
    rules: list[dict] = []
    conditions: list[list[str]] = []
    for tag, value in tlv_objects(record):
        if 0x80 <= tag <= 0x8F:
            if tag == 0x80:
                if len(value) != 1:
                    raise DecodeError(f"AM byte DO with {len(value)} bytes")
                operations = _access_modes(value[0], for_df)
            else:
                operations = [_command(tag, value)]
            rules.append({"operations": operations, "condition": None})
            conditions.append([])
        elif not rules:
            raise DecodeError(f"security condition '{tag:02X}' before any access mode")
        else:
            conditions[-1].append(_condition(tag, value))
    for rule, alternatives in zip(rules, conditions, strict=True):
        if not alternatives:
            raise DecodeError(f"access mode {rule['operations']} without a condition")
        rule["condition"] = " or ".join(_group(alternatives) if len(alternatives) > 1
                                        else alternatives)
    return {"rules": rules}


# -- ISIM -------------------------------------------------------------------------------------

def _nai(data: bytes, key: str) -> dict:
    value = first_object(data, 0x80)
    return {key: None if value is None else utf8(value, key)}


def impi(data: bytes) -> dict:
    """Private user identity: NAI TLV '80' (TS 31.103 4.2.2)."""
    return _nai(data, "impi")


def domain(data: bytes) -> dict:
    """Home network domain name: URI TLV '80' (TS 31.103 4.2.3)."""
    return _nai(data, "domain")


def impu_record(record: bytes) -> dict | None:
    """One public user identity: URI TLV '80' (TS 31.103 4.2.4)."""
    if is_erased(record):
        return None
    return _nai(record, "impu")


def ist(data: bytes) -> dict:
    return service_table(data, ISIM_SERVICES)


PCSCF_ADDRESS_TYPES = {0x00: "FQDN", 0x01: "IPv4", 0x02: "IPv6"}


def pcscf_record(record: bytes) -> dict | None:
    """TLV '80' { address type, address } (TS 31.103 4.2.8)."""
    if is_erased(record):
        return None
    value = first_object(record, 0x80)
    if not value:
        return None
    kind, address = value[0], value[1:]
    if kind == 0x00:
        text = utf8(address, "P-CSCF FQDN")
    elif kind in (0x01, 0x02):
        try:
            text = str(ipaddress.ip_address(address))
        except ValueError as exc:
            raise DecodeError(f"bad P-CSCF IP address {address.hex().upper()}") from exc
        if (kind == 0x01) != (len(address) == 4):
            raise DecodeError("P-CSCF address type and length disagree")
    else:
        raise DecodeError(f"unknown P-CSCF address type {kind:02X}")
    return {"addressType": PCSCF_ADDRESS_TYPES[kind], "address": text}
