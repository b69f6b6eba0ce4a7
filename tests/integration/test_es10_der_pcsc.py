"""pySim-shell's eUICCMemoryReset through the real stack (pyscard -> pcscd -> vpcd -> the
emulator process): it sends ResetOptions as '82 01 80', a BIT STRING without its
unused-bits octet (shared/docs/interop.md), one STORE DATA on the basic channel. Not DER
(ITU-T X.690 8.6.2.3): '6A80' as for any ES10 data that does not decode (SGP.22 5.7.2),
the installed profile stays; the DER form of the same options deletes it."""

from __future__ import annotations

from euicc.asn1 import decode_exact, rsp
from euicc.store import CardStore
from euicc_tools.lpa.download import download, https_es9
from euicc_tools.lpa.es10 import CardError, Es10Client
from euicc_tools.lpa.link import PcscLink
from euicc_tools.smdp.es9 import Smdp
from euicc_tools.smdp.server import serve
from euicc_tools.testkit.profile_builder import build_upp

ADDRESS = "smdp.test.example"
ISD_R_AID = bytes.fromhex("A0000005591010FFFFFFFF8900000100")


def pysim_store_data(link, data: bytes) -> tuple[bytes, int]:
    """STORE DATA as pySim-shell sends it: '80 E2 91 00 Lc data 00' on channel 0."""
    answer, sw = link.transmit(bytes([0x80, 0xE2, 0x91, 0x00, len(data)]) + data + b"\x00")
    while sw >> 8 == 0x61:
        more, sw = link.transmit(bytes([0x00, 0xC0, 0x00, 0x00, sw & 0xFF]))
        answer += more
    return answer, sw


def test_pysim_memory_reset_encoding_is_6a80_and_deletes_nothing(emulator, tmp_path):
    profiles = tmp_path / "profiles"
    profiles.mkdir()
    (profiles / "BUILT.der").write_bytes(build_upp(
        "89441234000000000557", "001010000000557", k=bytes(range(16)), opc=bytes(16)))
    smdp = Smdp(ADDRESS, emulator.state / "pki", profiles)
    httpd = serve(smdp, "127.0.0.1", 0, tls=True)
    try:
        link = PcscLink(emulator.reader)
        with Es10Client(link) as es10:
            assert download(es10, https_es9(f"127.0.0.1:{httpd.server_address[1]}"),
                            ADDRESS, "BUILT").ok
        link.close()
    finally:
        httpd.shutdown()

    link = PcscLink(emulator.reader)
    try:
        _, sw = link.transmit(bytes([0x00, 0xA4, 0x04, 0x00, len(ISD_R_AID)]) + ISD_R_AID)
        assert sw >> 8 in (0x61, 0x90)
        assert pysim_store_data(link, bytes.fromhex("BF34038201 80")) == (b"", 0x6A80)
        es10 = Es10Client(link, basic_channel=True)
        es10.open()
        _, infos = es10.call("ProfileInfoListRequest", {}, "ProfileInfoListResponse")
        assert [i["profileName"] for i in infos] == ["BUILT"]
        try:
            es10.store_data(bytes.fromhex("BF3403820180"))
        except CardError as refused:
            assert refused.sw == 0x6A80
        else:
            raise AssertionError("the malformed BIT STRING was accepted")
        answer, sw = pysim_store_data(link, bytes.fromhex("BF340482020780"))
        assert sw == 0x9000
        assert decode_exact(rsp(), "EuiccMemoryResetResponse", answer) == {"resetResult": 0}
    finally:
        link.close()
    emulator.stop()
    store = CardStore(emulator.state)
    assert store.profiles() == []
    store.close()
