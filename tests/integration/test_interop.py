"""The exact APDU sequences of lpac and pySim-shell (shared/docs/interop.md) through
pcscd + vpcd, and state that survives an emulator restart."""

from __future__ import annotations

from euicc.asn1 import decode_exact, rsp
from euicc.store import CardStore, ProfileClass, ProfileRecord, ProfileState
from euicc_tools.lpa.es10 import Es10Client
from euicc_tools.lpa.link import PcscLink
from euicc_tools.testkit.emulator_process import Emulator
from tests.support.profile_metadata import iccid_bytes, metadata_der

ISD_R = bytes.fromhex("A0000005591010FFFFFFFF8900000100")


def seed_profiles(state, count: int, **kwargs) -> list[ProfileRecord]:
    store = CardStore(state)
    records = []
    for n in range(count):
        iccid = f"89440000000000{n:05d}"
        record = ProfileRecord(
            isdp_aid=bytes.fromhex(f"A0000005591010FFFFFFFF890000{0x10 + n:02X}00"),
            iccid=iccid_bytes(iccid), state=ProfileState.ENABLED if n == 0 else
            ProfileState.DISABLED, profile_class=ProfileClass.OPERATIONAL,
            metadata=metadata_der(iccid, name=f"Profile {n}", **kwargs))
        store.add_profile(record)
        records.append(record)
    store.close()
    return records


def lpac_command(link: PcscLink, channel: int, command: bytes) -> bytes:
    """One ES10 command as lpac sends it: 120-byte blocks, GET RESPONSE 8<ch> C0."""
    out = b""
    blocks = [command[i:i + 120] for i in range(0, len(command), 120)]
    for n, block in enumerate(blocks):
        last = n == len(blocks) - 1
        data, sw = link.transmit(bytes([0x80 | channel, 0xE2, 0x91 if last else 0x11, n,
                                        len(block)]) + block)
        assert len(data) <= 256
        while sw >> 8 == 0x61:
            out += data
            data, sw = link.transmit(bytes([0x80 | channel, 0xC0, 0, 0, sw & 0xFF]))
            assert len(data) <= 256
        out += data
        assert sw >> 8 == 0x90, f"{sw:04X}"
        if not last:
            assert data == b""
    return out


def lpac_open(link: PcscLink) -> int:
    link.transmit(bytes.fromhex("80AA00000AA9088100820101830107"))
    data, sw = link.transmit(bytes.fromhex("0070000001"))
    assert sw == 0x9000 and len(data) == 1
    channel = data[0]
    _, sw = link.transmit(bytes([channel, 0xA4, 0x04, 0x00, 0x10]) + ISD_R)
    assert sw >> 8 in (0x90, 0x61)
    return channel


def lpac_close(link: PcscLink, channel: int) -> None:
    _, sw = link.transmit(bytes([0x00, 0x70, 0x80, channel, 0x00]))
    assert sw == 0x9000


def test_lpac_chip_info(emulator, link):
    channel = lpac_open(link)
    assert channel == 1
    spec = rsp()
    eid = decode_exact(spec, "GetEuiccDataResponse",
                       lpac_command(link, channel, bytes.fromhex("BF3E035C015A")))
    assert len(eid["eidValue"]) == 16
    addresses = decode_exact(spec, "EuiccConfiguredAddressesResponse",
                             lpac_command(link, channel, bytes.fromhex("BF3C00")))
    assert addresses["rootDsAddress"]
    rat = decode_exact(spec, "GetRatResponse", lpac_command(link, channel, bytes.fromhex("BF4300")))
    assert rat["rat"]
    info2 = decode_exact(spec, "EUICCInfo2", lpac_command(link, channel, bytes.fromhex("BF2200")))
    assert info2["euiccCiPKIdListForSigning"]
    lpac_close(link, channel)


def test_lpac_profile_list_long_response_and_persistence(pcscd, tmp_path):
    state = tmp_path / "card"
    seed_profiles(state, 8, icon=bytes(200), notify={1: "smdp.example.com"})
    emulator = Emulator(state).start()
    try:
        link = PcscLink(emulator.reader)
        channel = lpac_open(link)
        raw = lpac_command(link, channel, bytes.fromhex("BF2D00"))
        assert len(raw) > 256  # needed GET RESPONSE chaining
        kind, infos = decode_exact(rsp(), "ProfileInfoListResponse", raw)
        assert kind == "profileInfoListOk" and len(infos) == 8
        assert infos[0]["profileState"] == 1 and infos[3]["profileName"] == "Profile 3"
        enable = bytes.fromhex("BF3111A00C5A0A") + iccid_bytes("8944000000000000003") + (
            bytes.fromhex("810100"))
        result = decode_exact(rsp(), "EnableProfileResponse", lpac_command(link, channel, enable))
        assert result == {"enableResult": 0}
        nickname = bytes.fromhex("BF29125A0A") + iccid_bytes("8944000000000000003") + (
            bytes.fromhex("9004776F726B"))
        decode_exact(rsp(), "SetNicknameResponse", lpac_command(link, channel, nickname))
        lpac_command(link, channel, bytes.fromhex("BF3F128010736D64702E6578616D706C652E6E6574"))
        lpac_close(link, channel)
        link.close()

        emulator.restart()
        link = PcscLink(emulator.reader)
        with Es10Client(link) as es10:
            _, infos = es10.call("ProfileInfoListRequest", {}, "ProfileInfoListResponse")
            states = {i["profileName"]: i["profileState"] for i in infos}
            assert states["Profile 3"] == 1 and states["Profile 0"] == 0
            assert next(i for i in infos if i["profileName"] == "Profile 3")[
                "profileNickname"] == "work"
            addresses = es10.call("EuiccConfiguredAddressesRequest", {},
                                  "EuiccConfiguredAddressesResponse")
            assert addresses["defaultDpAddress"] == "smdp.example.net"
            _, notes = es10.call("ListNotificationRequest", {}, "ListNotificationResponse")
            assert [n["seqNumber"] for n in notes] == [1]
            raw = es10.store_data(bytes.fromhex("BF3404820205E0"))  # lpac chip purge
            assert decode_exact(rsp(), "EuiccMemoryResetResponse", raw) == {"resetResult": 0}
            _, infos = es10.call("ProfileInfoListRequest", {}, "ProfileInfoListResponse")
            assert infos == []
        link.close()
    finally:
        emulator.stop()


def test_pysim_shell_sequence_on_basic_channel(emulator, link):
    # pySim-shell probes the MF first, then selects the ISD-R with P2=04 and Le
    data, sw = link.transmit(bytes.fromhex("00A40004023F00"))
    assert sw >> 8 in (0x90, 0x61)
    data, sw = link.transmit(bytes.fromhex("00A40404") + b"\x10" + ISD_R + b"\x00")
    assert sw == 0x9000 and data[0] == 0x6F
    for command in ("BF3E035C015A", "BF2000", "BF2200", "BF2D00", "BF3C00", "BF2800",
                    "BF2E00"):
        raw = bytes.fromhex(command)
        data, sw = link.transmit(bytes([0x80, 0xE2, 0x91, 0x00, len(raw)]) + raw + b"\x00")
        out = data
        while sw >> 8 == 0x61:
            data, sw = link.transmit(bytes([0x80, 0xC0, 0, 0, sw & 0xFF]))
            out += data
        assert sw == 0x9000 and out[:2] == raw[:2], command
