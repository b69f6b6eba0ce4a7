"""Every value a profile element states wins over the template's (TCA eUICC Profile Package:
Interoperable Format Technical Specification 2.3 / 3.3, 8.3.2 "Template based file system
elements" and the Fcp type of PEDefinitions; ETSI TS 102 222 6.3 CREATE FILE for what each
member means): file descriptor (structure, shareable, record length), record count through
the file size, file size, SFI, LCSI, security attributes, fill and repeat patterns, special
file information, BER-TLV file details and maximum size, DF names, the MF's own FCP, and
links, in template elements and in PE-GenericFileManagement. Members a profile leaves out
keep the template's value.

Each case builds a package with euicc_tools.testkit.profile_builder and holds the image against both
the explicit expectation and the independent reading of every Fcp (ppi_checks.stated_mismatches).
"""

from __future__ import annotations

import pytest

from euicc.asn1 import decode_exact, pe
from euicc.fs.commands import FileCommands
from euicc.fs.model import MF_FID, FileType, LifeCycle
from euicc.ppi import PeStatusCode
from euicc.tlv import parse
from euicc_tools.testkit.profile_builder import (
    RULE_READ_ALWAYS,
    TEMPLATE_OPT_USIM,
    TEMPLATE_TELECOM,
    USIM_AID,
    USIM_TEMP_FID,
    encode_element,
    mf,
    template_element,
)
from tests.support.fs_harness import Harness
from tests.support.ppi_checks import (
    BAD_ID,
    DF_TELECOM,
    ICCID,
    USIM_FID,
    ef_fcp,
    find,
    gfm,
    interpret,
    refused,
    small_package,
    stated_mismatches,
)
from tests.support.saip_reading import elements

EF_MSISDN, EF_SDN, EF_FDN, EF_KEYS, EF_HPPLMN = 0x6F40, 0x6F49, 0x6F3B, 0x6F08, 0x6F31
EF_FPLMN, EF_THRESHOLD, EF_NETPAR, EF_SMSS, EF_ICE_DN = 0x6F7B, 0x6F5C, 0x6FC4, 0x6F43, 0x6FE0


def installed(package: bytes):
    """The image of ``package``, after checking it shows every value the package states."""
    image = interpret(package)
    assert stated_mismatches(image, package) == []
    return image


def usim_package(**files):
    """A package whose ADF.USIM element states the given template files (name -> File)."""
    return small_package(usim_files={name.replace("_", "-"): commands
                                     for name, commands in files.items()})


def opt_usim(**files) -> bytes:
    return template_element("opt-usim", TEMPLATE_OPT_USIM, BAD_ID,
                            {name.replace("_", "-"): commands for name, commands in files.items()})


def descriptor(fcp: dict) -> list:
    return [("fileDescriptor", fcp)]


def special_info(f) -> bytes | None:
    return dict(parse(f.proprietary)).get(0xC0) if f.proprietary else None


# -- template elements ---------------------------------------------------------------------------
def test_record_length_and_count_of_the_profile():
    # SAIP's EF.MSISDN has one 24-byte record; TS.48 V5 states two of 39 bytes
    image = installed(small_package(opt_usim(ef_msisdn=descriptor(
        {"fileDescriptor": bytes.fromhex("42210027"), "efFileSize": b"\x4e"}))))
    msisdn = find(image, USIM_FID, EF_MSISDN)
    assert (msisdn.type, msisdn.record_length, msisdn.record_count) == (
        FileType.LINEAR_FIXED, 39, 2)
    assert bytes(msisdn.body) == b"\xff" * 78  # the template's FF...FF, per record
    assert msisdn.security == bytes.fromhex("8B036F0602")  # not stated: the template's


def test_record_length_alone_keeps_the_template_count():
    image = installed(small_package(opt_usim(ef_sdn=descriptor(
        {"fileDescriptor": bytes.fromhex("4221001C")}))))
    sdn = find(image, USIM_FID, EF_SDN)  # the template: 10 records of 24 bytes
    assert (sdn.record_length, sdn.record_count, sdn.size) == (28, 10, 280)


def test_size_sfi_lcsi_and_security_of_the_profile():
    image = installed(usim_package(
        ef_fplmn=descriptor({"fileDescriptor": bytes.fromhex("4121"), "efFileSize": b"\x18",
                             "shortEFID": bytes([0x1B << 3]), "lcsi": b"\x04",
                             "securityAttributesReferenced": bytes.fromhex("6F0603")}),
        ef_hpplmn=descriptor({"shortEFID": b"", "securityAttributesReferenced": b"\x07"}),
    ))
    fplmn = find(image, USIM_FID, EF_FPLMN)  # template: 12 bytes, SFI 0D, active, rule 5
    assert (fplmn.size, fplmn.sfi, fplmn.lcsi) == (24, 0x1B, LifeCycle.DEACTIVATED)
    assert fplmn.security == bytes.fromhex("8B036F0603")
    assert bytes(fplmn.body) == b"\xff" * 24
    hpplmn = find(image, USIM_FID, EF_HPPLMN)  # template: SFI 12, rule 2, content '0A'
    assert hpplmn.sfi is None  # an empty shortEFID: no SFI
    assert hpplmn.security == bytes.fromhex("8B036F0607")  # one byte: the ADF's EF.ARR
    assert bytes(hpplmn.body) == b"\x0a"


def test_fill_and_repeat_patterns_of_the_profile():
    image = installed(usim_package(
        ef_fplmn=descriptor({"proprietaryEFInfo": {"repeatPattern": bytes.fromhex("00F110")}}),
        ef_netpar=descriptor({"proprietaryEFInfo": {"fillPattern": bytes.fromhex("01AA")},
                              "efFileSize": b"\x06"}),
        ef_keys=descriptor({"proprietaryEFInfo": {"fillPattern": bytes.fromhex("00")}}),
    ))
    assert bytes(find(image, USIM_FID, EF_FPLMN).body) == bytes.fromhex("00F110") * 4
    assert bytes(find(image, USIM_FID, EF_NETPAR).body) == bytes.fromhex("01AAAAAAAAAA")
    assert bytes(find(image, USIM_FID, EF_KEYS).body) == bytes(33)  # not the template's 07FF..


def test_shareable_and_special_file_information():
    image = installed(usim_package(
        ef_threshold=descriptor({"fileDescriptor": bytes.fromhex("0121"),
                                 "proprietaryEFInfo": {"specialFileInformation": b"\x40"}}),
    ))
    threshold = find(image, USIM_FID, EF_THRESHOLD)
    assert not threshold.shareable
    assert special_info(threshold) == b"\x40"  # readable and updatable when deactivated
    # not stated: the template's "high update activity" (TS 102 222 special file info b8)
    assert special_info(find(image, USIM_FID, EF_KEYS)) == b"\x80"
    assert special_info(find(image, USIM_FID, EF_FPLMN)) is None


def test_a_changed_structure_drops_the_template_sizes():
    # EF.SMSS is transparent (2 bytes) in the template; a profile makes it 3 records of 5
    image = installed(usim_package(ef_smss=descriptor(
        {"fileDescriptor": bytes.fromhex("42210005"), "efFileSize": b"\x0f"})))
    smss = find(image, USIM_FID, EF_SMSS)
    assert (smss.type, smss.record_length, smss.record_count) == (FileType.LINEAR_FIXED, 5, 3)
    # and EF.MSISDN (records) made transparent keeps no record length
    image = installed(small_package(opt_usim(ef_msisdn=descriptor(
        {"fileDescriptor": bytes.fromhex("4121"), "efFileSize": b"\x0a"}))))
    msisdn = find(image, USIM_FID, EF_MSISDN)
    assert (msisdn.type, msisdn.size, msisdn.record_length) == (FileType.TRANSPARENT, 10, 0)
    # without a size, the template's 2 bytes (a transparent size) cannot give the records
    package = usim_package(ef_smss=descriptor({"fileDescriptor": bytes.fromhex("42210005")}))
    (usim_element,) = [value for kind, value in elements(package) if kind == "usim"]
    error = refused(package)
    assert (error.status, error.identification) == (
        PeStatusCode.BAD_VALUES, usim_element["usim-header"]["identification"])
    assert "no file size" in error.detail


def test_the_mf_and_adfs_take_what_the_profile_states():
    # the MF exists before any element; its element's Fcp still applies to it
    choice, value = decode_exact(pe(), "ProfileElement", mf(ICCID, BAD_ID))
    value["mf"] = descriptor({"fileDescriptor": bytes.fromhex("3821"), "fileID": b"\x3f\x00",
                              "lcsi": b"\x05", "securityAttributesReferenced": b"\x02",
                              "pinStatusTemplateDO": b"\x01\x0a"})
    mf_element = encode_element(choice, value)
    image = installed(small_package(mf_element, include=()))
    root = image.tree.mf
    assert (root.shareable, root.security, root.pin_status) == (
        False, bytes.fromhex("8B032F0602"), b"\x01\x0a")
    assert [f.name for f in root.children] == ["EF.PL", "EF.ICCID", "EF.DIR", "EF.ARR", "EF.UMPC"]
    image = installed(small_package())
    usim_adf = image.tree.find((MF_FID, USIM_FID))
    assert (usim_adf.type, usim_adf.aid) == (FileType.ADF, USIM_AID)  # dfName
    assert usim_adf.pin_status == bytes([0x01, 0x81, 0x0A])


def test_template_link_takes_the_target_structure():
    # DF.TELECOM's EF.ICE_DN (template: 50 records of 24 bytes) linked to ADF.USIM's EF.FDN
    # (20 records of 26), its own descriptor still saying 24-byte records
    telecom = template_element("telecom", TEMPLATE_TELECOM, BAD_ID, {
        "df-telecom": descriptor({"fileID": DF_TELECOM.to_bytes(2, "big"),
                                  "pinStatusTemplateDO": b"\x01\x0a"}),
        "ef-ice-dn": descriptor({"fileDescriptor": bytes.fromhex("42210018"),
                                 "linkPath": USIM_TEMP_FID + EF_FDN.to_bytes(2, "big")}),
    })
    image = installed(small_package(telecom))
    link, target = find(image, DF_TELECOM, EF_ICE_DN), find(image, USIM_FID, EF_FDN)
    assert link.body is target.body
    assert (link.record_length, link.record_count) == (26, 20)


# -- PE-GenericFileManagement ---------------------------------------------------------------------
def test_generic_link_with_other_record_length_follows_its_target():
    # TS.48 V5: DF.TELECOM/EF.MSISDN ('4221001C') links to ADF.USIM/EF.MSISDN of 39 bytes
    image = installed(small_package(
        opt_usim(ef_msisdn=descriptor({"fileDescriptor": bytes.fromhex("42210027"),
                                       "efFileSize": b"\x4e"})),
        gfm(("filePath", b""),
            ("createFCP", {"fileDescriptor": bytes.fromhex("7821"), "fileID": b"\x7f\x10",
                           "pinStatusTemplateDO": b"\x01"}),
            ("createFCP", {"fileDescriptor": bytes.fromhex("4221001C"), "fileID": b"\x6f\x40",
                           "securityAttributesReferenced": b"\x08", "shortEFID": b"",
                           "linkPath": USIM_TEMP_FID + b"\x6f\x40"}),
            identification=BAD_ID + 1),
    ))
    link = find(image, DF_TELECOM, EF_MSISDN)
    assert (link.record_length, link.record_count, link.sfi) == (39, 2, None)
    assert link.security == bytes.fromhex("8B036F0608")  # a file of a DF: its EF.ARR 6F06
    assert link.body is find(image, USIM_FID, EF_MSISDN).body


def test_generic_file_with_every_member():
    image = installed(small_package(gfm(
        ("filePath", USIM_FID.to_bytes(2, "big")),
        ("createFCP", ef_fcp("0121", 0x6FF6, 5, shortEFID=bytes([0x1C << 3]), lcsi=b"\x04",
                             securityAttributesReferenced=bytes.fromhex("6F0604"),
                             proprietaryEFInfo={"specialFileInformation": b"\xc0",
                                                "repeatPattern": b"\x5a"})),
        ("createFCP", ef_fcp("7921", 0x6FF7, 0x40, proprietaryEFInfo={
            "fileDetails": b"\x01", "maximumFileSize": b"\x80"})),
    )))
    f = find(image, USIM_FID, 0x6FF6)
    assert (f.type, f.shareable, f.size, f.sfi, f.lcsi) == (
        FileType.TRANSPARENT, False, 5, 0x1C, LifeCycle.DEACTIVATED)
    assert f.security == bytes.fromhex("8B036F0604") and special_info(f) == b"\xc0"
    assert bytes(f.body) == b"\x5a" * 5
    ber = find(image, USIM_FID, 0x6FF7)
    assert ber.size == 0x80  # the maximum size
    # specialFileInformation DEFAULT '00' (PEDefinitions ProprietaryInfo)
    assert dict(parse(ber.proprietary)) == {0xC0: b"\x00", 0x84: b"\x01", 0x86: b"\x80"}


@pytest.mark.parametrize("link_descriptor", ["4121", "7921"])
def test_link_of_another_structure_is_refused(link_descriptor):
    error = refused(small_package(gfm(
        ("filePath", USIM_FID.to_bytes(2, "big")),
        ("createFCP", {"fileDescriptor": bytes.fromhex(link_descriptor), "fileID": b"\x6f\xf8",
                       "linkPath": USIM_TEMP_FID + bytes.fromhex("6FB7")}))))  # EF.ECC: records
    assert (error.status, error.identification) == (PeStatusCode.BAD_VALUES, BAD_ID)
    assert "cannot link" in error.detail


def test_the_package_without_overrides_keeps_every_template_value():
    image = installed(small_package())
    keys = find(image, USIM_FID, EF_KEYS)
    assert (keys.size, keys.sfi, keys.security) == (33, 0x08, bytes.fromhex("8B036F0605"))
    assert bytes(keys.body) == b"\x07" + b"\xff" * 32


def test_special_file_information_decides_a_deactivated_file():
    """TS 102 221 11.1.1.4.9: SELECT of a deactivated EF warns '6283' and its content is
    refused ('6985'), unless its special file information (TS 102 222 6.3.2.2.1) b7 says
    it stays readable and updatable when deactivated, as TS.48 states for most EFs."""
    image = installed(small_package(gfm(
        ("filePath", USIM_FID.to_bytes(2, "big")),
        *[("createFCP", ef_fcp("4121", fid, 2, lcsi=b"\x04",
                               securityAttributesReferenced=bytes([RULE_READ_ALWAYS]),
                               proprietaryEFInfo={"specialFileInformation": bytes([info]),
                                                  "repeatPattern": b"\x5a"}))
          for fid, info in ((0x6FF6, 0x40), (0x6FF7, 0x00))],
    )))
    h = Harness()
    h.tree = image.tree
    h.engine = FileCommands(image.tree, image.pins, image.puks, lambda _pin: None)
    assert h.sw("00A4040C10" + USIM_AID.hex()) == "9000"
    assert h.sw("00A4000C026FF6") == "6283"
    assert h.tx("00B0000002") == ("5A5A", "9000")
    assert h.sw("00A4000C026FF7") == "6283"
    assert h.sw("00B0000002") == "6985"
