"""Test-profile builder: DER Unprotected Profile Packages (TCA eUICC Profile Package:
Interoperable Format Technical Specification 3.3.1, PEDefinitions) made from Python arguments.

Every helper returns the DER of one ``ProfileElement``; a package is their concatenation
(:func:`build_upp`). Values follow the specifications they come from:

- ProfileHeader.iccid: the ICCID digits in order, 'F' padded (as the TS.48 packages have it);
  EF.ICCID: the same digits nibble swapped (ETSI TS 102 221 13.2);
- EF.DIR records: application templates '61' with AID '4F' and label '50' (TS 102 221 13.1);
- EF.ARR records: expanded-format access rules (TS 102 221 9.2.4, ISO/IEC 7816-4 9.3);
- EF.IMSI: length byte, then BCD with the parity / type nibble (3GPP TS 31.102 4.2.2);
- EF.UST / EF.IST: service bit n-1 of the table (TS 31.102 4.2.8, TS 31.103 4.2.7);
- ISIM identities from the IMSI (3GPP TS 23.003 13.3-13.4), EF.IMPI/IMPU/DOMAIN as TLV '80'
  (TS 31.103 4.2.2-4.2.4);
- OPc = AES-128_K(OP) xor OP (3GPP TS 35.206 4.1).

Files of template PEs carry complete FCPs (fileDescriptor, fileID, security attributes,
size) even where the template would give them, so that a package does not depend on the
reader's template tables for its shape; template-only files are left to the template.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from euicc.asn1 import encode, pe
from euicc.coding import encode_bcd, encode_iccid, encode_imsi

# Template OIDs (PEDefinitions templateID / eUICC-Mandatory-GFSTEList)
TEMPLATE_MF = "2.23.143.1.2.1"
TEMPLATE_USIM = "2.23.143.1.2.4"
TEMPLATE_ISIM = "2.23.143.1.2.8"
TEMPLATE_DF_5GS = "2.23.143.1.2.13"
TEMPLATE_TELECOM = "2.23.143.1.2.3"
TEMPLATE_OPT_USIM = "2.23.143.1.2.5"

USIM_AID = bytes.fromhex("A0000000871002FFFFFFFF8907090000")
ISIM_AID = bytes.fromhex("A0000000871004FFFFFFFF8907090000")
# Temporary file IDs of the ADFs (only used in paths while the package installs)
USIM_TEMP_FID = bytes.fromhex("7FF1")
ISIM_TEMP_FID = bytes.fromhex("7FF2")

# MNO-SD of the TS.48 profiles (GlobalPlatform ISD package / class / instance AIDs)
SD_PACKAGE_AID = bytes.fromhex("A0000001515350")
SD_CLASS_AID = bytes.fromhex("A000000151535041")
SD_INSTANCE_AID = bytes.fromhex("A000000151000000")

# Key references of TS 102 221 9.5.1 / PEDefinitions PINKeyReferenceValue
PIN1, ADM1, PIN2_LOCAL = 0x01, 0x0A, 0x81

DEFAULT_PINS: Mapping[int, str] = {PIN1: "1234", ADM1: "88888888", PIN2_LOCAL: "5678"}
DEFAULT_PUKS: Mapping[int, str] = {PIN1: "11111111", PIN2_LOCAL: "22222222"}

ALGORITHM_IDS = {"milenage": 1, "tuak": 2, "xor": 3}  # AlgoParameter.algorithmID
# algorithmOptions: '02' for the test algorithm as in the TS.48 packages, '00' otherwise
DEFAULT_ALGORITHM_OPTIONS = {"milenage": 0x00, "tuak": 0x00, "xor": 0x02}

# Access rule records (TS 102 221 9.2.4): AM_DO '80' + SC_DO; '90 00' always, 'A4' a key
# reference (83) with usage qualifier '08' (user verification)


def _key(reference: int) -> bytes:
    return bytes([0xA4, 0x06, 0x83, 0x01, reference, 0x95, 0x01, 0x08])


ARR_RECORD_LENGTH = 0x20
ARR_RULES = (
    bytes([0x80, 0x01, 0x7F]) + _key(ADM1),  # 1: DF administration by ADM1
    bytes([0x80, 0x01, 0x01, 0x90, 0x00, 0x80, 0x01, 0x1A]) + _key(ADM1),  # 2: read always
    bytes([0x80, 0x01, 0x03]) + _key(PIN1) + bytes([0x80, 0x01, 0x18]) + _key(ADM1),  # 3: PIN1
    bytes([0x80, 0x01, 0x01]) + _key(PIN1) + bytes([0x80, 0x01, 0x1A]) + _key(ADM1),  # 4
)
RULE_DF, RULE_READ_ALWAYS, RULE_PIN1_READ_UPDATE, RULE_PIN1_READ_ADM_UPDATE = 1, 2, 3, 4


# ---------------------------------------------------------------- value encodings


def header_iccid(iccid: str) -> bytes:
    """ProfileHeader.iccid: digits in order, 'F' padded to 10 bytes."""
    _check_digits(iccid, 18, 20, "ICCID")
    return bytes.fromhex(iccid.ljust(20, "F"))


def ef_iccid(iccid: str) -> bytes:
    """EF.ICCID content: BCD, nibble swapped, 'F' padded (TS 102 221 13.2)."""
    _check_digits(iccid, 18, 20, "ICCID")
    return encode_iccid(iccid)


def ef_imsi(imsi: str) -> bytes:
    """EF.IMSI content (TS 31.102 4.2.2): length, then digit 1 with parity/type nibble, BCD."""
    _check_digits(imsi, 6, 15, "IMSI")
    return encode_imsi(imsi)


def service_table(services: Iterable[int], length: int | None = None) -> bytes:
    """UST/IST content: service n is bit (n-1) % 8 of byte (n-1) // 8."""
    numbers = sorted(set(services))
    table = bytearray(length or max([1, *((n + 7) // 8 for n in numbers)]))
    for number in numbers:
        table[(number - 1) // 8] |= 1 << ((number - 1) % 8)
    return bytes(table)


def opc_from_op(k: bytes, op: bytes) -> bytes:
    """OPc = E[OP]K xor OP (3GPP TS 35.206 4.1)."""
    encryptor = Cipher(algorithms.AES(k), modes.ECB()).encryptor()
    block = encryptor.update(op) + encryptor.finalize()
    return bytes(a ^ b for a, b in zip(block, op, strict=True))


def pin_value(value: str | bytes) -> bytes:
    """PINConfiguration.pinValue: ASCII digits padded with 'FF' to 8 bytes (TS 102 221 9.5.2)."""
    raw = value.encode("ascii") if isinstance(value, str) else value
    if not 1 <= len(raw) <= 8:
        raise ValueError("a PIN / PUK value has 1 to 8 bytes")
    return raw.ljust(8, b"\xff")


def mcc_mnc(imsi: str, mnc_length: int = 2) -> tuple[str, str]:
    return imsi[:3], imsi[3 : 3 + mnc_length]


def ims_domain(imsi: str, mnc_length: int = 2) -> str:
    """Home network domain name of TS 23.003 13.2."""
    mcc, mnc = mcc_mnc(imsi, mnc_length)
    return f"ims.mnc{mnc.zfill(3)}.mcc{mcc}.3gppnetwork.org"


def _check_digits(value: str, shortest: int, longest: int, what: str) -> None:
    if not (value.isdigit() and value.isascii() and shortest <= len(value) <= longest):
        raise ValueError(f"{what} must be {shortest}..{longest} decimal digits")


def _tlv80(text: str) -> bytes:
    raw = text.encode("utf-8")
    return bytes([0x80, len(raw)]) + raw


# ---------------------------------------------------------------- files


def _ef(descriptor: str, fid: str, rule: int, size: int, *, arr: str, sfi: int | None = None,
        content: Sequence[tuple[str, object]] = ()) -> list:
    """A File: full FCP of an EF, then the fill commands given (fillFileContent/Offset)."""
    fcp = {
        "fileDescriptor": bytes.fromhex(descriptor),
        "fileID": bytes.fromhex(fid),
        "securityAttributesReferenced": bytes.fromhex(arr) + bytes([rule]),
        "efFileSize": size.to_bytes(max(1, (size.bit_length() + 7) // 8), "big"),
    }
    if sfi is not None:
        fcp["shortEFID"] = bytes([sfi << 3])
    return [("fileDescriptor", fcp), *content]


def _records(records: Sequence[bytes], record_length: int) -> list[tuple[str, object]]:
    """Fill commands writing one record after the other; fillFileOffset skips the rest of a
    record, as it counts from the end of the previous write (PEDefinitions File)."""
    commands: list[tuple[str, object]] = []
    for index, record in enumerate(records):
        if len(record) > record_length:
            raise ValueError("record longer than the record length")
        commands.append(("fillFileContent", record))
        if index < len(records) - 1 and len(record) < record_length:
            commands.append(("fillFileOffset", record_length - len(record)))
    return commands


def _linear(fid: str, rule: int, records: Sequence[bytes], record_length: int, count: int,
            *, arr: str, sfi: int | None = None) -> list:
    descriptor = f"4221{record_length:04X}"
    return _ef(descriptor, fid, rule, record_length * count, arr=arr, sfi=sfi,
               content=_records(records, record_length))


def _arr_file(fid: str, arr: str) -> list:
    return _linear(fid, RULE_READ_ALWAYS, ARR_RULES, ARR_RECORD_LENGTH, len(ARR_RULES), arr=arr)


def _df(fid: bytes, *, arr: str, aid: bytes | None = None, pin_refs: bytes) -> list:
    fcp = {
        "fileID": fid,
        "securityAttributesReferenced": bytes.fromhex(arr) + bytes([RULE_DF]),
        "pinStatusTemplateDO": pin_refs,  # key references of the DF's PINs
    }
    if aid is not None:
        fcp["dfName"] = aid
    return [("fileDescriptor", fcp)]


def _transparent(fid: str, rule: int, data: bytes, *, arr: str, size: int | None = None,
                 sfi: int | None = None) -> list:
    return _ef("4121", fid, rule, size or len(data), arr=arr, sfi=sfi,
               content=[("fillFileContent", data)] if data else ())


# ---------------------------------------------------------------- profile elements


def encode_element(choice: str, value: dict) -> bytes:
    return encode(pe(), "ProfileElement", (choice, value))


def _pe_header(identification: int, mandated: bool = True) -> dict:
    header: dict = {"identification": identification}
    if mandated:
        header["mandated"] = None
    return header


def header(iccid: str, *, services: Iterable[str] = ("usim",),
           templates: Iterable[str] = (TEMPLATE_MF,), major: int = 2, minor: int = 3,
           profile_type: str = "euicc-emu test profile") -> bytes:
    """ProfileHeader: version, ICCID and what the eUICC must support."""
    return encode_element("header", {
        "major-version": major,
        "minor-version": minor,
        "profileType": profile_type,
        "iccid": header_iccid(iccid),
        "eUICC-Mandatory-services": {name: None for name in services},
        "eUICC-Mandatory-GFSTEList": list(templates),
    })


def mf(iccid: str, identification: int, *,
       applications: Sequence[tuple[bytes, str]] = ((USIM_AID, "USIM"),)) -> bytes:
    """PE-MF: MF, EF.ICCID, EF.DIR (one record per application), EF.ARR."""
    dir_records = [
        bytes([0x61, 4 + len(aid) + len(label), 0x4F, len(aid)]) + aid
        + bytes([0x50, len(label)]) + label.encode("ascii")
        for aid, label in applications
    ]
    return encode_element("mf", {
        "mf-header": _pe_header(identification),
        "templateID": TEMPLATE_MF,
        "mf": [("fileDescriptor", {
            "fileDescriptor": bytes.fromhex("7821"), "fileID": bytes.fromhex("3F00"),
            "securityAttributesReferenced": bytes.fromhex("2F06") + bytes([RULE_DF]),
            "pinStatusTemplateDO": bytes([PIN1, ADM1]),
        })],
        "ef-iccid": _transparent("2FE2", RULE_READ_ALWAYS, ef_iccid(iccid), arr="2F06"),
        "ef-dir": _linear("2F00", RULE_READ_ALWAYS, dir_records, 0x26, max(2, len(dir_records)),
                          arr="2F06", sfi=0x1E),
        "ef-arr": _arr_file("2F06", "2F06"),
    })


def usim(imsi: str, identification: int, *, services: Iterable[int] = (19, 85),
         spn: str = "euicc-emu", mnc_length: int = 2, ecc: Sequence[str] = ("112", "911"),
         pin_refs: bytes = bytes([PIN1, PIN2_LOCAL, ADM1]),
         files: Mapping[str, Sequence[tuple[str, object]]] | None = None) -> bytes:
    """PE-USIM: ADF.USIM with EF.IMSI, EF.ARR, EF.UST, EF.SPN, EF.EST, EF.ACC, EF.AD, EF.ECC;
    ``files`` adds (or replaces) template file components with the File commands given."""
    access_class = 1 << int(imsi[-1])  # TS 22.011 4.2: class = last IMSI digit
    spn_bytes = spn.encode("ascii")[:16].ljust(16, b"\xff")
    # EF.ECC record (TS 31.102 4.2.21): 3 bytes BCD code, no alpha identifier, category 0
    ecc_records = [encode_bcd(number, 3) + b"\x00" for number in ecc]
    return encode_element("usim", {
        "usim-header": _pe_header(identification),
        "templateID": TEMPLATE_USIM,
        "adf-usim": _df(USIM_TEMP_FID, arr="2F06", aid=USIM_AID, pin_refs=pin_refs),
        "ef-imsi": _transparent("6F07", RULE_PIN1_READ_ADM_UPDATE, ef_imsi(imsi), arr="6F06",
                                sfi=0x07),
        "ef-arr": _arr_file("6F06", "6F06"),
        "ef-ust": _transparent("6F38", RULE_PIN1_READ_ADM_UPDATE, service_table(services),
                               arr="6F06", sfi=0x04),
        "ef-spn": _transparent("6F46", RULE_READ_ALWAYS, b"\x01" + spn_bytes, arr="6F06"),
        "ef-est": _transparent("6F56", RULE_PIN1_READ_UPDATE, b"\x00", arr="6F06", sfi=0x05),
        "ef-acc": _transparent("6F78", RULE_PIN1_READ_ADM_UPDATE,
                               access_class.to_bytes(2, "big"), arr="6F06", sfi=0x06),
        "ef-ad": _transparent("6FAD", RULE_READ_ALWAYS, bytes([0, 0, 0, mnc_length]),
                              arr="6F06", sfi=0x03),
        "ef-ecc": _linear("6FB7", RULE_READ_ALWAYS, ecc_records, 4, max(1, len(ecc_records)),
                          arr="6F06", sfi=0x01),
        **{name: list(commands) for name, commands in (files or {}).items()},
    })


def isim(imsi: str, identification: int, *, mnc_length: int = 2, impi: str | None = None,
         impus: Sequence[str] | None = None, domain: str | None = None,
         services: Iterable[int] = (1,)) -> bytes:
    """PE-ISIM: identities derived from the IMSI unless given (TS 23.003 13.3, 13.4)."""
    domain = domain or ims_domain(imsi, mnc_length)
    impi = impi or f"{imsi}@{domain}"
    impus = list(impus or [f"sip:{imsi}@{domain}"])
    impu_records = [_tlv80(uri) for uri in impus]
    impu_length = max(len(r) for r in impu_records)
    return encode_element("isim", {
        "isim-header": _pe_header(identification),
        "templateID": TEMPLATE_ISIM,
        "adf-isim": _df(ISIM_TEMP_FID, arr="2F06", aid=ISIM_AID,
                        pin_refs=bytes([PIN1, PIN2_LOCAL, ADM1])),
        "ef-impi": _transparent("6F02", RULE_PIN1_READ_ADM_UPDATE, _tlv80(impi), arr="6F06"),
        "ef-impu": _linear("6F04", RULE_PIN1_READ_ADM_UPDATE, impu_records, impu_length,
                           len(impu_records), arr="6F06"),
        "ef-domain": _transparent("6F03", RULE_PIN1_READ_ADM_UPDATE, _tlv80(domain),
                                  arr="6F06"),
        "ef-ist": _transparent("6F07", RULE_PIN1_READ_ADM_UPDATE, service_table(services),
                               arr="6F06"),
        "ef-ad": _transparent("6FAD", RULE_READ_ALWAYS, bytes([0, 0, 0, mnc_length]),
                              arr="6F06"),
        "ef-arr": _arr_file("6F06", "6F06"),
    })


def df_5gs(imsi: str, identification: int, *, mnc_length: int = 2) -> bytes:
    """PE-DF-5GS under ADF.USIM: location information starting 'not updated' in the home PLMN
    (TS 31.102 4.4.11.2), NAS security contexts and 5G authentication keys left empty."""
    mcc, mnc = mcc_mnc(imsi, mnc_length)
    mnc3 = mnc.ljust(3, "F")
    plmn = bytes.fromhex(mcc[1] + mcc[0] + mnc3[2] + mcc[2] + mnc3[1] + mnc3[0])
    tai_and_status = plmn + bytes(3) + b"\x01"  # TAC 000000, update status "not updated"
    # 5G-GUTI (13 bytes) is skipped: fillFileOffset leaves the file's initial 'FF' there
    loci = [("fillFileOffset", 13), ("fillFileContent", tai_and_status)]
    return encode_element("df-5gs", {
        "df-5gs-header": _pe_header(identification, mandated=False),
        "templateID": TEMPLATE_DF_5GS,
        "df-df-5gs": _df(bytes.fromhex("5FC0"), arr="6F06", pin_refs=bytes([PIN1, ADM1])),
        "ef-5gs3gpploci": _ef("4121", "4F01", RULE_PIN1_READ_UPDATE, 20, arr="6F06",
                              content=loci),
        "ef-5gsn3gpploci": _ef("4121", "4F02", RULE_PIN1_READ_UPDATE, 20, arr="6F06",
                               content=loci),
        "ef-5gs3gppnsc": _ef("42210039", "4F03", RULE_PIN1_READ_UPDATE, 0x39, arr="6F06"),
        "ef-5gauthkeys": _ef("4121", "4F05", RULE_PIN1_READ_UPDATE, 0x6E, arr="6F06"),
    })


@dataclass(frozen=True)
class PinConfig:
    """One PINConfiguration; the value never shows in a repr."""

    key_reference: int
    value: str | bytes = field(repr=False)
    puk_reference: int | None = None
    attributes: int = 7
    max_attempts: int = 3
    retries_left: int | None = None


@dataclass(frozen=True)
class PukConfig:
    key_reference: int
    value: str | bytes = field(repr=False)
    max_attempts: int = 10
    retries_left: int | None = None


def _attempts(maximum: int, left: int | None) -> int:
    return maximum << 4 | (maximum if left is None else left)


def pin_codes(identification: int, pins: Sequence[PinConfig] | bytes) -> bytes:
    """PE-PINCodes: a list of PINs, or (bytes) the path of a DF whose PINs are shared."""
    if isinstance(pins, bytes):
        codes: tuple = ("filePath", pins)
    else:
        configs = []
        for pin in pins:
            config = {
                "keyReference": pin.key_reference,
                "pinValue": pin_value(pin.value),
                "pinAttributes": pin.attributes,
                "maxNumOfAttemps-retryNumLeft": _attempts(pin.max_attempts, pin.retries_left),
            }
            if pin.puk_reference is not None:
                config["unblockingPINReference"] = pin.puk_reference
            configs.append(config)
        codes = ("pinconfig", configs)
    return encode_element("pinCodes", {"pin-Header": _pe_header(identification),
                                       "pinCodes": codes})


def puk_codes(identification: int, puks: Sequence[PukConfig]) -> bytes:
    return encode_element("pukCodes", {
        "puk-Header": _pe_header(identification),
        "pukCodes": [{
            "keyReference": puk.key_reference,
            "pukValue": pin_value(puk.value),
            "maxNumOfAttemps-retryNumLeft": _attempts(puk.max_attempts, puk.retries_left),
        } for puk in puks],
    })


def aka_parameter(identification: int, algorithm: str, k: bytes, *, opc: bytes | None = None,
                  op: bytes | None = None, algorithm_options: int | None = None,
                  rotation: bytes | None = None, constants: bytes | None = None,
                  keccak_iterations: int | None = None, sqn_options: int | None = None,
                  sqn_delta: bytes | None = None, sqn_age_limit: bytes | None = None,
                  sqn_init: Sequence[bytes] | None = None,
                  auth_counter_max: bytes | None = None) -> bytes:
    """PE-AKAParameter with an AlgoParameter. ``algorithm``: "milenage" (K 16 bytes, OPc or OP
    16 bytes), "tuak" (K 16/32 bytes, TOPc 32 bytes as ``opc``) or "xor" (the USIM test
    algorithm of TS 34.108 8.1.2; OPc is ignored and sent as 16 zero bytes)."""
    if algorithm not in ALGORITHM_IDS:
        raise ValueError(f"unknown algorithm {algorithm!r}")
    if op is not None:
        if algorithm != "milenage" or opc is not None:
            raise ValueError("OP is only for MILENAGE, instead of OPc")
        opc = opc_from_op(k, op)
    if algorithm == "xor":
        opc = bytes(16) if opc is None else opc
    elif opc is None:
        raise ValueError(f"{algorithm} needs OPc/TOPc (or OP for MILENAGE)")
    expected = {"milenage": ((16,), (16,)), "tuak": ((16, 32), (32,)), "xor": ((16,), (16,))}
    key_lengths, opc_lengths = expected[algorithm]
    if len(k) not in key_lengths or len(opc) not in opc_lengths:
        raise ValueError(f"{algorithm}: K has {key_lengths} bytes, OPc {opc_lengths}")
    options = DEFAULT_ALGORITHM_OPTIONS[algorithm] if algorithm_options is None \
        else algorithm_options
    params: dict = {"algorithmID": ALGORITHM_IDS[algorithm],
                    "algorithmOptions": bytes([options]), "key": k, "opc": opc}
    optional = {"rotationConstants": rotation, "xoringConstants": constants,
                "authCounterMax": auth_counter_max, "numberOfKeccak": keccak_iterations}
    params.update({name: value for name, value in optional.items() if value is not None})
    value: dict = {"aka-header": _pe_header(identification),
                   "algoConfiguration": ("algoParameter", params)}
    sqn = {"sqnOptions": None if sqn_options is None else bytes([sqn_options]),
           "sqnDelta": sqn_delta, "sqnAgeLimit": sqn_age_limit,
           "sqnInit": None if sqn_init is None else list(sqn_init)}
    value.update({name: item for name, item in sqn.items() if item is not None})
    return encode_element("akaParameter", value)


def aka_mapping(identification: int, source_aid: bytes, options: int = 0x01) -> bytes:
    """PE-AKAParameter sharing the algorithm and keys of the NAA ``source_aid``."""
    return encode_element("akaParameter", {
        "aka-header": _pe_header(identification),
        "algoConfiguration": ("mappingParameter", {
            "mappingOptions": bytes([options]), "mappingSource": source_aid}),
    })


def security_domain(identification: int, *, keys: Mapping[int, bytes] | None = None,
                    key_version: int = 0x30) -> bytes:
    """PE-SecurityDomain: the MNO-SD with one SCP03 AES key set (ENC 1, MAC 2, DEK 3)."""
    keys = keys or {1: bytes(range(0x40, 0x50)), 2: bytes(range(0x50, 0x60)),
                    3: bytes(range(0x60, 0x70))}
    usage = {1: 0x38, 2: 0x34, 3: 0xC8}  # GP CS 11.1.9: C-ENC+R-ENC, C-MAC+R-MAC, DEK
    return encode_element("securityDomain", {
        "sd-Header": _pe_header(identification),
        "instance": {
            "applicationLoadPackageAID": SD_PACKAGE_AID,
            "classAID": SD_CLASS_AID,
            "instanceAID": SD_INSTANCE_AID,
            "applicationPrivileges": bytes.fromhex("82DC00"),
            "lifeCycleState": b"\x0f",  # PERSONALIZED
            "applicationSpecificParametersC9": bytes.fromhex("810280008201F0"),
        },
        "keyList": [{
            "keyUsageQualifier": bytes([usage.get(key_id, 0x38)]),
            "keyIdentifier": bytes([key_id]),
            "keyVersionNumber": bytes([key_version]),
            "keyComponents": [{"keyType": b"\x88", "keyData": key}],  # '88': AES
        } for key_id, key in sorted(keys.items())],
    })


def generic_file_management(identification: int,
                            commands: Sequence[Sequence[tuple[str, object]]]) -> bytes:
    """PE-GenericFileManagement: each inner sequence is one FileManagement list of
    ("filePath" | "createFCP" | "fillFileOffset" | "fillFileContent", value)."""
    return encode_element("genericFileManagement", {
        "gfm-header": _pe_header(identification),
        "fileManagementCMD": [list(command) for command in commands],
    })


def end(identification: int) -> bytes:
    return encode_element("end", {"end-header": _pe_header(identification)})


# ---------------------------------------------------------------- packages


def _pins_for(pins: Mapping[int, str | bytes], puks: Mapping[int, str | bytes],
              local: bool) -> list[PinConfig]:
    """Global PINs (MF context) or local ones (ADF context), each unblocked by the PUK of the
    same reference when there is one. pinAttributes as the TS.48 packages set them: '06' for
    the global application PINs (PIN1 there), '03' for local PINs and ADM keys; ADM keys get
    10 attempts, PINs 3."""
    configs = []
    for reference, value in sorted(pins.items()):
        if (reference >= 0x80) != local:
            continue
        admin = reference in range(0x0A, 0x0F) or reference in range(0x8A, 0x8F)
        application_pin = not admin and reference < 0x80
        configs.append(PinConfig(reference, value, puk_reference=reference if reference in puks
                                 else None, attributes=6 if application_pin else 3,
                                 max_attempts=10 if admin else 3))
    return configs


def build_upp(iccid: str, imsi: str, *, algorithm: str = "milenage", k: bytes,
              opc: bytes | None = None, op: bytes | None = None,
              pins: Mapping[int, str | bytes] = DEFAULT_PINS,
              puks: Mapping[int, str | bytes] = DEFAULT_PUKS,
              extra_elements: Sequence[bytes | tuple[str, dict]] = (),
              include: Iterable[str] = ("mf", "usim", "isim", "df-5gs", "securityDomain"),
              mnc_length: int = 2, major: int = 2, minor: int = 3,
              usim_files: Mapping[str, Sequence[tuple[str, object]]] | None = None,
              usim_pin_refs: bytes | None = None, **aka_options) -> bytes:
    """A whole Unprotected Profile Package, elements in installation order: header, mf,
    pukCodes, pinCodes (global), usim + pinCodes (local) + akaParameter, df-5gs, isim +
    pinCodes + akaParameter, securityDomain, ``extra_elements`` (DER, or (choice, value) to
    encode), end. ``aka_options`` go to :func:`aka_parameter` (rotation, sqn_init, ...);
    ``usim_files`` to :func:`usim` (template files of ADF.USIM the package states);
    ``usim_pin_refs``: the USIM's PIN status template (default PIN 1, local PIN 2, ADM 1)."""
    include = set(include)
    unknown = include - {"mf", "usim", "isim", "df-5gs", "securityDomain"}
    if unknown:
        raise ValueError(f"cannot build {sorted(unknown)}")
    if "df-5gs" in include and "usim" not in include:
        raise ValueError("DF.5GS lives in ADF.USIM")
    counter = iter(range(1, 0x7FFF))
    elements: list[bytes] = []
    applications = [(USIM_AID, "USIM")] if "usim" in include else []
    applications += [(ISIM_AID, "ISIM")] if "isim" in include else []
    templates = [TEMPLATE_MF] if "mf" in include else []
    for name, oid in (("usim", TEMPLATE_USIM), ("isim", TEMPLATE_ISIM),
                      ("df-5gs", TEMPLATE_DF_5GS)):
        if name in include:
            templates.append(oid)
    services = [name for name in ("usim", "isim") if name in include]
    services.append({"milenage": "milenage", "xor": "usim-test-algorithm",
                     "tuak": "tuak256" if len(k) == 32 else "tuak128"}[algorithm])
    elements.append(header(iccid, services=services, templates=templates, major=major,
                           minor=minor))
    if "mf" in include:
        elements.append(mf(iccid, next(counter), applications=applications))
        if puks:
            elements.append(puk_codes(next(counter), [PukConfig(ref, value)
                                                      for ref, value in sorted(puks.items())]))
        global_pins = _pins_for(pins, puks, local=False)
        if global_pins:
            elements.append(pin_codes(next(counter), global_pins))
    local_pins = _pins_for(pins, puks, local=True)
    usim_services = [19, 85] + ([122, 123] if "df-5gs" in include else [])
    for naa in ("usim", "isim"):
        if naa not in include:
            continue
        if naa == "usim":
            elements.append(usim(imsi, next(counter), services=usim_services,
                                 mnc_length=mnc_length, files=usim_files,
                                 **({"pin_refs": usim_pin_refs} if usim_pin_refs else {})))
        else:
            elements.append(isim(imsi, next(counter), mnc_length=mnc_length))
        if local_pins:
            elements.append(pin_codes(next(counter), local_pins))
        elements.append(aka_parameter(next(counter), algorithm, k, opc=opc, op=op,
                                      **aka_options))
        if naa == "usim" and "df-5gs" in include:
            elements.append(df_5gs(imsi, next(counter), mnc_length=mnc_length))
    if "securityDomain" in include:
        elements.append(security_domain(next(counter)))
    for extra in extra_elements:
        elements.append(extra if isinstance(extra, bytes) else encode_element(*extra))
    elements.append(end(next(counter)))
    return b"".join(elements)


def template_element(choice: str, template_id: str, identification: int,
                     files: Mapping[str, Sequence[tuple[str, object]]]) -> bytes:
    """A template-based file-system element (PE-MF, PE-USIM, PE-OPT-USIM, PE-TELECOM, ...):
    ``files`` maps its file components ("ef-msisdn") to their File commands, e.g.
    [("fileDescriptor", {Fcp members}), ("fillFileContent", b"...")]. The header is named
    as PEDefinitions names it for ``choice``."""
    header_names = {"opt-usim": "optusim-header", "opt-isim": "optisim-header",
                    "opt-csim": "optcsim-header", "opt-iot": "optiot-header",
                    "df-5gprose": "df-5g-prose-header"}
    value: dict = {header_names.get(choice, f"{choice}-header"): _pe_header(identification),
                   "templateID": template_id}
    value.update({name: list(commands) for name, commands in files.items()})
    return encode_element(choice, value)
