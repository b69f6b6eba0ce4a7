"""Trace names of APDU exchanges (euicc.card observers): a command is named only while an
observer listens, and every STORE DATA block of an ES10 command (GlobalPlatform 11.11,
SGP.22 5.7.2) or of a LoadBoundProfilePackage piece (5.7.6) carries its function's name."""

from __future__ import annotations

from euicc.apdu import CommandApdu, ResponseApdu
from euicc.applet import Applet
from euicc.card import Card
from euicc.registry import Registry
from euicc.tlv import tlv

AID = bytes.fromhex("A000000559101001")
ISD_R_AID = bytes.fromhex("A0000005591010FFFFFFFF8900000100")


class Counting(Applet):
    """Answers every command 9000 and counts how often the card asks for a name."""

    aid = AID

    def __init__(self) -> None:
        self.named = 0

    def process(self, apdu: CommandApdu, channel) -> ResponseApdu:
        return ResponseApdu()

    def command_name(self, apdu: CommandApdu, channel) -> str | None:
        self.named += 1
        return "COUNTED"


def test_commands_are_named_only_while_someone_observes():
    applet = Counting()
    registry = Registry()
    registry.install(applet)
    card = Card(registry)
    card.power_on()
    select = bytes([0x00, 0xA4, 0x04, 0x0C, len(AID)]) + AID  # no FCI wanted
    assert card.transmit(select) == b"\x90\x00"
    for _ in range(5):
        assert card.transmit(bytes.fromhex("8001000000")) == b"\x90\x00"
    assert applet.named == 0
    seen = []
    card.observers.append(seen.append)
    card.transmit(bytes.fromhex("8001000000"))
    assert applet.named == 1
    assert [e.name for e in seen] == ["COUNTED"]


def store_data_blocks(channel: int, command: bytes, size: int = 120) -> list[bytes]:
    blocks = [command[i:i + size] for i in range(0, len(command), size)]
    return [bytes([0x80 | channel, 0xE2, 0x91 if n == len(blocks) - 1 else 0x11, n,
                   len(b)]) + b for n, b in enumerate(blocks)]


def test_every_block_carries_its_es10_function(card):
    seen = []
    card.observers.append(seen.append)
    card.transmit(bytes([0x00, 0xA4, 0x04, 0x00, len(ISD_R_AID)]) + ISD_R_AID)
    # GetProfilesInfo with a search criterion long enough for three blocks (a 300-byte ICCID
    # filter is refused, but only after the last block)
    command = tlv(0xBF2D, tlv(0xA0, tlv(0x5A, bytes(300))))
    for block in store_data_blocks(0, command):
        card.transmit(block)
    names = [e.name for e in seen[1:]]
    assert names == ["STORE DATA ES10c.GetProfilesInfo"] * 3
    seen.clear()
    bpp_start = tlv(0xBF36, bytes(10))[:6]
    card.transmit(store_data_blocks(0, bpp_start)[0])
    assert seen[0].name == "STORE DATA ES10b.LoadBoundProfilePackage"
    seen.clear()
    card.transmit(store_data_blocks(0, tlv(0xA0, b""))[0])
    assert seen[0].name == "STORE DATA"
