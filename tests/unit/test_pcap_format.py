"""The pcap formats of euicc.pcap, checked against independent byte layouts: libpcap file
and record headers, IPv4 (RFC 791, checksum per RFC 1071 so the header sums to FFFF), UDP
(RFC 768) to port 4729 and the GSMTAP v2 header (osmocom gsmtap.h, type SIM). construct,
which declares them, is loaded only by a card that writes a pcap file."""

from __future__ import annotations

import struct
import subprocess
import sys
from pathlib import Path

from euicc import pcap


def test_file_and_record_headers():
    assert pcap.PcapFileHeader.build({}) == struct.pack(
        "<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 228)
    assert pcap.record(12.25, b"ab") == struct.pack("<IIII", 12, 250000, 2, 2) + b"ab"


def test_gsmtap_packet_layout():
    payload = bytes.fromhex("00A4040000") + b"\x90\x00"
    packet = pcap.gsmtap_packet(payload, pcap.GSMTAP_SIM_ATR)
    ip, udp, gsmtap = packet[:20], packet[20:28], packet[28:44]
    assert ip[0] == 0x45 and struct.unpack("!H", ip[2:4])[0] == len(packet)
    assert ip[9] == 17 and ip[12:16] == ip[16:20] == bytes([127, 0, 0, 1])
    words = sum(struct.unpack("!10H", ip))
    assert (words & 0xFFFF) + (words >> 16) == 0xFFFF  # a valid header checksum
    assert struct.unpack("!HHHH", udp) == (4729, 4729, 8 + 16 + len(payload), 0)
    assert gsmtap[:4] == bytes([2, 4, 4, 0]) and gsmtap[12] == pcap.GSMTAP_SIM_ATR
    assert packet[44:] == payload


def test_card_without_pcap_does_not_load_construct():
    """The run path (the emulator's cli and card assembly) leaves construct out; the trace
    that writes a pcap file loads it."""
    script = "\n".join([
        "import sys, tempfile",
        "from pathlib import Path",
        "import euicc_tools.emulator.cli, euicc_tools.emulator.card",
        "from euicc.asn1 import pe, rsp",
        "rsp(); pe()",
        "print('construct' in sys.modules)",
        "from euicc.trace import PcapTrace",
        "PcapTrace(Path(tempfile.mkdtemp()) / 't.pcap').close()",
        "print('construct' in sys.modules)",
    ])
    out = subprocess.run([sys.executable, "-c", script], check=True, capture_output=True,
                         text=True, cwd=Path(__file__).resolve().parents[2]).stdout.split()
    assert out == ["False", "True"]
