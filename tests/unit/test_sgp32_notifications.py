"""The IoT eUICC's notifications and eUICC Package Results (SGP.32 v1.0 5.9.11
RetrieveNotificationsList, 5.9.12 RemoveNotificationFromList): one sequence-number space,
each list alternative of SGP32-RetrieveNotificationsListResponse, each item as the card
signed it, and removal of a result by its seqNumber (persisted)."""


from euicc.asn1 import decode_exact, encode, sgp32
from euicc_tools.testkit.eim import SampleEim
from tests.support.profile_metadata import iccid_bytes
from tests.support.sgp32 import add_eim, iot_client

ICCID_A, ICCID_B = "8944000000000000001", "8944000000000000002"
ENABLE, DISABLE = 1, 2  # NotificationEvent bits


def retrieve(client, criteria=None):
    request = {} if criteria is None else {"searchCriteria": criteria}
    raw = client.store_data(encode(sgp32(), "SGP32-RetrieveNotificationsListRequest", request))
    return raw, decode_exact(sgp32(), "SGP32-RetrieveNotificationsListResponse", raw)


def remove(client, seq):
    raw = client.store_data(encode(sgp32(), "NotificationSentRequest", {"seqNumber": seq}))
    return decode_exact(sgp32(), "NotificationSentResponse", raw)["deleteNotificationStatus"]


def test_nothing_pending_is_an_empty_notification_list(iot):
    assert retrieve(iot)[1] == ("notificationList", [])
    assert retrieve(iot, ("seqNumber", 5))[1] == ("notificationList", [])
    assert retrieve(iot, ("euiccPackageResults", None))[1] == ("euiccPackageResultList", [])
    assert remove(iot, 5) == 1  # nothingToDelete


def test_results_and_notifications_share_one_list(iot, add_profile, store, credentials):
    add_profile(ICCID_A, enabled=True, notify={DISABLE: "smdp.example.com"})
    add_profile(ICCID_B, notify={ENABLE: "smdp.example.com"})
    eim = SampleEim()
    add_eim(iot, eim)
    # only a package result pending: euiccPackageResultList, the result byte for byte
    first = iot.store_data(eim.package(credentials.eid, [("getRAT", {})]))
    raw, (kind, items) = retrieve(iot)
    assert kind == "euiccPackageResultList" and len(items) == 1 and first in raw
    # enabling B disables A: two notifications and a second result (seqNumbers 2, 3, 4)
    second = iot.store_data(eim.package(credentials.eid, [
        ("enable", {"iccid": iccid_bytes(ICCID_B)})]))
    raw, (kind, both) = retrieve(iot)
    assert kind == "notificationAndEprList"
    assert len(both["notificationList"]) == 2 and len(both["euiccPackageResultList"]) == 2
    assert first in raw and second in raw
    seqs = [n[1]["tbsOtherNotification"]["seqNumber"] for n in both["notificationList"]]
    results = [r[1]["euiccPackageResultDataSigned"]["seqNumber"]
               for r in both["euiccPackageResultList"]]
    assert sorted(seqs + results) == [1, 2, 3, 4]
    # each criterion
    assert retrieve(iot, ("seqNumber", results[1]))[1][0] == "euiccPackageResultList"
    kind, [note] = retrieve(iot, ("seqNumber", seqs[0]))[1]
    assert kind == "notificationList"
    kind, notes = retrieve(iot, ("profileManagementOperation", (b"\x40", 2)))[1]  # enable
    assert kind == "notificationList" and len(notes) == 1
    assert len(retrieve(iot, ("euiccPackageResults", None))[1][1]) == 2
    # removal by seqNumber, a result as a notification, and it stays removed after a restart
    assert remove(iot, results[0]) == 0
    assert remove(iot, results[0]) == 1
    assert remove(iot, seqs[0]) == 0
    iot.close()
    again = iot_client(store, credentials)
    _, (kind, both) = retrieve(again)
    assert kind == "notificationAndEprList"
    assert len(both["notificationList"]) == 1 and len(both["euiccPackageResultList"]) == 1
    again.close()


def reset(client, *bits):
    length = max(bits) + 1
    value = (bytes([sum(0x80 >> b for b in bits)]), length)
    raw = client.store_data(encode(sgp32(), "SGP32-EuiccMemoryResetRequest",
                                   {"resetOptions": value}))
    return decode_exact(sgp32(), "SGP32-EuiccMemoryResetResponse", raw)


def test_memory_reset_eim_and_auto_enable_bits(iot, add_profile, store):
    """SGP.32 5.9.5: resetEimConfigData(3) removes the eIMs (then nothingToDelete),
    resetAutoEnableConfig(4) ok(0) (the type has no nothingToDelete; with nothing removed
    resetResult is nothingToDelete(1)); SGP.22's bits as before, the profiles left alone by
    the IoT bits."""
    add_profile(ICCID_A)
    add_eim(iot, SampleEim())
    assert reset(iot, 3) == {"resetResult": 0, "resetEimResult": 0}
    assert store.eims() == []
    assert reset(iot, 3, 4) == {"resetResult": 1, "resetEimResult": 1,
                                "resetAutoEnableConfigResult": 0}
    assert len(store.profiles()) == 1
    assert add_eim(iot, SampleEim())[0] == "addInitialEimOk"  # AddInitialEim open again
    assert reset(iot, 0) == {"resetResult": 0}
    assert store.profiles() == [] and len(store.eims()) == 1
