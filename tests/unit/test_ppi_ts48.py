"""The Profile Package Interpreter on real input (TCA eUICC Profile Package: Interoperable
Format Technical Specification 2.3 / 3.3, section 8 "Profile Elements"): every GSMA TS.48
package in ../shared/profiles installs (the V5 generation of ts48v5/ included), showing every
value its elements state (saip_reading's independent reading of each Fcp and fill command),
with spot values of TS48V2-SAIP2-1-NOBERTLV-UNIQUE checked against its documentation (ICCID,
IMSI and EF.DIR per 3GPP TS 31.102 4.2.2 and ETSI TS 102 221 13.1, PINs, AKA parameters),
the V5 specifics (EF.MSISDN of 39-byte records and its DF.TELECOM link, DF.5GS and DF.SAIP
per TS 31.102 4.4.11 / SAIP 3.x, the SUCI calculation data), linked EFs share their target's
body, and the store's form (file and secret rows) rebuilds the same image with its links and
secrets.
"""

from __future__ import annotations

import pytest

from euicc.asn1 import decode_exact, pe
from euicc.fs.model import MF_FID, File, FileTree, FileType
from euicc.ppi import ProfileImage
from euicc.tlv import parse, read_header, split
from tests.support.ppi_checks import (
    DF_PHONEBOOK,
    DF_TELECOM,
    EF_AD,
    EF_DIR,
    EF_ICCID,
    EF_IMSI,
    EF_UST,
    check_round_trip,
    find,
    imsi_digits,
    interpret,
    stated_mismatches,
)
from tests.support.saip_reading import (
    DF_5GS,
    DF_SAIP,
    EF_SUCI_CALC_INFO,
    EF_SUCI_CALC_INFO_USIM,
    PROFILES,
    TS48_PACKAGES,
    TS48_V5,
    shared_packages,
    usim_facts,
)
from tests.support.shared_material import shared_path

NOBERTLV = "TS48V2-SAIP2-1-NOBERTLV-UNIQUE.der"
USIM_AID_PREFIX = bytes.fromhex("A0000000871002")
EF_MSISDN = 0x6F40  # 3GPP RID + USIM application code
ISIM_AID_PREFIX = bytes.fromhex("A0000000871004")


def dir_aids(ef_dir: File) -> list[bytes]:
    """The AIDs ('4F') of the application templates ('61') in EF.DIR (TS 102 221 13.1)."""
    aids = []
    for number in range(1, ef_dir.record_count + 1):
        record = ef_dir.record(number)
        if record[0] != 0x61:
            continue
        head = read_header(record)
        value = dict(parse(record[head.header_length:head.total_length]))
        aids.append(value[0x4F])
    return aids


def element_values(package: bytes, kind: str) -> list[dict]:
    values = []
    for element in split(package):
        choice, value = decode_exact(pe(), "ProfileElement", element)
        if choice == kind:
            values.append(value)
    return values


def written_content(file_commands: list) -> bytes:
    """The bytes a template file's fillFileContent commands write (no offsets in use)."""
    assert not any(kind == "fillFileOffset" for kind, _ in file_commands)
    return b"".join(bytes(value) for kind, value in file_commands if kind == "fillFileContent")


def check_file_shapes(tree: FileTree) -> None:
    """Each EF's body matches its FCP: whole records, a full transparent body, a BER-TLV
    body within its size."""
    for f in tree.walk():
        if f.type.is_record:
            assert f.record_length > 0, f.label
            assert f.record_length * f.record_count == f.size, f.label
            assert len(f.body) == f.size, f.label
        elif f.type == FileType.TRANSPARENT:
            assert len(f.body) == f.size, f.label
        elif f.type == FileType.BER_TLV:
            assert len(f.body) <= f.size, f.label
        else:
            assert f.type.is_df and f.body == b"", f.label


def shared_bodies(tree: FileTree) -> list[tuple[File, File]]:
    """(linked EF, the first file with that body) for every EF sharing a body object."""
    owners: dict[int, File] = {}
    links = []
    for f in tree.walk():
        if f.type.is_df:
            continue
        owner = owners.setdefault(id(f.body), f)
        if owner is not f:
            links.append((f, owner))
    return links


# -- the GSMA TS.48 packages -------------------------------------------------------------------
@pytest.fixture(scope="module")
def ts48():
    cache: dict[str, tuple[bytes, ProfileImage]] = {}

    def load(name: str) -> tuple[bytes, ProfileImage]:
        if name not in cache:
            package = shared_path("profiles", name).read_bytes()
            cache[name] = package, interpret(package)
        return cache[name]

    return load


@pytest.mark.parametrize("name", TS48_PACKAGES)
def test_ts48_package_installs(ts48, name):
    package, image = ts48(name)
    assert image.header["major-version"] in (2, 3)
    assert len(split(package)) > 20
    usim_adf = image.tree.adf_by_aid(USIM_AID_PREFIX)
    isim_adf = image.tree.adf_by_aid(ISIM_AID_PREFIX)
    assert usim_adf is not None and isim_adf is not None
    assert usim_adf.parent is image.tree.mf and usim_adf.type == FileType.ADF
    assert usim_adf.child(EF_IMSI).type == FileType.TRANSPARENT
    assert len(find(image, EF_ICCID).body) == 10
    check_file_shapes(image.tree)
    # every AKA configuration serves ADFs of this profile
    adf_aids = {adf.aid for adf in image.tree.adfs()}
    assert image.aka and all(set(aka.adf_aids) <= adf_aids for aka in image.aka)
    assert {kind for kind, _ in image.kept} >= {"securityDomain", "rfm"}
    check_round_trip(image)


def test_every_shared_package_is_one_of_the_tested():
    if not PROFILES.exists():
        pytest.skip(f"{PROFILES} is not available on this machine")
    assert shared_packages() == sorted(TS48_PACKAGES)


@pytest.mark.parametrize("name", TS48_PACKAGES)
def test_ts48_package_shows_every_value_it_states(ts48, name):
    package, image = ts48(name)
    assert stated_mismatches(image, package) == []


@pytest.mark.parametrize("name", TS48_V5)
def test_ts48_v5_msisdn_records_and_their_telecom_link(ts48, name):
    _, image = ts48(name)
    usim_adf = image.tree.adf_by_aid(USIM_AID_PREFIX)
    msisdn = usim_adf.child(EF_MSISDN)  # the V5 EF.MSISDN: 2 records of 39 bytes
    assert (msisdn.type, msisdn.record_length, msisdn.record_count) == (
        FileType.LINEAR_FIXED, 39, 2)
    # DF.TELECOM/EF.MSISDN states the older 28-byte records: it is the USIM's file
    link = find(image, DF_TELECOM, EF_MSISDN)
    assert link.body is msisdn.body
    assert (link.record_length, link.record_count) == (39, 2)


@pytest.mark.parametrize("name", TS48_V5)
def test_ts48_v5_usim_has_df_5gs_and_its_suci_data(ts48, name):
    package, image = ts48(name)
    facts = usim_facts(package)
    usim_adf = image.tree.adf_by_aid(facts.aid)
    df_5gs = usim_adf.child(DF_5GS)
    assert df_5gs is not None and df_5gs.type == FileType.DF
    assert [c.fid for c in df_5gs.children] == [f.path[-1] for f in facts.df_5gs]
    # TS 31.102 4.4.11: 5GS location, NAS security contexts, 5G keys, SUCI data, routing
    assert {0x4F01, 0x4F02, 0x4F03, 0x4F04, 0x4F05, 0x4F07, 0x4F0A} <= set(
        c.fid for c in df_5gs.children)
    assert bytes(df_5gs.child(0x4F0A).body[:2]) == facts.routing_indicator
    assert facts.service(124)  # subscription identifier privacy
    if facts.service(125):  # SUCI calculated by the USIM: DF.SAIP/EF.SUCI_Calc_Info_USIM
        calc_info = usim_adf.child(DF_SAIP).child(EF_SUCI_CALC_INFO_USIM)
    else:  # by the ME: DF.5GS/EF.SUCI_Calc_Info
        calc_info = df_5gs.child(EF_SUCI_CALC_INFO)
    assert bytes(calc_info.body) == facts.suci_calc_info
    assert "SUCI" not in name or facts.service(125)


def test_ts48_iccid_and_usim_files(ts48):
    package, image = ts48(NOBERTLV)
    assert bytes(find(image, EF_ICCID).body) == bytes.fromhex("98944499999999 0900F7")
    usim_adf = image.tree.adf_by_aid(USIM_AID_PREFIX)
    imsi = usim_adf.child(EF_IMSI)
    assert bytes(imsi.body) == bytes.fromhex("080910101032540636")
    assert imsi_digits(imsi.body) == "001010123456063"
    assert imsi.sfi == 7
    assert imsi.path == (MF_FID, usim_adf.fid, EF_IMSI)
    (usim_value,) = element_values(package, "usim")
    ust = usim_adf.child(EF_UST)
    assert ust is not None and ust.type == FileType.TRANSPARENT
    assert bytes(ust.body) == written_content(usim_value["ef-ust"])
    ad = usim_adf.child(EF_AD)
    assert ad is not None and ad.sfi == 3
    if "ef-ad" in usim_value:
        content = written_content(usim_value["ef-ad"])
        assert bytes(ad.body[:len(content)]) == content


def test_ts48_ef_dir_names_usim_and_isim(ts48):
    _, image = ts48(NOBERTLV)
    aids = dir_aids(find(image, EF_DIR))
    usim_adf = image.tree.adf_by_aid(USIM_AID_PREFIX)
    isim_adf = image.tree.adf_by_aid(ISIM_AID_PREFIX)
    assert usim_adf.aid in aids and isim_adf.aid in aids
    assert usim_adf.aid != isim_adf.aid


def test_ts48_pins_and_puks(ts48):
    _, image = ts48(NOBERTLV)
    pin1 = next(p for p in image.pins if p.key_ref == 0x01)
    # pinValue "0000" in ASCII, 'FF' padded; pinAttributes 6: bit 0x01 clear, PIN disabled
    assert pin1.value == b"0000" + b"\xff" * 4
    assert not pin1.enabled and pin1.can_disable and pin1.can_change
    assert (pin1.max_attempts, pin1.attempts_left, pin1.unblock_ref) == (3, 3, 0x01)
    assert pin1.scope == ()
    adm1 = next(p for p in image.pins if p.key_ref == 0x0A)
    assert adm1.enabled and not adm1.can_disable and adm1.max_attempts == 10
    usim_adf = image.tree.adf_by_aid(USIM_AID_PREFIX)
    isim_adf = image.tree.adf_by_aid(ISIM_AID_PREFIX)
    local_scopes = {p.scope for p in image.pins if p.key_ref == 0x81}
    assert {usim_adf.path, isim_adf.path} <= local_scopes
    assert () not in local_scopes
    assert sorted(image.puks) == [0x01, 0x81]
    assert image.puks[0x01].value == b"11111111" and image.puks[0x81].value == b"22222222"
    assert all(p.puk and p.max_attempts == 10 for p in image.puks.values())


def test_ts48_aka_parameters(ts48):
    _, image = ts48(NOBERTLV)
    usim_adf = image.tree.adf_by_aid(USIM_AID_PREFIX)
    (aka,) = [a for a in image.aka if usim_adf.aid in a.adf_aids]
    assert aka.algorithm == 3  # the USIM test algorithm of TS 34.108 8.1.2
    assert aka.key == bytes.fromhex("000102030405060708090A0B0C0D0E0F")
    assert aka.adf_aids == (usim_adf.aid,)


def test_ts48_linked_efs_share_their_target_body(ts48):
    _, image = ts48(NOBERTLV)
    adn = find(image, DF_TELECOM, 0x6F3A)  # linkPath 7F10 5F3A 4F3A
    target = find(image, DF_TELECOM, DF_PHONEBOOK, 0x4F3A)
    assert adn.body is target.body
    usim_adf = image.tree.adf_by_aid(USIM_AID_PREFIX)
    assert find(image, DF_TELECOM, 0x6F3B).body is usim_adf.child(0x6F3B).body  # EF.FDN
    assert find(image, DF_TELECOM, 0x6F3C).body is not usim_adf.child(0x6F3B).body


def test_ts48_persistence_keeps_links_and_secrets(ts48):
    _, image = ts48(NOBERTLV)
    links = shared_bodies(image.tree)
    assert len(links) >= 2
    rebuilt = check_round_trip(image)
    rebuilt_links = [(f.path, owner.path) for f, owner in shared_bodies(rebuilt.tree)]
    assert rebuilt_links == [(f.path, owner.path) for f, owner in links]
    adn = find(rebuilt, DF_TELECOM, 0x6F3A)
    target = find(rebuilt, DF_TELECOM, DF_PHONEBOOK, 0x4F3A)
    assert adn.body is target.body
    adn.body[0] = 0x42  # an UPDATE through the link is seen through the target
    assert target.body[0] == 0x42
    assert [p.value for p in rebuilt.pins] == [p.value for p in image.pins]
    assert [(a.key, a.adf_aids) for a in rebuilt.aka] == [(a.key, a.adf_aids) for a in image.aka]
