"""A personality's STORE DATA and response sizes (euicc_tools.personalities ``card:
max_store_data``, ``max_response``): parsed with errors naming file and line; a STORE DATA
block longer than the ISD-R takes is refused '6700' wrong length (GlobalPlatform Card
Specification 2.3 11.1.3, ISO/IEC 7816-4 5.6) with the ES10 command it began dropped, the
limit declared in the ISD-R's FCI '9F65' (GlobalPlatform 11.9.3.1); response data beyond
``max_response`` comes by '61xx' and GET RESPONSE in chunks of that size (ETSI TS 102 221
7.3.1.1.4, 10.2.1.1). Without the keys the card is as before. The project's LPA works
against such a card with ``--block-size`` (lpac's LPAC_CUSTOM_ES10X_MSS), and a capture
writes the sizes back."""

from __future__ import annotations

import pytest

from euicc.card import Card
from euicc.faults import ScenarioError
from euicc.registry import Registry
from euicc.sw import SW
from euicc.tlv import parse
from euicc_tools.emulator.card import open_card
from euicc_tools.lpa.es10 import CardError, Es10Client
from euicc_tools.lpa.link import DirectLink
from euicc_tools.personalities import load_personality
from euicc_tools.personalities.capture import capture, differences, replay
from euicc_tools.personalities.capture_toml import write
from tests.support.downloads import ADDRESS
from tests.support.lpa_runs import Es9Log, lpa

SMALL = '[personality]\nname = "small"\n[card]\nmax_store_data = 64\nmax_response = 100\n'
GET_PROFILES_INFO_TAGS = bytes.fromhex("BF2D") + bytes([2 + 100]) + bytes.fromhex("5C") \
    + bytes([100]) + bytes.fromhex("5A") * 100  # a tagList of 100 tags: 105 bytes


def personality_file(tmp_path, text: str, name: str = "chip.toml") -> str:
    path = tmp_path / name
    path.write_text(text)
    return str(path)


@pytest.fixture
def card_with(tmp_path, pki_dir):
    stores = []

    def make(text: str, state: str = "state"):
        personality = load_personality(personality_file(tmp_path, text, f"{state}.toml"))
        card, _, store = open_card(tmp_path / state, pki_dir, None, personality=personality)
        stores.append(store)
        card.power_on()
        return card

    yield make
    for store in stores:
        store.close()


def transmit(card, hex_apdu: str) -> tuple[bytes, int]:
    response = card.transmit(bytes.fromhex(hex_apdu))
    return response[:-2], int.from_bytes(response[-2:], "big")


def store_data(p1: int, p2: int, data: bytes) -> str:
    return f"80E2{p1:02X}{p2:02X}{len(data):02X}" + data.hex()


def select_isd_r(card) -> bytes:
    data, sw = transmit(card, "00A4040010A0000005591010FFFFFFFF8900000100")
    while sw >> 8 == 0x61:
        more, sw = transmit(card, f"00C00000{sw & 0xFF:02X}")
        data += more
    assert sw == SW.OK
    return data


def fci_max(fci: bytes) -> bytes:
    ((_, template),) = parse(fci)
    return dict(parse(dict(parse(template))[0xA5]))[0x9F65]


def test_the_keys_load(tmp_path):
    small = load_personality(personality_file(tmp_path, SMALL))
    assert (small.max_store_data, small.max_response) == (64, 100)
    generic = load_personality("generic")
    assert (generic.max_store_data, generic.max_response) == (None, 256)


@pytest.mark.parametrize("line, says", [
    ("max_store_data = 5", "card: max_store_data: 5: a number, 6 .. 65535"),
    ("max_store_data = 65536", "card: max_store_data: 65536: a number, 6 .. 65535"),
    ('max_store_data = "64"', "card: max_store_data: '64': a number"),
    ("max_store_data = true", "card: max_store_data: True: a number"),
    ("max_response = 15", "card: max_response: 15: a number, 16 .. 256"),
    ("max_response = 257", "card: max_response: 257: a number, 16 .. 256"),
])
def test_errors_name_file_and_line(tmp_path, line, says):
    path = personality_file(tmp_path, f'[personality]\nname = "x"\n[card]\n\n{line}\n')
    with pytest.raises(ScenarioError, match=f"chip.toml:5: {says}"):
        load_personality(path)


def test_a_longer_store_data_block_is_wrong_length_and_drops_the_command(card_with):
    """GlobalPlatform 2.3 11.1.3 / ISO/IEC 7816-4 5.6: '6700'; the next block of the
    dropped command finds no command begun (P2 not the expected block, '6A86')."""
    card = card_with(SMALL)
    assert fci_max(select_isd_r(card)) == b"\x40"
    command = GET_PROFILES_INFO_TAGS
    assert transmit(card, store_data(0x11, 0, command[:65])) == (b"", SW.WRONG_LENGTH)
    assert transmit(card, store_data(0x91, 1, command[65:])) == (b"", SW.INCORRECT_P1P2)
    # the same command in 64-byte blocks is taken
    assert transmit(card, store_data(0x11, 0, command[:64])) == (b"", SW.OK)
    _, sw = transmit(card, store_data(0x91, 1, command[64:]))
    assert sw >> 8 == 0x61


def test_without_a_limit_the_card_takes_any_block(card_with):
    card = card_with('[personality]\nname = "plain"\n')
    assert fci_max(select_isd_r(card)) == b"\xff"
    _, sw = transmit(card, store_data(0x91, 0, GET_PROFILES_INFO_TAGS))
    assert sw >> 8 == 0x61


def chunks_of(card, command: bytes) -> list[tuple[int, int]]:
    """(data length, SW) of every R-APDU of one ES10 command, GET RESPONSE asked with
    Le '00' (256) each time: what the card sends whatever Le asks."""
    data, sw = transmit(card, store_data(0x91, 0, command))
    seen = [(len(data), sw)]
    while sw >> 8 == 0x61:
        data, sw = transmit(card, "80C0000000")
        seen.append((len(data), sw))
    return seen


def test_a_long_response_is_chained_at_max_response(card_with):
    """TS 102 221 7.3.1.1.4: '61xx' announces the next chunk (at most max_response), and a
    GET RESPONSE asking 256 gets max_response bytes."""
    small = card_with(SMALL)
    select_isd_r(small)
    seen = chunks_of(small, bytes.fromhex("BF2200"))  # EUICCInfo2, over 100 bytes
    total = sum(length for length, _ in seen)
    assert total > 100
    assert seen[0] == (0, 0x6164)
    assert all(length == 100 and sw == 0x6100 | min(100, total - 100 * (n + 1))
               for n, (length, sw) in enumerate(seen[1:-1]))
    assert seen[-1][1] == SW.OK and 0 < seen[-1][0] <= 100
    plain = card_with('[personality]\nname = "plain"\n', "plain")
    select_isd_r(plain)
    assert chunks_of(plain, bytes.fromhex("BF2200")) == [(0, 0x6100 | total), (total, SW.OK)]


def test_case_4_with_le_longer_than_max_response(card_with):
    """A command whose Le asks more than the chip sends (SELECT with Le '00'): the first
    max_response bytes and '61xx' for the rest, then GET RESPONSE."""
    card = card_with('[personality]\nname = "tiny"\n[card]\nmax_response = 16\n')
    data, sw = transmit(card, "00A4040010A0000005591010FFFFFFFF890000010000")
    assert len(data) == 16 and sw >> 8 == 0x61
    rest, last = transmit(card, f"00C00000{sw & 0xFF:02X}")
    assert len(rest) == sw & 0xFF and last == SW.OK
    assert fci_max(data + rest) == b"\xff"
    with pytest.raises(ValueError, match="1 .. 256"):
        Card(Registry(), max_response=257)


def test_the_lpa_needs_a_smaller_block_size(card_with, smdp, tmp_path, pki_dir):
    """euicc-lpa's default 120-byte blocks (lpac's) are refused by a card taking 64; with
    --block-size 64 (LPAC_CUSTOM_ES10X_MSS=64 for lpac) info, a download and list work."""
    card = card_with(SMALL)
    es9 = Es9Log(smdp)
    refused = lpa(card, es9, "download", "--smdp", ADDRESS, "--matching-id", "TINY")
    assert refused.status == 1 and "6700" in refused.answer["error"]
    assert lpa(card, es9, "--block-size", "64", "info").status == 0
    done = lpa(card, es9, "--block-size", "64", "download", "--smdp", ADDRESS,
               "--matching-id", "TINY")
    assert done.status == 0, done.answer
    assert all(len(apdu) <= 5 + 64 for apdu in done.apdus)
    (row,) = lpa(card, es9, "--block-size", "64", "list").answer["data"]
    assert row["name"] == "TINY"


def test_es10_client_reports_the_refused_block(card_with):
    client = Es10Client(DirectLink(card_with(SMALL)))
    client.open()
    with pytest.raises(CardError, match="STORE DATA block 0: SW 6700"):
        client.store_data(GET_PROFILES_INFO_TAGS)


def test_capture_writes_the_sizes_back(card_with, tmp_path):
    card = card_with(SMALL)
    first = capture(DirectLink(card), card.power_on())
    assert (first.max_store_data, first.max_response) == (64, 100)
    path = tmp_path / "files" / "again.toml"
    path.parent.mkdir()
    rendered, mismatches = write(first, path)
    assert mismatches == []
    again = load_personality(str(path))
    assert (again.max_store_data, again.max_response) == (64, 100)
    assert "'9F65' = 64" in rendered.text and "chunks of 100 bytes" in rendered.text
    assert "no longer one is tried" in rendered.text
    assert differences(first, replay(path)) == []


def test_capture_says_when_the_response_size_is_not_seen(card_with, tmp_path):
    card = card_with('[personality]\nname = "plain"\n')
    first = capture(DirectLink(card), card.power_on())
    assert first.max_store_data == 255 and first.max_response is None
    path = tmp_path / "plain-again.toml"
    rendered, _ = write(first, path)
    assert "max_store_data" not in rendered.text.split("[card]")[1].split("[factory]")[0]
    assert "Response size: not observable" in rendered.text


def test_personality_show_prints_the_sizes(tmp_path, capsys):
    from euicc_tools.emulator.cli import main

    assert main(["personality", "show", personality_file(tmp_path, SMALL)]) == 0
    out = capsys.readouterr().out
    assert "STORE DATA   64 bytes per block" in out and "response     100 bytes" in out
    assert main(["personality", "show", "generic"]) == 0
    assert "STORE DATA   any bytes per block" in capsys.readouterr().out
