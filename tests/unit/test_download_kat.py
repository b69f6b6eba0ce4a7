"""Known-answer test: the recorded osmo-smdpp session (shared/vectors) replayed into the
card. The card verifies the SM-DP+'s real signatures, reproduces the eUICC signatures bit
for bit (RFC 6979 and the recorded one-time key, given to the card as its entropy),
decrypts the BPP to exactly the served
profile package and installs it; any flipped bit or a foreign card installs nothing.
SGP.22 5.7.13 AuthenticateServer, 5.7.5 PrepareDownload, 5.7.6 LoadBoundProfilePackage."""

from __future__ import annotations

import json

import pytest
from cryptography import x509

from euicc.asn1 import decode_exact, rsp
from euicc.crypto.ecdsa import private_key_from_scalar, sign_raw, verify_raw
from euicc.crypto.entropy import SeededEntropy
from euicc.pki import load_card_credentials
from euicc.ppi import elements_without_secrets
from euicc.store import CardStore
from euicc.tlv import children, split
from euicc_applets.isd_r import ISD_R_AID
from euicc_tools.emulator.card import build_card
from euicc_tools.lpa.es10 import Es10Client
from euicc_tools.lpa.link import DirectLink
from tests.support.shared_material import shared_path


@pytest.fixture(scope="module")
def vectors():
    path = shared_path("vectors", "sgp22_download_osmo-smdpp_ts48v2.json")
    return json.loads(path.read_text())


def h(value: str) -> bytes:
    return bytes.fromhex(value)


class RecordedEntropy(SeededEntropy):
    """The card's entropy as in the recorded run (pySim's eUICC side): RFC 6979 signatures
    without additional data, and ``one_time_key`` as every otSK.EUICC.ECKA."""

    def __init__(self, one_time_key):
        super().__init__(b"recorded osmo-smdpp session")
        self.one_time_key = one_time_key

    def new_ec_key(self, curve):
        return self.one_time_key

    def sign(self, key, data):
        return sign_raw(key, data, deterministic=True)


def recorded_one_time_key(vectors):
    return private_key_from_scalar(h(vectors["bsp_keys"]["euicc_otSK_ECKA_private_scalar"]))


class Replay:
    def __init__(self, vectors, state, credentials, entropy=None):
        self.v = vectors
        self.store = CardStore(state)
        entropy = entropy or RecordedEntropy(recorded_one_time_key(vectors))
        self.card = build_card(self.store, credentials, entropy=entropy)
        self.card.power_on()
        self.isd_r = self.card.registry.get(ISD_R_AID)
        self.es10 = Es10Client(DirectLink(self.card))
        self.es10.open()

    def authenticate(self) -> bytes:
        step1 = self.v["step1_es9p_initiateAuthentication"]
        self.isd_r.session.euicc_challenge = h(step1["euiccChallenge"])
        step2 = self.v["step2_es10b_authenticateServer"]
        request = step2["authenticateServerRequest_der_BF38_as_LPA_sends_to_eUICC"]
        return self.es10.store_data(h(request))

    def prepare(self) -> bytes:
        # Our EUICCInfo2 is not pySim's, so our euiccSignature1 differs from the recorded
        # one that smdpSignature2 covers: take the recorded one into the session.
        step2 = self.v["step2_es10b_authenticateServer"]
        self.isd_r.session.euicc_signature1 = h(step2["euiccSignature1_raw_r_s"])
        step3 = self.v["step3_es10b_prepareDownload"]
        request = step3["prepareDownloadRequest_der_BF21_as_LPA_sends_to_eUICC"]
        return self.es10.store_data(h(request))

    def load(self, pieces: list[bytes]) -> bytes:
        results = [self.es10.store_data(piece) for piece in pieces]
        final = [r for r in results if r]
        assert len(final) == 1 and final[0] == results[-1]
        return final[0]

    def pieces(self) -> list[bytes]:
        return [h(p["hex"]) for p in self.v["es8p_segments_LPA_to_eUICC_in_order"]]


@pytest.fixture
def sgp26_credentials():
    return load_card_credentials(shared_path("sgp26"))


@pytest.fixture
def replay(vectors, tmp_path, sgp26_credentials):
    return Replay(vectors, tmp_path / "state", sgp26_credentials)


def test_authenticate_server_verifies_recorded_server(replay, vectors, sgp26_credentials):
    response = replay.authenticate()
    kind, ok = decode_exact(rsp(), "AuthenticateServerResponse", response)
    assert kind == "authenticateResponseOk"
    signed1 = children(children(response)[0][1])[0][1]
    step1 = vectors["step1_es9p_initiateAuthentication"]
    assert ok["euiccSigned1"]["transactionId"] == h(step1["response_transactionId"])
    ctx = vectors["step2_es10b_authenticateServer"]["ctxParams1_der"]
    assert signed1.endswith(h(ctx))  # ctxParams1 exactly as received
    identity = sgp26_credentials.identities[0]
    cert = x509.load_der_x509_certificate(identity.certificate_der)
    assert verify_raw(cert.public_key(), signed1, ok["euiccSignature1"])
    assert bytes(ok["euiccCertificate"]) == identity.certificate_der


def test_prepare_download_reproduces_recorded_response(replay, vectors):
    replay.authenticate()
    response = replay.prepare()
    step3 = vectors["step3_es10b_prepareDownload"]
    assert response == h(step3["prepareDownloadResponse_der_BF21_sent_to_smdp"])


def test_load_bpp_decrypts_to_the_served_package(replay, vectors, sgp26_credentials):
    replay.authenticate()
    replay.prepare()
    result = replay.load(replay.pieces())
    pir = decode_exact(rsp(), "ProfileInstallationResult", result)
    data = pir["profileInstallationResultData"]
    kind, success = data["finalResult"]
    assert kind == "successResult", data
    signed = children(result)[0][1]
    cert = x509.load_der_x509_certificate(sgp26_credentials.identities[0].certificate_der)
    assert verify_raw(cert.public_key(), signed, pir["euiccSignPIR"])
    (profile,) = replay.store.profiles()
    assert profile.isdp_aid == success["aid"]
    assert profile.iccid == h(vectors["profile"]["iccid_raw_5A"])
    # the decrypted package as stored: each element as served, its secrets zeroed
    upp = h(vectors["decrypted"]["unprotected_profile_package_der"])
    assert replay.store.profile_elements(profile.isdp_aid) == elements_without_secrets(split(upp))
    (note,) = replay.store.notifications()
    assert note.pending == result and note.address == "testsmdpplus1.example.com"


@pytest.mark.parametrize("index", range(1, 19))
def test_flipped_bit_installs_nothing(replay, index):
    replay.authenticate()
    replay.prepare()
    pieces = replay.pieces()
    if len(pieces[index]) < 8:  # a bare container header: flipping it is a structure error
        pieces[index] = bytes([pieces[index][0] ^ 0x01]) + pieces[index][1:]
    else:
        victim = bytearray(pieces[index])
        victim[len(victim) // 2] ^= 0x10
        pieces[index] = bytes(victim)
    results = []
    for piece in pieces:
        results.append(replay.es10.store_data(piece))
        if results[-1]:
            break
    pir = decode_exact(rsp(), "ProfileInstallationResult", results[-1])
    kind, error = pir["profileInstallationResultData"]["finalResult"]
    assert kind == "errorResult"
    assert error["errorReason"] in (7, 8)  # scp03tStructureError / scp03tSecurityError
    assert replay.store.profiles() == []


def test_bpp_bound_to_another_key_is_refused(vectors, tmp_path):
    # The BPP's smdpSign covers the one-time key of the eUICC it was bound to; a card whose
    # session holds another key fails InitialiseSecureChannel with invalidSignature.
    other = Replay(vectors, tmp_path / "other", load_card_credentials(shared_path("sgp26")),
                   RecordedEntropy(private_key_from_scalar(b"\x01" * 32)))
    other.authenticate()
    other.prepare()
    result = [other.es10.store_data(p) for p in other.pieces()[:1]][-1]
    pir = decode_exact(rsp(), "ProfileInstallationResult", result)
    kind, error = pir["profileInstallationResultData"]["finalResult"]
    assert (kind, error["bppCommandId"], error["errorReason"]) == ("errorResult", 0, 2)
    assert other.store.profiles() == []


def seeded_authentication(vectors, state, seed: bytes) -> tuple[bytes, bytes]:
    """(euiccChallenge, AuthenticateServerResponse) of a fresh card with a SeededEntropy."""
    card = Replay(vectors, state, load_card_credentials(shared_path("sgp26")),
                  SeededEntropy(seed))
    challenge = card.es10.call("GetEuiccChallengeRequest", {},
                               "GetEuiccChallengeResponse")["euiccChallenge"]
    return challenge, card.authenticate()


def test_seeded_cards_answer_authenticate_server_alike(vectors, tmp_path, sgp26_credentials):
    """Two cards given the same seed answer the same AuthenticateServerRequest with the same
    bytes (euiccSignature1 included); another seed gives another challenge and signature,
    both valid (SGP.22 5.7.7, 5.7.13; euicc.crypto.entropy)."""
    first = seeded_authentication(vectors, tmp_path / "a", b"card one")
    again = seeded_authentication(vectors, tmp_path / "b", b"card one")
    other = seeded_authentication(vectors, tmp_path / "c", b"card two")
    assert first == again
    assert first[0] != other[0] and first[1] != other[1]
    public_key = x509.load_der_x509_certificate(
        sgp26_credentials.identities[0].certificate_der).public_key()
    for _, response in (first, other):
        kind, ok = decode_exact(rsp(), "AuthenticateServerResponse", response)
        assert kind == "authenticateResponseOk"
        signed1 = children(children(response)[0][1])[0][1]
        assert verify_raw(public_key, signed1, ok["euiccSignature1"])
