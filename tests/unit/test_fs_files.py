"""The UICC file system engine's files (ETSI TS 102 221 11.1, 9.2-9.3) driven with real APDU bytes
on the small hand-built profile of tests/support/fs_harness.py: FCPs (11.1.1.3) encoded, decoded and
merged over SAIP templates, SELECT / STATUS (11.1.1, 11.1.2) with logical channels, READ / UPDATE
BINARY (11.1.3, 11.1.4), READ / UPDATE RECORD, SEARCH RECORD, INCREASE (11.1.5-11.1.8), RETRIEVE /
SET DATA on a BER-TLV EF (11.3.1, 11.3.2), the engine behind the card OS, and the FCPs and EF.ARR
access rules of real GSMA TS.48 packages.
"""

from __future__ import annotations

import pytest

from euicc.card import Card, FileSystem
from euicc.fs.commands import FileCommands
from euicc.fs.fcp import encode_fcp
from euicc.fs.model import (
    File,
    FileType,
    LifeCycle,
    decode_descriptor_byte,
    descriptor_byte,
)
from euicc.fs.pins import PinTable
from euicc.fs.security import AccessMode, is_allowed
from euicc.registry import Registry
from euicc.tlv import tlv
from tests.support.fs_harness import (
    IMSI,
    USIM,
    USIM_AID,
    Harness,
    decode_fcp,
    fcp_fields,
    merge_fcp,
    ref,
    verify,
)


@pytest.fixture
def h() -> Harness:
    return Harness()


# -- FCP -----------------------------------------------------------------------------------
@pytest.mark.parametrize(("kind", "shareable", "byte"), [
    (FileType.TRANSPARENT, True, 0x41), (FileType.LINEAR_FIXED, True, 0x42),
    (FileType.CYCLIC, False, 0x06), (FileType.BER_TLV, True, 0x79),
    (FileType.MF, True, 0x78), (FileType.DF, False, 0x38), (FileType.ADF, True, 0x78),
])
def test_file_descriptor_byte_table_11_5(kind, shareable, byte):
    assert descriptor_byte(kind, shareable) == byte
    assert decode_descriptor_byte(byte) == (None if kind.is_df else kind, shareable)


def test_file_descriptor_byte_internal_ef_and_unknown_codes():
    assert decode_descriptor_byte(0x09) == (FileType.TRANSPARENT, False)  # internal EF
    for byte in (0x03, 0x10, 0x3A, 0x3E, 0x00):  # no structure, type '010', '111' + structure
        with pytest.raises(ValueError):
            decode_descriptor_byte(byte)


def test_fcp_of_efs_and_dfs(h):
    usim = h.tree.find(USIM)
    lf, cy, bt = usim.child(0x6F3B), usim.child(0x6F39), usim.child(0x6F99)
    fields = fcp_fields(encode_fcp(lf).hex())
    assert fields[0x82] == bytes.fromhex("4221000403")  # linear fixed, 4-byte records, 3
    assert fields[0x83] == b"\x6f\x3b" and fields[0x8A] == b"\x05"
    assert fields[0x8B] == bytes.fromhex("6F0603") and fields[0x80] == b"\x00\x0c"
    assert fields[0x88] == bytes([0x1A << 3])
    assert fcp_fields(encode_fcp(cy).hex())[0x82] == bytes.fromhex("4621000303")
    assert fcp_fields(encode_fcp(cy).hex())[0x88] == b""  # no SFI: empty '88'
    assert fcp_fields(encode_fcp(bt).hex())[0x82] == bytes.fromhex("7921")
    mf = fcp_fields(encode_fcp(h.tree.mf).hex())
    assert mf[0x82] == bytes.fromhex("7821") and mf[0xA5] == bytes.fromhex("800171")
    assert 0x80 not in mf and 0x81 in mf
    adf = fcp_fields(encode_fcp(usim, PinTable(h.pins)).hex())
    assert adf[0x84] == USIM_AID
    # PS_DO: 01, 81, 0A, 11 all enabled; the universal PIN with usage qualifier '00'
    assert adf[0xC6] == bytes.fromhex("9001F0" "830101" "830181" "83010A" "950100830111")


def test_saip_one_byte_arr_reference_is_expanded(h):
    usim = h.tree.find(USIM)
    ef = usim.add(File(0x6F46, FileType.TRANSPARENT, size=1, security=tlv(0x8B, b"\x02")))
    under_mf = h.tree.mf.add(File(0x2F08, FileType.TRANSPARENT, size=1,
                                  security=tlv(0x8B, b"\x02")))
    assert fcp_fields(encode_fcp(ef).hex())[0x8B] == bytes.fromhex("6F0602")
    assert fcp_fields(encode_fcp(under_mf).hex())[0x8B] == bytes.fromhex("2F0602")
    # and the rule it names is the one applied: record 2 of the ADF's EF.ARR, read PIN1
    assert not is_allowed(h.tree, ef, AccessMode.READ, set(), PinTable(h.pins))
    assert is_allowed(h.tree, ef, AccessMode.READ, {(0x01, ())}, PinTable(h.pins))


def test_decode_fcp_round_trip_and_saip_fcp(h):
    lf = h.tree.find(USIM + (0x6F3B,))
    back = decode_fcp(encode_fcp(lf))
    assert (back.type, back.fid, back.record_length, back.size, back.sfi, back.lcsi) == (
        FileType.LINEAR_FIXED, 0x6F3B, 4, 12, 0x1A, LifeCycle.ACTIVATED)
    assert back.security == ref(0x6F06, 3) and not back.body
    # A DER SAIP Fcp (TS48 EF.DIR): descriptor without record count, size gives 4 records,
    # no '88': SFI from the FID (2F00 -> none), proprietary kept as given
    saip = bytes.fromhex("301A" "820442210021" "83022F00" "8B032F0602" "800184"
                         "A506C00140840101")
    ef_dir = decode_fcp(saip)
    assert (ef_dir.type, ef_dir.record_length, ef_dir.record_count) == (
        FileType.LINEAR_FIXED, 0x21, 4)
    assert ef_dir.sfi is None and ef_dir.proprietary == bytes.fromhex("C00140840101")
    assert decode_fcp(bytes.fromhex("82024121" "83026F07")).sfi == 0x07
    mf = decode_fcp(bytes.fromhex("83023F00" "C602010A" "8B0101"))
    assert mf.type == FileType.MF and mf.pin_status == b"\x01\x0a"
    adf = decode_fcp(bytes.fromhex("83027FD08407A0000000871002"))
    assert adf.type == FileType.ADF and adf.aid == bytes.fromhex("A0000000871002")
    with pytest.raises(ValueError):
        decode_fcp(bytes.fromhex("83026F07"))


def test_merge_fcp_overrides_only_given_tags():
    template = File(0x6F46, FileType.TRANSPARENT, "EF.SPN", sfi=0x0E, size=17,
                    security=tlv(0x8B, b"\x07"), proprietary=bytes.fromhex("C00100"))
    merged = merge_fcp(template, bytes.fromhex("3003" "800120"))
    assert (merged.size, merged.sfi, merged.security, merged.type) == (
        32, 0x0E, tlv(0x8B, b"\x07"), FileType.TRANSPARENT)
    assert merged is not template and template.size == 17
    assert merge_fcp(template, bytes.fromhex("8800")).sfi is None
    assert merge_fcp(template, bytes.fromhex("880140")).sfi == 8
    records_ = merge_fcp(template, bytes.fromhex("8205422100100380013000"[:-2]))
    assert (records_.type, records_.record_length, records_.size) == (
        FileType.LINEAR_FIXED, 0x10, 0x30)
    secured = merge_fcp(template, bytes.fromhex("8C020100"))
    assert secured.security == bytes.fromhex("8C020100")


def test_a_file_made_from_a_spec_keeps_each_attribute_where_it_belongs():
    """build_file passes File's fields by position (the interpreter makes hundreds): each
    attribute of a spec with a distinct value in every field lands in its own field, and a
    record EF's body is its records filled per the pattern (TS 102 222 6.3.2.2.2)."""
    from euicc.ppi.files import FileSpec, build_file

    spec = FileSpec(fid=0x6F3B, type=FileType.LINEAR_FIXED, name="EF.FDN", sfi=0x05,
                    record_length=4, record_count=3, shareable=False, lcsi=0x0C,
                    security=tlv(0x8B, b"\x6f\x06\x03"), pin_status=b"\x90\x01\x81",
                    special_info=b"\x80", fill=b"\x01\x02", repeat=True)
    f = build_file(spec)
    assert (f.fid, f.type, f.name, f.aid, f.sfi, f.size, f.record_length, f.shareable,
            f.lcsi, f.security, f.pin_status, f.proprietary, f.total_size, bytes(f.body),
            f.children, f.parent) == (
        0x6F3B, FileType.LINEAR_FIXED, "EF.FDN", None, 0x05, 12, 4, False, 0x0C,
        bytes.fromhex("8B036F0603"), b"\x90\x01\x81", bytes.fromhex("C00180"), None,
        bytes.fromhex("01020102") * 3, [], None)
    adf = build_file(FileSpec(fid=0x7FF0, type=FileType.ADF, aid=USIM_AID, sfi=-1))
    assert (adf.aid, adf.sfi, adf.size, bytes(adf.body)) == (USIM_AID, None, 0, b"")

# -- SELECT / STATUS -----------------------------------------------------------------------
def test_select_by_fid_children_parent_and_siblings(h):
    data, sw = h.tx("00A40004022FE200")
    assert sw == "9000" and fcp_fields(data)[0x83] == b"\x2f\xe2"
    assert h.tx("00A4000C027F10") == ("", "9000")
    assert h.sw("00A4000C026F3A") == "9000"
    assert h.sw("00A4000C026F40") == "9000"  # an EF selected: its DF stays current
    assert h.sw("00A4000C027F10") == "9000"  # the current DF itself
    assert h.sw("00A4000C022FE2") == "6A82"  # an EF of the parent is not reachable
    assert h.sw("00A4000C023F00") == "9000"
    assert h.sw("00A4000C027FD0") == "6A82"  # an ADF has no FID for SELECT
    assert h.sw("00A4000C027FFF") == "6A82"  # no current application yet
    assert h.sw("00A4000C03AABBCC") == "6700"
    assert h.sw("00A40001023F00") == "6A86"
    assert h.sw("00A4050C00") == "6A86"


def test_select_by_aid_path_and_parent(h):
    assert h.sw("00A4040C07A0000000871002") == "9000"  # partial DF name
    data, sw = h.tx("00A40404" + "0C" + USIM_AID.hex())
    assert sw == "9000" and fcp_fields(data)[0x84] == USIM_AID
    assert h.sw("00A4040C05A000000099") == "6A82"
    assert h.sw("00A4000C026F07") == "9000"
    assert h.sw("00A4000C025F3B") == "9000"  # from EF.IMSI: a child DF of the ADF
    assert h.sw("00A4000C024F20") == "9000"
    assert h.sw("00A4000C027FFF") == "9000"
    assert h.sw("00A4010C026F07") == "6A82"  # P1 '01' selects DFs only
    assert h.sw("00A4010C025F3B") == "9000"
    assert fcp_fields(h.tx("00A4030400")[0])[0x84] == USIM_AID  # parent of 5F3B
    assert fcp_fields(h.tx("00A4030400")[0])[0x83] == b"\x3f\x00"
    assert h.sw("00A4030C") == "6A82"  # the MF has no parent
    assert h.sw("00A4080C047FFF6F07") == "9000"
    assert h.sw("00A4080C047F106F3A") == "9000"
    assert h.sw("00A4080C063F007F106F3A") == "9000"
    assert h.sw("00A4080C042FE26F07") == "6A82"
    assert h.sw("00A4080C037F106F") == "6A80"
    assert h.sw("00A4090C026F40") == "9000"  # from DF.TELECOM
    assert h.sw("00A4090C026F07") == "6A82"


def test_select_ef_keeps_df_and_status(h):
    h.select_usim()
    assert h.sw("00A4000C026F07") == "9000"
    data, sw = h.tx("80F2000000")
    assert sw == "9000" and fcp_fields(data)[0x84] == USIM_AID  # STATUS: the current DF
    assert h.tx("80F20001") == ("84" + f"{len(USIM_AID):02X}" + USIM_AID.hex().upper(), "9000")
    assert h.tx("80F2000C") == ("", "9000")
    assert h.sw("80F20300") == "6A86"
    assert h.sw("00F20000") == "6E00"  # STATUS is a proprietary-class command


def test_application_session_termination(h):
    h.select_usim()
    assert h.tx("00A4044C0C" + USIM_AID.hex()) == ("", "9000")
    assert h.sw("00A4000C027FFF") == "6A82"


def test_channels_keep_their_own_selection(h):
    h.select_usim(0)
    h.tx("00A4000C026F3B", 0)
    h.tx("00A4000C022FE2", 1)
    assert h.tx("00B2010404", 0) == ("01AABBCC", "9000")
    assert h.tx("00B000000A", 1)[0] == "98944499999999090F7F"
    assert h.sw("00B000000A", 0) == "6981"


# -- transparent EFs -------------------------------------------------------------------------
def test_read_binary_offsets_and_end_of_file(h):
    h.select_usim()
    h.tx("00A4000C026F07")
    assert h.sw("00B0000009") == "6982"  # READ needs PIN1
    assert h.sw(verify(0x01, "1234")) == "9000"
    assert h.tx("00B0000009") == (IMSI.hex().upper(), "9000")
    assert h.tx("00B0000400") == (IMSI[4:].hex().upper(), "9000")  # Le '00': what there is
    assert h.tx("00B000040A") == (IMSI[4:].hex().upper(), "6282")
    assert h.sw("00B0000901") == "6B00"
    assert h.sw("00B0001001") == "6B00"


def test_read_binary_by_sfi_wrong_type_and_no_ef(h):
    assert h.tx("00B082000A")[0] == "98944499999999090F7F"  # SFI 02 in the MF
    assert h.sw("00B0870009") == "6A82"  # SFI 07 is in the ADF
    h.select_usim()
    assert h.sw("00B0000001") == "6986"  # the ADF is selected, no EF
    h.engine.verified.add((0x01, ()))
    assert h.tx("00B0870009") == (IMSI.hex().upper(), "9000")
    assert h.tx("00B0000201")[0] == "10"  # the SFI made EF.IMSI the current EF
    assert h.sw("00B0A70001") == "6A86"
    h.tx("00A4000C026F3B")
    assert h.sw("00B0000001") == "6981"
    h.tx("00A4000C026F99")
    assert h.sw("00B0000001") == "6981"


def test_update_binary_needs_adm_and_reports_changes(h):
    h.select_usim()
    h.tx("00A4000C026F07")
    assert h.sw("00D6000001FF") == "6982"
    assert h.sw(verify(0x01, "1234")) == "9000"
    assert h.sw("00D6000001FF") == "6982"  # PIN1 is not enough
    assert h.sw(verify(0x0A, "88888888")) == "9000"
    assert h.tx("00D600010299AA") == ("", "9000")
    assert h.changed == ["EF.IMSI"]
    assert h.tx("00B0000003")[0] == "0899AA"
    assert h.sw("00D6000902AAAA") == "6B00"
    assert h.sw("00D6000802AAAA") == "6700"
    h.tx("00A4000C023F00")
    h.tx("00A4000C022FE2")
    assert h.sw("00D6000001FF") == "6982"  # EF.ICCID: update never, even with ADM


# -- record EFs ------------------------------------------------------------------------------
def test_read_record_modes(h):
    h.select_usim()
    h.tx("00A4000C026F3B")
    assert h.tx("00B2010404") == ("01AABBCC", "9000")
    assert h.sw("00B2040404") == "6A83"
    assert h.sw("00B2000404") == "6A83"  # current record: pointer undefined
    assert h.tx("00B2000204")[0] == "01AABBCC"  # next: first record
    assert h.tx("00B2000204")[0] == "02112233"
    assert h.tx("00B2000404")[0] == "02112233"  # current
    assert h.tx("00B2000304")[0] == "01AABBCC"  # previous
    assert h.sw("00B2000304") == "6A83"  # linear fixed: no wrap
    assert h.tx("00B2030404")[0] == "03AA0000"  # absolute leaves the pointer on 1
    assert h.tx("00B2000204")[0] == "02112233"
    assert h.sw("00B2010402") == "6C04"
    assert h.sw("00B2010504") == "6A86"
    assert h.sw("00B2010204") == "6A86"
    h.tx("00A4000C026F07")
    assert h.tx("00B201D404") == ("01AABBCC", "9000")  # SFI 1A in P2


def test_update_record_with_or_condition(h):
    h.select_usim()
    h.tx("00A4000C026F3B")
    assert h.sw("00DC010404DEADBEEF") == "6982"
    assert h.sw(verify(0x81, "5678")) == "9000"  # PIN1 OR PIN81: the local PIN will do
    assert h.sw("00DC010404DEADBEEF") == "9000"
    assert h.tx("00B2010404")[0] == "DEADBEEF"
    assert h.sw("00DC010403DEADBE") == "6700"
    assert h.sw("00DC000204CAFECAFE") == "9000"  # next from undefined: record 1
    assert h.sw("00DC000204CAFECAFE") == "9000"
    assert h.tx("00B2020404")[0] == "CAFECAFE"
    assert h.changed == ["EF.LF"] * 3


def test_cyclic_update_previous_rotates(h):
    h.select_usim()
    h.tx("00A4000C026F39")
    h.engine.verified.update({(0x01, ()), (0x81, USIM)})
    assert h.tx("00B2010403")[0] == "000010"
    assert h.sw("00DC010403000020") == "6A86"  # a cyclic EF takes PREVIOUS only
    assert h.sw("00DC000303000020") == "9000"
    assert [h.tx(f"00B20{n}0403")[0] for n in (1, 2, 3)] == ["000020", "000010", "000005"]
    assert h.tx("00B2000403")[0] == "000020"  # the written record became current
    assert h.tx("00B2000303")[0] == "000005"  # previous of record 1 wraps to the last
    assert h.tx("00B2000203")[0] == "000020"  # next of the last wraps to record 1


def test_increase(h):
    h.select_usim()
    h.tx("00A4000C026F39")
    h.engine.verified.add((0x81, USIM))
    # UPDATE would do with PIN81, but the '84' INS 32 rule asks PIN1 for INCREASE
    assert h.sw("8032000003000005") == "6982"
    h.engine.verified.add((0x01, ()))
    assert h.tx("8032000003000005") == ("000015" "000005", "9000")
    assert h.tx("803200000101") == ("000016" "01", "9000")
    assert [h.tx(f"00B20{n}0403")[0] for n in (1, 2, 3)] == ["000016", "000015", "000010"]
    assert h.sw("8032000003FFFFFF") == "9850"
    assert h.sw("803200000400000001") == "6700"
    assert h.sw("8032010003000001") == "6A86"
    h.tx("00A4000C026F3B")
    assert h.sw("803200000101") == "6981"


def test_search_record_simple_and_enhanced(h):
    h.select_usim()
    h.tx("00A4000C026F3B")
    assert h.tx("00A201040103") == ("03", "9000")  # records starting with '03'
    assert h.tx("00B2000404")[0] == "03AA0000"  # the pointer is on the first match
    assert h.sw("00A2010401AA") == "6A83"
    assert h.tx("00A201060304" "01AA") == ("0103", "9000")  # offset 1, forward from 1
    assert h.tx("00A203060305" "01AA") == ("0301", "9000")  # backward from 3
    assert h.tx("00A20106030C" "AA00") == ("03", "9000")  # after the first 'AA': '00'
    assert h.tx("00B2000304")[0] == "02112233"  # pointer from 3 back to 2
    assert h.tx("00A2000603" "06" "01AA") == ("03", "9000")  # forward from the next
    assert h.sw("00A2010603F401AA") == "6A80"
    assert h.sw("00A2010505AABBCCDDEE") == "6A86"
    h.tx("00A4000C026F07")
    assert h.tx("00A201D40102") == ("02", "9000")  # by SFI 1A


# -- BER-TLV EF --------------------------------------------------------------------------------
def test_retrieve_and_set_data(h):
    h.select_usim()
    h.tx("00A4000C026F99")
    assert h.tx("80CB0080018000") == ("80020102", "9000")
    assert h.tx("80CB008001A100") == ("A103810178", "9000")
    assert h.tx("80CB0080015C00") == ("5C0280A1", "9000")
    assert h.sw("80CB0080018200") == "6A88"
    value = bytes(range(40))
    assert h.sw("80DB00800C8228" + value[:10].hex()) == "63F1"
    assert h.sw("80DB00000A" + value[10:20].hex()) == "63F1"
    assert h.sw("80DB00400A" + value[10:20].hex()) == "63F1"  # retransmitted block
    assert h.sw("80DB000014" + value[20:].hex()) == "9000"
    assert h.changed == ["EF.BT"]
    whole = (b"\x82\x28" + value).hex().upper()
    assert h.tx("80CB0080018210") == (whole[:32], "62F1")
    assert h.tx("80CB000010") == (whole[32:64], "62F1")
    assert h.tx("80CB000010") == (whole[64:], "9000")
    assert h.tx("80CB004010") == (whole[64:], "9000")
    assert h.sw("80CB000010") == "6985"
    assert h.sw("80DB008003833C00") == "6A84"  # 60 more bytes do not fit in 64
    assert h.sw("80DB00800180") == "9000"  # tag only: delete
    assert h.sw("80CB0080018000") == "6A88"
    assert h.sw("80DB00800180") == "6A88"
    assert h.sw("80DB0080058002010203") == "6700"
    assert h.tx("80CB0080015C00")[0] == "5C02A182"
    h.tx("00A4000C026F07")
    assert h.sw("80CB0080018000") == "6981"


# -- through the card OS -------------------------------------------------------------------------
class TreeFileSystem(FileSystem):
    """How a card puts the engine behind the OS: SELECT by FID/path/ADF name and STATUS
    come from the card, everything else through process()."""

    aid = b""
    name = "MF"

    def __init__(self, engine: FileCommands) -> None:
        self.engine = engine

    def select(self, channel):
        return self.engine.fcp(self.engine.state(channel).current_df)

    def fci(self):
        return self.engine.fcp(self.engine.tree.mf)

    def reset(self):
        self.engine.reset()

    def process(self, apdu, channel):
        return self.engine.process(apdu, channel)

    def command_name(self, apdu, channel):
        return self.engine.command_name(apdu)

    def select_file(self, apdu, channel):
        return self.engine.select_file(apdu, channel)

    def status(self, apdu, channel):
        return self.engine.status(apdu, channel)


def test_engine_behind_the_card_os(h):
    card = Card(Registry(), file_system=TreeFileSystem(h.engine))
    card.power_on()

    def tx(hexstr):
        r = card.transmit(bytes.fromhex(hexstr))
        return r[:-2].hex().upper(), r[-2:].hex().upper()

    assert tx("00A4080C047FFF6F07")[1] == "6A82"
    assert tx("00A4040C" + f"{len(USIM_AID):02X}" + USIM_AID.hex()) == ("", "9000")
    data, sw = tx("00A40004026F07")
    assert data == "" and sw.startswith("61")
    fcp, sw = tx("00C00000" + sw[2:])
    assert sw == "9000" and fcp_fields(fcp)[0x83] == b"\x6f\x07"
    assert tx(verify(0x01, "1234")) == ("", "9000")
    assert tx("00B0000009") == (IMSI.hex().upper(), "9000")
    status, sw = tx("80F2000000")
    assert sw == "9000" and fcp_fields(status)[0x84] == USIM_AID
    card.power_on()  # reset: verification gone, back on the MF
    assert tx("00B0870009")[1] == "6A82"
    assert tx("00A4080C047FD06F07")[1] == "6A82"


# -- real profile packages ---------------------------------------------------------------------
def _file_elements(package: bytes):
    from euicc.asn1 import pe

    spec, offset = pe(), 0
    while offset < len(package):
        (name, body), length = spec.decode_with_length("ProfileElement", package[offset:])
        offset += length
        for key, value in body.items() if isinstance(body, dict) else ():
            if isinstance(value, list):
                yield from ((key, item) for item in value if isinstance(item, tuple))


@pytest.mark.parametrize("name", ["TS48V2-SAIP2-1-NOBERTLV-UNIQUE.der",
                                  "TS48V2-SAIP2-3-BERTLV-UNIQUE.der"])
def test_ts48_fcps_and_access_rules(name):
    """Every SAIP Fcp of a TS.48 package decodes (standalone, or over a template file) and
    survives an FCP round trip; every EF.ARR content holds access rules with conditions."""
    from euicc.asn1 import encode, pe
    from euicc.fs.security import parse_rules
    from tests.support.shared_material import shared_path

    package = shared_path("profiles", name).read_bytes()
    standalone = merged = rules = 0
    for key, (kind, value) in _file_elements(package):
        if kind == "fileDescriptor":
            der = encode(pe(), "Fcp", value)
            if "fileDescriptor" in value or "dfName" in value:
                file = decode_fcp(der)
                again = decode_fcp(encode_fcp(file))
                assert (again.type, again.fid, again.size, again.record_length, again.sfi) == (
                    file.type, file.fid, file.size, file.record_length, file.sfi), key
                standalone += 1
            else:
                template = File(None, FileType.TRANSPARENT, sfi=1, size=4)
                assert merge_fcp(template, der).lcsi == value.get("lcsi", b"\x05")[0]
                merged += 1
        elif kind == "fillFileContent" and key == "ef-arr" and value[0] != 0xFF:
            parsed = parse_rules(value)
            assert parsed and all(rule.conditions for rule in parsed), value.hex()
            rules += 1
    assert standalone > 100 and merged >= 5 and rules >= 10
