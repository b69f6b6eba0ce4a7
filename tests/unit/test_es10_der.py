"""ES10 requests that are not DER get '6A80' like any data that does not decode (SGP.22
5.7.2 STORE DATA: incorrect values in the command data; Annex H: the RSPDefinitions data
is DER, ITU-T X.690 clause 10), in every function, leaving the store as it was and the
card answering. The checks live once in the decoding layer (euicc/asn1/x690.py).

pySim-shell's ``euicc_memory_reset`` sends ResetOptions as ``82 01 80`` (no unused-bits
octet, shared/docs/interop.md): asn1tools alone decoded it as a BIT STRING of -128 bits,
so the card answered nothingToDelete with profiles present. It is now refused with
'6A80', which is what pySim-shell then prints (its STORE DATA expects '9000').
"""

from __future__ import annotations

import pytest

from euicc.asn1 import Asn1Error, decode_exact, encode, pe, rsp
from euicc.tlv import read_header
from euicc_tools.lpa.es10 import CardError
from tests.support.hostile_inputs import store_snapshot
from tests.support.profile_metadata import iccid_bytes, metadata_der

ICCID = "8944123400000000441"
ISD_R_AID = bytes.fromhex("A0000005591010FFFFFFFF8900000100")
OTHER = "8944123400000000442"


def h(text: str) -> bytes:
    return bytes.fromhex(text.replace(" ", ""))


def with_long_length(der: bytes) -> bytes:
    """The same TLV with its length in a non-minimal long form ('82 00 LL')."""
    head = read_header(der)
    tag = der[:head.header_length - (1 if head.length < 0x80 else 2 + (head.length > 0xFF))]
    return tag + b"\x82" + head.length.to_bytes(2, "big") + der[head.header_length:]


ENABLE_BY_ICCID = ("iccid", iccid_bytes(ICCID))
# One valid request of every ES10 function whose data is decoded as an SGP.22 type
# (LoadBoundProfilePackage's pieces are a byte stream, tests/unit/test_download.py).
VALID_REQUESTS = [
    ("GetEuiccDataRequest", {"tagList": b"\x5a"}),
    ("GetEuiccInfo1Request", {}),
    ("GetEuiccInfo2Request", {}),
    ("EuiccConfiguredAddressesRequest", {}),
    ("SetDefaultDpAddressRequest", {"defaultDpAddress": "smdp.example.com"}),
    ("GetRatRequest", {}),
    ("GetEuiccChallengeRequest", {}),
    ("CancelSessionRequest", {"transactionId": bytes(16), "reason": 0}),
    ("AuthenticateServerRequest", {
        "serverSigned1": {"transactionId": bytes(16), "euiccChallenge": bytes(16),
                          "serverAddress": "smdp.example.com", "serverChallenge": bytes(16)},
        "serverSignature1": bytes(64), "euiccCiPKIdToBeUsed": bytes(20),
        "serverCertificate": h("3000"),
        "ctxParams1": ("ctxParamsForCommonAuthentication", {
            "matchingId": "X", "deviceInfo": {"tac": bytes(4), "deviceCapabilities": {}}})}),
    ("PrepareDownloadRequest", {
        "smdpSigned2": {"transactionId": bytes(16), "ccRequiredFlag": False},
        "smdpSignature2": bytes(64), "smdpCertificate": h("3000")}),
    ("ProfileInfoListRequest", {}),
    ("EnableProfileRequest", {"profileIdentifier": ENABLE_BY_ICCID, "refreshFlag": False}),
    ("DisableProfileRequest", {"profileIdentifier": ENABLE_BY_ICCID, "refreshFlag": False}),
    ("DeleteProfileRequest", ENABLE_BY_ICCID),
    ("SetNicknameRequest", {"iccid": iccid_bytes(ICCID), "profileNickname": "n"}),
    ("EuiccMemoryResetRequest", {"resetOptions": (b"\x80", 1)}),
    ("ListNotificationRequest", {}),
    ("RetrieveNotificationsListRequest", {}),
    ("NotificationSentRequest", {"seqNumber": 1}),
]

ID = iccid_bytes(ICCID).hex()
# (what is wrong, X.690 clause, malformed request, its well-formed twin)
MALFORMED = [
    ("pySim-shell's ResetOptions: no unused-bits octet", "8.6.2.3",
     "BF34 03 82 01 80", "BF34 04 82 02 07 80"),
    ("BIT STRING with 8 unused bits", "8.6.2.2", "BF34 04 82 02 08 80", "BF34 04 82 02 07 80"),
    ("BIT STRING padding bit set", "11.2.1", "BF34 04 82 02 07 C0", "BF34 04 82 02 06 C0"),
    ("BIT STRING without content", "8.6.2", "BF34 02 82 00", "BF34 03 82 01 00"),
    ("BOOLEAN TRUE as 01", "11.1", f"BF31 11 A0 0C 5A 0A {ID} 81 01 01",
     f"BF31 11 A0 0C 5A 0A {ID} 81 01 FF"),
    ("INTEGER with a redundant 00", "8.3.2", "BF30 04 80 02 00 05", "BF30 03 80 01 05"),
    ("INTEGER with a redundant FF", "8.3.2", "BF30 04 80 02 FF 85", "BF30 03 80 01 85"),
    ("INTEGER without content", "8.3.1", "BF30 02 80 00", "BF30 03 80 01 00"),
    ("outer length in long form", "10.1", "BF3E 81 03 5C 01 5A", "BF3E 03 5C 01 5A"),
    ("inner length in long form", "10.1", "BF3E 04 5C 81 01 5A", "BF3E 03 5C 01 5A"),
    ("length with a leading zero octet", "10.1", "BF3E 82 00 03 5C 01 5A", "BF3E 03 5C 01 5A"),
    ("indefinite length", "10.1", "BF3E 80 5C 01 5A 00 00", "BF3E 03 5C 01 5A"),
    ("tag [1] in the high-tag-number form", "8.1.2.4", "BF28 05 9F 01 02 07 80",
     "BF28 04 81 02 07 80"),
    ("tag number with a leading zero septet", "8.1.2.4.2", "BF28 06 9F 80 21 02 07 80",
     "BF28 04 81 02 07 80"),
    ("member repeated", "X.680 25", "BF34 08 82 02 07 80 82 02 07 80", "BF34 04 82 02 07 80"),
    ("members out of order", "X.680 25", f"BF31 11 81 01 FF A0 0C 5A 0A {ID}",
     f"BF31 11 A0 0C 5A 0A {ID} 81 01 FF"),
    ("explicit tag holding two values", "8.14",
     f"BF31 1D A0 18 5A 0A {ID} 4F 0A {ID} 81 01 FF", f"BF31 11 A0 0C 5A 0A {ID} 81 01 FF"),
    ("a value cut short inside its container", "8.1.1", "BF3E 03 5C 02 5A", "BF3E 03 5C 01 5A"),
]


@pytest.fixture
def populated(card, add_profile, store):
    """A card with profiles and a signed pending notification: something to lose."""
    from euicc.store import NotificationEvent

    add_profile(ICCID, notify={3: "smdp.example.com"})  # delete events notified
    add_profile(OTHER, enabled=True)
    isd_r = card.registry.get(ISD_R_AID)
    assert isd_r.notifications.record(NotificationEvent.DELETE,
                                      store.profile_by_iccid(iccid_bytes(ICCID))) is not None
    return store


def pysim_exchange(card, data: bytes) -> tuple[bytes, int]:
    """One STORE DATA on the basic channel, as pySim-shell sends it (80 E2 91 00 .. 00),
    with GET RESPONSE after '61xx'."""
    response = card.transmit(bytes([0x80, 0xE2, 0x91, 0x00, len(data)]) + data + b"\x00")
    received = b""
    while response[-2] == 0x61:
        received += response[:-2]
        response = card.transmit(bytes([0x00, 0xC0, 0x00, 0x00, response[-1]]))
    return received + response[:-2], int.from_bytes(response[-2:], "big")


def pysim_store_data(card, data: bytes) -> int:
    return pysim_exchange(card, data)[1]


def select_isd_r(card) -> None:
    assert card.transmit(h("00A4040010A0000005591010FFFFFFFF8900000100"))[-2] in (0x61, 0x90)


@pytest.mark.parametrize("what, clause, malformed, twin", MALFORMED,
                         ids=[case[0] for case in MALFORMED])
def test_malformed_der_is_6a80_and_changes_nothing(card, populated, credentials, what, clause,
                                                   malformed, twin):
    """X.690 (clause in the case) forms asn1tools accepts: '6A80' (SGP.22 5.7.2), the
    store unchanged, the card answering; the well-formed twin is executed."""
    select_isd_r(card)
    before = store_snapshot(populated)
    assert pysim_store_data(card, h(malformed)) == 0x6A80, (what, clause)
    assert store_snapshot(populated) == before
    assert pysim_store_data(card, h("BF3E035C015A")) == 0x9000
    assert pysim_store_data(card, h(twin)) == 0x9000, what


@pytest.mark.parametrize("type_name, value", VALID_REQUESTS,
                         ids=[t for t, _ in VALID_REQUESTS])
def test_every_function_refuses_a_non_minimal_length(es10, populated, type_name, value):
    """Every ES10 function: its request with the outer length in a non-minimal long form
    (X.690 10.1) is '6A80' and changes nothing; the DER request is executed."""
    der = encode(rsp(), type_name, value)
    before = store_snapshot(populated)
    with pytest.raises(CardError) as refused:
        es10.store_data(with_long_length(der))
    assert refused.value.sw == 0x6A80
    assert store_snapshot(populated) == before
    assert es10.store_data(der)  # the card answers the well-formed request with data


def test_memory_reset_with_pysims_encoding_keeps_the_profiles(card, populated):
    """The case of the report: profiles exist, pySim's '82 01 80' must not answer
    nothingToDelete (nor delete anything); the DER form '82 02 07 80' deletes them."""
    select_isd_r(card)
    assert pysim_store_data(card, h("BF34 03 82 01 80")) == 0x6A80
    assert len(populated.profiles()) == 2
    answer, sw = pysim_exchange(card, h("BF34 04 82 02 07 80"))
    assert sw == 0x9000
    assert decode_exact(rsp(), "EuiccMemoryResetResponse", answer) == {"resetResult": 0}
    assert populated.profiles() == []


# -- the decoding layer ------------------------------------------------------------------------

def test_default_value_written_out_is_accepted():
    """X.690 11.5 is not enforced: osmo-smdpp (pySim esim/es8p.py) writes StoreMetadata's
    profileClass operational(2) out although it is the DEFAULT; refusing it would refuse
    its every download."""
    written_out = metadata_der(ICCID, profile_class=2)
    assert h("950102") in written_out
    assert decode_exact(rsp(), "StoreMetadataRequest", written_out)["profileClass"] == 2


def test_profile_packages_keep_ber_freedoms_but_not_ber_errors():
    """Profile packages (SAIP PEDefinitions) keep BER's freedoms (a length in long form,
    X.690 8.1.3.5); forms X.690 forbids in BER as well are refused there too (an INTEGER
    with a redundant leading octet, 8.3.2). The SGP.22 module refuses both."""
    assert decode_exact(pe(), "PE-End", h("3005 A003 810105")) == {
        "end-header": {"identification": 5}}
    assert decode_exact(pe(), "PE-End", h("3006 A081 03 810105")) == {
        "end-header": {"identification": 5}}
    with pytest.raises(Asn1Error, match="fewest octets"):
        decode_exact(pe(), "PE-End", h("3006 A004 81020005"))
    with pytest.raises(Asn1Error):
        decode_exact(rsp(), "SmdpSigned2", h("3016 8010") + bytes(16) + h("0181 01FF"))
    with pytest.raises(Asn1Error, match="BOOLEAN"):
        decode_exact(rsp(), "SmdpSigned2", h("3015 8010") + bytes(16) + h("0101 01"))
    assert decode_exact(rsp(), "SmdpSigned2", h("3015 8010") + bytes(16) + h("0101 FF")) == {
        "transactionId": bytes(16), "ccRequiredFlag": True}


def test_object_identifier_arc_2_and_minimal_subidentifiers():
    """X.690 8.19: 2.999.10 is '88 37 0A' (first subidentifier 2 * 40 + 999); a
    subidentifier with a leading '80' octet is not the fewest octets."""
    good = h("BF24 07 B8 05 80 03 88 37 0A")
    assert decode_exact(rsp(), "ConfigureISDPRequest", good) == {
        "dpProprietaryData": {"dpOid": "2.999.10"}}
    with pytest.raises(Asn1Error):
        decode_exact(rsp(), "ConfigureISDPRequest", h("BF24 08 B8 06 80 04 80 88 37 0A"))
