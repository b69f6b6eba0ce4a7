"""What the integration tests do to the card through pcscd besides a download: as a SIM tool
(a command with GET RESPONSE for '61xx', ETSI TS 102 221 7.3.1.1.5; the USIM's AID from
EF.DIR, TS 102 221 13.1) and as an LPA (enable, disable or delete a profile, SGP.22
5.7.16-5.7.18), and which ISD-P holds a profile (from the card's state on disk)."""

from __future__ import annotations

from euicc.store import CardStore
from euicc.tlv import parse
from euicc_tools.lpa.es10 import Es10Client
from euicc_tools.lpa.link import PcscLink


def send(link: PcscLink, hexstr: str) -> tuple[bytes, int]:
    """One command as a SIM tool sends it: no Le, then GET RESPONSE for '61xx' on the
    same logical channel."""
    command = bytes.fromhex(hexstr)
    data, sw = link.transmit(command)
    while sw >> 8 == 0x61:
        more, sw = link.transmit(bytes([command[0] & 0x03, 0xC0, 0x00, 0x00, sw & 0xFF]))
        data += more
    return data, sw


def lv(data: bytes) -> str:
    return f"{len(data):02X}" + data.hex()


def profile_action(emulator, request: str, aid: bytes, refresh: bool = True) -> int:
    link = PcscLink(emulator.reader)
    try:
        with Es10Client(link) as es10:
            identifier = ("isdpAid", aid)
            if request == "Delete":
                return es10.call("DeleteProfileRequest", identifier,
                                 "DeleteProfileResponse")["deleteResult"]
            response = es10.call(f"{request}ProfileRequest", {
                "profileIdentifier": identifier, "refreshFlag": refresh},
                f"{request}ProfileResponse")
            return response[f"{request.lower()}Result"]
    finally:
        link.close()


def usim_aid_from_dir(link: PcscLink) -> bytes:
    fcp, sw = send(link, "00A40004022F00")
    assert sw == 0x9000
    record_length = int.from_bytes(dict(parse(parse(fcp)[0][1]))[0x82][2:4], "big")
    for number in range(1, 10):
        record, sw = send(link, f"00B2{number:02X}04{record_length:02X}")
        assert sw == 0x9000
        if record[0] == 0x61:
            aid = dict(parse(parse(record.rstrip(b"\xff"))[0][1]))[0x4F]
            if aid.startswith(bytes.fromhex("A0000000871002")):
                return aid
    raise AssertionError("no USIM in EF.DIR")


def installed_aid(emulator, iccid: bytes) -> bytes:
    store = CardStore(emulator.state, read_only=True)
    try:
        return store.profile_by_iccid(iccid).isdp_aid
    finally:
        store.close()
