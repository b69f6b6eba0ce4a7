"""The UICC file system engine's security (ETSI TS 102 221 9.3-9.5) driven with real APDU bytes on
the small hand-built profile of tests/support/fs_harness.py: VERIFY, CHANGE, DISABLE / ENABLE and
UNBLOCK PIN (11.1.9-11.1.13) with their counters, local and universal PINs, security environments;
access rules in compact, expanded and referenced (EF.ARR) formats (ISO/IEC 7816-4); DEACTIVATE /
ACTIVATE FILE (11.1.14, 11.1.15); GET CHALLENGE (ISO/IEC 7816-4 11.5.3) and the reset that clears
verification.
"""

from __future__ import annotations

import pytest

from euicc.apdu import CommandApdu
from euicc.channels import Channel
from euicc.fs.commands import FileCommands
from euicc.fs.model import File, FileType, LifeCycle
from euicc.fs.pins import PinTable
from euicc.fs.security import AccessMode, is_allowed
from euicc.tlv import tlv
from tests.support.fs_harness import USIM, Harness, fcp_fields, ref, verify


@pytest.fixture
def h() -> Harness:
    return Harness()


# -- PINs ------------------------------------------------------------------------------------
def test_verify_counts_down_blocks_and_unblock_with_puk(h):
    assert h.sw("00200001") == "63C3"
    for left in (2, 1, 0):
        assert h.sw(verify(0x01, "9999")) == f"63C{left}"
    assert h.sw(verify(0x01, "1234")) == "6983"
    assert h.sw("00200001") == "6983"
    assert h.pin(0x01).blocked and h.pin_changes.count(h.pin(0x01)) == 3
    assert h.sw("002C0001") == "63CA"  # PUK tries left
    assert h.sw("002C000110" + b"11111112".hex() + b"4321".ljust(8, b"\xff").hex()) == "63C9"
    assert h.sw("002C000110" + b"11111111".hex() + b"43".ljust(8, b"\xff").hex()) == "6A80"
    assert h.sw("002C000110" + b"11111111".hex() + b"4321".ljust(8, b"\xff").hex()) == "9000"
    assert h.puks[0x01].attempts_left == 10 and h.pin(0x01).attempts_left == 3
    assert h.sw("00200001") == "9000"  # verified by the unblocking
    h.engine.reset()
    assert h.sw("00200001") == "63C3"
    assert h.sw(verify(0x01, "1234")) == "63C2"
    assert h.sw(verify(0x01, "4321")) == "9000"
    assert h.pin(0x01).attempts_left == 3


def test_verify_errors(h):
    assert h.sw(verify(0x05, "1234")) == "6A88"
    assert h.sw("002000010931323334FFFFFFFFFF") == "6700"
    assert h.sw("0020010108" + b"1234".ljust(8, b"\xff").hex()) == "6A86"
    assert h.sw("00200081") == "6A88"  # the USIM's local PIN is not seen from the MF
    h.select_usim()
    assert h.sw("00200081") == "63C3"
    assert h.sw("002C0081") == "63CA"  # the local PIN's PUK '81'
    assert h.sw("002C000A") == "6A88"  # ADM has no PUK


def test_local_pin_belongs_to_its_application(h):
    h.select_usim()
    assert h.sw(verify(0x81, "5678")) == "9000"
    assert (0x81, USIM) in h.engine.verified
    other = File(0x7FE0, FileType.ADF, aid=bytes.fromhex("A0000000871004"),
                 pin_status=b"\x01\x81")
    h.tree.mf.add(other)
    assert h.engine.pins.find(0x81, other) is None  # no PIN 81 of its own
    assert h.engine.pins.find(0x81, h.tree.find(USIM + (0x6F07,))) is h.pin(0x81)


def test_change_pin(h):
    new = b"9876".ljust(8, b"\xff").hex()
    assert h.sw("0024000110" + b"1111".ljust(8, b"\xff").hex() + new) == "63C2"
    assert h.sw("0024000110" + b"1234".ljust(8, b"\xff").hex() + new) == "9000"
    assert h.pin(0x01).value == b"9876\xff\xff\xff\xff"
    assert h.sw(verify(0x01, "1234")) == "63C2"
    assert h.sw(verify(0x01, "9876")) == "9000"
    assert h.sw("0024000108" + new) == "6700"
    assert h.sw("002400" + "0A10" + b"88888888".hex() * 2) == "6985"  # ADM: not changeable


def test_disabled_pin_satisfies_access_conditions(h):
    h.select_usim()
    h.tx("00A4000C026F07")
    assert h.sw("00B0000009") == "6982"
    pin_value = b"1234".ljust(8, b"\xff").hex()
    assert h.sw("0026000108" + b"1111".ljust(8, b"\xff").hex()) == "63C2"
    assert h.sw("0026000108" + pin_value) == "9000"
    assert not h.pin(0x01).enabled and h.pin(0x01).attempts_left == 3
    h.engine.reset()
    assert h.tx("00B0000009")[1] == "9000"  # disabled PIN: condition fulfilled
    c6 = fcp_fields(h.tx("80F2000000")[0])[0xC6]
    assert c6[:3] == bytes.fromhex("900170")  # PIN 01 no longer enabled
    assert h.sw(verify(0x01, "1234")) == "6984"
    assert h.sw("0026000108" + pin_value) == "6985"  # already disabled
    assert h.sw("0028000108" + pin_value) == "9000"
    assert h.pin(0x01).enabled
    h.engine.reset()
    assert h.sw("00B0000009") == "6982"
    assert h.sw("0028000108" + pin_value) == "6985"  # already enabled
    assert h.sw("0026000A08" + b"88888888".hex()) == "6985"  # ADM cannot be disabled


def test_universal_pin_replaces_a_disabled_pin(h):
    h.select_usim()
    h.tx("00A4000C026F07")
    pin_value = b"1234".ljust(8, b"\xff").hex()
    assert h.sw("0026810108" + pin_value) == "6A86"  # only the universal PIN may replace
    assert h.sw("0026910108" + pin_value) == "9000"
    h.engine.reset()
    assert h.sw("00B0000009") == "6982"  # now the universal PIN is asked for
    c6 = fcp_fields(h.tx("80F2000000")[0])[0xC6]
    assert c6.endswith(bytes.fromhex("950108830111"))  # usage qualifier: use universal PIN
    # SE00 now applies to EF.SE (record 2 of DF.TELECOM's EF.ARR: read always)
    assert h.sw("00A4080C047F106F42") == "9000"
    assert h.sw("00B0000004") == "9000"
    h.select_usim()
    h.tx("00A4000C026F07")
    assert h.sw(verify(0x11, "0000")) == "9000"
    assert h.tx("00B0000009")[1] == "9000"
    assert h.sw("0028000108" + pin_value) == "9000"
    assert not h.engine.universal_for


def test_security_environment_record_follows_pin_state(h):
    h.tx("00A4080C047F106F42")
    assert h.sw("00B0000004") == "6982"  # SE01 -> record 1: read ADM
    h.engine.verified.add((0x0A, ()))
    assert h.sw("00B0000004") == "9000"


# -- access rule formats ---------------------------------------------------------------------
def test_compact_expanded_and_df_level_arr(h):
    h.tx("00A4080C047F106F40")  # compact: read always, update user authentication
    assert h.sw("00B0000004") == "9000"
    assert h.sw("00D6000001AA") == "6982"
    h.engine.verified.add((0x01, ()))
    assert h.sw("00D6000001AA") == "9000"
    h.tx("00A4000C026F41")  # expanded 'AB': update ADM
    assert h.sw("00B0000004") == "9000"
    assert h.sw("00D6000001AA") == "6982"
    h.tx("00A4000C026F3A")  # DF.TELECOM's own EF.ARR record 1: read ADM, update PIN1
    assert h.sw("00B2010406") == "6982"
    assert h.sw("00DC010406112233445566") == "9000"
    h.engine.verified.add((0x0A, ()))
    assert h.tx("00B2010406") == ("112233445566", "9000")


def test_arr_of_a_grandparent_and_and_template(h):
    h.select_usim()
    h.tx("00A4000C025F3B")
    h.tx("00A4000C024F20")  # EF.ARR 6F06 is found in the ADF, above DF.GSM-ACCESS
    assert h.sw("00B0000009") == "6982"
    h.engine.verified.add((0x01, ()))
    assert h.sw("00B0000009") == "9000"
    h.engine.reset()
    h.tx("00A4080C047FFF6F3C")  # update: ADM AND PIN1
    h.engine.verified.add((0x0A, ()))
    assert h.sw("00D6000001AA") == "6982"
    h.engine.verified.add((0x01, ()))
    assert h.sw("00D6000001AA") == "9000"


def test_unreadable_rules_deny_access(h):
    usim = h.tree.find(USIM)
    pins = PinTable(h.pins)
    missing_record = usim.add(File(0x6F50, FileType.TRANSPARENT, size=1,
                                   security=ref(0x6F06, 9)))
    missing_arr = usim.add(File(0x6F51, FileType.TRANSPARENT, size=1,
                                security=ref(0x6F0F, 1)))
    garbage = usim.add(File(0x6F52, FileType.TRANSPARENT, size=1,
                            security=tlv(0xAB, b"\x80\x05\x01")))
    everything = {(0x01, ()), (0x0A, ()), (0x81, USIM)}
    for file in (missing_record, missing_arr, garbage):
        assert not is_allowed(h.tree, file, AccessMode.READ, everything, pins)
    plain = usim.add(File(0x6F53, FileType.TRANSPARENT, size=1))
    assert is_allowed(h.tree, plain, AccessMode.UPDATE, set(), pins)


# -- life cycle --------------------------------------------------------------------------------
def test_deactivate_and_activate(h):
    assert h.sw("00040000022F05") == "6982"
    h.engine.verified.add((0x0A, ()))
    assert h.sw("00040000022F05") == "9000"
    assert h.tree.mf.child(0x2F05).lcsi == LifeCycle.DEACTIVATED and h.changed == ["EF.PL"]
    data, sw = h.tx("00A40004022F05")
    assert sw == "6283" and fcp_fields(data)[0x8A] == b"\x04"
    assert h.sw("00B0000004") == "6985"
    h.tx("00A4000C022FE2")
    assert h.sw("00040000") == "9000"  # the current EF
    assert h.sw("00B000000A") == "9000"  # EF.ICCID stays readable when deactivated
    assert h.sw("00440000022F05") == "9000"
    assert h.tx("00B0000004") == (b"enfr".hex().upper(), "9000")
    assert h.sw("00040100") == "6A86"


# -- GET CHALLENGE, reset ----------------------------------------------------------------------
def test_get_challenge(h):
    first, sw = h.tx("0084000008")
    assert sw == "9000" and len(first) == 16
    assert h.tx("0084000008")[0] != first
    assert len(h.tx("0084000000")[0]) == 16
    assert h.sw("0084010008") == "6A86"
    engine = FileCommands(h.tree, h.pins, random_bytes=lambda n: b"\x5a" * n)
    assert engine.process(CommandApdu.parse(bytes.fromhex("0084000004")), Channel(0)).data == (
        b"\x5a" * 4)


def test_reset_clears_verification(h):
    h.sw(verify(0x01, "1234"))
    assert h.engine.verified == {(0x01, ())}
    h.engine.reset()
    assert not h.engine.verified
    assert repr(h.pin(0x01)) == "PIN(01, 3/3)" and "1234" not in repr(h.pins)
