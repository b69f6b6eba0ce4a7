"""Shared helpers of the Profile Package Interpreter tests (test_ppi_ts48.py,
test_ppi_build.py, test_ppi_errors.py): interpreting a TCA SAIP package element by element
(TCA eUICC Profile Package: Interoperable Format Technical Specification 2.3 / 3.3, section 8),
small packages made with euicc_tools.testkit.profile_builder, PE-GenericFileManagement
commands (8.3.3) and ETSI TS 102 222 6.3 CREATE FILE FCPs, and the checks the tests share.
"""

from __future__ import annotations

import pytest

from euicc.coding import decode_imsi
from euicc.fs.model import EF_DESCRIPTORS, MF_FID, SHAREABLE, File, FileDescriptor, FileType
from euicc.ppi import PeError, ProfileImage, ProfileInterpreter
from euicc.store_image import file_rows, image_from_rows, secret_rows
from euicc.tlv import parse, split
from euicc_tools.testkit.profile_builder import build_upp, generic_file_management
from tests.support.saip_reading import (
    Reading,
    StatedFile,
    expand_pattern,
    fid_value,
    read_package,
    saip_path,
)

EF_IMSI, EF_AD, EF_UST, EF_DIR, EF_ICCID = 0x6F07, 0x6FAD, 0x6F38, 0x2F00, 0x2FE2
DF_TELECOM, DF_PHONEBOOK, DF_5GS = 0x7F10, 0x5F3A, 0x5FC0
USIM_FID, ISIM_FID = 0x7FF1, 0x7FF2  # profile_builder's temporary ADF file identifiers

ICCID = "8944123400000000011"
IMSI = "001010123456063"
K = bytes(range(16))
# 3GPP TS 35.208 4.3 test set 1
TS35208_K = bytes.fromhex("465b5ce8b199b49faa5f0a2ee238a6bc")
TS35208_OP = bytes.fromhex("cdc202d5123e20f62b6d676ac72cb318")
TS35208_OPC = bytes.fromhex("cd63cb71954a9f4e48a5994e37a02baf")
BAD_ID = 4660  # identification of the element the tests make fail


# -- helpers -----------------------------------------------------------------------------------
def interpret(package: bytes) -> ProfileImage:
    interpreter = ProfileInterpreter()
    for element in split(package):
        interpreter.feed(element)
    return interpreter.finish()


def refused(package: bytes) -> PeError:
    """The PeError the package ends with (fed element by element, then finished)."""
    with pytest.raises(PeError) as err:
        interpret(package)
    return err.value


def small_package(*extra: bytes, **options) -> bytes:
    options.setdefault("include", ("mf", "usim"))
    options.setdefault("k", K)
    if options.get("algorithm", "milenage") != "xor" and "op" not in options:
        options.setdefault("opc", bytes(16))
    return build_upp(ICCID, IMSI, extra_elements=extra, **options)


def gfm(*commands: tuple[str, object], identification: int = BAD_ID) -> bytes:
    return generic_file_management(identification, [list(commands)])


def ef_fcp(descriptor: str, fid: int, size: int | None = None, **more) -> dict:
    fcp: dict = {"fileDescriptor": bytes.fromhex(descriptor), "fileID": fid.to_bytes(2, "big")}
    if size is not None:
        fcp["efFileSize"] = size.to_bytes(2, "big").lstrip(b"\x00") or b"\x00"
    fcp.update(more)
    return fcp


def find(image: ProfileImage, *fids: int) -> File:
    f = image.tree.find((MF_FID, *fids))
    assert f is not None, "/".join(f"{fid:04X}" for fid in (MF_FID, *fids))
    return f


def imsi_digits(body: bytes) -> str:
    """EF.IMSI (3GPP TS 31.102 4.2.2): length, then BCD low nibble first; the first nibble
    is the parity / type of identity, not a digit."""
    return decode_imsi(body)


def check_round_trip(image: ProfileImage) -> ProfileImage:
    """The store's form (one row per file, one per secret) rebuilds the same image."""
    rows, secrets = file_rows(image.tree), secret_rows(image)
    rebuilt = image_from_rows(rows, secrets)
    assert file_rows(rebuilt.tree) == rows
    assert secret_rows(rebuilt) == secrets
    return rebuilt


# -- every value a profile element states (TCA SAIP 2.3 / 3.3 Fcp, ETSI TS 102 222 6.3) ----------
# An independent reading of what an Fcp asks for (saip_reading.read_package), held against
# the interpreter's result.
_STRUCTURES = {code: kind for kind, code in EF_DESCRIPTORS.items()}
TAG_SPECIAL_INFO, TAG_FILE_DETAILS, TAG_MAXIMUM_SIZE = 0xC0, 0x84, 0x86


def fcp_mismatches(image: ProfileImage, stated: StatedFile) -> list[str]:
    """What of ``stated.fcp`` the file at ``stated.path`` does not show (empty: all of it)."""
    f = image.tree.find(stated.path)
    where = "/".join(f"{fid:04X}" for fid in stated.path)
    if f is None:
        return [f"{where}: not created"]
    fcp, wrong = stated.fcp, []

    def check(what: str, actual, expected) -> None:
        if actual != expected:
            wrong.append(f"{where} {what}: {actual!r}, the profile states {expected!r}")

    target = image.tree.find(saip_path(bytes(fcp["linkPath"]))) \
        if fcp.get("linkPath") else None
    descriptor = bytes(fcp.get("fileDescriptor", b""))
    if descriptor:
        check("shareable", f.shareable, bool(descriptor[0] & SHAREABLE))
        kind = descriptor[0] & 0x3F
        if kind == FileDescriptor.DF:
            check("is a DF", f.type.is_df, True)
        else:
            check("structure", f.type, _STRUCTURES.get(
                kind if kind == FileDescriptor.BER_TLV else kind & 0x07))
            # a linked EF is its target's records: the target's record length is the one
            if f.type.is_record and target is None:
                check("record length", f.record_length, fid_value(descriptor[2:4]))
    if "fileID" in fcp:
        check("file ID", f.fid, fid_value(fcp["fileID"]))
    if "dfName" in fcp:
        check("DF name", f.aid, bytes(fcp["dfName"]))
    if "lcsi" in fcp:
        check("LCSI", f.lcsi, fcp["lcsi"][0])
    if "securityAttributesReferenced" in fcp:
        value = bytes(fcp["securityAttributesReferenced"])
        if len(value) == 1:
            value = (b"\x2f\x06" if stated.in_mf_or_adf else b"\x6f\x06") + value
        check("security attributes", f.security, bytes([0x8B, len(value)]) + value)
    if "pinStatusTemplateDO" in fcp:
        check("PIN status template", f.pin_status, bytes(fcp["pinStatusTemplateDO"]))
    info = fcp.get("proprietaryEFInfo", {})
    if "maximumFileSize" in info:
        check("size", f.size, fid_value(info["maximumFileSize"]))
    elif "efFileSize" in fcp and target is None:
        check("size", f.size, fid_value(fcp["efFileSize"]))
    if "shortEFID" in fcp:
        sfi = bytes(fcp["shortEFID"])
        check("SFI", f.sfi, sfi[0] >> 3 if sfi else None)
    proprietary = dict(parse(f.proprietary)) if f.proprietary else {}
    if "specialFileInformation" in info:
        check("special file information", proprietary.get(TAG_SPECIAL_INFO),
              bytes(info["specialFileInformation"]))
    if f.type == FileType.BER_TLV:  # TS 102 221 11.1.1.4.6.5 / .6: BER-TLV EFs only
        for tag, name in ((TAG_FILE_DETAILS, "fileDetails"),
                          (TAG_MAXIMUM_SIZE, "maximumFileSize")):
            if name in info:
                check(name, proprietary.get(tag), bytes(info[name]))
    if target is not None:
        check("linked body", f.body is target.body, True)
        check("linked size", f.size, target.size)
        check("linked record length", f.record_length, target.record_length)
    return wrong


def _initial(pattern: bytes, repeat: bool, f: File) -> bytes:
    """TS 102 222 6.3.2.2.2, per record of a record EF."""
    unit = f.record_length if f.type.is_record else f.size
    return expand_pattern(pattern, repeat, unit) * (f.record_count if f.type.is_record else 1)


def content_mismatches(image: ProfileImage, reading: Reading) -> list[str]:
    """Every EF holds the fill or repeat pattern its Fcp states, overwritten by every byte
    a fill command wrote (the last write of a byte wins; a linked EF writes into its
    target's body)."""
    expected: dict[int, tuple[File, dict[int, int]]] = {}
    for stated in reading.files:
        info = stated.fcp.get("proprietaryEFInfo", {})
        pattern = info.get("fillPattern", info.get("repeatPattern"))
        f = image.tree.find(stated.path)
        if f is None or pattern is None or stated.fcp.get("linkPath") or \
                f.type.is_df or f.type == FileType.BER_TLV:
            continue
        body = _initial(bytes(pattern), "repeatPattern" in info, f)
        expected[id(f.body)] = (f, dict(enumerate(body)))
    for w in reading.writes:
        f = image.tree.find(w.path)
        if f is None:
            return [f"{w.path}: not created"]
        _, known = expected.setdefault(id(f.body), (f, {}))
        known.update({w.offset + i: byte for i, byte in enumerate(w.data)})
    return [f"{f.label} offset {offset}: {f.body[offset:offset + 1].hex() or 'past the end'}"
            f", expected {byte:02X}"
            for f, known in expected.values() for offset, byte in sorted(known.items())
            if f.body[offset:offset + 1] != bytes([byte])][:20]


def stated_mismatches(image: ProfileImage, package: bytes) -> list[str]:
    """Everything of ``package``'s file-system elements the image does not show."""
    reading = read_package(package)
    wrong = [m for stated in reading.files for m in fcp_mismatches(image, stated)]
    return wrong + content_mismatches(image, reading)
