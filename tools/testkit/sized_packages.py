"""Profile packages of a chosen size, for the benchmarks that measure how the card's cost
grows with the package: the GSMA TS.48 test profile TS48V2-SAIP2-1-NOBERTLV-UNIQUE of
../shared (12,207 bytes) when the machine has it, else one built by
:mod:`euicc_tools.testkit.profile_builder`; grown with PE-GenericFileManagement elements
(TCA eUICC Profile Package 8.3.3) that create DFs of filled transparent EFs.
"""

from __future__ import annotations

from pathlib import Path

from euicc.tlv import split

from .profile_builder import build_upp, generic_file_management
from .shared_material import SHARED

TS48 = SHARED / "profiles" / "TS48V2-SAIP2-1-NOBERTLV-UNIQUE.der"
EF_SIZE = 2048  # bytes of content per created EF
EFS_PER_ELEMENT = 8  # EFs per genericFileManagement element (~16 kB elements)


def base_package(path: Path | None) -> tuple[bytes, str]:
    """The TS.48 package (or ``path``), else a built one, with a line saying which."""
    if path is not None:
        return path.read_bytes(), path.name
    if TS48.exists():
        return TS48.read_bytes(), TS48.name
    built = build_upp("89441234000000000999", "001010000000999", algorithm="milenage",
                      k=bytes(range(16)), opc=bytes(range(16, 32)))
    return built, f"built by euicc_tools.testkit.profile_builder ({TS48} is absent)"


def grown_package(base: bytes, size: int) -> bytes:
    """``base`` with genericFileManagement elements before its End element (the last
    element) until it has about ``size`` bytes: each makes a DF 5Fxx under the MF with up
    to EFS_PER_ELEMENT transparent EFs of EF_SIZE bytes of content."""
    elements = split(base)
    body, end = elements[:-1], elements[-1]
    added: list[bytes] = []
    number = 0
    while (missing := size - len(base) - sum(map(len, added))) > EF_SIZE // 2:
        dfid = 0x5F10 + number
        commands = [("filePath", b""),
                    ("createFCP", {"fileDescriptor": bytes.fromhex("7821"),
                                   "fileID": dfid.to_bytes(2, "big"),
                                   "securityAttributesReferenced": b"\x01",
                                   "pinStatusTemplateDO": bytes.fromhex("90017083010A")})]
        for ef in range(min(EFS_PER_ELEMENT, max(1, round(missing / (EF_SIZE + 20))))):
            content = bytes((number * 31 + ef + i) & 0xFF for i in range(EF_SIZE))
            commands += [("filePath", dfid.to_bytes(2, "big")),
                         ("createFCP", {"fileDescriptor": bytes.fromhex("4121"),
                                        "fileID": (0x4F00 + ef).to_bytes(2, "big"),
                                        "securityAttributesReferenced": b"\x01",
                                        "efFileSize": EF_SIZE.to_bytes(2, "big")}),
                         ("fillFileContent", content)]
        added.append(generic_file_management(0x4000 + number, [commands]))
        number += 1
    return b"".join([*body, *added, end])
