"""The UICC with no profile enabled: an MF with nothing under it (TS 102 221 11.1.1), as SIM
tools probe an eUICC before any profile."""

from euicc.tlv import parse


def tx(card, hexstr):
    r = card.transmit(bytes.fromhex(hexstr))
    return r[:-2], r[-2:].hex().upper()


def test_mf_selected_at_reset_and_by_fid(card):
    fcp, sw = tx(card, "80F2000000")
    assert sw == "9000" and fcp[0] == 0x62
    fields = dict(parse(parse(fcp)[0][1]))
    assert fields[0x83] == b"\x3f\x00" and fields[0x82][0] == 0x78
    assert tx(card, "00A40004023F0000") == (fcp, "9000")
    assert tx(card, "00A4000C023F00") == (b"", "9000")
    assert tx(card, "00A40804")[1] == "61" + f"{len(fcp):02X}"


def test_files_below_mf_are_absent(card):
    assert tx(card, "00A40004022FE2")[1] == "6A82"
    assert tx(card, "00A40804047FFF6F07")[1] == "6A82"
    assert tx(card, "00A4030400")[1] == "6A82"
    assert tx(card, "00A4000403AABBCC")[1] == "6700"
    assert tx(card, "00A4050400")[1] == "6A86"
    assert tx(card, "00B0000010")[1] == "6986"
    assert tx(card, "00E0000000")[1] == "6D00"


def test_select_by_fid_after_an_application(card):
    assert tx(card, "00A4040C10A0000005591010FFFFFFFF8900000100")[1] == "9000"
    assert tx(card, "00A4000C023F00")[1] == "9000"
    assert tx(card, "80E2910006BF3E035C015A")[1] == "6D00"  # the MF has no STORE DATA
