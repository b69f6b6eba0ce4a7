"""Decoders of the USIM elementary files (3GPP TS 31.102): EF.IMSI 4.2.2, EF.Keys 4.2.3,
EF.KeysPS 4.2.4, EF.PLMNwAcT 4.2.5, EF.HPPLMN 4.2.6, EF.UST 4.2.8, EF.SPN 4.2.12, EF.FPLMN
4.2.16, EF.LOCI 4.2.17, EF.AD 4.2.18, EF.ECC 4.2.21, EF.PSLOCI 4.2.23, EF.ACC 4.2.15, EF.LI
4.2.1, EF.ADN/FDN/SDN/BDN/MSISDN 4.4.2.3, 4.2.24, 4.2.29, 4.2.44, 4.2.26, EF.EST 4.2.47,
EF.OPLMNwACT 4.2.53, EF.HPLMNwAcT 4.2.54, EF.EHPLMN 4.2.84, EF.EHPLMNPI 4.2.85, EF.EPSLOCI
4.2.91, EF.5GS3GPPLOCI / EF.5GSN3GPPLOCI 4.4.11.2-3 and EF.SUCI_Calc_Info 4.4.11.8.

Each takes the file body (or one record) and returns plain data; erased entries are None.
"""

from __future__ import annotations

from construct import BitsInteger, BitStruct, Bytes, Int8ub, Int16ub, Struct

from euicc.coding import CodingError, decode_imsi, swapped_nibbles

from .decode_coding import (
    DecodeError,
    access_technologies,
    alpha,
    bcd_digits,
    entries,
    is_erased,
    plmn,
    plmn_or_error,
    tlv_objects,
)
from .decode_tables import ENABLED_SERVICES, USIM_SERVICES


def _need(data: bytes, size: int, what: str, exact: bool = True) -> None:
    if len(data) < size or (exact and len(data) != size):
        raise DecodeError(f"{what} needs {'' if exact else 'at least '}{size} bytes, "
                          f"got {len(data)}")


def _hex(data: bytes) -> str | None:
    return None if is_erased(data) else data.hex().upper()


# -- identities -------------------------------------------------------------------------------

def imsi(data: bytes) -> dict:
    """Length byte, then the mobile identity of TS 24.008 10.5.1.4: digit 1 and the
    parity/type nibble ('9' odd, '1' even number of digits), then two digits a byte."""
    _need(data, 2, "EF.IMSI", exact=False)
    if is_erased(data):
        return {"imsi": None}
    try:
        digits = decode_imsi(data)
    except CodingError as exc:
        raise DecodeError(str(exc)) from None
    return {"imsi": digits, "mcc": digits[:3]}


def keys(data: bytes) -> dict:
    """KSI, CK, IK (EF.Keys; EF.KeysPS has the same layout). KSI 7: no key available."""
    _need(data, 33, "key set")
    ksi = data[0] & 0x07
    return {"ksi": ksi, "keySetAvailable": ksi != 7, "ck": data[1:17].hex().upper(),
            "ik": data[17:33].hex().upper()}


# -- service tables ---------------------------------------------------------------------------

def service_table(data: bytes, names: dict[int, str]) -> dict:
    """Service n is bit (n-1) mod 8 of byte (n-1) div 8, b1 first (TS 31.102 4.2.8)."""
    services = {}
    for index in range(len(data) * 8):
        if data[index // 8] & (1 << (index % 8)):
            services[str(index + 1)] = names.get(index + 1, "unknown service")
    return {"services": services}


def ust(data: bytes) -> dict:
    return service_table(data, USIM_SERVICES)


def est(data: bytes) -> dict:
    return service_table(data, ENABLED_SERVICES)


# -- PLMN lists -------------------------------------------------------------------------------

def plmn_list(data: bytes) -> dict:
    """EF.FPLMN, EF.EHPLMN: 3 bytes a PLMN, 'FFFFFF' = free entry (None)."""
    return {"plmns": [plmn_or_error(e) for e in entries(data, 3, "PLMN list")]}


def plmn_act_list(data: bytes) -> dict:
    """EF.PLMNwAcT, EF.OPLMNwACT, EF.HPLMNwAcT: PLMN + 2 access technology bytes."""
    out = []
    for entry in entries(data, 5, "PLMN with AcT list"):
        decoded = plmn_or_error(entry[:3])
        if decoded is not None and "error" not in decoded:
            decoded["accessTechnologies"] = access_technologies(entry[3:])
        out.append(decoded)
    return {"plmns": out}


def hpplmn(data: bytes) -> dict:
    """Higher priority PLMN search period: n x 6 minutes (TS 23.122 4.4.3.3), 0 = none."""
    _need(data, 1, "EF.HPPLMN", exact=False)
    return {"value": data[0], "intervalMinutes": data[0] * 6 or None}


def ehplmnpi(data: bytes) -> dict:
    _need(data, 1, "EF.EHPLMNPI", exact=False)
    modes = {0: "no preference", 1: "display the highest-priority available EHPLMN only",
             2: "display all the available EHPLMNs"}
    return {"presentation": modes.get(data[0], f"RFU ({data[0]:02X})")}


# -- names, languages, access classes, administrative data ------------------------------------

def spn(data: bytes) -> dict:
    """Display condition byte + name (annex A coding, 'FF' padded)."""
    _need(data, 1, "EF.SPN", exact=False)
    if is_erased(data):
        return {"name": None}
    condition = data[0]
    return {"name": alpha(data[1:]),
            # b1 = 1: show the registered PLMN name in the HPLMN / a PLMN of EF.SPDI
            "displayPlmnNameAtHome": bool(condition & 0x01),
            # b2 = 0: show the SPN when registered elsewhere
            "displaySpnOutsideHome": not condition & 0x02}


def languages(data: bytes) -> dict:
    """EF.LI and EF.PL: ISO 639 alpha-2 codes, two bytes each, 'FFFF' unused."""
    codes = []
    for entry in entries(data, 2, "language list"):
        if is_erased(entry):
            codes.append(None)
        elif entry.isascii() and entry.decode().isalpha():
            codes.append(entry.decode().lower())
        else:
            codes.append({"error": "not an ISO 639 code", "raw": entry.hex().upper()})
    return {"languages": codes}


def acc(data: bytes) -> dict:
    """Access control classes: byte 1 b8..b1 = classes 15..8, byte 2 b8..b1 = 7..0."""
    _need(data, 2, "EF.ACC")
    value = int.from_bytes(data, "big")
    return {"accessClasses": [n for n in range(16) if value & (1 << n)]}


OPERATION_MODES = {0x00: "normal", 0x80: "type approval",
                   0x01: "normal + specific facilities",
                   0x81: "type approval + specific facilities",
                   0x02: "maintenance (off line)", 0x04: "cell test"}
AD_FEATURES = ((0x01, "ciphering indicator"), (0x02, "CSG display control"),
               (0x04, "ProSe services"), (0x08, "extended DRX"))


def ad(data: bytes) -> dict:
    """UE operation mode, additional information (byte 3 flags), MNC length (byte 4)."""
    _need(data, 3, "EF.AD", exact=False)
    out = {"operationMode": OPERATION_MODES.get(data[0], f"RFU ({data[0]:02X})"),
           "additionalInfo": [name for bit, name in AD_FEATURES if data[2] & bit]}
    if len(data) >= 4:
        out["mncLength"] = data[3] & 0x0F
    return out


MNC_LENGTHS = (2, 3)  # byte 4, b1-b4 of EF.AD; other values are RFU


def mnc_length(ad_content: bytes) -> int | None:
    """The number of MNC digits in the IMSI, from EF.AD's content (TS 31.102 4.2.18);
    None when the file has no byte 4 or it holds an RFU value."""
    if len(ad_content) < 4 or (ad_content[3] & 0x0F) not in MNC_LENGTHS:
        return None
    return ad_content[3] & 0x0F


# -- locations --------------------------------------------------------------------------------

# The location files and the identities in them have fixed layouts: declared field by field
# (construct), in the order and sizes of the spec's table, instead of offsets into the body.

# TS 31.102 4.2.17 EF.LOCI
LOCI = Struct(
    "tmsi" / Bytes(4),
    "lai" / Bytes(5),  # PLMN + LAC
    "rfu" / Bytes(1),
    "update_status" / Int8ub,
)
# TS 31.102 4.2.23 EF.PSLOCI: the RAI is the LAI (PLMN + LAC) and the RAC
PSLOCI = Struct(
    "ptmsi" / Bytes(4),
    "ptmsi_signature" / Bytes(3),
    "lai" / Bytes(5),
    "rac" / Bytes(1),
    "update_status" / Int8ub,
)
# TS 31.102 4.2.91 EF.EPSLOCI
EPSLOCI = Struct(
    "guti" / Bytes(12),
    "tai" / Bytes(5),  # PLMN + TAC
    "update_status" / Int8ub,
)
# TS 31.102 4.4.11.2 EF.5GS3GPPLOCI and 4.4.11.3 EF.5GSN3GPPLOCI
LOCI_5GS = Struct(
    "guti" / Bytes(13),
    "tai" / Bytes(6),  # PLMN + 3-byte TAC
    "update_status" / Int8ub,
)
# TS 24.301 9.9.3.12 EPS mobile identity, from its length octet: a GUTI is '0B', then
# 'F' and odd/even indication and type of identity '110' in one octet
EPS_GUTI = Struct(
    "length" / Int8ub,
    "type_of_identity" / Int8ub,
    "plmn" / Bytes(3),
    "mme_group_id" / Bytes(2),
    "mme_code" / Bytes(1),
    "m_tmsi" / Bytes(4),
)
# TS 24.501 9.11.3.4 5GS mobile identity, from its 2-byte length: a 5G-GUTI is '000B', then
# 'F' and type of identity '010' in one octet
GUTI_5G = Struct(
    "length" / Int16ub,
    "type_of_identity" / Int8ub,
    "plmn" / Bytes(3),
    "amf_region_id" / Int8ub,
    "amf" / BitStruct("set_id" / BitsInteger(10), "pointer" / BitsInteger(6)),
    "tmsi_5g" / Bytes(4),
)
EPS_GUTI_LENGTH, GUTI_5G_LENGTH = 0x0B, 0x0B
TYPE_GUTI, TYPE_5G_GUTI = 0x06, 0x02  # type of identity, b3-b1


def _area(data: bytes, code: str) -> dict | None:
    """PLMN + area code (LAC, TAC) in the rest of ``data``; None when the PLMN is erased."""
    identity = plmn(data[:3])
    if identity is None:
        return None
    return identity | {code: data[3:].hex().upper()}


LOCATION_STATUS = {0: "updated", 1: "not updated", 2: "PLMN not allowed",
                   3: "location area not allowed"}
ROUTING_STATUS = {0: "updated", 1: "not updated", 2: "PLMN not allowed",
                  3: "routing area not allowed"}
EPS_STATUS = {0: "updated", 1: "not updated", 2: "roaming not allowed"}
FIVEG_STATUS = {0: "5U1 updated", 1: "5U2 not updated", 2: "5U3 roaming not allowed"}


def _status(byte: int, names: dict[int, str]) -> str:
    return names.get(byte & 0x07, f"reserved ({byte & 0x07})")


def loci(data: bytes) -> dict:
    """TMSI, LAI (PLMN + LAC; LAC 'FFFE' = deleted), RFU, location update status."""
    _need(data, LOCI.sizeof(), "EF.LOCI")
    fields = LOCI.parse(data)
    return {"tmsi": _hex(fields.tmsi), "lai": _area(fields.lai, "lac"),
            "updateStatus": _status(fields.update_status, LOCATION_STATUS)}


def psloci(data: bytes) -> dict:
    """P-TMSI, P-TMSI signature, RAI (PLMN + LAC + RAC), routing area update status."""
    _need(data, PSLOCI.sizeof(), "EF.PSLOCI")
    fields = PSLOCI.parse(data)
    rai = _area(fields.lai, "lac")
    if rai is not None:
        rai["rac"] = fields.rac.hex().upper()
    return {"ptmsi": _hex(fields.ptmsi), "ptmsiSignature": _hex(fields.ptmsi_signature),
            "rai": rai, "updateStatus": _status(fields.update_status, ROUTING_STATUS)}


def _guti(data: bytes) -> dict | None:
    """The GUTI of EF.EPSLOCI: PLMN, MME group ID, MME code, M-TMSI; an erased one is
    None, another identity its raw bytes."""
    if is_erased(data):
        return None
    guti = EPS_GUTI.parse(data)
    if guti.length != EPS_GUTI_LENGTH or guti.type_of_identity & 0x07 != TYPE_GUTI:
        return {"raw": data.hex().upper()}
    identity = plmn(guti.plmn) or {}
    return identity | {"mmeGroupId": guti.mme_group_id.hex().upper(),
                       "mmeCode": guti.mme_code.hex().upper(),
                       "mTmsi": guti.m_tmsi.hex().upper()}


def epsloci(data: bytes) -> dict:
    """GUTI, last visited registered TAI (PLMN + TAC), EPS update status."""
    _need(data, EPSLOCI.sizeof(), "EF.EPSLOCI")
    fields = EPSLOCI.parse(data)
    return {"guti": _guti(fields.guti), "tai": _area(fields.tai, "tac"),
            "updateStatus": _status(fields.update_status, EPS_STATUS)}


def _guti_5g(data: bytes) -> dict | None:
    """The 5G-GUTI of EF.5GS3GPPLOCI: PLMN, AMF region ID, AMF set ID (10 bits) and AMF
    pointer (6 bits), 5G-TMSI; an erased one is None, another identity its raw bytes."""
    if is_erased(data):
        return None
    guti = GUTI_5G.parse(data)
    if guti.length != GUTI_5G_LENGTH or guti.type_of_identity & 0x07 != TYPE_5G_GUTI:
        return {"raw": data.hex().upper()}
    identity = plmn(guti.plmn) or {}
    return identity | {"amfRegionId": guti.amf_region_id, "amfSetId": guti.amf.set_id,
                       "amfPointer": guti.amf.pointer, "tmsi5g": guti.tmsi_5g.hex().upper()}


def loci_5gs(data: bytes) -> dict:
    """5G-GUTI, last visited registered TAI (PLMN + 3-byte TAC), 5GS update status."""
    _need(data, LOCI_5GS.sizeof(), "5GS location information")
    fields = LOCI_5GS.parse(data)
    return {"guti5g": _guti_5g(fields.guti), "tai": _area(fields.tai, "tac"),
            "updateStatus": _status(fields.update_status, FIVEG_STATUS)}


# -- dialling numbers -------------------------------------------------------------------------

TYPES_OF_NUMBER = {0: "unknown", 1: "international", 2: "national", 3: "network specific",
                   4: "dedicated access, short code", 7: "reserved for extension"}
NUMBERING_PLANS = {0: "unknown", 1: "ISDN/telephony (E.164)", 3: "data (X.121)",
                   4: "telex (F.69)", 8: "national", 9: "private", 15: "reserved for extension"}
# BCD digits of a dialling number (TS 31.102 4.4.2.3 / TS 24.008 10.5.4.7): 'C' is the DTMF
# separator, 'D' a wild value.
DIALLING_DIGITS = "0123456789*#p?"


def dialling_number(data: bytes) -> dict:
    """Length of BCD number/SSC contents (TON/NPI byte + digits), TON/NPI, 10 digit bytes."""
    length = data[0]
    if length == 0xFF:
        return {"number": None, "ton": None, "npi": None}
    if not 1 <= length <= 11 or length + 1 > len(data):
        raise DecodeError(f"number length byte {length:02X} out of range")
    ton, npi = (data[1] >> 4) & 0x07, data[1] & 0x0F
    nibbles = swapped_nibbles(data[2:1 + length])
    digits, _, filler = nibbles.partition("F")
    if filler.strip("F") or any(d not in "0123456789ABCD" for d in digits):
        raise DecodeError(f"dialling number not BCD ({nibbles})")
    number = "".join(DIALLING_DIGITS[int(d, 16)] for d in digits)
    return {"number": ("+" if ton == 1 else "") + number,
            "ton": TYPES_OF_NUMBER.get(ton, f"reserved ({ton})"),
            "npi": NUMBERING_PLANS.get(npi, f"reserved ({npi})")}


def dialling_record(record: bytes) -> dict | None:
    """EF.ADN/FDN/SDN/BDN/MSISDN record: alpha identifier (X bytes) + 14 bytes: number,
    capability/configuration record identifier, extension record identifier."""
    if is_erased(record):
        return None
    _need(record, 14, "dialling number record", exact=False)
    tail = record[-14:]
    out = {"alphaId": alpha(record[:-14])} | dialling_number(tail[:12])
    out["ccpRecord"] = None if tail[12] == 0xFF else tail[12]
    out["extensionRecord"] = None if tail[13] == 0xFF else tail[13]
    return out


EMERGENCY_CATEGORIES = ("police", "ambulance", "fire brigade", "marine guard",
                        "mountain rescue", "manually initiated eCall",
                        "automatically initiated eCall")


def ecc_record(record: bytes) -> dict | None:
    """Emergency call code (3 BCD bytes), alpha identifier, service category (TS 24.008
    10.5.4.33 bits)."""
    _need(record, 4, "EF.ECC record", exact=False)
    if is_erased(record[:3]):
        return None
    category = record[-1]
    return {"number": bcd_digits(record[:3], "emergency call code"),
            "alphaId": alpha(record[3:-1]),
            "categories": [name for bit, name in enumerate(EMERGENCY_CATEGORIES)
                           if category & (1 << bit)]}


# -- 5G ---------------------------------------------------------------------------------------

PROTECTION_SCHEMES = {0: "null scheme", 1: "Profile A (X25519)", 2: "Profile B (secp256r1)"}


def suci_calc_info(data: bytes) -> dict:
    """'A0' protection scheme identifier list (scheme, key index pairs in priority order),
    'A1' home network public key list ('80' identifier, '81' key) - TS 31.102 4.4.11.8."""
    schemes, keys_out = [], []
    for tag, value in tlv_objects(data):
        if tag == 0xA0:
            if len(value) % 2:
                raise DecodeError("protection scheme list with an odd length")
            schemes += [{"scheme": PROTECTION_SCHEMES.get(value[i], f"{value[i]}"),
                         "keyIndex": value[i + 1]} for i in range(0, len(value), 2)]
        elif tag == 0xA1:
            for inner, item in tlv_objects(value):
                if inner == 0x80:
                    keys_out.append({"keyId": int.from_bytes(item, "big"), "publicKey": None})
                elif inner == 0x81 and keys_out:
                    keys_out[-1]["publicKey"] = item.hex().upper()
                else:
                    raise DecodeError(f"unexpected tag '{inner:02X}' in the key list")
        else:
            raise DecodeError(f"unexpected tag '{tag:02X}'")
    return {"protectionSchemes": schemes, "homeNetworkKeys": keys_out}
