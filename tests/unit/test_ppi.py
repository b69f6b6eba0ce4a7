"""The Profile Package Interpreter (TCA eUICC Profile Package: Interoperable Format Technical
Specification 2.3 / 3.3, section 8 "Profile Elements", 8.3.3 PE-GenericFileManagement, 8.7
EUICCResponse; ETSI TS 102 222 6.3 CREATE FILE and 6.3.2.2.2 fill / repeat patterns; SGP.22
5.7.6 LoadBoundProfilePackage and 2.5.6 peProcessingError).

Real input first: every GSMA TS.48 package in ../shared/profiles installs, with spot values
of TS48V2-SAIP2-1-NOBERTLV-UNIQUE checked against its documentation (ICCID, IMSI, PINs,
AKA parameters). Then packages the tests build with tests/pe_builder.py (MILENAGE with the
3GPP TS 35.208 test set 1, TUAK, the test algorithm, PINs/PUKs, BER-TLV EFs, DF.5GS, generic
file management, fill and repeat patterns), the PEStatus codes of refused elements, and the
whole download path: a refused element ends the download with peProcessingError and leaves
nothing in the store.
"""

from __future__ import annotations

import signal
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from helpers import shared_path
from pe_builder import (
    ISIM_AID,
    TEMPLATE_DF_5GS,
    TEMPLATE_MF,
    USIM_AID,
    PinConfig,
    aka_mapping,
    build_upp,
    ef_imsi,
    encode_element,
    end,
    generic_file_management,
    header,
    isim,
    mf,
    pin_codes,
    usim,
)

from euicc.asn1 import decode_exact, pe
from euicc.fs.model import MF_FID, File, FileTree, FileType
from euicc.ppi import (
    PeError,
    PeStatusCode,
    ProfileImage,
    ProfileInterpreter,
    file_rows,
    image_from_rows,
    secret_rows,
    success_response,
)
from euicc.tlv import parse, read_header, split

TS48_PACKAGES = [
    "TS48V1-A-UNIQUE.der",
    "TS48V2-SAIP2-1-NOBERTLV-UNIQUE.der",
    "TS48V2-SAIP2-3-BERTLV-UNIQUE.der",
    "TS48V4-SAIP2-1A-NOBERTLV-UNIQUE.der",
]
NOBERTLV = "TS48V2-SAIP2-1-NOBERTLV-UNIQUE.der"
USIM_AID_PREFIX = bytes.fromhex("A0000000871002")  # 3GPP RID + USIM application code
ISIM_AID_PREFIX = bytes.fromhex("A0000000871004")
EF_IMSI, EF_AD, EF_UST, EF_DIR, EF_ICCID = 0x6F07, 0x6FAD, 0x6F38, 0x2F00, 0x2FE2
DF_TELECOM, DF_PHONEBOOK, DF_5GS = 0x7F10, 0x5F3A, 0x5FC0
USIM_FID, ISIM_FID = 0x7FF1, 0x7FF2  # pe_builder's temporary ADF file identifiers

ICCID = "8944123400000000011"
IMSI = "001010123456063"
K = bytes(range(16))
# 3GPP TS 35.208 4.3 test set 1
TS35208_K = bytes.fromhex("465b5ce8b199b49faa5f0a2ee238a6bc")
TS35208_OP = bytes.fromhex("cdc202d5123e20f62b6d676ac72cb318")
TS35208_OPC = bytes.fromhex("cd63cb71954a9f4e48a5994e37a02baf")
DEFAULT_ROTATION = bytes.fromhex("4000204060")
# c1..c5 of TS 35.206 4.1: 0, 1, 2, 4, 8 as 128-bit values
DEFAULT_CONSTANTS = b"".join(bytes(15) + bytes([n]) for n in (0, 1, 2, 4, 8))
BAD_ID = 4660  # identification of the element the tests make fail


# -- helpers -----------------------------------------------------------------------------------
def interpret(package: bytes) -> ProfileImage:
    interpreter = ProfileInterpreter()
    for element in split(package):
        interpreter.feed(element)
    return interpreter.finish()


def refused(package: bytes) -> PeError:
    """The PeError the package ends with (fed element by element, then finished)."""
    with pytest.raises(PeError) as err:
        interpret(package)
    return err.value


def small_package(*extra: bytes, **options) -> bytes:
    options.setdefault("include", ("mf", "usim"))
    options.setdefault("k", K)
    if options.get("algorithm", "milenage") != "xor" and "op" not in options:
        options.setdefault("opc", bytes(16))
    return build_upp(ICCID, IMSI, extra_elements=extra, **options)


def gfm(*commands: tuple[str, object], identification: int = BAD_ID) -> bytes:
    return generic_file_management(identification, [list(commands)])


def ef_fcp(descriptor: str, fid: int, size: int | None = None, **more) -> dict:
    fcp: dict = {"fileDescriptor": bytes.fromhex(descriptor), "fileID": fid.to_bytes(2, "big")}
    if size is not None:
        fcp["efFileSize"] = size.to_bytes(2, "big").lstrip(b"\x00") or b"\x00"
    fcp.update(more)
    return fcp


def find(image: ProfileImage, *fids: int) -> File:
    f = image.tree.find((MF_FID, *fids))
    assert f is not None, "/".join(f"{fid:04X}" for fid in (MF_FID, *fids))
    return f


def imsi_digits(body: bytes) -> str:
    """EF.IMSI (3GPP TS 31.102 4.2.2): length, then BCD low nibble first; the first nibble
    is the parity / type of identity, not a digit."""
    nibbles = []
    for byte in body[1:1 + body[0]]:
        nibbles += [byte & 0x0F, byte >> 4]
    return "".join(str(n) for n in nibbles[1:] if n != 0xF)


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


def decoded_response(error: PeError) -> dict:
    return decode_exact(pe(), "EUICCResponse", error.euicc_response())


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


def check_round_trip(image: ProfileImage) -> ProfileImage:
    """The store's form (one row per file, one per secret) rebuilds the same image."""
    rows, secrets = file_rows(image.tree), secret_rows(image)
    rebuilt = image_from_rows(rows, secrets)
    assert file_rows(rebuilt.tree) == rows
    assert secret_rows(rebuilt) == secrets
    return rebuilt


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


class _Hung(BaseException):
    """Raised from SIGALRM; a BaseException so that no ``except Exception`` swallows it."""


@contextmanager
def time_limit(seconds: float) -> Iterator[None]:
    def on_alarm(_signum, _frame):
        raise _Hung

    previous = signal.signal(signal.SIGALRM, on_alarm)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


# -- 1. the GSMA TS.48 packages ----------------------------------------------------------------
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


# -- 2. packages made by the tests -------------------------------------------------------------
def usim_aka(image: ProfileImage):
    (aka,) = [a for a in image.aka if USIM_AID in a.adf_aids]
    return aka


def test_milenage_with_opc_and_defaults():
    image = interpret(small_package(k=TS35208_K, opc=TS35208_OPC))
    aka = usim_aka(image)
    assert (aka.algorithm, aka.options) == (1, 0x00)
    assert (aka.key, aka.opc) == (TS35208_K, TS35208_OPC)
    assert aka.rotation == DEFAULT_ROTATION and aka.constants == DEFAULT_CONSTANTS
    assert aka.sqn_options == 0x02
    assert aka.sqn_delta == aka.sqn_age_limit == bytes.fromhex("000010000000")
    assert aka.auth_counter_max is None
    assert aka.adf_aids == (USIM_AID,)
    assert "milenage" in image.header["eUICC-Mandatory-services"]


def test_milenage_with_op_gives_the_published_opc():
    aka = usim_aka(interpret(small_package(k=TS35208_K, op=TS35208_OP)))
    assert aka.opc == TS35208_OPC  # TS 35.208 test set 1


def test_milenage_options_are_carried():
    rotation = bytes.fromhex("4020406000")
    constants = bytes(range(80))
    sqn_init = [bytes([0, 0, 0, 0, 0, n]) for n in range(32)]
    aka = usim_aka(interpret(small_package(
        k=K, opc=TS35208_OPC, rotation=rotation, constants=constants, sqn_options=0x0A,
        sqn_delta=bytes.fromhex("000000100000"), sqn_age_limit=bytes.fromhex("000000200000"),
        sqn_init=sqn_init, auth_counter_max=bytes.fromhex("0FFFFF"))))
    assert (aka.rotation, aka.constants) == (rotation, constants)
    assert aka.sqn_options == 0x0A
    assert aka.sqn_delta == bytes.fromhex("000000100000")
    assert aka.sqn_age_limit == bytes.fromhex("000000200000")
    assert aka.sqn_init == tuple(sqn_init)
    assert aka.auth_counter_max == bytes.fromhex("0FFFFF")


@pytest.mark.parametrize("key_length, service", [(16, "tuak128"), (32, "tuak256")])
def test_tuak_with_topc(key_length, service):
    k = bytes(range(0x80, 0x80 + key_length))
    topc = bytes(range(0x20, 0x40))
    image = interpret(small_package(algorithm="tuak", k=k, opc=topc, keccak_iterations=3))
    aka = usim_aka(image)
    assert (aka.algorithm, aka.key, aka.opc, aka.keccak_iterations) == (2, k, topc, 3)
    assert service in image.header["eUICC-Mandatory-services"]


def test_usim_test_algorithm():
    aka = usim_aka(interpret(small_package(algorithm="xor", k=K)))
    assert (aka.algorithm, aka.options, aka.key) == (3, 0x02, K)


def test_every_naa_gets_its_own_aka_and_mapping_shares_one():
    image = interpret(small_package(include=("mf", "usim", "isim")))
    assert sorted(a.adf_aids for a in image.aka) == sorted([(USIM_AID,), (ISIM_AID,)])
    # an ISIM that takes the USIM's keys (mappingParameter)
    package = small_package(include=("mf", "usim"))
    elements = split(package)
    shared = b"".join(elements[:-1]) + isim(IMSI, 200) + aka_mapping(201, USIM_AID) + elements[-1]
    image = interpret(shared)
    (aka,) = image.aka
    assert aka.adf_aids == (USIM_AID, ISIM_AID)


def test_pins_and_puks_of_the_package():
    pins = {0x01: "4321", 0x0A: "12345678", 0x81: "8765"}
    puks = {0x01: "87654321", 0x81: "11223344"}
    image = interpret(small_package(include=("mf", "usim", "isim"), pins=pins, puks=puks))
    by_ref = {}
    for pin in image.pins:
        by_ref.setdefault(pin.key_ref, []).append(pin)
    (pin1,), (adm1,) = by_ref[0x01], by_ref[0x0A]
    assert pin1.value == b"4321\xff\xff\xff\xff" and pin1.unblock_ref == 0x01
    assert not pin1.enabled and pin1.can_disable  # pinAttributes 6
    assert adm1.value == b"12345678" and adm1.enabled and not adm1.can_disable
    assert adm1.max_attempts == adm1.attempts_left == 10
    assert sorted(p.scope for p in by_ref[0x81]) == [(MF_FID, USIM_FID), (MF_FID, ISIM_FID)]
    assert all(p.value == b"8765\xff\xff\xff\xff" for p in by_ref[0x81])
    assert {ref: p.value for ref, p in image.puks.items()} == {
        0x01: b"87654321", 0x81: b"11223344"}


def test_pin_counters_and_attributes():
    pins = pin_codes(100, [PinConfig(0x01, "1111", attributes=0x07, max_attempts=5,
                                     retries_left=2),
                           PinConfig(0x02, "2222", attributes=0x00, max_attempts=3)])
    image = interpret(small_package(pins, include=("mf",), pins={}, puks={}))
    pin1, pin2 = image.pins
    assert (pin1.enabled, pin1.can_change, pin1.can_disable) == (True, True, True)
    assert (pin1.max_attempts, pin1.attempts_left) == (5, 2)
    assert (pin2.enabled, pin2.can_change, pin2.can_disable) == (False, False, False)


def test_secrets_stay_out_of_reprs():
    k, opc = bytes(range(0xA0, 0xB0)), bytes(range(0xC0, 0xD0))
    image = interpret(build_upp(ICCID, IMSI, k=k, opc=opc, pins={0x01: "9753"},
                                puks={0x01: "86420864"}))
    text = repr(image) + repr(image.pins) + repr(image.puks) + repr(image.aka)
    for secret in (k, opc, b"9753\xff\xff\xff\xff", b"86420864"):
        assert repr(secret)[2:-1] not in text and secret.hex() not in text.lower()


def test_security_domain_keys_stay_out_of_the_image_repr():
    image = interpret(build_upp(ICCID, IMSI, k=K, opc=bytes(16)))
    sd_key = bytes(range(0x40, 0x50))  # pe_builder.security_domain's key 1
    assert repr(sd_key)[2:-1] not in repr(image)


def test_ber_tlv_ef_by_generic_file_management():
    objects = bytes.fromhex("8001AA") + bytes.fromhex("C1020102") + bytes.fromhex("9F2001FF")
    image = interpret(small_package(gfm(
        ("filePath", USIM_FID.to_bytes(2, "big")),
        ("createFCP", ef_fcp("7921", 0x6FF0, 0x40, securityAttributesReferenced=b"\x02")),
        ("fillFileContent", objects),
        ("createFCP", ef_fcp("3921", 0x6FF1, proprietaryEFInfo={
            "maximumFileSize": b"\x01\x00"})),
    )))
    shareable = find(image, USIM_FID, 0x6FF0)
    assert shareable.type == FileType.BER_TLV and shareable.shareable
    assert (shareable.size, bytes(shareable.body)) == (0x40, objects)
    assert shareable.sfi == 0x10  # no shortEFID: the 5 low bits of the FID
    assert shareable.security == bytes.fromhex("8B036F0602")
    empty = find(image, USIM_FID, 0x6FF1)
    assert empty.type == FileType.BER_TLV and not empty.shareable
    assert (empty.size, bytes(empty.body)) == (0x100, b"")


def test_ber_tlv_content_larger_than_the_file():
    error = refused(small_package(gfm(
        ("filePath", USIM_FID.to_bytes(2, "big")),
        ("createFCP", ef_fcp("7921", 0x6FF0, 4)),
        ("fillFileContent", bytes.fromhex("8003010203")),
    )))
    assert (error.status, error.identification) == (PeStatusCode.BAD_VALUES, BAD_ID)


def test_df_5gs_from_the_builder():
    image = interpret(build_upp(ICCID, IMSI, k=K, opc=bytes(16)))  # df-5gs included
    usim_adf = image.tree.adf_by_aid(USIM_AID)
    df = usim_adf.child(DF_5GS)
    assert df is not None and df.type == FileType.DF and df.parent is usim_adf
    assert {c.fid for c in df.children} == {0x4F01, 0x4F02, 0x4F03, 0x4F05}
    # EF.5GS3GPPLOCI (TS 31.102 4.4.11.2): 5G-GUTI left 'FF', TAI 00F110 000000, not updated
    loci = df.child(0x4F01)
    assert bytes(loci.body) == b"\xff" * 13 + bytes.fromhex("00F110 000000 01")
    assert loci.sfi == 0x01  # from the template: the element gives no shortEFID
    nsc = df.child(0x4F03)
    assert (nsc.type, nsc.record_length, nsc.record_count) == (FileType.LINEAR_FIXED, 57, 1)
    assert find(image, USIM_FID, DF_5GS, 0x4F05).size == 110


def test_df_5gs_template_files():
    element = encode_element("df-5gs", {
        "df-5gs-header": {"identification": 300},
        "templateID": TEMPLATE_DF_5GS,
        "df-df-5gs": [("fileDescriptor", {"fileDescriptor": bytes.fromhex("7821"),
                                          "fileID": bytes.fromhex("5FC0"),
                                          "pinStatusTemplateDO": bytes.fromhex("01")})],
        "ef-5gsn3gppnsc": [],
        "ef-routing-indicator": [],
        "ef-uac-aic": [("fillFileContent", bytes.fromhex("01020304"))],
    })
    image = interpret(small_package(element))
    df = find(image, USIM_FID, DF_5GS)
    # an optional-files template: only the files the element names
    assert [c.fid for c in df.children] == [0x4F04, 0x4F06, 0x4F0A]
    nsc = df.child(0x4F04)  # EF.5GSN3GPPNSC, one 57-byte record, SFI 4
    assert (nsc.record_length, nsc.record_count, nsc.sfi) == (57, 1, 4)
    assert bytes(nsc.body) == b"\xff" * 57
    assert bytes(df.child(0x4F0A).body) == bytes.fromhex("F0FFFFFF")  # Routing Indicator
    assert bytes(df.child(0x4F06).body) == bytes.fromhex("01020304")


def test_generic_file_management_creates_and_fills():
    image = interpret(small_package(gfm(
        ("filePath", USIM_FID.to_bytes(2, "big")),
        ("createFCP", {"fileDescriptor": bytes.fromhex("7821"), "fileID": b"\x5f\x99",
                       "pinStatusTemplateDO": bytes.fromhex("01")}),
        # a created DF becomes the current DF (TS 102 222 CREATE FILE)
        ("createFCP", ef_fcp("4121", 0x4F01, 8, shortEFID=bytes([0x05 << 3]))),
        ("fillFileOffset", 2), ("fillFileContent", bytes.fromhex("AABB")),
        ("fillFileOffset", 1), ("fillFileContent", bytes.fromhex("CC")),
        ("createFCP", ef_fcp("42210004", 0x4F02, 12, shortEFID=b"")),
        ("fillFileContent", bytes.fromhex("01020304")), ("fillFileOffset", 4),
        ("fillFileContent", bytes.fromhex("0506")),
    )))
    df = find(image, USIM_FID, 0x5F99)
    assert df.type == FileType.DF
    transparent = find(image, USIM_FID, 0x5F99, 0x4F01)
    assert bytes(transparent.body) == bytes.fromhex("FFFFAABBFFCCFFFF")
    assert transparent.sfi == 5
    records = find(image, USIM_FID, 0x5F99, 0x4F02)
    assert records.sfi is None and records.record_count == 3
    assert [records.record(n) for n in (1, 2, 3)] == [
        bytes.fromhex("01020304"), b"\xff" * 4, bytes.fromhex("0506FFFF")]


def test_generic_file_management_fills_a_file_chosen_by_path():
    image = interpret(small_package(gfm(
        ("filePath", (USIM_FID.to_bytes(2, "big") + EF_IMSI.to_bytes(2, "big"))),
        ("fillFileOffset", 1), ("fillFileContent", bytes.fromhex("AA")),
        ("fillFileContent", bytes.fromhex("BB")),
    )))
    expected = bytearray(ef_imsi(IMSI))
    expected[1:3] = bytes.fromhex("AABB")
    assert bytes(find(image, USIM_FID, EF_IMSI).body) == bytes(expected)


def test_generic_file_management_overwrites_a_template_file():
    image = interpret(small_package(gfm(
        ("filePath", (USIM_FID.to_bytes(2, "big") + EF_IMSI.to_bytes(2, "big"))),
        ("fillFileContent", ef_imsi("001019876543210")),
    )))
    assert imsi_digits(find(image, USIM_FID, EF_IMSI).body) == "001019876543210"


@pytest.mark.parametrize("descriptor, size, info, body", [
    # a fill pattern is written once, its last byte fills the rest
    ("4121", 6, {"fillPattern": bytes.fromhex("A55A")}, "A55A5A5A5A5A"),
    # a repeat pattern repeats as a whole, cut at the end
    ("4121", 7, {"repeatPattern": bytes.fromhex("A55A")}, "A55AA55AA55AA5"),
    # record EFs: the pattern fills each record
    ("42210003", 9, {"fillPattern": bytes.fromhex("0102")}, "010202" * 3),
    ("46210003", 6, {"repeatPattern": bytes.fromhex("0102")}, "010201" * 2),
    ("42210002", 4, {"repeatPattern": bytes.fromhex("00")}, "0000" * 2),
    # neither: 'FF'
    ("4121", 3, {}, "FFFFFF"),
])
def test_fill_and_repeat_patterns(descriptor, size, info, body):
    fcp = ef_fcp(descriptor, 0x6FF3, size)
    if info:
        fcp["proprietaryEFInfo"] = info
    image = interpret(small_package(gfm(("filePath", USIM_FID.to_bytes(2, "big")),
                                        ("createFCP", fcp))))
    f = find(image, USIM_FID, 0x6FF3)
    assert bytes(f.body) == bytes.fromhex(body)
    assert f.size == size


def test_content_written_after_a_pattern():
    image = interpret(small_package(gfm(
        ("filePath", USIM_FID.to_bytes(2, "big")),
        ("createFCP", ef_fcp("4121", 0x6FF4, 6, proprietaryEFInfo={
            "repeatPattern": bytes.fromhex("1234")})),
        ("fillFileOffset", 3), ("fillFileContent", bytes.fromhex("EE")),
    )))
    assert bytes(find(image, USIM_FID, 0x6FF4).body) == bytes.fromhex("123412EE1234")


def test_link_by_generic_file_management():
    image = interpret(small_package(gfm(
        ("filePath", b""),
        ("createFCP", {"fileDescriptor": bytes.fromhex("7821"), "fileID": b"\x7f\x10",
                       "pinStatusTemplateDO": bytes.fromhex("01")}),
        ("createFCP", {"fileDescriptor": bytes.fromhex("4121"), "fileID": b"\x6f\xad",
                       "linkPath": USIM_FID.to_bytes(2, "big") + EF_AD.to_bytes(2, "big")}),
    )))
    link, target = find(image, DF_TELECOM, EF_AD), find(image, USIM_FID, EF_AD)
    assert link.body is target.body and link.size == target.size == 4
    rebuilt = check_round_trip(image)
    assert find(rebuilt, DF_TELECOM, EF_AD).body is find(rebuilt, USIM_FID, EF_AD).body


# -- 3. refused elements -----------------------------------------------------------------------
def test_first_element_must_be_the_header():
    interpreter = ProfileInterpreter()
    with pytest.raises(PeError) as err:
        interpreter.feed(mf(ICCID, 7))
    assert err.value.status == PeStatusCode.INVALID_REQUEST_FORMAT
    assert err.value.identification == 7
    assert decoded_response(err.value) == {
        "peStatus": [{"status": 5, "identification": 7}], "profileInstallationAborted": None}


def test_second_header_is_refused():
    error = refused(small_package(header(ICCID)))
    assert error.status == PeStatusCode.INVALID_REQUEST_FORMAT


@pytest.mark.parametrize("major", [1, 9])
def test_unsupported_major_version(major):
    error = refused(header(ICCID, major=major) + end(1))
    assert error.status == PeStatusCode.UNSUPPORTED_PROFILE_VERSION == 31
    assert decoded_response(error) == {"peStatus": [{"status": 31}],
                                       "profileInstallationAborted": None}


def test_profile_version_3_is_accepted():
    image = interpret(small_package(major=3, minor=3))
    assert image.header["major-version"] == 3


@pytest.mark.parametrize("service", ["contactless", "cave", "multos", "eap", "cat-tp"])
def test_mandatory_service_the_card_lacks(service):
    error = refused(header(ICCID, services=("usim", service)) + end(1))
    assert error.status == PeStatusCode.FEATURE_NOT_SUPPORTED
    assert service in error.detail


def test_unknown_mandatory_gfste():
    error = refused(header(ICCID, templates=(TEMPLATE_MF, "2.23.143.1.2.99")) + end(1))
    assert error.status == PeStatusCode.TEMPLATE_NOT_SUPPORTED
    assert "2.23.143.1.2.99" in error.detail


def test_element_with_an_unknown_template_id():
    _, value = decode_exact(pe(), "ProfileElement", usim(IMSI, BAD_ID))
    value["templateID"] = "2.23.143.1.2.99"
    error = refused(small_package(encode_element("usim", value), include=("mf",)))
    assert (error.status, error.identification) == (
        PeStatusCode.TEMPLATE_NOT_SUPPORTED, BAD_ID)


def test_element_with_a_template_of_another_element():
    _, value = decode_exact(pe(), "ProfileElement", usim(IMSI, BAD_ID))
    value["templateID"] = "2.23.143.1.2.8"  # ADF.ISIM's
    error = refused(small_package(encode_element("usim", value), include=("mf",)))
    assert (error.status, error.identification) == (PeStatusCode.BAD_VALUES, BAD_ID)


@pytest.mark.parametrize("commands", [
    pytest.param([("filePath", bytes.fromhex("7FF16F07")),  # EF.IMSI has 9 bytes
                  ("fillFileContent", bytes(10))], id="content-past-the-end"),
    pytest.param([("filePath", bytes.fromhex("7FF1")),
                  ("createFCP", ef_fcp("4121", 0x6FF5, 4)),
                  ("fillFileOffset", 3), ("fillFileContent", bytes(2))], id="offset-past-the-end"),
    pytest.param([("filePath", bytes.fromhex("7FF1")),
                  ("createFCP", ef_fcp("42210004", 0x6FF5, 8)),
                  ("fillFileContent", bytes(9))], id="records-past-the-end"),
    pytest.param([("filePath", bytes.fromhex("7FF16FFE")),
                  ("fillFileContent", b"\x00")], id="no-such-file-path"),
    pytest.param([("filePath", bytes.fromhex("7FF3"))], id="no-such-adf"),
    pytest.param([("filePath", bytes.fromhex("7FF1")),
                  ("createFCP", {"fileDescriptor": bytes.fromhex("4121"), "fileID": b"\x6f\xf5",
                                 "linkPath": bytes.fromhex("7FF16FFE")})], id="link-to-nothing"),
    pytest.param([("filePath", bytes.fromhex("7FF1")),
                  ("createFCP", {"fileDescriptor": bytes.fromhex("4121"), "fileID": b"\x6f\xf5",
                                 "linkPath": bytes.fromhex("7FF1")})], id="link-to-a-df"),
    pytest.param([("filePath", bytes.fromhex("7FF1")),
                  ("createFCP", ef_fcp("4121", EF_IMSI, 4))], id="fid-taken"),
    pytest.param([("filePath", bytes.fromhex("7FF1")),
                  ("createFCP", ef_fcp("42210000", 0x6FF5, 8))], id="no-record-length"),
    pytest.param([("filePath", bytes.fromhex("7FF1")),
                  ("createFCP", ef_fcp("42210005", 0x6FF5, 8))], id="partial-record"),
    pytest.param([("filePath", bytes.fromhex("7FF1")),
                  ("createFCP", ef_fcp("4121", 0x6FF5))], id="no-size"),
    pytest.param([("filePath", bytes.fromhex("7FF1")),
                  ("fillFileContent", b"\x00")], id="content-for-a-df"),
])
def test_bad_file_commands_name_their_element(commands):
    error = refused(small_package(gfm(*commands)))
    assert (error.status, error.identification) == (PeStatusCode.BAD_VALUES, BAD_ID)
    assert decoded_response(error) == {
        "peStatus": [{"status": 3, "identification": BAD_ID}],
        "profileInstallationAborted": None}


def test_element_after_end():
    interpreter = ProfileInterpreter()
    for element in split(small_package()):
        interpreter.feed(element)
    with pytest.raises(PeError) as err:
        interpreter.feed(end(99))
    assert err.value.status == PeStatusCode.INVALID_REQUEST_FORMAT
    assert decoded_response(err.value)["profileInstallationAborted"] is None


def aka_element(identification: int, algorithm: int, key: bytes, opc: bytes) -> bytes:
    return encode_element("akaParameter", {
        "aka-header": {"identification": identification},
        "algoConfiguration": ("algoParameter", {
            "algorithmID": algorithm, "algorithmOptions": b"\x00", "key": key, "opc": opc}),
    })


@pytest.mark.parametrize("algorithm, key, opc", [
    (1, bytes(15), bytes(16)),  # MILENAGE: K of 128 bits
    (1, bytes(32), bytes(16)),
    (1, bytes(16), bytes(15)),
    (2, bytes(24), bytes(32)),  # TUAK: K of 128 or 256 bits
    (2, bytes(16), bytes(16)),  # TUAK: TOPc of 256 bits
    (3, b"", bytes(16)),
    (3, bytes(17), bytes(16)),
])
def test_aka_parameter_with_wrong_key_lengths(algorithm, key, opc):
    error = refused(small_package(usim(IMSI, 300), aka_element(BAD_ID, algorithm, key, opc),
                                  include=("mf",)))
    assert (error.status, error.identification) == (PeStatusCode.BAD_VALUES, BAD_ID)


def test_aka_parameter_without_an_naa():
    error = refused(small_package(aka_element(BAD_ID, 1, K, bytes(16)), include=("mf",)))
    assert (error.status, error.identification) == (PeStatusCode.BAD_VALUES, BAD_ID)


def test_aka_mapping_to_an_unknown_naa():
    error = refused(small_package(isim(IMSI, 300), aka_mapping(BAD_ID, bytes(16))))
    assert (error.status, error.identification) == (PeStatusCode.BAD_VALUES, BAD_ID)


def test_pin_defined_twice():
    twice = pin_codes(BAD_ID, [PinConfig(0x01, "1111")])
    error = refused(small_package(twice, include=("mf",), pins={0x01: "2222"}, puks={}))
    assert (error.status, error.identification) == (PeStatusCode.BAD_VALUES, BAD_ID)


@pytest.mark.parametrize("data", [
    b"", b"\x00", b"\xff\xff\xff", bytes.fromhex("A0"), bytes.fromhex("A005020101"),
    bytes.fromhex("AA03A00100"), bytes(range(40)),
])
def test_garbage_is_an_invalid_request(data):
    interpreter = ProfileInterpreter()
    with pytest.raises(PeError) as err:
        interpreter.feed(data)
    assert err.value.status == PeStatusCode.INVALID_REQUEST_FORMAT
    assert err.value.identification is None
    assert decoded_response(err.value) == {"peStatus": [{"status": 5}],
                                           "profileInstallationAborted": None}


def test_truncated_or_padded_elements_are_invalid():
    first, second = split(small_package())[:2]
    interpreter = ProfileInterpreter()
    interpreter.feed(first)
    for data in (second[:-1], second + b"\x00"):
        with pytest.raises(PeError) as err:
            interpreter.feed(data)
        assert err.value.status == PeStatusCode.INVALID_REQUEST_FORMAT


# An mf element whose "mf" File holds a member with tag '85', which no File CHOICE has:
# asn1tools 0.169's own DER SEQUENCE OF decoder gets TAG_MISMATCH without moving on and
# loops forever; euicc.asn1 must turn that into a decoding error.
UNKNOWN_FILE_MEMBER = bytes.fromhex("B011" "A003810101" "810667810F010201" "A2028500")


def test_unknown_member_of_a_file_is_refused_not_hung():
    interpreter = ProfileInterpreter()
    interpreter.feed(header(ICCID))
    try:
        with time_limit(5), pytest.raises(PeError) as err:
            interpreter.feed(UNKNOWN_FILE_MEMBER)
    except _Hung:
        pytest.fail("ProfileInterpreter.feed did not return within 5 s")
    assert err.value.status == PeStatusCode.INVALID_REQUEST_FORMAT


def test_finish_without_end():
    with pytest.raises(PeError) as err:
        ProfileInterpreter().finish()
    assert err.value.status == PeStatusCode.INVALID_REQUEST_FORMAT
    interpreter = ProfileInterpreter()
    for element in split(small_package())[:-1]:
        interpreter.feed(element)
    with pytest.raises(PeError) as err:
        interpreter.finish()
    assert err.value.status == PeStatusCode.INVALID_REQUEST_FORMAT
    assert decoded_response(err.value) == {"peStatus": [{"status": 5}],
                                           "profileInstallationAborted": None}


def test_success_response():
    assert decode_exact(pe(), "EUICCResponse", success_response()) == {
        "peStatus": [{"status": 0}]}


# -- 4. through the download path --------------------------------------------------------------
ADDRESS = "smdp.test.example"
GOOD_ICCID, BAD_ICCID = "8944123400000000033", "8944123400000000044"


@pytest.fixture
def smdp(pki_dir, tmp_path):
    from tools.smdp.es9 import Smdp

    profiles = tmp_path / "profiles"
    profiles.mkdir()
    (profiles / "GOOD.der").write_bytes(build_upp(GOOD_ICCID, IMSI, k=K, opc=TS35208_OPC))
    past_the_end = gfm(("filePath", bytes.fromhex("7FF16F07")), ("fillFileOffset", 0),
                       ("fillFileContent", bytes(10)))
    (profiles / "BAD.der").write_bytes(build_upp(BAD_ICCID, IMSI, k=K, opc=TS35208_OPC,
                                                 extra_elements=[past_the_end]))
    return Smdp(ADDRESS, pki_dir, profiles)


@pytest.fixture
def es10(card):
    from tools.lpa.es10 import Es10Client
    from tools.lpa.link import DirectLink

    client = Es10Client(DirectLink(card))
    client.open()
    return client


def es9_direct(smdp):
    functions = {"initiateAuthentication": smdp.initiate_authentication,
                 "authenticateClient": smdp.authenticate_client,
                 "getBoundProfilePackage": smdp.get_bound_profile_package,
                 "handleNotification": smdp.handle_notification,
                 "cancelSession": smdp.cancel_session}
    return lambda name, body: functions[name](body)


def table_rows(store, table: str) -> int:
    return store._db.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0]


def test_download_with_a_bad_element_installs_nothing(es10, smdp, store):
    from tools.lpa.download import download

    result = download(es10, es9_direct(smdp), ADDRESS, "BAD")
    assert not result.ok
    kind, error = result.result["profileInstallationResultData"]["finalResult"]
    assert kind == "errorResult"
    assert error["bppCommandId"] == 5  # loadProfileElements
    assert error["errorReason"] == 12  # peProcessingError
    assert decode_exact(pe(), "EUICCResponse", error["simaResponse"]) == {
        "peStatus": [{"status": PeStatusCode.BAD_VALUES, "identification": BAD_ID}],
        "profileInstallationAborted": None}
    assert store.profiles() == []
    for table in ("isdp_files", "isdp_secrets", "isdp_content"):
        assert table_rows(store, table) == 0, table
    # the card is not left half-way: the next download installs
    assert download(es10, es9_direct(smdp), ADDRESS, "GOOD").ok


def test_download_stores_files_and_secrets(es10, smdp, store):
    from tools.lpa.download import download

    result = download(es10, es9_direct(smdp), ADDRESS, "GOOD")
    assert result.ok
    kind, success = result.result["profileInstallationResultData"]["finalResult"]
    assert decode_exact(pe(), "EUICCResponse", success["simaResponse"]) == {
        "peStatus": [{"status": 0}]}
    (profile,) = store.profiles()
    files = store.profile_files(profile.isdp_aid)
    paths = [path for path, _, _ in files]
    assert paths[0] == "3F00"
    assert f"3F00/{USIM_FID:04X}/{EF_IMSI:04X}" in paths
    assert f"3F00/{USIM_FID:04X}/{DF_5GS:04X}/4F01" in paths
    secrets = store.profile_secrets(profile.isdp_aid)
    assert {kind for kind, _, _ in secrets} >= {"pin", "puk", "aka"}
    image = image_from_rows(files, secrets)
    assert bytes(find(image, USIM_FID, EF_IMSI).body) == ef_imsi(IMSI)
    assert bytes(find(image, EF_ICCID).body) == bytes.fromhex("9844214300000000 30F3")
    (aka,) = [a for a in image.aka if USIM_AID in a.adf_aids]
    assert (aka.algorithm, aka.key, aka.opc) == (1, K, TS35208_OPC)
    assert next(p for p in image.pins if p.key_ref == 0x01).value == b"1234\xff\xff\xff\xff"
