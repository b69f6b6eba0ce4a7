"""Shared helpers of the Profile Package Interpreter tests (test_ppi_ts48.py,
test_ppi_build.py, test_ppi_errors.py): interpreting a TCA SAIP package element by element
(TCA eUICC Profile Package: Interoperable Format Technical Specification 2.3 / 3.3, section 8),
small packages made with tests/pe_builder.py, PE-GenericFileManagement commands (8.3.3) and
ETSI TS 102 222 6.3 CREATE FILE FCPs, and the checks the tests share.
"""

from __future__ import annotations

import pytest
from pe_builder import build_upp, generic_file_management

from euicc.fs.model import MF_FID, File
from euicc.ppi import (
    PeError,
    ProfileImage,
    ProfileInterpreter,
    file_rows,
    image_from_rows,
    secret_rows,
)
from euicc.tlv import split

EF_IMSI, EF_AD, EF_UST, EF_DIR, EF_ICCID = 0x6F07, 0x6FAD, 0x6F38, 0x2F00, 0x2FE2
DF_TELECOM, DF_PHONEBOOK, DF_5GS = 0x7F10, 0x5F3A, 0x5FC0
USIM_FID, ISIM_FID = 0x7FF1, 0x7FF2  # pe_builder's temporary ADF file identifiers

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
    nibbles = []
    for byte in body[1:1 + body[0]]:
        nibbles += [byte & 0x0F, byte >> 4]
    return "".join(str(n) for n in nibbles[1:] if n != 0xF)


def check_round_trip(image: ProfileImage) -> ProfileImage:
    """The store's form (one row per file, one per secret) rebuilds the same image."""
    rows, secrets = file_rows(image.tree), secret_rows(image)
    rebuilt = image_from_rows(rows, secrets)
    assert file_rows(rebuilt.tree) == rows
    assert secret_rows(rebuilt) == secrets
    return rebuilt
