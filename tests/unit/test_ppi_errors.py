"""What the Profile Package Interpreter refuses, and how (TCA eUICC Profile Package:
Interoperable Format Technical Specification 2.3 / 3.3, 8.7 EUICCResponse and its PEStatus
codes; ETSI TS 102 222 6.3 CREATE FILE for the bad file commands): a missing or second
header, unsupported versions, services and templates, bad file commands, AKA parameters and
PINs, garbage and truncated elements, an asn1tools decoder loop. Then the whole download path
(SGP.22 5.7.6 LoadBoundProfilePackage, 2.5.6 peProcessingError): a refused element ends the
download and leaves nothing in the store; a good package stores its files and secrets.
"""

from __future__ import annotations

import signal
from collections.abc import Iterator
from contextlib import contextmanager

import pytest

from euicc.asn1 import decode_exact, pe
from euicc.ppi import PeError, PeStatusCode, ProfileInterpreter, success_response
from euicc.store_image import image_from_rows
from euicc.tlv import split
from euicc_tools.testkit.in_process_es9 import es9_direct
from euicc_tools.testkit.profile_builder import (
    TEMPLATE_MF,
    USIM_AID,
    PinConfig,
    aka_mapping,
    build_upp,
    ef_imsi,
    encode_element,
    end,
    header,
    isim,
    mf,
    pin_codes,
    usim,
)
from tests.support.ppi_checks import (
    BAD_ID,
    DF_5GS,
    EF_ICCID,
    EF_IMSI,
    ICCID,
    IMSI,
    TS35208_OPC,
    USIM_FID,
    K,
    ef_fcp,
    find,
    gfm,
    interpret,
    refused,
    small_package,
)


def decoded_response(error: PeError) -> dict:
    return decode_exact(pe(), "EUICCResponse", error.euicc_response())


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


# -- refused elements --------------------------------------------------------------------------
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


@pytest.mark.parametrize("service", ["contactless", "cave", "multos", "eap", "cat-tp", "dfLink"])
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


# -- through the download path -----------------------------------------------------------------
ADDRESS = "smdp.test.example"
GOOD_ICCID, BAD_ICCID = "8944123400000000033", "8944123400000000044"


@pytest.fixture
def smdp(pki_dir, tmp_path):
    from euicc_tools.smdp.es9 import Smdp

    profiles = tmp_path / "profiles"
    profiles.mkdir()
    (profiles / "GOOD.der").write_bytes(build_upp(GOOD_ICCID, IMSI, k=K, opc=TS35208_OPC))
    past_the_end = gfm(("filePath", bytes.fromhex("7FF16F07")), ("fillFileOffset", 0),
                       ("fillFileContent", bytes(10)))
    (profiles / "BAD.der").write_bytes(build_upp(BAD_ICCID, IMSI, k=K, opc=TS35208_OPC,
                                                 extra_elements=[past_the_end]))
    return Smdp(ADDRESS, pki_dir, profiles)


def table_rows(store, table: str) -> int:
    return store._db.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0]


def test_download_with_a_bad_element_installs_nothing(es10, smdp, store):
    from euicc_tools.lpa.download import download

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
    for table in ("isdp_image", "isdp_files", "isdp_secrets", "isdp_content"):
        assert table_rows(store, table) == 0, table
    # the card is not left half-way: the next download installs
    assert download(es10, es9_direct(smdp), ADDRESS, "GOOD").ok


def test_download_stores_files_and_secrets(es10, smdp, store):
    from euicc_tools.lpa.download import download

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


def test_aka_algorithm_ids_are_one_enum_through_the_store():
    """SAIP AlgoParameter.algorithmID: the PPI's, the UICC's and the shell's one IntEnum, and
    it survives the store's row codec as that enum."""
    from euicc.ppi import AkaAlgorithmId, AkaConfig

    config = AkaConfig(algorithm=AkaAlgorithmId.TUAK, options=0, key=bytes(32), opc=bytes(32))
    again = AkaConfig.from_bytes(config.to_bytes())
    assert again.algorithm is AkaAlgorithmId.TUAK and again.algorithm == 2
    assert [a.label for a in AkaAlgorithmId] == [
        "MILENAGE", "TUAK", "USIM test algorithm (TS 34.108)"]
