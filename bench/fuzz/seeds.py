"""Seed corpus of each fuzz target: valid inputs to mutate from, made from the project's own
generated card (its downloads' APDUs, its bound package, the built profile package) and,
when the machine has them, ../shared/vectors (a recorded osmo-smdpp download) and the
TS.48 test profiles in ../shared/profiles.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from euicc.asn1 import Asn1Error, decode_exact, encode, pe, rsp
from euicc.coding import encode_iccid
from euicc.ins import Ins
from euicc.tlv import read_header, split
from euicc_applets.naa.milenage import Milenage
from euicc_tools.lpa.download import bpp_pieces
from euicc_tools.testkit.apdu_corpus import SEEDS as APDU_SEEDS
from euicc_tools.testkit.shared_material import SHARED, shared_files

from . import targets as t
from .state import ENABLED_ICCID, ISD_R_AID, OPC, K, built_package

USIM_AID = bytes.fromhex("A0000000871002FFFFFFFF8907090000")


def _vectors() -> list[dict]:
    return [json.loads(p.read_text()) for p in shared_files("vectors/*download*[0-9].json")]


def _packages() -> list[bytes]:
    return [built_package()] + [p.read_bytes() for p in shared_files(
        "profiles/*.der", "profiles/ts48v5/*.der")]


def _h(text: str) -> bytes:
    return bytes.fromhex(text)


# -- card-level inputs --------------------------------------------------------------------
def _authenticate() -> bytes:
    """A fresh AUTHENTICATE (3G context) for the enabled profile's MILENAGE keys
    (TS 31.102 7.1.2, TS 33.102 6.3.2: AUTN = SQN xor AK || AMF || MAC)."""
    algo, rand, amf = Milenage(K, opc=OPC), bytes(range(0xA0, 0xB0)), b"\x80\x00"
    sqn = (0x40).to_bytes(6, "big")
    ak = algo.f2345(rand)[3]
    autn = bytes(a ^ b for a, b in zip(sqn, ak, strict=True)) + amf + algo.f1(rand, sqn, amf)[0]
    data = bytes([16]) + rand + bytes([16]) + autn
    return bytes([0x00, Ins.AUTHENTICATE, 0x00, 0x81, len(data)]) + data


def uicc_sequences() -> list[list[bytes]]:
    select_usim = bytes([0x00, Ins.SELECT, 0x04, 0x04, 16]) + USIM_AID
    mf = _h("00A40004023F00")
    return [
        [mf, _h("00A40004022FE2"), _h("00B000000A")],
        [mf, _h("00A40004022F00"), _h("00B2010400"), _h("00B2020400")],
        [select_usim, _h("00A40004026F07"), _h("00B0000009")],
        [select_usim, _h("00A40004026FAD"), _h("00D6000001FF"), _h("00B0000000")],
        [select_usim, _authenticate(), _h("00C0000035")],
        [select_usim, _h("002000010831323334FFFFFFFF"), _h("00A40004026F07")],
        [select_usim, _h("00A40004025FC0"), _h("00A40004024F07"), _h("00B0000000")],
        [select_usim, _h("80780000"), _h("80CB00000200")],
        [_h("801000000AFFFFFFFF7F0000000000"), _h("8012000000")],
        [_h("0070000001"), bytes([0x01, Ins.SELECT, 0x04, 0x04, 16]) + USIM_AID,
         _h("01F2000000")],
        [mf, _h("00CB00000A5C03DFFF0000")],
        [_h("80F2000C00"), _h("80AA000006A9048102FFFF")],
    ]


def es10_commands() -> list[bytes]:
    """Complete ES10 requests: the generated card's own downloads and some commands of
    every other function, then the recorded osmo-smdpp session's."""
    state = t.card_state()
    requests, buffer = [], b""
    for apdu in state.apdus:
        if len(apdu) > 5 and apdu[1] == Ins.STORE_DATA:
            buffer = (b"" if apdu[3] == 0 else buffer) + apdu[5:5 + apdu[4]]
            if apdu[2] == 0x91 and buffer[:2] != b"\xbf\x36":
                requests.append(buffer)
    iccid = encode_iccid(ENABLED_ICCID)
    spec = rsp()
    built = [
        encode(spec, "ProfileInfoListRequest", {"searchCriteria": ("iccid", iccid),
                                                "tagList": _h("5A4F9F709192")}),
        encode(spec, "EnableProfileRequest", {"profileIdentifier": ("iccid", iccid),
                                              "refreshFlag": True}),
        encode(spec, "DisableProfileRequest", {"profileIdentifier": ("iccid", iccid),
                                               "refreshFlag": False}),
        encode(spec, "DeleteProfileRequest", ("iccid", iccid)),
        encode(spec, "SetNicknameRequest", {"iccid": iccid, "profileNickname": "fuzz"}),
        encode(spec, "EuiccMemoryResetRequest", {"resetOptions": (b"\xe0", 3)}),
        encode(spec, "ListNotificationRequest", {"profileMgmtOperation": (b"\x80", 4)}),
        encode(spec, "RetrieveNotificationsListRequest", {"searchCriteria": ("seqNumber", 1)}),
        encode(spec, "NotificationSentRequest", {"seqNumber": 1}),
        encode(spec, "CancelSessionRequest", {"transactionId": bytes(16), "reason": 0}),
        encode(spec, "SetDefaultDpAddressRequest", {"defaultDpAddress": "smdp.example"}),
        encode(spec, "GetEuiccDataRequest", {"tagList": b"\x5a"}),
    ]
    recorded = []
    for vector in _vectors():
        recorded += [_h(vector["step2_es10b_authenticateServer"][
            "authenticateServerRequest_der_BF38_as_LPA_sends_to_eUICC"]),
            _h(vector["step3_es10b_prepareDownload"][
                "prepareDownloadRequest_der_BF21_as_LPA_sends_to_eUICC"])]
    from_corpus = [a[5:5 + a[4]] for a in APDU_SEEDS if len(a) > 5 and a[1] == Ins.STORE_DATA]
    return requests + built + recorded + from_corpus


def _store_data(command: bytes, block: int = 120) -> list[bytes]:
    chunks = [command[i:i + block] for i in range(0, len(command), block)] or [b""]
    return [bytes([0x80, Ins.STORE_DATA, 0x91 if n == len(chunks) - 1 else 0x11, n, len(c)]) + c
            for n, c in enumerate(chunks)]


def transmit_seeds() -> list[bytes]:
    select_isd_r = bytes([0x00, Ins.SELECT, 0x04, 0x00, 16]) + ISD_R_AID
    sequences = [[apdu] for apdu in APDU_SEEDS] + uicc_sequences()
    sequences += [[select_isd_r, *_store_data(c)] for c in es10_commands()]
    apdus = t.card_state().apdus
    sequences += [apdus[i:i + t.MAX_APDUS] for i in range(0, len(apdus), t.MAX_APDUS)]
    return [t.join_apdus(s[:t.MAX_APDUS]) for s in sequences]


def apdu_seeds() -> list[bytes]:
    extended = [_h("00B0000000010000"), _h("80E2910000000301020300"),
                _h("00B00000000000"), _h("80E29100000003010203")]
    return list(APDU_SEEDS) + extended + t.card_state().apdus[:200]


def es10_seeds() -> list[bytes]:
    functions = t.es10_functions(t.card_state())
    index = {f.tag: n for n, f in enumerate(functions)}
    seeds = []
    for command in es10_commands():
        try:
            head = read_header(command)
        except ValueError:
            continue
        if head.tag in index:
            seeds.append(bytes([index[head.tag]]) + command[head.header_length:])
    seeds += [bytes([n]) for n in range(len(functions))]  # every function, empty request
    return seeds


# -- packages ------------------------------------------------------------------------------
def _cut_positions(pieces: list[bytes]) -> list[int]:
    positions, offset = [], 0
    for piece in pieces[:-1]:
        offset += len(piece)
        positions.append(offset)
    return positions


def bpp_seeds() -> list[bytes]:
    packages = [t.card_state().bpp]
    packages += [_h(v["step3_es9p_getBoundProfilePackage_response"]["boundProfilePackage_der"])
                 for v in _vectors()]
    seeds = []
    for bpp in packages:
        positions = _cut_positions(bpp_pieces(bpp))
        seeds += [t.with_cuts(bpp, []), t.with_cuts(bpp, positions[:7]),
                  t.with_cuts(bpp, positions[-7:]), t.with_cuts(bpp, [1, 2, 3, 5, 8, 13, 21])]
    return seeds


def ppi_seeds() -> list[bytes]:
    _, kinds = t.ppi_contexts()
    seeds = []
    for package in _packages():
        for element in split(package):
            kind = decode_exact(pe(), "ProfileElement", element)[0]
            if kind == "end":
                continue
            position = kinds.index(kind) if kind in kinds else kinds.index("end")
            seeds.append(bytes([position]) + element)
    return seeds


def fcp_seeds() -> list[bytes]:
    """The File of every template file a package carries, behind that file's index."""
    files = t.template_files()
    index = {(tpl.oid, ft.pe_name): n for n, (tpl, ft) in enumerate(files)}
    seeds = []
    for package in _packages():
        for element in split(package):
            _, value = decode_exact(pe(), "ProfileElement", element)
            oid = value.get("templateID") if isinstance(value, dict) else None
            for name, commands in (value.items() if oid else ()):
                if (oid, name) not in index or not isinstance(commands, list):
                    continue
                try:
                    der = encode(pe(), "File", commands)
                except Asn1Error:
                    continue
                seeds.append(index[(oid, name)].to_bytes(2, "big") + der)
    return seeds


def vpcd_seeds() -> list[bytes]:
    def frame(payload: bytes) -> bytes:
        return len(payload).to_bytes(2, "big") + payload

    seeds = [frame(b"\x04"), frame(b"\x01") + frame(b"\x04"), frame(b"\x02"), frame(b"\x00"),
             frame(b"")]
    for apdu in APDU_SEEDS:
        seeds.append(frame(b"\x04") + frame(apdu) + frame(b"\x02") + frame(apdu))
    for sequence in uicc_sequences():
        seeds.append(b"".join(frame(a) for a in sequence))
    return seeds


SEEDERS = {"apdu": apdu_seeds, "transmit": transmit_seeds, "es10": es10_seeds,
           "bpp": bpp_seeds, "ppi": ppi_seeds, "fcp": fcp_seeds, "vpcd": vpcd_seeds}


def write_corpus(target: str, directory: Path) -> int:
    """Write the target's seeds into ``directory`` (named by content); returns how many."""
    directory.mkdir(parents=True, exist_ok=True)
    seeds = {hashlib.sha1(s).hexdigest(): s for s in SEEDERS[target]()}
    for name, seed in seeds.items():
        (directory / name).write_bytes(seed)
    return len(seeds)


__all__ = ["SEEDERS", "SHARED", "write_corpus"]
