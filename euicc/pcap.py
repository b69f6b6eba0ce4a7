"""The binary formats of an APDU pcap file, declared field by field (construct): the pcap
file and record headers (libpcap format, LINKTYPE_IPV4 228), an IPv4 header (RFC 791, with
its header checksum) and UDP header (RFC 768) from 127.0.0.1 to 127.0.0.1:4729, and the
GSMTAP v2 header (osmocom gsmtap.h: GSMTAP_TYPE_SIM, sub-type APDU or ATR) that Wireshark
and tshark read as ISO 7816 / TS 102 221 traffic. What the fault plan injected into an
exchange goes in front of it as a GSMTAP_TYPE_OSMOCORE_LOG packet (the header libosmocore's
GSMTAP log target writes; Wireshark's ``gsmtap_log`` dissector shows its text as
``gsmtap_log.string``), so a trace shows what was real and what was injected.

Imported only by a card that writes a pcap file (``--pcap``).
"""

from __future__ import annotations

from construct import (
    Bytes,
    Checksum,
    Const,
    Default,
    Int8sb,
    Int8ub,
    Int16ub,
    Int16ul,
    Int32sl,
    Int32ub,
    Int32ul,
    PaddedString,
    RawCopy,
    Struct,
    this,
)

LINKTYPE_IPV4 = 228
GSMTAP_PORT = 4729
GSMTAP_TYPE_SIM = 0x04
GSMTAP_TYPE_OSMOCORE_LOG = 0x10
LOG_LEVEL_NOTICE = 5  # libosmocore LOGL_NOTICE
GSMTAP_SIM_APDU = 0x00
GSMTAP_SIM_ATR = 0x01
LOOPBACK = bytes([127, 0, 0, 1])
IPPROTO_UDP = 17

PcapFileHeader = Struct(
    "magic" / Const(0xA1B2C3D4, Int32ul),
    "version_major" / Const(2, Int16ul),
    "version_minor" / Const(4, Int16ul),
    "thiszone" / Const(0, Int32sl),
    "sigfigs" / Const(0, Int32ul),
    "snaplen" / Const(65535, Int32ul),
    "linktype" / Const(LINKTYPE_IPV4, Int32ul),
)

PcapRecord = Struct(
    "ts_sec" / Int32ul,
    "ts_usec" / Int32ul,
    "incl_len" / Int32ul,
    "orig_len" / Int32ul,
    "packet" / Bytes(this.incl_len),
)

GsmtapHeader = Struct(
    "version" / Const(2, Int8ub),
    "hdr_len" / Const(4, Int8ub),  # in 32-bit words
    "type" / Default(Int8ub, GSMTAP_TYPE_SIM),
    "timeslot" / Const(0, Int8ub),
    "arfcn" / Const(0, Int16ub),
    "signal_dbm" / Const(0, Int8sb),
    "snr_db" / Const(0, Int8sb),
    "frame_number" / Const(0, Int32ub),
    "sub_type" / Int8ub,
    "antenna_nr" / Const(0, Int8ub),
    "sub_slot" / Const(0, Int8ub),
    "res" / Const(0, Int8ub),
)

_Ipv4Fields = Struct(
    "version_ihl" / Const(0x45, Int8ub),  # IPv4, 5 words of header
    "tos" / Const(0, Int8ub),
    "total_length" / Int16ub,
    "identification" / Const(0, Int16ub),
    "flags_fragment" / Const(0, Int16ub),
    "ttl" / Const(64, Int8ub),
    "protocol" / Const(IPPROTO_UDP, Int8ub),
)

Ipv4Udp = Struct(
    "fields" / RawCopy(_Ipv4Fields),
    # over the whole header with the checksum field as zero: the fields, then the addresses
    "header_checksum" / Checksum(Int16ub, lambda fields: internet_checksum(
        fields + b"\x00\x00" + LOOPBACK + LOOPBACK), lambda this: this.fields.data),
    "source" / Const(LOOPBACK),
    "destination" / Const(LOOPBACK),
    "source_port" / Const(GSMTAP_PORT, Int16ub),
    "destination_port" / Const(GSMTAP_PORT, Int16ub),
    "udp_length" / Int16ub,
    "udp_checksum" / Const(0, Int16ub),  # none (RFC 768: optional over IPv4)
)


# libosmocore gsmtap.h struct gsmtap_osmocore_log_hdr (all fields in network order)
OsmocoreLogHeader = Struct(
    "ts_sec" / Int32ub,
    "ts_usec" / Int32ub,
    "proc_name" / PaddedString(16, "ascii"),
    "pid" / Int32ub,
    "level" / Int8ub,
    "pad" / Const(b"\x00" * 3),
    "subsys" / PaddedString(16, "ascii"),
    "src_file" / PaddedString(32, "ascii"),
    "src_line" / Int32ub,
)


def internet_checksum(header: bytes) -> int:
    """RFC 1071: one's complement of the one's complement sum of 16-bit words."""
    total = sum(int.from_bytes(header[i:i + 2], "big") for i in range(0, len(header), 2))
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return ~total & 0xFFFF


def gsmtap_packet(payload: bytes, sub_type: int = GSMTAP_SIM_APDU,
                  gsmtap_type: int = GSMTAP_TYPE_SIM) -> bytes:
    """IPv4 / UDP (127.0.0.1 -> 127.0.0.1:4729) / GSMTAP / payload."""
    gsmtap = GsmtapHeader.build({"sub_type": sub_type, "type": gsmtap_type}) + payload
    udp_length = 8 + len(gsmtap)
    return Ipv4Udp.build({"fields": {"value": {"total_length": 20 + udp_length}},
                          "udp_length": udp_length}) + gsmtap


def log_packet(timestamp: float, text: str, pid: int = 0) -> bytes:
    """A GSMTAP osmocore log packet carrying ``text`` (a mark of the fault plan)."""
    seconds = int(timestamp)
    header = OsmocoreLogHeader.build({
        "ts_sec": seconds, "ts_usec": int((timestamp - seconds) * 1e6),
        "proc_name": "euicc-emu", "pid": pid, "level": LOG_LEVEL_NOTICE,
        "subsys": "faults", "src_file": "euicc/faults", "src_line": 0})
    return gsmtap_packet(header + text.encode("utf-8", "replace") + b"\x00", 0,
                         GSMTAP_TYPE_OSMOCORE_LOG)


def record(timestamp: float, packet: bytes) -> bytes:
    seconds = int(timestamp)
    return PcapRecord.build({"ts_sec": seconds, "ts_usec": int((timestamp - seconds) * 1e6),
                             "incl_len": len(packet), "orig_len": len(packet),
                             "packet": packet})
