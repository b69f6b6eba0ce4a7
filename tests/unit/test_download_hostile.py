"""Downloads from a dishonest SM-DP+, built in the tests: a CERT.DPpb of another SM-DP+
under the same CI (SGP.22 5.7.5), a StoreMetadata whose ICCID is not the package's (SGP.22
5.5.3, ErrorReason 13), and the AuthenticateServer error codes SGP.22 5.7.13 names for an
unknown CI. Each refusal gives its exact SGP.22 code, leaves the store as it was (no ISD-P,
no file rows, no secrets), keeps the card answering, and a following honest download
installs."""

from __future__ import annotations

import base64

import pytest
from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding

from euicc.asn1 import decode_exact, rsp
from euicc.crypto.ecdsa import sign_raw
from euicc.pki import generate_test_pki, read_certificate, read_private_key
from euicc.tlv import children, tlv
from euicc_tools.lpa.download import DownloadError, download
from euicc_tools.lpa.es10 import CardError
from euicc_tools.smdp.es9 import Smdp
from euicc_tools.testkit.in_process_es9 import es9_direct
from euicc_tools.testkit.profile_builder import build_upp
from tests.support.hostile_inputs import (
    OTHER_SMDP_OID,
    lying_metadata,
    other_smdp_pki,
    reissue,
    rows,
    store_snapshot,
)

ADDRESS = "smdp.test.example"
ICCID = "8944123400000000133"
# AuthenticateErrorCode (SGP.22 5.7.13) and DownloadErrorCode (SGP.22 5.7.5)
INVALID_CERTIFICATE, NO_SESSION_CONTEXT, INVALID_OID, CI_PK_UNKNOWN = 1, 4, 5, 7
# BppCommandId loadProfileElements, ErrorReason installFailedDueToIccidMismatch (SGP.22 5.7.6)
LOAD_PROFILE_ELEMENTS, ICCID_MISMATCH = 5, 13


@pytest.fixture
def profiles(tmp_path):
    folder = tmp_path / "profiles"
    folder.mkdir()
    (folder / "TINY.der").write_bytes(build_upp(ICCID, "001010000000133", k=bytes(range(16)),
                                                opc=bytes(16), include=("mf", "usim")))
    return folder


@pytest.fixture
def honest(pki_dir, profiles):
    return Smdp(ADDRESS, pki_dir, profiles)


def assert_honest_download_installs(es10, honest, store):
    assert download(es10, es9_direct(honest), ADDRESS, "TINY").ok
    (profile,) = store.profiles()
    assert rows(store, "isdp_image") and rows(store, "isdp_secrets")


# -- SGP.22 5.7.5 PrepareDownload: CERT.DPpb of the SM-DP+ that authenticated ----------------

def test_dppb_of_another_smdp_is_invalid_certificate(es10, honest, store, pki_dir, profiles,
                                                      tmp_path):
    """SGP.22 5.7.5 (and 3.1.3): CERT.DPpb must be that of the SM-DP+ whose CERT.DPauth
    authenticated, the same SM-DP+ OID (4.5.2.1 subjectAltName registeredID); one of
    2.999.12 after a 2.999.10 DPauth, although issued by the session's CI, is
    invalidCertificate(1), and the BPP signed with its key is never asked for."""
    hostile_pki = other_smdp_pki(pki_dir, tmp_path / "other-smdp")
    hostile = Smdp(ADDRESS, hostile_pki, profiles)
    dppb = next(iter(hostile.pb.values())).certificate
    san = dppb.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert san.get_values_for_type(x509.RegisteredID)[0].dotted_string == OTHER_SMDP_OID
    before = store_snapshot(store)
    with pytest.raises(DownloadError) as refused:
        download(es10, es9_direct(hostile), ADDRESS, "TINY")
    assert refused.value.code == INVALID_CERTIFICATE
    assert store_snapshot(store) == before
    # The refusal closed the session: no BPP is taken without a PrepareDownload.
    with pytest.raises(CardError) as no_session:
        es10.store_data(bytes.fromhex("BF3600"))
    assert no_session.value.sw == 0x6985
    assert store_snapshot(store) == before
    assert_honest_download_installs(es10, honest, store)


def test_dppb_under_another_ci_is_invalid_certificate(es10, honest, store, pki_dir,
                                                       profiles):
    """SGP.22 5.7.5: a CERT.DPpb from a CI the card trusts, but not the CI of CERT.DPauth
    (the BRP test CI after a NIST session), is invalidCertificate(1)."""
    auth = _authenticated(es10, honest)
    tx = honest._transactions[bytes.fromhex(auth["transactionId"])]
    (other_ci,) = [pkid for pkid in honest.pb if pkid != tx.ci_pkid]
    signer = honest.pb[other_ci]
    signed2 = base64.b64decode(auth["smdpSigned2"])
    signature = sign_raw(signer.key, signed2 + tlv(0x5F37, tx.euicc_signature1))
    before = store_snapshot(store)
    assert _prepare(es10, signed2, tlv(0x5F37, signature), signer.der) == INVALID_CERTIFICATE
    assert store_snapshot(store) == before
    assert_honest_download_installs(es10, honest, store)


# -- SGP.22 5.5.3 StoreMetadata: the ICCID is the package's ----------------------------------

def test_metadata_iccid_not_the_packages_is_iccid_mismatch(es10, honest, store, pki_dir,
                                                            profiles):
    """SGP.22 5.5.3 / 5.7.6: StoreMetadata names another ICCID than the ProfileHeader:
    errorResult with bppCommandId loadProfileElements(5) (the header is the first profile
    element) and errorReason installFailedDueToIccidMismatch(13); nothing installed; the
    signed result stays pending as the install notification, like any failed download."""
    liar = Smdp(ADDRESS, pki_dir, profiles, metadata_for=lying_metadata)
    result = download(es10, es9_direct(liar), ADDRESS, "TINY")
    data = result.result["profileInstallationResultData"]
    kind, error = data["finalResult"]
    assert kind == "errorResult"
    assert error == {"bppCommandId": LOAD_PROFILE_ELEMENTS, "errorReason": ICCID_MISMATCH}
    announced = decode_exact(rsp(), "StoreMetadataRequest",
                             liar._transactions[data["transactionId"]].metadata)["iccid"]
    assert data["notificationMetadata"]["iccid"] == announced
    assert store.profiles() == []
    for table in ("isdp_content", "isdp_image", "isdp_files", "isdp_secrets"):
        assert rows(store, table) == 0, table
    (notification,) = store.notifications()
    assert notification.pending == result.raw
    liar.handle_notification({"pendingNotification": base64.b64encode(result.raw).decode()})
    assert liar.notifications == [result.raw]  # its signature verifies
    assert_honest_download_installs(es10, honest, store)


def test_consistent_metadata_installs_under_the_package_iccid(es10, honest, store):
    result = download(es10, es9_direct(honest), ADDRESS, "TINY")
    assert result.ok
    (profile,) = store.profiles()
    assert profile.iccid_digits == ICCID


# -- SGP.22 5.7.13 AuthenticateServer: unknown CI, wrong role, no session ---------------------

@pytest.fixture(scope="module")
def foreign_pki(tmp_path_factory):
    """A whole other PKI: its CI is unknown to the card."""
    directory = tmp_path_factory.mktemp("foreign-pki")
    generate_test_pki(directory)
    return directory


def test_authenticate_server_unknown_ci_is_ci_pk_unknown(es10, honest, store, foreign_pki):
    """SGP.22 5.7.13 ciPKUnknown(7), "CI public key unknown": the card does not hold the CI
    that issued CERT.DPauth (its authorityKeyIdentifier names no CI of
    euiccCiPKIdListForVerification), nor one for euiccCiPKIdToBeUsed. Each alone and both
    together answer ciPKUnknown; a certificate under a known CI with a broken signature is
    invalidCertificate(1)."""
    foreign_auth = read_certificate(foreign_pki / "DPauth" / "CERT_S_SM_DPauth_ECDSA_NIST.der")
    foreign_key = read_private_key(foreign_pki / "DPauth" / "SK_S_SM_DPauth_ECDSA_NIST.pem")
    foreign_der = foreign_auth.public_bytes(Encoding.DER)
    unknown_pkid = tlv(0x04, bytes(range(20)))
    before = store_snapshot(store)

    def foreign(fields: dict) -> dict:  # the server signs with the foreign DPauth key
        signature = sign_raw(foreign_key, fields["serverSigned1"])
        return {**fields, "serverCertificate": foreign_der,
                "serverSignature1": tlv(0x5F37, signature)}

    fields = _server_fields(es10, honest)
    assert _authenticate(es10, foreign(fields), euiccCiPKIdToBeUsed=unknown_pkid) == (
        CI_PK_UNKNOWN)
    assert _authenticate(es10, foreign(_server_fields(es10, honest))) == CI_PK_UNKNOWN
    assert _authenticate(es10, _server_fields(es10, honest),
                         euiccCiPKIdToBeUsed=unknown_pkid) == CI_PK_UNKNOWN
    fields = _server_fields(es10, honest)
    tampered = bytearray(fields["serverCertificate"])
    tampered[-5] ^= 0x01  # inside the CI's signature: DER form intact
    assert _authenticate(es10, fields, serverCertificate=bytes(tampered)) == INVALID_CERTIFICATE
    assert store_snapshot(store) == before
    assert_honest_download_installs(es10, honest, store)


def test_authenticate_server_dppb_as_dpauth_is_invalid_oid(es10, honest, store):
    """SGP.22 5.7.13 invalidOid(5): the certificate policy (4.5.2.1 id-rspRole-dp-pb) is not
    that of a CERT.DPauth (id-rspRole-dp-auth), although the CI and signature are good."""
    fields = _server_fields(es10, honest)
    dppb = honest.pb[next(iter(honest.pb))]
    signed = {**fields, "serverCertificate": dppb.der,
              "serverSignature1": tlv(0x5F37, sign_raw(dppb.key, fields["serverSigned1"]))}
    assert _authenticate(es10, signed) == INVALID_OID
    assert_honest_download_installs(es10, honest, store)


def test_authenticate_server_without_challenge_is_no_session_context(card, honest, store):
    """SGP.22 5.7.13 noSessionContext(4): no GetEUICCChallenge since the reset, so no
    session to authenticate (euiccChallengeMismatch(6) is for a challenge that differs);
    the same after the challenge was used once."""
    from euicc_tools.lpa.es10 import Es10Client
    from euicc_tools.lpa.link import DirectLink

    es10 = Es10Client(DirectLink(card))
    es10.open()
    fields = _server_fields(es10, honest)  # takes a challenge
    card.warm_reset()
    es10 = Es10Client(DirectLink(card))
    es10.open()
    assert _authenticate(es10, fields) == NO_SESSION_CONTEXT
    fields = _server_fields(es10, honest)
    assert _authenticate(es10, fields) == 0
    assert _authenticate(es10, fields) == NO_SESSION_CONTEXT  # one challenge, one session
    assert_honest_download_installs(es10, honest, store)


def test_reissued_dpauth_of_the_same_smdp_is_accepted(es10, honest, store, pki_dir):
    """Control for the hostile certificates above: the same certificate profile reissued
    by the card's CI with a fresh key authenticates (so the refusals are about the CI, the
    role or the SM-DP+ OID, not the way the tests build certificates)."""
    ci_key = read_private_key(pki_dir / "CertificateIssuerKeys" / "SK_CI_ECDSA_NIST.pem")
    fields = _server_fields(es10, honest)
    dpauth = honest.auth[next(iter(honest.auth))].certificate
    cert, key = reissue(dpauth, ci_key)
    assert _authenticate(es10, {**fields, "serverCertificate": cert.public_bytes(
        Encoding.DER), "serverSignature1": tlv(0x5F37, sign_raw(
            key, fields["serverSigned1"]))}) == 0


def test_dpauth_without_authority_key_identifier_is_invalid_certificate(es10, honest, store,
                                                                        pki_dir):
    """SGP.22 4.5.2.1: an RSP certificate names its issuer's key (authorityKeyIdentifier);
    one without it is invalidCertificate(1) (5.7.13), not an unknown CI."""
    ci_key = read_private_key(pki_dir / "CertificateIssuerKeys" / "SK_CI_ECDSA_NIST.pem")
    fields = _server_fields(es10, honest)
    dpauth = honest.auth[next(iter(honest.auth))].certificate
    cert, key = reissue(dpauth, ci_key, without=(x509.AuthorityKeyIdentifier,))
    assert _authenticate(es10, {**fields, "serverCertificate": cert.public_bytes(
        Encoding.DER), "serverSignature1": tlv(0x5F37, sign_raw(
            key, fields["serverSigned1"]))}) == INVALID_CERTIFICATE
    assert_honest_download_installs(es10, honest, store)


# -- helpers ------------------------------------------------------------------------------------

CTX_PARAMS1 = bytes.fromhex("A010800454494E59A108800435290611A100")  # matchingId TINY


def _server_fields(es10, smdp) -> dict:
    """A fresh challenge and the SM-DP+'s InitiateAuthentication answer for it."""
    challenge = es10.call("GetEuiccChallengeRequest", {}, "GetEuiccChallengeResponse")
    init = smdp.initiate_authentication({
        "euiccChallenge": base64.b64encode(challenge["euiccChallenge"]).decode(),
        "euiccInfo1": base64.b64encode(es10.store_data(bytes.fromhex("BF2000"))).decode(),
        "smdpAddress": ADDRESS})
    fields = {k: base64.b64decode(init[k]) for k in (
        "serverSigned1", "serverSignature1", "euiccCiPKIdToBeUsed", "serverCertificate")}
    fields["transactionId"] = init["transactionId"]
    return fields


def _authenticate(es10, fields: dict, **changes) -> int:
    """AuthenticateServer; 0 for authenticateResponseOk, else the authenticateErrorCode."""
    f = {**fields, **changes}
    raw = es10.store_data(tlv(0xBF38, f["serverSigned1"] + f["serverSignature1"]
                              + f["euiccCiPKIdToBeUsed"] + f["serverCertificate"]
                              + CTX_PARAMS1))
    kind, value = decode_exact(rsp(), "AuthenticateServerResponse", raw)
    return value["authenticateErrorCode"] if kind == "authenticateResponseError" else 0


def _authenticated(es10, smdp) -> dict:
    """A session up to PrepareDownload; the SM-DP+'s AuthenticateClient answer."""
    fields = _server_fields(es10, smdp)
    raw = es10.store_data(tlv(0xBF38, fields["serverSigned1"] + fields["serverSignature1"]
                              + fields["euiccCiPKIdToBeUsed"] + fields["serverCertificate"]
                              + CTX_PARAMS1))
    return smdp.authenticate_client({"transactionId": fields["transactionId"],
                                     "authenticateServerResponse":
                                         base64.b64encode(raw).decode()})


def _prepare(es10, signed2: bytes, signature_tlv: bytes, certificate: bytes) -> int:
    raw = es10.store_data(tlv(0xBF21, signed2 + signature_tlv + certificate))
    kind, value = decode_exact(rsp(), "PrepareDownloadResponse", raw)
    assert [tag for tag, _ in children(raw)] == [0xA1 if kind.endswith("Error") else 0xA0]
    return value["downloadErrorCode"] if kind == "downloadResponseError" else 0

