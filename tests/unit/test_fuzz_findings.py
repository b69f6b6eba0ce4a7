"""What the coverage-guided fuzzing of bench/fuzz found (issue 9), one test per finding: the
input as the fuzzer made it (where it carried a certificate of the fuzz run's own PKI, the
same byte change made to this test's certificate), the answer the specification gives,
nothing changed on the card, and the card still answering."""

from __future__ import annotations

import base64

import pytest

from euicc.asn1 import decode_exact, encode, pe, rsp
from euicc.fs.model import FileType
from euicc.ppi import PeError, PeStatusCode, ProfileInterpreter
from euicc.store import NotificationEvent, NotificationRecord
from euicc.tlv import split, tlv
from euicc_tools.lpa.download import DEFAULT_TAC, b64
from euicc_tools.testkit.in_process_es9 import es9_direct
from euicc_tools.testkit.profile_builder import build_upp, encode_element, generic_file_management
from tests.support.downloads import ADDRESS
from tests.support.profile_metadata import iccid_bytes

ISD_R = bytes.fromhex("A0000005591010FFFFFFFF8900000100")
GET_EID = bytes.fromhex("BF3E035C015A")


def store_data(card, command: bytes) -> tuple[bytes, int]:
    """One ES10 command on the basic channel (SGP.22 5.7.2), '61xx' chaining followed."""
    card.transmit(bytes([0x00, 0xA4, 0x04, 0x00, len(ISD_R)]) + ISD_R)
    data, sw = b"", 0
    blocks = [command[i:i + 255] for i in range(0, len(command), 255)]
    for n, block in enumerate(blocks):
        last = n == len(blocks) - 1
        response = card.transmit(bytes([0x80, 0xE2, 0x91 if last else 0x11, n, len(block)])
                                 + block)
        data, sw = response[:-2], int.from_bytes(response[-2:], "big")
    while sw >> 8 == 0x61:
        response = card.transmit(bytes([0x00, 0xC0, 0x00, 0x00, sw & 0xFF]))
        data, sw = data + response[:-2], int.from_bytes(response[-2:], "big")
    return data, sw


def still_answers(card) -> None:
    data, sw = store_data(card, GET_EID)
    assert sw == 0x9000 and data[:2] == b"\xbf\x3e"


# -- ES10 (SGP.22 5.7) -------------------------------------------------------------------
def test_retrieve_notifications_list_with_an_unknown_search_criterion(card, store):
    """SGP.22 5.7.10 / 5.7.2: searchCriteria is a CHOICE of seqNumber [0] and
    profileManagementOperation [1]; a constructed [0] is neither (asn1tools decoded it as an
    unknown extension and the handler failed with undefinedError). ISO 7816-4 '6A80'."""
    found = bytes.fromhex("BF2B0E" "A00C" "5A0A98640000000000000000")
    assert store_data(card, found) == (b"", 0x6A80)
    still_answers(card)


def test_remove_notification_with_a_sequence_number_beyond_64_bits(card, store):
    """SGP.22 5.7.11: a seqNumber no notification has answers nothingToDelete(1); one too
    large for the card's counter (the fuzzer's was 11 octets) failed inside the store."""
    pending = bytes.fromhex("BF2F00")
    store.add_notification(NotificationRecord(1, NotificationEvent.INSTALL, "a.example",
                                              iccid_bytes("8944000000000000001"), pending))
    found = bytes.fromhex("BF300D" "800B" "27000000000000057465AB")
    data, sw = store_data(card, found)
    assert sw == 0x9000
    assert decode_exact(rsp(), "NotificationSentResponse", data) == {
        "deleteNotificationStatus": 1}
    assert [n.seq for n in store.notifications()] == [1]
    still_answers(card)


def _authenticate_server(card, smdp, change) -> tuple[str, object]:
    """AuthenticateServer with the SM-DP+'s real request, CERT.DPauth changed by ``change``."""
    es9 = es9_direct(smdp)
    challenge, sw = store_data(card, bytes.fromhex("BF2E00"))
    assert sw == 0x9000
    info1, _ = store_data(card, bytes.fromhex("BF2000"))
    init = es9("initiateAuthentication", {
        "euiccChallenge": b64(decode_exact(rsp(), "GetEuiccChallengeResponse", challenge)[
            "euiccChallenge"]), "euiccInfo1": b64(info1), "smdpAddress": ADDRESS})
    field = {k: base64.b64decode(init[k]) for k in (
        "serverSigned1", "serverSignature1", "euiccCiPKIdToBeUsed", "serverCertificate")}
    ctx = encode(rsp(), "CtxParams1", ("ctxParamsForCommonAuthentication", {
        "matchingId": "TINY", "deviceInfo": {"tac": DEFAULT_TAC, "deviceCapabilities": {}}}))
    certificate = change(field["serverCertificate"])
    assert certificate != field["serverCertificate"]
    data, sw = store_data(card, tlv(0xBF38, field["serverSigned1"] + field["serverSignature1"]
                                    + field["euiccCiPKIdToBeUsed"] + certificate + ctx))
    assert sw == 0x9000
    return decode_exact(rsp(), "AuthenticateServerResponse", data)


def test_cert_dpauth_with_a_key_algorithm_the_card_lacks(card, store, smdp):
    """SGP.22 5.7.13: the fuzzer turned id-ecPublicKey (1.2.840.10045.2.1) into
    1.2.840.10029.2.1; the card cannot use such a key: unsupportedCurve(3), not
    undefinedError."""
    ec_public_key = bytes.fromhex("06072A8648CE3D0201")

    def change(der: bytes) -> bytes:
        return der.replace(ec_public_key, bytes.fromhex("06072A8648CE2D0201"), 1)

    kind, value = _authenticate_server(card, smdp, change)
    assert kind == "authenticateResponseError"
    assert value["authenticateErrorCode"] == 3
    assert store.profiles() == []
    still_answers(card)


def test_cert_dpauth_with_a_malformed_crl_distribution_point(card, store, smdp):
    """SGP.22 5.7.13 (and 4.5.2.2 certificate verification): a CRL distribution point URI
    that is no IA5String (the fuzzer's non-ASCII byte) makes the certificate unreadable:
    invalidCertificate(1), not undefinedError."""
    def change(der: bytes) -> bytes:
        return der.replace(b"http://ci.test", b"\xe8ttp://ci.test", 1)

    kind, value = _authenticate_server(card, smdp, change)
    assert kind == "authenticateResponseError"
    assert value["authenticateErrorCode"] == 1
    still_answers(card)


@pytest.mark.parametrize("old, new", [
    ("A003020102", "A003020108"),  # version v3 made 8 by the fuzzer: InvalidVersion
    ("0603551D20", "0603551D0F"),  # certificatePolicies made a second keyUsage
], ids=["version-8", "duplicate-extension"])
def test_cert_dpauth_that_is_no_well_formed_x509(card, store, smdp, old, new):
    """SGP.22 5.7.13 (4.5.2.2), RFC 5280 4.1: an X.509 version other than v1-v3, or an
    extension present twice (the fuzzer's two changes, found in the long run), is an
    invalidCertificate(1), not undefinedError."""
    def change(der: bytes) -> bytes:
        return der.replace(bytes.fromhex(old), bytes.fromhex(new), 1)

    kind, value = _authenticate_server(card, smdp, change)
    assert kind == "authenticateResponseError"
    assert value["authenticateErrorCode"] == 1
    still_answers(card)


# -- the Profile Package Interpreter (SAIP 8) ------------------------------------------------
def _interpreter_after(kind: str) -> tuple[ProfileInterpreter, list[bytes]]:
    """The interpreter after the built package's elements up to its ``kind`` one."""
    elements = split(build_upp("89440000000000000017", "001010000000017",
                               k=bytes(range(16)), opc=bytes(16)))
    interpreter = ProfileInterpreter()
    for element in elements:
        interpreter.feed(element)
        if decode_exact(pe(), "ProfileElement", element)[0] == kind:
            return interpreter, elements
    raise AssertionError(f"no {kind} element")


def test_aka_parameter_with_an_unknown_algorithm_configuration():
    """SAIP 8.6 PE-AKAParameter: algoConfiguration is algoParameter or mappingParameter; the
    fuzzer's [1] constructed holding a [1] is an unknown extension (the interpreter failed
    with a TypeError). PEStatus feature-not-supported, naming the element."""
    interpreter, _ = _interpreter_after("usim")
    found = bytes.fromhex("A435A0058000810116A12C00810116A12CA12A80010381010282100001020304"
                          "05060708090A0B0C0D0E0F831000000000000000000000")
    with pytest.raises(PeError) as error:
        interpreter.feed(found)
    assert error.value.status == PeStatusCode.FEATURE_NOT_SUPPORTED
    assert error.value.identification == 22
    assert interpreter.image.aka == []


@pytest.mark.parametrize("fcp", [
    # the fuzzer's efFileSize (8 octets, about 4.8e17 bytes): MemoryError before
    {"fileDescriptor": bytes.fromhex("4121"), "fileID": bytes.fromhex("6F01"),
     "efFileSize": bytes.fromhex("06A501040140C103")},
    # one past what fits in the card's profile memory (1 MiB)
    {"fileDescriptor": bytes.fromhex("4121"), "fileID": bytes.fromhex("6F01"),
     "efFileSize": (1 << 20 | 1).to_bytes(3, "big")},
    # 17 records of 65535 bytes
    {"fileDescriptor": bytes.fromhex("4221FFFF"), "fileID": bytes.fromhex("6F01"),
     "efFileSize": (0xFFFF * 17).to_bytes(3, "big")},
], ids=["fuzzer-size", "over-memory", "records"])
def test_a_file_larger_than_the_card_is_bad_values(fcp):
    """SAIP 8.3.3 genericFileManagement createFCP (TS 102 222 6.3 CREATE FILE): an EF the
    card cannot hold is refused with PEStatus bad-values instead of exhausting memory."""
    interpreter, _ = _interpreter_after("mf")
    element = generic_file_management(77, [[("createFCP", fcp)]])
    with pytest.raises(PeError) as error:
        interpreter.feed(element)
    assert error.value.status == PeStatusCode.BAD_VALUES
    assert error.value.identification == 77
    assert interpreter.image.tree.mf.child(0x6F01) is None


def test_a_template_record_ef_made_transparent_gets_a_whole_body():
    """SAIP 8.3.2: the profile's fileDescriptor wins over the template (here EF.EXT7 of
    the optional USIM template, a linear fixed EF, made transparent with 110 bytes and FID
    4F05 by the fuzzer's File). The template's record content no longer applies: the body
    has the file's 110 bytes ('FF', TS 102 222 6.3.2.2.2), not 8 records of 13."""
    interpreter, _ = _interpreter_after("usim")
    found = bytes.fromhex("3012A1108202412183024F058B036F060380016E")
    element = encode_element("opt-usim", {
        "optusim-header": {"identification": 60, "mandated": None},
        "templateID": "2.23.143.1.2.5",
        "ef-ext7": decode_exact(pe(), "File", found)})
    interpreter.feed(element)
    usim = interpreter._last_naa
    ext7 = usim.child(0x4F05)
    assert ext7.type == FileType.TRANSPARENT
    assert ext7.size == 110
    assert bytes(ext7.body) == b"\xff" * 110
