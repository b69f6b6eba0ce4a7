"""ISD-R ES10 functions in-process (SGP.22 5.7), through the same ES10 client the
integration tests use over PC/SC, on a logical channel (lpac) and on channel 0 (pySim)."""

import pytest
from cryptography import x509

from euicc.asn1 import decode_exact, rsp
from euicc.crypto.ecdsa import verify_raw
from euicc.store import ProfileState
from euicc.tlv import children
from euicc_tools.lpa.es10 import Es10Client
from euicc_tools.lpa.link import DirectLink
from tests.support.profile_metadata import iccid_bytes


@pytest.fixture(params=["logical", "basic"])
def es10(request, card):
    client = Es10Client(DirectLink(card), basic_channel=request.param == "basic")
    client.open()
    return client


def test_get_eid(es10, credentials):
    assert es10.get_eid() == credentials.eid
    assert es10.store_data(bytes.fromhex("BF3E035C015A")).hex().upper() == (
        "BF3E125A10" + credentials.eid)


def test_euicc_info(es10, credentials):
    info1 = es10.call("GetEuiccInfo1Request", {}, "EUICCInfo1")
    assert info1["svn"] == b"\x02\x04\x00"
    pkids = {ci.pkid for ci in credentials.trusted_cis}
    assert set(info1["euiccCiPKIdListForVerification"]) == pkids
    info2 = es10.call("GetEuiccInfo2Request", {}, "EUICCInfo2")
    assert info2["euiccCiPKIdListForSigning"] == info1["euiccCiPKIdListForSigning"]
    assert info2["sasAcreditationNumber"]
    assert info2["extCardResource"][:3] == b"\x81\x01\x00"


def test_addresses_persist(es10, store):
    r = es10.call("EuiccConfiguredAddressesRequest", {}, "EuiccConfiguredAddressesResponse")
    assert r == {"rootDsAddress": "lpa.ds.gsma.com"}
    r = es10.call("SetDefaultDpAddressRequest", {"defaultDpAddress": "smdp.example.com"},
                  "SetDefaultDpAddressResponse")
    assert r == {"setDefaultDpAddressResult": 0}
    r = es10.call("EuiccConfiguredAddressesRequest", {}, "EuiccConfiguredAddressesResponse")
    assert r["defaultDpAddress"] == "smdp.example.com"
    assert store.get_meta("default_dp_address") == "smdp.example.com"
    es10.call("SetDefaultDpAddressRequest", {"defaultDpAddress": ""},
              "SetDefaultDpAddressResponse")
    r = es10.call("EuiccConfiguredAddressesRequest", {}, "EuiccConfiguredAddressesResponse")
    assert "defaultDpAddress" not in r


def test_challenge_and_rat(es10):
    a = es10.call("GetEuiccChallengeRequest", {}, "GetEuiccChallengeResponse")
    b = es10.call("GetEuiccChallengeRequest", {}, "GetEuiccChallengeResponse")
    assert len(a["euiccChallenge"]) == 16 and a != b
    rat = es10.call("GetRatRequest", {}, "GetRatResponse")["rat"]
    assert rat and rat[0]["allowedOperators"]


def test_cancel_session_without_session(es10):
    r = es10.call("CancelSessionRequest", {"transactionId": b"\x01" * 16, "reason": 0},
                  "CancelSessionResponse")
    assert r == ("cancelSessionResponseError", 5)


def test_profiles_info_search_and_tag_list(es10, add_profile):
    add_profile("8944000000000000001", name="One", enabled=True)
    add_profile("8944000000000000002", name="Two", profile_class=0, icon=b"\x89PNG")
    kind, infos = es10.call("ProfileInfoListRequest", {}, "ProfileInfoListResponse")
    assert kind == "profileInfoListOk"
    assert [i["profileName"] for i in infos] == ["One", "Two"]
    assert infos[0]["profileState"] == 1 and infos[1]["icon"] == b"\x89PNG"
    # DER: the DEFAULT class (operational) is left out, the decoder fills it back in
    assert (infos[0]["profileClass"], infos[1]["profileClass"]) == ("operational", 0)
    _, infos = es10.call("ProfileInfoListRequest",
                         {"searchCriteria": ("iccid", iccid_bytes("8944000000000000002")),
                          "tagList": bytes.fromhex("5A9F7092")}, "ProfileInfoListResponse")
    infos[0].pop("profileClass")  # asn1tools fills in the DEFAULT when decoding
    assert infos == [{"iccid": iccid_bytes("8944000000000000002"), "profileState": 0,
                      "profileName": "Two"}]
    _, infos = es10.call("ProfileInfoListRequest", {"searchCriteria": ("profileClass", 0)},
                         "ProfileInfoListResponse")
    assert [i["profileName"] for i in infos] == ["Two"]
    r = es10.call("ProfileInfoListRequest", {"tagList": b"\x9f"}, "ProfileInfoListResponse")
    assert r == ("profileInfoListError", 1)


def enable(es10, iccid, refresh=False):
    return es10.call("EnableProfileRequest",
                     {"profileIdentifier": ("iccid", iccid_bytes(iccid)), "refreshFlag": refresh},
                     "EnableProfileResponse")["enableResult"]


def disable(es10, iccid):
    return es10.call("DisableProfileRequest",
                     {"profileIdentifier": ("iccid", iccid_bytes(iccid)), "refreshFlag": False},
                     "DisableProfileResponse")["disableResult"]


def delete(es10, iccid):
    return es10.call("DeleteProfileRequest", ("iccid", iccid_bytes(iccid)),
                     "DeleteProfileResponse")["deleteResult"]


def test_enable_disable_delete_result_codes(es10, add_profile, store):
    a = add_profile("8944000000000000011")
    add_profile("8944000000000000012")
    assert enable(es10, "8944000000000000099") == 1  # iccidOrAidNotFound
    assert enable(es10, "8944000000000000011") == 0
    assert enable(es10, "8944000000000000011") == 2  # profileNotInDisabledState
    assert delete(es10, "8944000000000000011") == 2
    assert disable(es10, "8944000000000000012") == 2  # profileNotInEnabledState
    assert enable(es10, "8944000000000000012") == 0  # switches
    assert store.profile_by_aid(a.isdp_aid).state == ProfileState.DISABLED
    assert disable(es10, "8944000000000000012") == 0
    assert disable(es10, "8944000000000000099") == 1
    r = es10.call("EnableProfileRequest",
                  {"profileIdentifier": ("isdpAid", a.isdp_aid), "refreshFlag": True},
                  "EnableProfileResponse")
    assert r == {"enableResult": 0}
    assert delete(es10, "8944000000000000012") == 0
    assert delete(es10, "8944000000000000012") == 1


def test_profile_policy_rules(es10, add_profile):
    add_profile("8944000000000000021", enabled=True, ppr=(1,))
    add_profile("8944000000000000022", ppr=(2,))
    assert disable(es10, "8944000000000000021") == 3
    assert enable(es10, "8944000000000000022") == 3
    assert delete(es10, "8944000000000000022") == 3


def test_nickname(es10, add_profile):
    add_profile("8944000000000000031")
    r = es10.call("SetNicknameRequest", {"iccid": iccid_bytes("8944000000000000031"),
                                         "profileNickname": "work"}, "SetNicknameResponse")
    assert r == {"setNicknameResult": 0}
    _, infos = es10.call("ProfileInfoListRequest", {}, "ProfileInfoListResponse")
    assert infos[0]["profileNickname"] == "work"
    r = es10.call("SetNicknameRequest", {"iccid": iccid_bytes("8944000000000000039"),
                                         "profileNickname": "x"}, "SetNicknameResponse")
    assert r == {"setNicknameResult": 1}


def test_notifications_signed_listed_retrieved_removed(es10, add_profile, credentials):
    add_profile("8944000000000000041", notify={1: "dp.example.com", 2: "dp.example.com",
                                               3: "del.example.com"})
    assert enable(es10, "8944000000000000041") == 0
    assert disable(es10, "8944000000000000041") == 0
    assert delete(es10, "8944000000000000041") == 0
    kind, metas = es10.call("ListNotificationRequest", {}, "ListNotificationResponse")
    assert kind == "notificationMetadataList"
    assert [(m["seqNumber"], m["profileManagementOperation"]) for m in metas] == [
        (1, (b"\x40", 2)), (2, (b"\x20", 3)), (3, (b"\x10", 4))]
    assert metas[2]["notificationAddress"] == "del.example.com"
    _, only_delete = es10.call("ListNotificationRequest",
                               {"profileManagementOperation": (b"\x10", 4)},
                               "ListNotificationResponse")
    assert [m["seqNumber"] for m in only_delete] == [3]
    raw = es10.store_data(bytes.fromhex("BF2B05A003800102"))  # lpac's request, seq 2
    # notificationList [0] holding one otherSignedNotification, an untagged SEQUENCE
    assert raw[:2] == b"\xbf\x2b" and children(children(raw)[0][1])[0][0] == 0x30
    kind, pending = decode_exact(rsp(), "RetrieveNotificationsListResponse", raw)
    (choice, signed), = pending
    assert choice == "otherSignedNotification"
    tbs = rsp().encode("NotificationMetadata", signed["tbsOtherNotification"])
    cert = x509.load_der_x509_certificate(bytes(signed["euiccCertificate"]))
    assert verify_raw(cert.public_key(), bytes(tbs), signed["euiccNotificationSignature"])
    r = es10.call("RetrieveNotificationsListRequest", {"searchCriteria": ("seqNumber", 9)},
                  "RetrieveNotificationsListResponse")
    assert r == ("notificationsListResultError", 1)
    r = es10.call("NotificationSentRequest", {"seqNumber": 2}, "NotificationSentResponse")
    assert r == {"deleteNotificationStatus": 0}
    r = es10.call("NotificationSentRequest", {"seqNumber": 2}, "NotificationSentResponse")
    assert r == {"deleteNotificationStatus": 1}
    _, metas = es10.call("ListNotificationRequest", {}, "ListNotificationResponse")
    assert [m["seqNumber"] for m in metas] == [1, 3]


def test_memory_reset(es10, add_profile, store):
    add_profile("8944000000000000051", enabled=True, ppr=(1, 2))
    add_profile("8944000000000000052", profile_class=0)
    add_profile("8944000000000000053", profile_class=1)
    store.set_meta("default_dp_address", "smdp.example.com")
    reset = bytes.fromhex("BF340482020 5E0".replace(" ", ""))
    r = decode_exact(rsp(), "EuiccMemoryResetResponse", es10.store_data(reset))
    assert r == {"resetResult": 0}
    assert [p.profile_class for p in store.profiles()] == [1]  # provisioning profile stays
    assert store.get_meta("default_dp_address") is None
    r = decode_exact(rsp(), "EuiccMemoryResetResponse", es10.store_data(reset))
    assert r == {"resetResult": 1}  # nothingToDelete


@pytest.mark.parametrize("command", [
    "BF3E035C0159",  # GetEID tagList not 5A
    "BF3E",  # truncated
    "BF31035A0100",  # EnableProfile without profile identifier / refreshFlag
    "BF2D04A0025A00",  # ICCID of the wrong size
    "BF2D03A00100",  # search criteria that is no CHOICE alternative
    "BF3F0380015A00",  # trailing byte
    "BF2903800100",  # SetNickname missing fields
])
def test_malformed_es10_gets_6a80(es10, command):
    with pytest.raises(Exception) as err:
        es10.store_data(bytes.fromhex(command))
    assert getattr(err.value, "sw", None) == 0x6A80


def test_unknown_es10_tag(es10):
    with pytest.raises(Exception) as err:
        es10.store_data(bytes.fromhex("BF7F00"))
    assert err.value.sw == 0x6A80


def test_store_data_block_sequence_checked(card):
    client = Es10Client(DirectLink(card))
    client.open()
    ch = client.channel
    _, sw = client.transmit(bytes([0x80 | ch, 0xE2, 0x11, 0x00, 0x02]) + b"\xbf\x3e")
    assert sw == 0x9000
    _, sw = client.transmit(bytes([0x80 | ch, 0xE2, 0x91, 0x02, 0x03]) + bytes.fromhex("035C01"))
    assert sw == 0x6A86
    _, sw = client.transmit(bytes([0x80 | ch, 0xE2, 0x01, 0x00, 0x03]) + bytes.fromhex("BF2000"))
    assert sw == 0x6A86
    assert client.get_eid()


def test_large_response_is_chained(es10, add_profile):
    for n in range(6):
        add_profile(f"89440000000000001{n:02d}", icon=bytes(300))
    _, infos = es10.call("ProfileInfoListRequest", {}, "ProfileInfoListResponse")
    assert len(infos) == 6
