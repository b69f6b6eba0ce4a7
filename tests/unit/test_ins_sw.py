"""euicc.ins and euicc.sw: one table each of the instruction bytes (ETSI TS 102 221 10.1.2,
TS 102 222, GlobalPlatform, TS 31.102, TS 102 223) and the status words (TS 102 221 10.2.1,
TS 31.102 7.3) the card and its tools use."""

from __future__ import annotations

import pytest

from euicc.ins import Ins
from euicc.sw import SW


@pytest.mark.parametrize(("value", "label"), [
    (0xA4, "SELECT"), (0xB0, "READ BINARY"), (0x2C, "UNBLOCK PIN"), (0xCB, "RETRIEVE DATA"),
    (0x88, "AUTHENTICATE"), (0x89, "AUTHENTICATE"), (0x78, "GET IDENTITY"),
    (0xE2, "STORE DATA"), (0x12, "FETCH"), (0x14, "TERMINAL RESPONSE"),
    (0xAA, "TERMINAL CAPABILITY"), (0xC0, "GET RESPONSE"), (0xF2, "STATUS"),
])
def test_instruction_labels(value, label):
    assert Ins(value).label == label


def test_get_status_is_the_status_instruction():
    assert Ins.GET_STATUS is Ins.STATUS


@pytest.mark.parametrize(("sw", "value"), [
    (SW.OK, 0x9000), (SW.SELECTED_FILE_INVALIDATED, 0x6283), (SW.MORE_DATA_AVAILABLE, 0x62F1),
    (SW.VERIFICATION_FAILED, 0x63C0), (SW.MORE_DATA_EXPECTED, 0x63F1),
    (SW.MAX_VALUE_REACHED, 0x9850), (SW.AUTH_INCORRECT_MAC, 0x9862),
    (SW.SECURITY_CONTEXT_NOT_SUPPORTED, 0x9864), (SW.FILE_NOT_FOUND, 0x6A82),
])
def test_status_words(sw, value):
    assert sw == value


def test_no_status_word_has_two_names():
    assert len({int(sw) for sw in SW}) == len(SW.__members__)
