"""Benchmark: the UICC side of an enabled profile through pcscd + vpcd, as a modem or a SIM
tool uses it (TS 102 221 SELECT / READ BINARY / READ RECORD, TS 31.102 AUTHENTICATE).

    python3 bench/uicc_roundtrip.py [-n 300] [--profile shared/profiles/X.der --k HEX]

Starts its own emulator (fresh state, slot 0) and the test SM-DP+, downloads and enables
the profile (default: one with MILENAGE keys built by euicc_tools.testkit.profile_builder), then
prints the median and 95th percentile round trip of each command as pyscard sees it.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

from euicc.ins import Ins
from euicc.sw import SW
from euicc.tlv import tlv
from euicc_applets.naa.authenticate import MilenageAka
from euicc_applets.naa.milenage import Milenage
from euicc_tools.lpa.download import download, https_es9
from euicc_tools.lpa.es10 import Es10Client
from euicc_tools.lpa.link import PcscLink
from euicc_tools.smdp.es9 import Smdp
from euicc_tools.smdp.server import serve
from euicc_tools.testkit.emulator_process import Emulator
from euicc_tools.testkit.profile_builder import USIM_AID, build_upp

ADDRESS = "bench.smdp.example"
K, OPC = bytes(range(16)), bytes(range(16, 32))


def send(link: PcscLink, apdu: bytes) -> tuple[bytes, int]:
    data, sw = link.transmit(apdu)
    while sw & 0xFF00 == SW.BYTES_REMAINING:
        more, sw = link.transmit(bytes([0, Ins.GET_RESPONSE, 0, 0, sw & 0xFF]))
        data += more
    return data, sw


def authenticate_apdu(algo: MilenageAka, sqn: int) -> bytes:
    rand = sqn.to_bytes(16, "big")
    sqn_bytes = sqn.to_bytes(6, "big")
    ak = algo.f2345(rand)[3]
    autn = bytes(a ^ b for a, b in zip(sqn_bytes, ak, strict=True)) + b"\x80\x00" + algo.f1(
        rand, sqn_bytes, b"\x80\x00")
    data = bytes([16]) + rand + bytes([len(autn)]) + autn
    return bytes([0x00, Ins.AUTHENTICATE, 0x00, 0x81, len(data)]) + data


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=300)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="euicc-bench-"))
    (work / "profiles").mkdir()
    (work / "profiles" / "BENCH.der").write_bytes(build_upp(
        "89441234000000000888", "001010000000888", algorithm="milenage", k=K, opc=OPC))
    emulator = Emulator(work / "card").start()
    try:
        smdp = Smdp(ADDRESS, emulator.state / "pki", work / "profiles")
        httpd = serve(smdp, "127.0.0.1", 0)
        link = PcscLink(emulator.reader)
        with Es10Client(link) as es10:
            result = download(es10, https_es9(f"127.0.0.1:{httpd.server_address[1]}"),
                              ADDRESS, "BENCH")
            assert result.ok, result.result
            aid = result.result["profileInstallationResultData"]["finalResult"][1]["aid"]
            es10.store_data(tlv(0xBF31, tlv(0xA0, tlv(0x4F, aid)) + tlv(0x81, b"\x00")))
        link.close()
        httpd.shutdown()
        link = PcscLink(emulator.reader, exclusive=False)
        algo = MilenageAka(Milenage(K, opc=OPC))
        select_usim = bytes([0, Ins.SELECT, 4, 4, len(USIM_AID)]) + USIM_AID
        sqn = iter(range(1 << 5, 1 << 40, 1 << 5))  # a fresh SEQ each time, IND 0
        commands = {
            "SELECT ADF.USIM by AID (FCP)": lambda: select_usim,
            "SELECT EF.IMSI (FCP)": lambda: bytes.fromhex("00A40004026F07"),
            "READ BINARY EF.IMSI": lambda: bytes.fromhex("00B0000009"),
            "READ RECORD EF.ECC 1 (by SFI)": lambda: bytes.fromhex("00B2010C04"),
            "AUTHENTICATE 3G (MILENAGE)": lambda: authenticate_apdu(algo, next(sqn)),
        }
        send(link, select_usim)
        print(f"{'command':34} {'median ms':>10} {'p95 ms':>8}")
        for name, make in commands.items():
            samples = []
            for _ in range(args.n):
                apdu = make()
                started = time.perf_counter()
                _, sw = send(link, apdu)
                samples.append((time.perf_counter() - started) * 1000)
                assert sw == SW.OK, f"{name}: {sw:04X}"
            samples.sort()
            p95 = samples[int(len(samples) * 0.95) - 1]
            print(f"{name:34} {statistics.median(samples):10.2f} {p95:8.2f}")
        link.close()
    finally:
        emulator.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
