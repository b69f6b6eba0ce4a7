"""Card OS: SELECT by AID (exact, partial, occurrence), logical channels, GET RESPONSE
chaining, STATUS, TERMINAL CAPABILITY and the status words for what does not fit."""

import pytest

from euicc.apdu import CommandApdu, ResponseApdu
from euicc.applet import Applet
from euicc.card import DEFAULT_ATR, Card
from euicc.registry import Registry


class Echo(Applet):
    """Answers INS 01 with P1*256+P2 bytes of counting data, INS 02 with the channel."""

    def __init__(self, aid: bytes, multi=True):
        self.aid = aid
        self.multi_selectable = multi
        self.selected_on: list[int] = []

    def select(self, channel):
        self.selected_on.append(channel.number)
        return super().select(channel)

    def deselect(self, channel):
        self.selected_on.remove(channel.number)

    def process(self, apdu: CommandApdu, channel):
        if apdu.ins == 0x01:
            n = apdu.p1p2
            return ResponseApdu(bytes(i & 0xFF for i in range(n)))
        if apdu.ins == 0x02:
            return ResponseApdu(bytes([channel.number]))
        return ResponseApdu(sw=0x6D00)


A1 = bytes.fromhex("A000000559101001")
A2 = bytes.fromhex("A000000559101002")
B = bytes.fromhex("A0000000871002FF")


@pytest.fixture
def card():
    registry = Registry()
    for aid in (A1, A2, B):
        registry.install(Echo(aid))
    c = Card(registry)
    c.power_on()
    return c


def tx(card, hexstr):
    r = card.transmit(bytes.fromhex(hexstr.replace(" ", "")))
    return r[:-2].hex().upper(), r[-2:].hex().upper()


def select(aid, p2="00", cla="00"):
    return f"{cla}A404{p2}{len(aid):02X}{aid.hex()}"


def test_atr_offers_t0_and_checksum():
    atr = DEFAULT_ATR
    assert atr[0] == 0x3B and atr[3] & 0x0F == 0  # TD1 announces T=0
    x = 0
    for b in atr[1:]:
        x ^= b
    assert x == 0


def test_select_exact_without_le_chains_61xx(card):
    data, sw = tx(card, select(A1))
    assert data == "" and sw.startswith("61")
    fci, sw = tx(card, "00C00000" + sw[2:])
    assert sw == "9000" and fci.startswith("6F") and A1.hex().upper() in fci


def test_select_with_le_and_no_fci(card):
    data, sw = tx(card, select(A1) + "00")
    assert sw == "9000" and data.startswith("6F")
    assert tx(card, select(A1, "0C")) == ("", "9000")


def test_partial_select_occurrences(card):
    rid = A1[:7]
    assert tx(card, select(rid, "0C")) == ("", "9000")
    assert card.channels.get(0).applet.aid == A1
    assert tx(card, select(rid, "0E")) == ("", "9000")  # next
    assert card.channels.get(0).applet.aid == A2
    assert tx(card, select(rid, "0E"))[1] == "6A82"  # no more
    assert tx(card, select(rid, "0D")) == ("", "9000")  # last
    assert card.channels.get(0).applet.aid == A2


def test_select_unknown_and_bad(card):
    assert tx(card, select(bytes.fromhex("A0000000FF")))[1] == "6A82"
    assert tx(card, "00A40400" + "11" + "00" * 17)[1] == "6A80"
    assert tx(card, select(A1, "80"))[1] == "6A86"
    assert tx(card, "00A4000C023F00")[1] == "6A82"  # no file system yet


def test_logical_channels(card):
    data, sw = tx(card, "0070000001")
    assert (data, sw) == ("01", "9000")
    assert tx(card, select(A1, "0C", cla="01")) == ("", "9000")
    assert tx(card, "01020000") == ("", "6101")
    assert tx(card, "81C0000001") == ("01", "9000")
    # channel 0 and channel 1 hold separate selections
    assert tx(card, "00020000")[1] == "6D00"
    assert tx(card, "0070800100") == ("", "9000")
    assert tx(card, "01020000")[1] == "6881"
    assert tx(card, "0070800000")[1] == "6A86"  # basic channel cannot be closed


def test_channel_opened_from_nonbasic_inherits_selection(card):
    tx(card, "0070000001")
    tx(card, select(A1, "0C", cla="01"))
    data, _ = tx(card, "0170000001")
    assert data == "02"
    assert tx(card, "0202000001") == ("02", "9000")


def test_all_channels_and_further_interindustry(card):
    numbers = [int(tx(card, "0070000001")[0], 16) for _ in range(19)]
    assert numbers == list(range(1, 20))
    assert tx(card, "0070000001")[1] == "6A81"
    assert tx(card, select(B, "0C", cla="4F")) == ("", "9000")  # channel 19
    assert tx(card, "4F02000001") == ("13", "9000")
    assert tx(card, "CFC0000001")[1] == "6985"


def test_get_response_chaining_limits_to_256(card):
    tx(card, select(A1, "0C"))
    data, sw = tx(card, "00010258")  # 600 bytes, no Le
    assert (data, sw) == ("", "6100")
    got = b""
    while sw.startswith("61"):
        chunk, sw = tx(card, "80C00000" + sw[2:])
        assert len(chunk) // 2 <= 256
        got += bytes.fromhex(chunk)
    assert sw == "9000" and got == bytes(i & 0xFF for i in range(600))


def test_le_shorter_than_data(card):
    tx(card, select(A1, "0C"))
    data, sw = tx(card, "0001001410")
    assert len(data) == 32 and sw == "6104"
    assert tx(card, "00C0000004") == ("10111213", "9000")


def test_get_response_without_pending_and_after_other_command(card):
    tx(card, select(A1, "0C"))
    assert tx(card, "00C0000010")[1] == "6985"
    tx(card, "00010010")
    tx(card, "0002000001")  # any other command discards the pending response
    assert tx(card, "00C0000010")[1] == "6985"
    assert tx(card, "00C0010010")[1] == "6A86"


def test_status_terminal_capability_and_unknown(card):
    assert tx(card, "80F2000000")[1] == "6985"  # nothing selected
    tx(card, select(A1, "0C"))
    assert tx(card, "80F2000C") == ("", "9000")
    data, sw = tx(card, "80F2000100")
    assert data == "84" + f"{len(A1):02X}" + A1.hex().upper() and sw == "9000"
    assert tx(card, "80AA00000AA9088100820101830107") == ("", "9000")
    assert tx(card, "80AA00010AA9088100820101830107")[1] == "6A86"
    assert tx(card, "00AA00000AA9088100820101830107")[1] == "6E00"
    assert tx(card, "00700000")[1] == "6700"
    assert tx(card, "0C020000")[1] == "6882"
    assert tx(card, "10020000")[1] == "6884"


def test_nothing_selected(card):
    assert tx(card, "00B0000010")[1] == "6D00"


def test_reset_clears_channels(card):
    tx(card, "0070000001")
    card.warm_reset()
    assert tx(card, "01020000")[1] == "6881"
