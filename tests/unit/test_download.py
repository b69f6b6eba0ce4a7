"""A whole download in-process: the project's test SM-DP+ (tools/smdp) binds a profile to
the card, the LPA driver carries it (SGP.22 3.1.3), and the card installs it; plus the
AuthenticateServer / PrepareDownload error codes (SGP.22 5.7.13, 5.7.5) and failures that
must leave nothing installed. Stands on data the tests make themselves."""

from __future__ import annotations

import base64
import shutil
import sqlite3

import pytest
from cryptography import x509

from euicc.asn1 import decode_exact, rsp
from euicc.pki import load_card_credentials
from euicc.ppi import elements_without_secrets
from euicc.store import ProfileState
from euicc.store_image import image_from_rows
from euicc.tlv import split, tlv
from euicc_tools.lpa.download import DownloadError, bpp_pieces, download
from euicc_tools.lpa.es9 import Es9Refused
from euicc_tools.lpa.es10 import Es10Client
from euicc_tools.lpa.link import DirectLink
from euicc_tools.testkit.in_process_es9 import es9_direct
from euicc_tools.testkit.profile_builder import build_upp
from tests.support.downloads import ADDRESS


def test_download_install_and_notify(es10, smdp, store):
    result = download(es10, es9_direct(smdp), ADDRESS, "TINY")
    assert result.ok
    (profile,) = store.profiles()
    assert profile.state == ProfileState.DISABLED
    # kept as served, each secret value zeroed (euicc/ppi/secrets.py)
    assert store.profile_elements(profile.isdp_aid) == elements_without_secrets(
        split((smdp.profiles / "TINY.der").read_bytes()))
    kind, pending = es10.call("RetrieveNotificationsListRequest", {},
                              "RetrieveNotificationsListResponse")
    (choice, _), = pending
    assert choice == "profileInstallationResult"
    smdp.handle_notification({"pendingNotification": base64.b64encode(
        store.notifications()[0].pending).decode()})
    assert len(smdp.notifications) == 1


def test_address_with_port_and_wrong_address(es10, smdp):
    smdp.port = 8443
    assert download(es10, es9_direct(smdp), f"{ADDRESS}:8443", "TINY").ok
    with pytest.raises(Es9Refused) as err:
        download(es10, es9_direct(smdp), "other.example", "TINY")
    assert (err.value.subject, err.value.reason) == ("8.8.1", "3.8")


def test_ts48_profile_through_segments(es10, smdp, store):
    if not (smdp.profiles / "TS48V2-SAIP2-1-NOBERTLV-UNIQUE.der").exists():
        pytest.skip("shared/profiles is not available")
    result = download(es10, es9_direct(smdp), ADDRESS, "TS48V2-SAIP2-1-NOBERTLV-UNIQUE")
    assert result.ok
    (profile,) = store.profiles()
    assert store.profile_elements(profile.isdp_aid) == elements_without_secrets(
        split((smdp.profiles / "TS48V2-SAIP2-1-NOBERTLV-UNIQUE.der").read_bytes()))


def test_installed_elements_hold_no_secret(es10, smdp, store):
    """K, OPc, PINs, PUKs and the security domain keys are kept once: in the secrets rows
    (NAA keys, PINs, PUKs) or not at all (SD keys), never in the stored elements."""
    k, opc = bytes.fromhex("8F3E5A61C2D94B07E1A6355C90D2F4B8"), bytes(range(0xA0, 0xB0))
    (smdp.profiles / "KEYS.der").write_bytes(
        build_upp("8944123400000000029", "001010000000029", k=k, opc=opc))
    assert download(es10, es9_direct(smdp), ADDRESS, "KEYS").ok
    (profile,) = store.profiles()
    pins = [b"1234\xff\xff\xff\xff", b"5678\xff\xff\xff\xff", b"88888888", b"11111111",
            b"22222222"]  # profile_builder's default PINs, ADM1 and PUKs
    sd_keys = [bytes(range(n, n + 16)) for n in (0x40, 0x50, 0x60)]
    with sqlite3.connect(store.path) as db:
        rows = [bytes(r[0]) for r in db.execute("SELECT element FROM isdp_content")]
    content = b"".join(rows)
    for secret in (k, opc, *pins, *sd_keys):
        assert secret not in content and secret.hex() not in content.hex(), secret.hex()
    image = image_from_rows(store.profile_files(profile.isdp_aid),
                            store.profile_secrets(profile.isdp_aid))
    assert {a.key for a in image.aka} == {k} and {a.opc for a in image.aka} == {opc}
    assert {p.value for p in image.pins} >= {b"1234\xff\xff\xff\xff", b"88888888"}


def test_confirmation_code(es10, smdp, store):
    with pytest.raises(DownloadError):
        download(es10, es9_direct(smdp), ADDRESS, "BIG")
    with pytest.raises(Es9Refused) as err:
        download(es10, es9_direct(smdp), ADDRESS, "BIG", confirmation_code="0000")
    assert (err.value.subject, err.value.reason) == ("8.2.7", "3.8")
    assert download(es10, es9_direct(smdp), ADDRESS, "BIG", confirmation_code="1234").ok
    assert len(store.profiles()) == 1


def test_same_iccid_twice_is_refused(es10, smdp, store):
    assert download(es10, es9_direct(smdp), ADDRESS, "TINY").ok
    result = download(es10, es9_direct(smdp), ADDRESS, "TINY")
    error = result.result["profileInstallationResultData"]["finalResult"][1]
    assert (error["bppCommandId"], error["errorReason"]) == (2, 9)  # iccid already exists
    assert len(store.profiles()) == 1


def test_interrupted_download_leaves_nothing(es10, smdp, store, card):
    with pytest.raises(DownloadError):
        download(es10, es9_direct(smdp), ADDRESS, "TINY", cut=lambda p: p[:-1])
    card.warm_reset()  # the card loses power mid-download
    assert store.profiles() == []
    fresh = Es10Client(DirectLink(card))
    fresh.open()
    assert download(fresh, es9_direct(smdp), ADDRESS, "TINY").ok


def test_tampered_segment_reports_security_error(es10, smdp, store):
    def flip_last(pieces):
        last = bytearray(pieces[-1])
        last[-3] ^= 0x01
        return pieces[:-1] + [bytes(last)]

    result = download(es10, es9_direct(smdp), ADDRESS, "TINY", cut=flip_last)
    error = result.result["profileInstallationResultData"]["finalResult"][1]
    assert (error["bppCommandId"], error["errorReason"]) == (5, 8)  # scp03tSecurityError
    assert store.profiles() == []


def test_bpp_for_another_card_is_refused(es10, smdp, store, tmp_path, pki_dir):
    from euicc.pki import random_eid
    from euicc.store import CardStore
    from euicc_tools.emulator.card import build_card

    # Another eUICC under the same EUM (so the SM-DP+ serves it), with its own EID and key.
    other_credentials = load_card_credentials(pki_dir, eid=random_eid(),
                                              issue_into=tmp_path / "issued")
    other = build_card(CardStore(tmp_path / "other"), other_credentials)
    other.power_on()
    other_es10 = Es10Client(DirectLink(other))
    other_es10.open()
    stolen = []

    def steal(pieces):
        stolen.extend(pieces)
        return []

    with pytest.raises(DownloadError):
        download(other_es10, es9_direct(smdp), ADDRESS, "TINY", cut=steal)
    # Our card, in a session of its own, is handed the other card's package.
    result = download(es10, es9_direct(smdp), ADDRESS, "TINY", cut=lambda _: stolen)
    error = result.result["profileInstallationResultData"]["finalResult"][1]
    assert error["bppCommandId"] == 0  # initialiseSecureChannel
    assert error["errorReason"] in (2, 3)  # invalidSignature / invalidTransactionId
    assert store.profiles() == []


def test_authenticate_server_error_codes(es10, smdp):
    """AuthenticateErrorCode of SGP.22 5.7.13 (the unknown-CI and role cases with built
    certificates: test_download_hostile.py)."""
    spec = rsp()
    ctx = bytes.fromhex("A00AA108800435290611A100")
    info1 = base64.b64encode(es10.store_data(bytes.fromhex("BF2000"))).decode()

    def server(challenge: bytes) -> dict:
        init = smdp.initiate_authentication({
            "euiccChallenge": base64.b64encode(challenge).decode(), "euiccInfo1": info1,
            "smdpAddress": ADDRESS})
        return {k: base64.b64decode(init[k]) for k in (
            "serverSigned1", "serverSignature1", "euiccCiPKIdToBeUsed", "serverCertificate")}

    def authenticate(fields: dict, **changes) -> int:
        f = {**fields, **changes}
        raw = es10.store_data(tlv(0xBF38, f["serverSigned1"] + f["serverSignature1"]
                                  + f["euiccCiPKIdToBeUsed"] + f["serverCertificate"] + ctx))
        kind, value = decode_exact(spec, "AuthenticateServerResponse", raw)
        return value["authenticateErrorCode"] if kind.endswith("Error") else 0

    def challenge() -> bytes:
        return es10.call("GetEuiccChallengeRequest", {},
                         "GetEuiccChallengeResponse")["euiccChallenge"]

    assert authenticate(server(bytes(16))) == 4  # noSessionContext
    challenge()
    assert authenticate(server(bytes(16))) == 6  # euiccChallengeMismatch
    fields = server(challenge())
    bad = fields["serverSignature1"][:-1] + bytes([fields["serverSignature1"][-1] ^ 1])
    assert authenticate(fields, serverSignature1=bad) == 2  # invalidSignature
    fields = server(challenge())
    assert authenticate(fields, euiccCiPKIdToBeUsed=tlv(0x04, bytes(20))) == 7  # ciPKUnknown
    fields = server(challenge())
    dppb = smdp.pb[next(iter(smdp.pb))].der
    assert authenticate(fields, serverCertificate=dppb) == 5  # invalidOid (a DPpb role)
    fields = server(challenge())
    tampered = bytearray(fields["serverCertificate"])
    tampered[-5] ^= 0x01
    assert authenticate(fields, serverCertificate=bytes(tampered)) == 1  # invalidCertificate
    assert authenticate(server(challenge())) == 0


def test_bpp_pieces_match_lpac_cut(smdp):
    bpp = tlv(0xBF36, tlv(0xBF23, b"x") + tlv(0xA0, tlv(0x87, b"a")) + tlv(
        0xA1, tlv(0x88, b"m") + tlv(0x88, b"n")) + tlv(0xA3, tlv(0x86, b"p")))
    pieces = bpp_pieces(bpp)
    assert b"".join(pieces) == bpp and len(pieces) == 7


def test_brainpool_download(smdp, pki_dir, tmp_path):
    from euicc.store import CardStore
    from euicc_tools.emulator.card import build_card

    brp_only = tmp_path / "brp-pki"
    shutil.copytree(pki_dir, brp_only)
    for path in brp_only.rglob("*EUICC*NIST*"):
        path.unlink()
    credentials = load_card_credentials(brp_only)
    assert [i.curve for i in credentials.identities] == ["brp"]
    store = CardStore(tmp_path / "brp-card")
    card = build_card(store, credentials)
    card.power_on()
    es10 = Es10Client(DirectLink(card))
    es10.open()
    assert download(es10, es9_direct(smdp), ADDRESS, "TINY").ok
    assert len(store.profiles()) == 1


def test_cancel_session_is_signed_and_accepted(es10, smdp):
    spec = rsp()
    es9 = es9_direct(smdp)
    with pytest.raises(DownloadError):  # the LPA gives up before loading the package
        download(es10, es9, ADDRESS, "TINY", cut=lambda pieces: [])
    transaction_id = next(iter(smdp._transactions))
    raw = es10.store_data(tlv(0xBF41, tlv(0x80, transaction_id) + tlv(0x81, b"\x00")))
    kind, value = decode_exact(spec, "CancelSessionResponse", raw)
    assert kind == "cancelSessionResponseOk"
    assert smdp.cancel_session({"transactionId": transaction_id.hex(),
                                "cancelSessionResponse": base64.b64encode(raw).decode()}) == {}
    again = es10.store_data(tlv(0xBF41, tlv(0x80, transaction_id) + tlv(0x81, b"\x00")))
    assert decode_exact(spec, "CancelSessionResponse", again) == (
        "cancelSessionResponseError", 5)


def test_a_cancel_session_error_is_refused_as_the_euiccs_not_as_bad_data(es10, smdp):
    """SGP.22 5.6.5: lpac passes the eUICC's cancelSessionResponseError (a primitive
    INTEGER alternative) on to the SM-DP+; the answer is "refused by the eUICC" (8.1/4.8),
    not a decoding failure."""
    from euicc_tools.smdp.es9 import Es9Error

    with pytest.raises(DownloadError):
        download(es10, es9_direct(smdp), ADDRESS, "TINY", cut=lambda pieces: [])
    transaction_id = next(iter(smdp._transactions))
    error = tlv(0xBF41, tlv(0x02, b"\x05"))  # cancelSessionResponseError invalidTransactionId
    with pytest.raises(Es9Error) as refused:
        smdp.cancel_session({"transactionId": transaction_id.hex(),
                             "cancelSessionResponse": base64.b64encode(error).decode()})
    assert (refused.value.subject, refused.value.reason) == ("8.1", "4.8")


def _prepare_inputs(es10, smdp):
    """Run a session up to PrepareDownload; return the SM-DP+ answer to authenticateClient."""
    es9 = es9_direct(smdp)
    challenge = es10.call("GetEuiccChallengeRequest", {}, "GetEuiccChallengeResponse")
    init = es9("initiateAuthentication", {
        "euiccChallenge": base64.b64encode(challenge["euiccChallenge"]).decode(),
        "euiccInfo1": base64.b64encode(es10.store_data(bytes.fromhex("BF2000"))).decode(),
        "smdpAddress": ADDRESS})
    f = {k: base64.b64decode(init[k]) for k in (
        "serverSigned1", "serverSignature1", "euiccCiPKIdToBeUsed", "serverCertificate")}
    ctx = bytes.fromhex("A010800454494E59A108800435290611A100")  # matchingId TINY
    response = es10.store_data(tlv(0xBF38, b"".join(f.values()) + ctx))
    return es9("authenticateClient", {"transactionId": init["transactionId"],
                                      "authenticateServerResponse":
                                          base64.b64encode(response).decode()})


def test_prepare_download_error_codes(es10, smdp):
    """DownloadErrorCode of SGP.22 5.7.5 (CERT.DPpb of another SM-DP+ or CI:
    test_download_hostile.py)."""
    from euicc.crypto.ecdsa import sign_raw

    spec = rsp()

    def prepare(signed2: bytes, signature_tlv: bytes, cert: bytes) -> int:
        raw = es10.store_data(tlv(0xBF21, signed2 + signature_tlv + cert))
        kind, value = decode_exact(spec, "PrepareDownloadResponse", raw)
        return value["downloadErrorCode"] if kind.endswith("Error") else 0

    auth = _prepare_inputs(es10, smdp)
    signed2 = base64.b64decode(auth["smdpSigned2"])
    signature = base64.b64decode(auth["smdpSignature2"])
    cert = base64.b64decode(auth["smdpCertificate"])
    bad = signature[:-1] + bytes([signature[-1] ^ 1])
    assert prepare(signed2, bad, cert) == 2  # invalidSignature; the session is closed
    assert prepare(signed2, signature, cert) == 4  # noSessionContext
    auth = _prepare_inputs(es10, smdp)
    dpauth = smdp.auth[next(iter(smdp.auth))]
    assert prepare(base64.b64decode(auth["smdpSigned2"]),
                   base64.b64decode(auth["smdpSignature2"]), dpauth.der) == 1  # a DPauth role
    auth = _prepare_inputs(es10, smdp)
    # A correctly signed smdpSigned2 for another transaction
    other = encode_smdp_signed2(bytes(16))
    tx = smdp._transactions[bytes.fromhex(auth["transactionId"])]
    signer = smdp.pb[tx.ci_pkid]
    sig = sign_raw(signer.key, other + tlv(0x5F37, tx.euicc_signature1))
    assert prepare(other, tlv(0x5F37, sig), signer.der) == 5  # invalidTransactionId


def encode_smdp_signed2(transaction_id: bytes) -> bytes:
    from euicc.asn1 import encode

    return encode(rsp(), "SmdpSigned2", {"transactionId": transaction_id,
                                         "ccRequiredFlag": False})


def test_unsupported_curve(es10, smdp, pki_dir):
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ec

    from euicc.pki import read_certificate, read_private_key

    ci_cert = read_certificate(pki_dir / "CertificateIssuer" / "CERT_CI_ECDSA_NIST.der")
    ci_key = read_private_key(pki_dir / "CertificateIssuerKeys" / "SK_CI_ECDSA_NIST.pem")
    dpauth = smdp.auth[next(iter(smdp.auth))].certificate
    p384 = ec.generate_private_key(ec.SECP384R1())
    builder = x509.CertificateBuilder().subject_name(dpauth.subject).issuer_name(
        ci_cert.subject).public_key(p384.public_key()).serial_number(7).not_valid_before(
        dpauth.not_valid_before_utc).not_valid_after(dpauth.not_valid_after_utc)
    for extension in dpauth.extensions:
        if extension.oid != x509.ExtensionOID.SUBJECT_KEY_IDENTIFIER:
            builder = builder.add_extension(extension.value, extension.critical)
    cert = builder.sign(ci_key, hashes.SHA256())
    from cryptography.hazmat.primitives.serialization import Encoding

    challenge = es10.call("GetEuiccChallengeRequest", {}, "GetEuiccChallengeResponse")
    init = smdp.initiate_authentication({
        "euiccChallenge": base64.b64encode(challenge["euiccChallenge"]).decode(),
        "euiccInfo1": base64.b64encode(es10.store_data(bytes.fromhex("BF2000"))).decode(),
        "smdpAddress": ADDRESS})
    f = {k: base64.b64decode(init[k]) for k in (
        "serverSigned1", "serverSignature1", "euiccCiPKIdToBeUsed")}
    raw = es10.store_data(tlv(0xBF38, b"".join(f.values()) + cert.public_bytes(Encoding.DER)
                              + bytes.fromhex("A00AA108800435290611A100")))
    kind, value = decode_exact(rsp(), "AuthenticateServerResponse", raw)
    assert (kind, value["authenticateErrorCode"]) == ("authenticateResponseError", 3)


def test_bpp_euicc_otpk_retry_reuses_the_retained_key(es10, smdp):
    from euicc.asn1 import encode
    from euicc.crypto.ecdsa import sign_raw

    spec = rsp()

    def prepare(bpp_euicc_otpk: bytes | None) -> bytes:
        auth = _prepare_inputs(es10, smdp)
        tx = smdp._transactions[bytes.fromhex(auth["transactionId"])]
        signed2 = {"transactionId": tx.transaction_id, "ccRequiredFlag": False}
        if bpp_euicc_otpk is not None:
            signed2["bppEuiccOtpk"] = bpp_euicc_otpk
        signed2_der = encode(spec, "SmdpSigned2", signed2)
        signer = smdp.pb[tx.ci_pkid]
        signature = sign_raw(signer.key, signed2_der + tlv(0x5F37, tx.euicc_signature1))
        raw = es10.store_data(tlv(0xBF21, signed2_der + tlv(0x5F37, signature) + signer.der))
        kind, value = decode_exact(spec, "PrepareDownloadResponse", raw)
        assert kind == "downloadResponseOk"
        return value["euiccSigned2"]["euiccOtpk"]

    first = prepare(None)
    assert prepare(first) == first  # the SM-DP+ retries with the BPP bound to that key
    assert prepare(bytes(65)) != first  # a key the card does not hold: a new one
