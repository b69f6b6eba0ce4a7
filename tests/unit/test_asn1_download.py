"""SGP.22 Annex H profile-download types of euicc/asn1/rsp.asn (ES10b.AuthenticateServer,
ES10b.PrepareDownload, the Bound Profile Package and its ES8+ commands).

Two halves: the recorded osmo-smdpp session (shared/vectors) decodes exactly and re-encodes
byte for byte, with the decoded fields checked against the parts the recording lists
separately; and self-built values of every download type encode to the tags SGP.22 names
(checked against hand-written DER) and decode back to the same value.
"""

from __future__ import annotations

import json
from pathlib import Path

import asn1tools
import pytest

from euicc.asn1 import Asn1Error, decode_exact, encode, rsp

VECTORS = (Path(__file__).resolve().parents[3] / "shared" / "vectors"
           / "sgp22_download_osmo-smdpp_ts48v2.json")
RSP_ASN = Path(__file__).resolve().parents[2] / "euicc" / "asn1" / "rsp.asn"


@pytest.fixture(scope="module")
def vectors():
    if not VECTORS.exists():
        pytest.skip(f"known-answer vectors not available at {VECTORS}")
    return json.loads(VECTORS.read_text())


@pytest.fixture(scope="module")
def spec():
    return rsp()


def h(value: str) -> bytes:
    return bytes.fromhex(value)


def roundtrip(spec, type_name: str, der: bytes):
    """Decode exactly, re-encode, require the same bytes; return the decoded value."""
    value = decode_exact(spec, type_name, der)
    assert encode(spec, type_name, value) == der, type_name
    return value


# -- Recorded session: decode_exact + byte-identical re-encode -------------------------------

# (type, section, key) of every DER object of the recording that is an SGP.22 type
RECORDED = [
    ("AuthenticateServerRequest", "step2_es10b_authenticateServer",
     "authenticateServerRequest_der_BF38_as_LPA_sends_to_eUICC"),
    ("AuthenticateServerResponse", "step2_es10b_authenticateServer",
     "authenticateServerResponse_der_BF38_sent_to_smdp"),
    ("EuiccSigned1", "step2_es10b_authenticateServer", "euiccSigned1_der"),
    ("EUICCInfo2", "step2_es10b_authenticateServer", "euiccInfo2_der"),
    ("CtxParams1", "step2_es10b_authenticateServer", "ctxParams1_der"),
    ("ServerSigned1", "step1_es9p_initiateAuthentication", "response_serverSigned1_der"),
    ("EUICCInfo1", "step1_es9p_initiateAuthentication", "euiccInfo1_der"),
    ("PrepareDownloadRequest", "step3_es10b_prepareDownload",
     "prepareDownloadRequest_der_BF21_as_LPA_sends_to_eUICC"),
    ("PrepareDownloadResponse", "step3_es10b_prepareDownload",
     "prepareDownloadResponse_der_BF21_sent_to_smdp"),
    ("SmdpSigned2", "step2_es9p_authenticateClient_response", "smdpSigned2_der"),
    ("StoreMetadataRequest", "step2_es9p_authenticateClient_response",
     "profileMetadata_der_StoreMetadataRequest_BF25"),
    ("EUICCSigned2", "step3_es10b_prepareDownload", "euiccSigned2_der"),
    ("BoundProfilePackage", "step3_es9p_getBoundProfilePackage_response",
     "boundProfilePackage_der"),
    ("InitialiseSecureChannelRequest", "bpp_initialiseSecureChannelRequest", "der_BF23"),
    ("ConfigureISDPRequest", "decrypted", "configureISDPRequest_der_BF24"),
    ("StoreMetadataRequest", "decrypted", "storeMetadataRequest_der_BF25"),
    ("ReplaceSessionKeysRequest", "decrypted", "replaceSessionKeysRequest_der_BF26"),
]


@pytest.mark.parametrize("type_name,section,key", RECORDED,
                         ids=[f"{t}:{k}" for t, _, k in RECORDED])
def test_recorded_roundtrip(vectors, spec, type_name, section, key):
    roundtrip(spec, type_name, h(vectors[section][key]))


def test_authenticate_server_request_fields(vectors, spec):
    step1 = vectors["step1_es9p_initiateAuthentication"]
    step2 = vectors["step2_es10b_authenticateServer"]
    raw = h(step2["authenticateServerRequest_der_BF38_as_LPA_sends_to_eUICC"])
    assert raw[:2] == h("BF38")
    request = roundtrip(spec, "AuthenticateServerRequest", raw)
    signed = request["serverSigned1"]
    decoded = step1["serverSigned1_decoded"]
    assert signed["transactionId"] == h(decoded["transactionId"])
    assert signed["euiccChallenge"] == h(decoded["euiccChallenge"])
    assert signed["serverAddress"] == decoded["serverAddress"]
    assert signed["serverChallenge"] == h(decoded["serverChallenge"])
    assert encode(spec, "ServerSigned1", signed) == h(step1["response_serverSigned1_der"])
    assert request["serverSignature1"] == h(step1["response_serverSignature1_raw_r_s"])
    assert request["euiccCiPKIdToBeUsed"] == h(step1["euiccCiPKIdToBeUsed_value"])
    # Certificate ::= ANY: the certificate passes byte for byte
    assert request["serverCertificate"] == h(step1["response_serverCertificate_der_CERT_DPauth"])
    assert request["serverCertificate"] == h(vectors["pki"]["dpauth_certificate"]["der"])
    kind, common = request["ctxParams1"]
    assert kind == "ctxParamsForCommonAuthentication"
    assert common["matchingId"] == step2["matchingId"]
    assert common["deviceInfo"]["tac"] == h(step2["deviceInfo_tac"])
    assert encode(spec, "CtxParams1", request["ctxParams1"]) == h(step2["ctxParams1_der"])


def test_authenticate_server_response_fields(vectors, spec):
    step2 = vectors["step2_es10b_authenticateServer"]
    pki = vectors["pki"]
    raw = h(step2["authenticateServerResponse_der_BF38_sent_to_smdp"])
    assert raw[:2] == h("BF38")
    kind, ok = roundtrip(spec, "AuthenticateServerResponse", raw)
    assert kind == "authenticateResponseOk"
    assert encode(spec, "EuiccSigned1", ok["euiccSigned1"]) == h(step2["euiccSigned1_der"])
    assert ok["euiccSignature1"] == h(step2["euiccSignature1_raw_r_s"])
    assert ok["euiccCertificate"] == h(pki["euicc_certificate"]["der"])
    assert ok["eumCertificate"] == h(pki["eum_certificate"]["der"])
    signed = ok["euiccSigned1"]
    assert signed["transactionId"] == h(vectors["step1_es9p_initiateAuthentication"]
                                        ["response_transactionId"])
    assert encode(spec, "EUICCInfo2", signed["euiccInfo2"]) == h(step2["euiccInfo2_der"])
    assert encode(spec, "CtxParams1", signed["ctxParams1"]) == h(step2["ctxParams1_der"])


def test_prepare_download_fields(vectors, spec):
    step2 = vectors["step2_es9p_authenticateClient_response"]
    step3 = vectors["step3_es10b_prepareDownload"]
    raw = h(step3["prepareDownloadRequest_der_BF21_as_LPA_sends_to_eUICC"])
    assert raw[:2] == h("BF21")
    request = roundtrip(spec, "PrepareDownloadRequest", raw)
    assert encode(spec, "SmdpSigned2", request["smdpSigned2"]) == h(step2["smdpSigned2_der"])
    assert request["smdpSigned2"]["ccRequiredFlag"] is False
    assert "bppEuiccOtpk" not in request["smdpSigned2"]
    assert "hashCc" not in request
    assert request["smdpSignature2"] == h(step2["smdpSignature2_raw_r_s"])
    assert request["smdpCertificate"] == h(vectors["pki"]["dppb_certificate"]["der"])

    raw = h(step3["prepareDownloadResponse_der_BF21_sent_to_smdp"])
    assert raw[:2] == h("BF21")
    kind, ok = roundtrip(spec, "PrepareDownloadResponse", raw)
    assert kind == "downloadResponseOk"
    assert encode(spec, "EUICCSigned2", ok["euiccSigned2"]) == h(step3["euiccSigned2_der"])
    assert ok["euiccSigned2"]["euiccOtpk"] == h(step3["euicc_otPK_ECKA_uncompressed"])
    assert ok["euiccSignature2"] == h(step3["euiccSignature2_raw_r_s"])
    # euiccOtpk is [APPLICATION 73]: '5F49' right after the transactionId
    assert h(step3["euiccSigned2_der"])[20:22] == h("5F49")


def test_bound_profile_package_fields(vectors, spec):
    isc = vectors["bpp_initialiseSecureChannelRequest"]
    raw = h(vectors["step3_es9p_getBoundProfilePackage_response"]["boundProfilePackage_der"])
    assert raw[:2] == h("BF36")
    bpp = roundtrip(spec, "BoundProfilePackage", raw)
    assert encode(spec, "InitialiseSecureChannelRequest",
                  bpp["initialiseSecureChannelRequest"]) == h(isc["der_BF23"])
    segments = (bpp["firstSequenceOf87"] + bpp["sequenceOf88"]
                + bpp.get("secondSequenceOf87", []) + bpp["sequenceOf86"])
    details = vectors["bsp_segments_detail"]
    for segment, detail in zip(segments, details, strict=True):
        assert len(tlv("86", segment)) == detail["segment_length_total"]
        assert segment[-8:] == h(detail["mac_8"])  # each segment ends with its MAC
    assert len(bpp["secondSequenceOf87"]) == 1  # osmo-smdpp always sends ReplaceSessionKeys
    plain_86 = vectors["decrypted"]["sequenceOf86_plaintext_per_segment"]
    assert len(bpp["sequenceOf86"]) == len(plain_86)


def test_initialise_secure_channel_fields(vectors, spec):
    isc = vectors["bpp_initialiseSecureChannelRequest"]
    raw = h(isc["der_BF23"])
    assert raw[:2] == h("BF23")
    request = roundtrip(spec, "InitialiseSecureChannelRequest", raw)
    assert request["remoteOpId"] == isc["remoteOpId"] == 1
    assert request["transactionId"] == h(isc["transactionId"])
    crt = request["controlRefTemplate"]
    assert crt == {"keyType": h(isc["keyType"]), "keyLen": h(isc["keyLen"]),
                   "hostId": h(isc["hostId"])}
    # A6 is the [6] IMPLICIT tag of the field; the type itself is a SEQUENCE ('30')
    crt_der = h(isc["controlRefTemplate_A6_der"])
    assert encode(spec, "ControlRefTemplate", crt) == h("30") + crt_der[1:]
    assert crt_der in raw
    assert request["smdpOtpk"] == h(isc["smdpOtpk_otPK_DP_ECKA_uncompressed"])
    assert request["smdpSign"] == h(isc["smdpSign_raw_r_s"])
    # smdpSign covers the BF23 contents up to the smdpSign TLV, then '5F49' || otPK.EUICC.ECKA
    euicc_otpk = h(vectors["step3_es10b_prepareDownload"]["euicc_otPK_ECKA_uncompressed"])
    assert raw[-67:] == tlv("5F37", request["smdpSign"])
    assert raw[:4] == h("BF2381AE")
    assert raw[4:-67] + tlv("5F49", euicc_otpk) == h(isc["smdpSign_signed_data"])


def test_decrypted_commands(vectors, spec):
    decrypted = vectors["decrypted"]
    keys = vectors["bsp_keys"]
    assert roundtrip(spec, "ConfigureISDPRequest",
                     h(decrypted["configureISDPRequest_der_BF24"])) == {}
    replace = roundtrip(spec, "ReplaceSessionKeysRequest",
                        h(decrypted["replaceSessionKeysRequest_der_BF26"]))
    assert replace == {"initialMacChainingValue": h(keys["PPK_initial_mac_chaining_value"]),
                       "ppkEnc": h(keys["PPK_ENC"]), "ppkCmac": h(keys["PPK_MAC"])}
    metadata = roundtrip(spec, "StoreMetadataRequest",
                         h(decrypted["storeMetadataRequest_der_BF25"]))
    assert metadata["iccid"] == h(vectors["profile"]["iccid_raw_5A"])
    assert metadata["profileName"] == vectors["profile"]["matchingId"]


# -- Self-built values: exact DER with the SGP.22 tags, and back -------------------------------

TID = bytes(range(1, 17))
CHALLENGE_E = bytes([0xE0] * 16)
CHALLENGE_S = bytes([0x5E] * 16)
SIG = bytes([0x51] * 64)
OTPK = b"\x04" + bytes([0x0A] * 64)
SKI = bytes([0xCC] * 20)
CERT = bytes.fromhex("3003020101")  # any DER TLV: Certificate ::= ANY
CERT2 = bytes.fromhex("3003020102")
HASH_CC = bytes([0x4C] * 32)

VERSIONS = ["gsmSupportedRelease", "utranSupportedRelease", "cdma2000onexSupportedRelease",
            "cdma2000hrpdSupportedRelease", "cdma2000ehrpdSupportedRelease",
            "eutranEpcSupportedRelease", "contactlessSupportedRelease", "rspCrlSupportedVersion",
            "nrEpcSupportedRelease", "nr5gcSupportedRelease", "eutran5gcSupportedRelease",
            "lpaSvn"]


def tlv(tag: str, value: bytes) -> bytes:
    n = len(value)
    length = bytes([n]) if n < 0x80 else (bytes([0x81, n]) if n < 0x100
                                           else bytes([0x82, n >> 8, n & 0xFF]))
    return h(tag) + length + value


def _device_capabilities():
    value = {name: bytes([i + 1, 0, 0]) for i, name in enumerate(VERSIONS)}
    der = tlv("A1", b"".join(tlv(f"{0x80 + i:02X}", bytes([i + 1, 0, 0]))
                             for i in range(len(VERSIONS))))
    return value, der


def _ctx_params1():
    caps, caps_der = _device_capabilities()
    value = ("ctxParamsForCommonAuthentication",
             {"matchingId": "MATCH-1",
              "deviceInfo": {"tac": h("35290611"), "deviceCapabilities": caps,
                             "imei": h("3529061100000015")}})
    der = tlv("A0", tlv("80", b"MATCH-1")
              + tlv("A1", tlv("80", h("35290611")) + caps_der + tlv("82", h("3529061100000015"))))
    return value, der


def _server_signed1():
    value = {"transactionId": TID, "euiccChallenge": CHALLENGE_E,
             "serverAddress": "smdp.example.com", "serverChallenge": CHALLENGE_S}
    der = tlv("30", tlv("80", TID) + tlv("81", CHALLENGE_E) + tlv("83", b"smdp.example.com")
              + tlv("84", CHALLENGE_S))
    return value, der


def _euicc_info2():
    return {"profileVersion": h("020301"), "svn": h("020200"), "euiccFirmwareVer": h("010000"),
            "extCardResource": h("810100"), "uiccCapability": (h("6C"), 6),
            "rspCapability": (h("80"), 1), "euiccCiPKIdListForVerification": [SKI],
            "euiccCiPKIdListForSigning": [SKI], "ppVersion": h("010000"),
            "sasAcreditationNumber": "TEST-SAS"}


def _euicc_signed1(spec):
    ctx, ctx_der = _ctx_params1()
    info2 = _euicc_info2()
    value = {"transactionId": TID, "serverAddress": "smdp.example.com",
             "serverChallenge": CHALLENGE_S, "euiccInfo2": info2, "ctxParams1": ctx}
    der = tlv("30", tlv("80", TID) + tlv("83", b"smdp.example.com") + tlv("84", CHALLENGE_S)
              + encode(spec, "EUICCInfo2", info2) + ctx_der)
    return value, der


def _isc():
    value = {"remoteOpId": 1, "transactionId": TID,
             "controlRefTemplate": {"keyType": h("88"), "keyLen": h("10"),
                                    "hostId": b"hostid"},
             "smdpOtpk": OTPK, "smdpSign": SIG}
    der = tlv("BF23", h("820101") + tlv("80", TID)
              + tlv("A6", h("800188") + h("810110") + tlv("84", b"hostid"))
              + tlv("5F49", OTPK) + tlv("5F37", SIG))
    return value, der


def built_values(spec):
    """(type, value, expected DER) for every download type, DER written from SGP.22 tags."""
    caps, caps_der = _device_capabilities()
    ctx, ctx_der = _ctx_params1()
    ss1, ss1_der = _server_signed1()
    es1, es1_der = _euicc_signed1(spec)
    isc, isc_der = _isc()
    smdp_signed2 = {"transactionId": TID, "ccRequiredFlag": True, "bppEuiccOtpk": OTPK}
    smdp_signed2_der = tlv("30", tlv("80", TID) + h("0101FF") + tlv("5F49", OTPK))
    euicc_signed2 = {"transactionId": TID, "euiccOtpk": OTPK, "hashCc": HASH_CC}
    euicc_signed2_der = tlv("30", tlv("80", TID) + tlv("5F49", OTPK) + tlv("04", HASH_CC))
    replace = {"initialMacChainingValue": bytes(16), "ppkEnc": bytes([1] * 16),
               "ppkCmac": bytes([2] * 16)}
    replace_der = tlv("BF26", tlv("80", bytes(16)) + tlv("81", bytes([1] * 16))
                      + tlv("82", bytes([2] * 16)))
    bpp = {"initialiseSecureChannelRequest": isc,
           "firstSequenceOf87": [b"\x01" * 24],
           "sequenceOf88": [b"\x02" * 40, b"\x03" * 8],
           "secondSequenceOf87": [b"\x04" * 56],
           "sequenceOf86": [b"\x05" * 200, b"\x06" * 16]}
    bpp_der = tlv("BF36", isc_der
                  + tlv("A0", tlv("87", b"\x01" * 24))
                  + tlv("A1", tlv("88", b"\x02" * 40) + tlv("88", b"\x03" * 8))
                  + tlv("A2", tlv("87", b"\x04" * 56))
                  + tlv("A3", tlv("86", b"\x05" * 200) + tlv("86", b"\x06" * 16)))
    bpp_short = {k: v for k, v in bpp.items() if k != "secondSequenceOf87"}
    bpp_short_der = tlv("BF36", isc_der
                        + tlv("A0", tlv("87", b"\x01" * 24))
                        + tlv("A1", tlv("88", b"\x02" * 40) + tlv("88", b"\x03" * 8))
                        + tlv("A3", tlv("86", b"\x05" * 200) + tlv("86", b"\x06" * 16)))
    return [
        ("DeviceCapabilities", caps, caps_der.replace(h("A1"), h("30"), 1)),
        ("DeviceCapabilities", {}, h("3000")),
        ("DeviceInfo", {"tac": h("35290611"), "deviceCapabilities": {}},
         h("3008") + tlv("80", h("35290611")) + h("A100")),
        ("CtxParams1", ctx, ctx_der),
        ("CtxParams1", ("ctxParamsForCommonAuthentication",
                        {"deviceInfo": {"tac": h("35290611"), "deviceCapabilities": {}}}),
         h("A00A A108 8004 35290611 A100".replace(" ", ""))),
        ("ServerSigned1", ss1, ss1_der),
        ("AuthenticateServerRequest",
         {"serverSigned1": ss1, "serverSignature1": SIG, "euiccCiPKIdToBeUsed": SKI,
          "serverCertificate": CERT, "ctxParams1": ctx},
         tlv("BF38", ss1_der + tlv("5F37", SIG) + tlv("04", SKI) + CERT + ctx_der)),
        ("EuiccSigned1", es1, es1_der),
        ("AuthenticateServerResponse",
         ("authenticateResponseOk",
          {"euiccSigned1": es1, "euiccSignature1": SIG, "euiccCertificate": CERT,
           "eumCertificate": CERT2}),
         tlv("BF38", tlv("A0", es1_der + tlv("5F37", SIG) + CERT + CERT2))),
        ("AuthenticateServerResponse",
         ("authenticateResponseError", {"transactionId": TID, "authenticateErrorCode": 6}),
         tlv("BF38", tlv("A1", tlv("80", TID) + h("020106")))),
        ("SmdpSigned2", smdp_signed2, smdp_signed2_der),
        ("SmdpSigned2", {"transactionId": TID, "ccRequiredFlag": False},
         tlv("30", tlv("80", TID) + h("010100"))),
        ("PrepareDownloadRequest",
         {"smdpSigned2": smdp_signed2, "smdpSignature2": SIG, "hashCc": HASH_CC,
          "smdpCertificate": CERT},
         tlv("BF21", smdp_signed2_der + tlv("5F37", SIG) + tlv("04", HASH_CC) + CERT)),
        ("EUICCSigned2", euicc_signed2, euicc_signed2_der),
        ("PrepareDownloadResponse",
         ("downloadResponseOk", {"euiccSigned2": euicc_signed2, "euiccSignature2": SIG}),
         tlv("BF21", tlv("A0", euicc_signed2_der + tlv("5F37", SIG)))),
        ("PrepareDownloadResponse",
         ("downloadResponseError", {"transactionId": TID, "downloadErrorCode": 5}),
         tlv("BF21", tlv("A1", tlv("80", TID) + h("020105")))),
        ("ControlRefTemplate", isc["controlRefTemplate"],
         tlv("30", h("800188810110") + tlv("84", b"hostid"))),
        ("RemoteOpId", 1, h("820101")),
        ("InitialiseSecureChannelRequest", isc, isc_der),
        ("ConfigureISDPRequest", {}, h("BF2400")),
        # DpProprietaryData is untagged inside, so AUTOMATIC TAGS make dpOid [0] ('80')
        ("ConfigureISDPRequest", {"dpProprietaryData": {"dpOid": "1.3.6.1.4.1.31746.1"}},
         h("BF240DB80B80092B0601040181F80201")),
        ("ReplaceSessionKeysRequest", replace, replace_der),
        ("BoundProfilePackage", bpp, bpp_der),
        ("BoundProfilePackage", bpp_short, bpp_short_der),
    ]


def test_built_values_encode_with_sgp22_tags_and_decode_back(spec):
    for type_name, value, der in built_values(spec):
        assert encode(spec, type_name, value).hex().upper() == der.hex().upper(), type_name
        assert decode_exact(spec, type_name, der) == value, type_name


def test_named_numbers_follow_sgp22():
    types = asn1tools.parse_files([str(RSP_ASN)])["RSPDefinitions"]["types"]
    assert types["AuthenticateErrorCode"]["named-numbers"] == {
        "invalidCertificate": 1, "invalidSignature": 2, "unsupportedCurve": 3,
        "noSessionContext": 4, "invalidOid": 5, "euiccChallengeMismatch": 6,
        "ciPKUnknown": 7, "undefinedError": 127}
    assert types["DownloadErrorCode"]["named-numbers"] == {
        "invalidCertificate": 1, "invalidSignature": 2, "unsupportedCurve": 3,
        "noSessionContext": 4, "invalidTransactionId": 5, "undefinedError": 127}
    assert types["RemoteOpId"]["named-numbers"] == {"installBoundProfilePackage": 1}
    assert [m["name"] for m in types["DeviceCapabilities"]["members"]] == VERSIONS
    assert all(m["type"] == "VersionType" and m["optional"]
               for m in types["DeviceCapabilities"]["members"])


@pytest.mark.parametrize("type_name,der", [
    # euiccChallenge of 15 bytes (Octet16)
    ("ServerSigned1", tlv("30", tlv("80", TID) + tlv("81", bytes(15)) + tlv("83", b"a")
                          + tlv("84", bytes(16)))),
    # transactionId of 17 bytes (TransactionId is 1..16)
    ("EUICCSigned2", tlv("30", tlv("80", bytes(17)) + tlv("5F49", OTPK))),
    # euiccOtpk under '5F37' instead of '5F49'
    ("EUICCSigned2", tlv("30", tlv("80", TID) + tlv("5F37", OTPK))),
    # keyType of 2 bytes (Octet1)
    ("InitialiseSecureChannelRequest",
     tlv("BF23", h("820101") + tlv("80", TID) + tlv("A6", h("80028888810110840101"))
         + tlv("5F49", OTPK) + tlv("5F37", SIG))),
    # trailing byte after the BPP's ConfigureISDP
    ("ConfigureISDPRequest", h("BF240000")),
    # BF21 request without its smdpCertificate
    ("PrepareDownloadRequest",
     tlv("BF21", tlv("30", tlv("80", TID) + h("010100")) + tlv("5F37", SIG))),
])
def test_malformed_values_are_refused(spec, type_name, der):
    with pytest.raises(Asn1Error):
        decode_exact(spec, type_name, der)


def test_smdp_oid_in_arc_2_keeps_its_bytes(spec):
    """SGP.26 test SM-DP+ OID 2.999.10 (in the recorded CERT.DPauth / CERT.DPpb): the DER
    passes through decode and encode unchanged."""
    der = h("BF2407B805800388370A")
    assert roundtrip(spec, "ConfigureISDPRequest", der)
    assert encode(spec, "ConfigureISDPRequest",
                  {"dpProprietaryData": {"dpOid": "2.999.10"}}) == der


def test_smdp_oid_in_arc_2_decodes_to_its_dotted_form(spec):
    """X.690 8.19.4: a first subidentifier of 80 and above is arc 2 (asn1tools 0.169 alone
    splits it as n//40, n%40: '88 37' came out as 26.39; euicc.asn1.x690 decodes it)."""
    value = decode_exact(spec, "ConfigureISDPRequest", h("BF2407B805800388370A"))
    assert value["dpProprietaryData"]["dpOid"] == "2.999.10"
