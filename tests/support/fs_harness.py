"""The small hand-built profile the UICC file system engine tests (test_fs_files.py,
test_fs_security.py) drive with real APDU bytes (ETSI TS 102 221 11.1, 11.3, 9.2-9.5): MF with
EF.ICCID / EF.DIR / EF.ARR / EF.PL, DF.TELECOM with its own EF.ARR and compact / expanded /
SE-referenced attributes (ISO/IEC 7816-4 expanded format access rules), ADF.USIM with EF.IMSI,
a linear fixed, a cyclic and a BER-TLV EF and a DF below it; PINs 01 (global), 81 (local to
the USIM), 11 (universal), ADM 0A, and their PUKs. Harness sends APDUs on logical channels.
"""

from __future__ import annotations

import dataclasses

from euicc.apdu import CommandApdu, ResponseApdu
from euicc.channels import Channel
from euicc.fs.commands import FileCommands
from euicc.fs.fcp import (
    TAG_DESCRIPTOR,
    TAG_DF_NAME,
    TAG_FCP,
    TAG_FID,
    TAG_FILE_SIZE,
    TAG_LCSI,
    TAG_PIN_STATUS,
    TAG_PROPRIETARY,
    TAG_SFI,
    TAG_TOTAL_SIZE,
)
from euicc.fs.model import (
    EF_DESCRIPTORS,
    MF_FID,
    SHAREABLE,
    File,
    FileDescriptor,
    FileTree,
    FileType,
    LifeCycle,
    Pin,
)
from euicc.fs.security import SECURITY_TAGS
from euicc.sw import SwError
from euicc.tlv import parse, tlv

USIM_AID = bytes.fromhex("A0000000871002FF49FF0589")
USIM = (0x3F00, 0x7FD0)
IMSI = bytes.fromhex("080910101032547698")

# Access rules (ISO/IEC 7816-4 expanded format): AM DO '80' or '84' (INS), then SC DOs.
ADM, PIN1, PIN81 = "A40683010A950108", "A406830101950108", "A406830181950108"
MF_ARR = [
    "800101900080011A" + ADM,  # 1 DFs: delete child always, (de)activate ADM
    "8001019000" "80011A" + ADM,  # 2 read always, update/(de)activate ADM
    "8001019000" "8001029700" "800118" + ADM,  # 3 read always, update never
    "8001019000" "800102" + PIN1 + "800118" + ADM,  # 4 read always, update PIN1
]
TELECOM_ARR = [
    "800101" + ADM + "800102" + PIN1,  # 1 read ADM, update PIN1
    "8001019000" "800102" + ADM,  # 2 read always, update ADM
]
USIM_ARR = [
    "800101" + PIN1 + "800102" + PIN81 + "840132" + PIN1 + "800118" + ADM,  # 1
    "800101" + PIN1 + "80011A" + ADM,  # 2 read PIN1, update ADM
    "8001019000" "800102A010" + PIN1 + PIN81,  # 3 update: PIN1 OR PIN81
    "8001019000" "800102AF10" + ADM + PIN1,  # 4 update: ADM AND PIN1
    "8001039000",  # 5 read and update always
]


def records(rules: list[str], length: int) -> bytearray:
    return bytearray(b"".join(bytes.fromhex(r).ljust(length, b"\xff") for r in rules))


def ref(fid: int, record: int) -> bytes:
    return tlv(0x8B, fid.to_bytes(2, "big") + bytes([record]))


def build_tree() -> FileTree:
    mf = File(0x3F00, FileType.MF, name="MF", pin_status=b"\x01\x0a", security=ref(0x2F06, 1))
    mf.add(File(0x2FE2, FileType.TRANSPARENT, "EF.ICCID", sfi=0x02, size=10,
                security=ref(0x2F06, 3), proprietary=tlv(0xC0, b"\x40") + tlv(0x84, b"\x01"),
                body=bytearray.fromhex("98944499999999090F7F")))
    app = bytes.fromhex("61144F0C") + USIM_AID + b"\x50\x04USIM"
    mf.add(File(0x2F00, FileType.LINEAR_FIXED, "EF.DIR", sfi=0x1E, size=0x40,
                record_length=0x20, security=ref(0x2F06, 2),
                body=bytearray(app.ljust(0x20, b"\xff") + b"\xff" * 0x20)))
    mf.add(File(0x2F06, FileType.LINEAR_FIXED, "EF.ARR", sfi=0x06, size=4 * 0x30,
                record_length=0x30, security=ref(0x2F06, 2), body=records(MF_ARR, 0x30)))
    mf.add(File(0x2F05, FileType.TRANSPARENT, "EF.PL", sfi=0x05, size=4,
                security=ref(0x2F06, 4), body=bytearray(b"enfr")))

    telecom = mf.add(File(0x7F10, FileType.DF, "DF.TELECOM", pin_status=b"\x01\x0a",
                          security=ref(0x2F06, 1)))
    telecom.add(File(0x6F06, FileType.LINEAR_FIXED, "EF.ARR", size=2 * 0x20,
                     record_length=0x20, security=ref(0x6F06, 2),
                     body=records(TELECOM_ARR, 0x20)))
    telecom.add(File(0x6F3A, FileType.LINEAR_FIXED, "EF.ADN", size=12, record_length=6,
                     security=ref(0x6F06, 1), body=bytearray(b"\xff" * 12)))
    # compact: AM '03' (update, read); SC for update '10' (user auth), for read '00'
    telecom.add(File(0x6F40, FileType.TRANSPARENT, "EF.CMP", size=4,
                     security=tlv(0x8C, b"\x03\x10\x00"), body=bytearray(4)))
    telecom.add(File(0x6F41, FileType.TRANSPARENT, "EF.EXP", size=4,
                     security=tlv(0xAB, bytes.fromhex("8001019000800102" + ADM)),
                     body=bytearray(4)))
    # referenced with SE IDs: SE01 -> record 1 (read ADM), SE00 -> record 2 (read always)
    telecom.add(File(0x6F42, FileType.TRANSPARENT, "EF.SE", size=4,
                     security=tlv(0x8B, bytes.fromhex("6F06" "0101" "0002")), body=bytearray(4)))

    usim = mf.add(File(0x7FD0, FileType.ADF, "ADF.USIM", aid=USIM_AID,
                       pin_status=b"\x01\x81\x0a\x11", security=ref(0x2F06, 1)))
    usim.add(File(0x6F06, FileType.LINEAR_FIXED, "EF.ARR", sfi=0x17, size=5 * 0x30,
                  record_length=0x30, security=ref(0x6F06, 5), body=records(USIM_ARR, 0x30)))
    usim.add(File(0x6F07, FileType.TRANSPARENT, "EF.IMSI", sfi=0x07, size=9,
                  security=ref(0x6F06, 2), body=bytearray(IMSI)))
    usim.add(File(0x6F3B, FileType.LINEAR_FIXED, "EF.LF", sfi=0x1A, size=12, record_length=4,
                  security=ref(0x6F06, 3), body=bytearray.fromhex("01AABBCC0211223303AA0000")))
    usim.add(File(0x6F39, FileType.CYCLIC, "EF.CY", size=9, record_length=3,
                  security=ref(0x6F06, 1), body=bytearray.fromhex("000010000005000001")))
    usim.add(File(0x6F3C, FileType.TRANSPARENT, "EF.AND", size=2, security=ref(0x6F06, 4),
                  body=bytearray(2)))
    usim.add(File(0x6F99, FileType.BER_TLV, "EF.BT", size=64, security=ref(0x6F06, 5),
                  body=bytearray(tlv(0x80, b"\x01\x02") + tlv(0xA1, tlv(0x81, b"x")))))
    gsm = usim.add(File(0x5F3B, FileType.DF, "DF.GSM-ACCESS", security=ref(0x6F06, 2)))
    gsm.add(File(0x4F20, FileType.TRANSPARENT, "EF.KC", size=9, security=ref(0x6F06, 2),
                 body=bytearray(b"\x07" * 9)))
    return FileTree(mf)


def build_pins() -> tuple[list[Pin], dict[int, Pin]]:
    def digits(text: str) -> bytes:
        return text.encode().ljust(8, b"\xff")

    pins = [
        Pin(0x01, digits("1234"), 3, 3, unblock_ref=0x01),
        Pin(0x81, digits("5678"), 3, 3, unblock_ref=0x81, scope=USIM),
        Pin(0x11, digits("0000"), 3, 3, unblock_ref=0x01, can_disable=False),
        Pin(0x0A, b"88888888", 10, 10, can_disable=False, can_change=False),
    ]
    puks = {0x01: Pin(0x01, b"11111111", 10, 10, puk=True),
            0x81: Pin(0x81, b"22222222", 10, 10, puk=True)}
    return pins, puks


class Harness:
    def __init__(self) -> None:
        self.tree = build_tree()
        self.changed: list[str] = []
        self.tree.on_change = lambda f: self.changed.append(f.label)
        self.pins, self.puks = build_pins()
        self.pin_changes: list[Pin] = []
        self.engine = FileCommands(self.tree, self.pins, self.puks, self.pin_changes.append)
        self.channels = {0: Channel(0), 1: Channel(1)}

    def tx(self, hexstr: str, channel: int = 0) -> tuple[str, str]:
        try:
            apdu = CommandApdu.parse(bytes.fromhex(hexstr.replace(" ", "")))
            response = self.engine.process(apdu, self.channels[channel])
        except SwError as err:
            response = ResponseApdu(sw=err.sw)
        return response.data.hex().upper(), f"{response.sw:04X}"

    def sw(self, hexstr: str, channel: int = 0) -> str:
        return self.tx(hexstr, channel)[1]

    def pin(self, key_ref: int) -> Pin:
        return next(p for p in self.pins if p.key_ref == key_ref)

    def select_usim(self, channel: int = 0) -> None:
        assert self.sw("00A4040C0C" + USIM_AID.hex(), channel) == "9000"


def verify(key_ref: int, value: str) -> str:
    return f"002000{key_ref:02X}08" + value.encode().ljust(8, b"\xff").hex()


def fcp_fields(data: str) -> dict[int, bytes]:
    (tag, value), = parse(bytes.fromhex(data))
    assert tag == 0x62
    return dict(parse(value))


# -- an independent FCP reader, for checking what encode_fcp writes ---------------------
TAG_SEQUENCE = 0x30  # a DER-encoded SAIP Fcp
_STRUCTURE_TYPES = {code: kind for kind, code in EF_DESCRIPTORS.items()}


def fcp_items(data: bytes) -> list[tuple[int, bytes]]:
    """The data objects of an FCP, given as a '62' template, a DER SAIP Fcp ('30') or the
    bare concatenated data objects. Raises ValueError on malformed TLV."""
    items = parse(data)
    if len(items) == 1 and items[0][0] in (TAG_FCP, TAG_SEQUENCE):
        items = parse(items[0][1])
    return items


def _df_kind(fid: int | None, aid: bytes | None) -> FileType:
    if fid == MF_FID:
        return FileType.MF
    return FileType.ADF if aid else FileType.DF


def _decode_descriptor(value: bytes) -> tuple[FileType | None, bool, int, int | None]:
    """(EF type, or None for a DF; shareable; record length; number of records or None)."""
    if not value:
        raise ValueError("empty file descriptor")
    fdb = value[0]
    shareable = bool(fdb & SHAREABLE)
    record_length = int.from_bytes(value[2:4], "big") if len(value) >= 4 else 0
    count = value[4] if len(value) >= 5 else None
    if fdb & 0x3F == FileDescriptor.BER_TLV:
        return FileType.BER_TLV, shareable, 0, None
    if (fdb >> 3) & 0x07 == 0x07:
        return None, shareable, 0, None
    kind = _STRUCTURE_TYPES.get(fdb & 0x07)
    if kind is None:
        raise ValueError(f"unsupported file descriptor byte {fdb:02X}")
    return kind, shareable, record_length, count


def _apply(file: File, items: list[tuple[int, bytes]], default_sfi: bool) -> File:
    tags = {tag for tag, _ in items}
    values = dict(items)
    if TAG_FID in values:
        file.fid = int.from_bytes(values[TAG_FID], "big")
    if TAG_DF_NAME in values:
        file.aid = values[TAG_DF_NAME]
    if TAG_DESCRIPTOR in values:
        kind, file.shareable, record_length, count = _decode_descriptor(values[TAG_DESCRIPTOR])
        if kind is None:
            if not file.type.is_df:
                file.type = _df_kind(file.fid, file.aid)
        else:
            file.type = kind
            file.record_length = record_length if kind.is_record else 0
            if kind.is_record and count is not None and TAG_FILE_SIZE not in values:
                file.size = record_length * count
    if TAG_LCSI in values and values[TAG_LCSI]:
        file.lcsi = values[TAG_LCSI][0]
    if tags & set(SECURITY_TAGS):
        file.security = b"".join(tlv(t, v) for t, v in items if t in SECURITY_TAGS)
    if TAG_FILE_SIZE in values:
        file.size = int.from_bytes(values[TAG_FILE_SIZE], "big")
    if TAG_TOTAL_SIZE in values:
        file.total_size = int.from_bytes(values[TAG_TOTAL_SIZE], "big")
    if TAG_PIN_STATUS in values:
        file.pin_status = values[TAG_PIN_STATUS]
    if TAG_PROPRIETARY in values:
        file.proprietary = values[TAG_PROPRIETARY]
    if TAG_SFI in values:
        sfi = values[TAG_SFI]
        file.sfi = sfi[0] >> 3 if sfi and sfi[0] >> 3 else None
    elif default_sfi and not file.type.is_df and file.fid is not None:
        # 11.1.1.4.8: without '88' the SFI is bits b5-b1 of the file identifier
        file.sfi = (file.fid & 0x1F) or None
    if file.type.is_df:
        file.sfi = None
    return file


def decode_fcp(data: bytes) -> File:
    """A File (no body, no children) from an FCP or SAIP Fcp. Without a file descriptor
    the file must be the MF ('83' 3F00) or an ADF ('84' present). Raises ValueError."""
    items = fcp_items(data)
    values = dict(items)
    fid = int.from_bytes(values[TAG_FID], "big") if TAG_FID in values else None
    aid = values.get(TAG_DF_NAME)
    if TAG_DESCRIPTOR not in values and fid != MF_FID and not aid:
        raise ValueError("FCP without a file descriptor, and neither the MF nor an ADF")
    file = File(fid=fid, type=_df_kind(fid, aid), lcsi=LifeCycle.ACTIVATED)
    return _apply(file, items, default_sfi=True)


def merge_fcp(base: File, fcp_bytes: bytes) -> File:
    """A new File: ``base`` (e.g. a SAIP template file) with the tags present in
    ``fcp_bytes`` overriding its fields; tags absent keep the base value (an absent '88'
    keeps the base SFI). The copy has no parent and no children; its body is a copy."""
    file = dataclasses.replace(base, children=[], parent=None, body=bytearray(base.body))
    return _apply(file, fcp_items(fcp_bytes), default_sfi=False)
