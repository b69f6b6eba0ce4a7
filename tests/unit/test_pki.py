"""Test PKI generation/loading (euicc.pki) and SGP.22 certificate checks (euicc.crypto.certs)."""

from __future__ import annotations

import shutil
import stat
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.x509.oid import ExtendedKeyUsageOID

from euicc.crypto import certs
from euicc.crypto.ecdsa import curve_name, sign_raw, verify_raw
from euicc.pki import (
    PkiError,
    eid_is_valid,
    eid_with_check_digits,
    generate_test_pki,
    issue_euicc_certificate,
    load_card_credentials,
    random_eid,
)

SGP26 = Path(__file__).resolve().parents[3] / "shared" / "sgp26"
SGP26_EID = "89049032123451234512345678901235"
SGP26_NIST_PKID = bytes.fromhex("F54172BDF98A95D65CBEB88A38A1C11D800A85C3")
EID = eid_with_check_digits("890490320000000000000000004242")
OTHER_EID = eid_with_check_digits("890490329999999999999999990001")
SUFFIX = {"nist": "NIST", "brp": "BRP"}


def _cert(path: Path) -> x509.Certificate:
    return certs.load_certificate(path.read_bytes())


def _key(path: Path):
    return serialization.load_pem_private_key(path.read_bytes(), None)


def _flip_last_byte(path: Path) -> None:
    data = bytearray(path.read_bytes())
    data[-1] ^= 0x01  # last byte of the signature's s: DER stays well-formed
    path.write_bytes(bytes(data))


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("pki")
    generate_test_pki(directory, EID)
    return directory


@pytest.fixture
def pki(generated: Path, tmp_path: Path) -> Path:
    """A private, modifiable copy of the generated PKI."""
    return Path(shutil.copytree(generated, tmp_path / "pki"))


@pytest.fixture
def sgp26() -> Path:
    if not SGP26.is_dir():
        pytest.skip(f"SGP.26 test certificates not available at {SGP26}")
    return SGP26


# --- EID ------------------------------------------------------------------------------------

def test_eid_check_digits_match_sgp26() -> None:
    assert eid_with_check_digits(SGP26_EID[:30]) == SGP26_EID
    assert eid_is_valid(SGP26_EID)
    assert int(EID) % 97 == 1


@pytest.mark.parametrize("bad", [SGP26_EID[:-1] + "6", SGP26_EID[:-1], SGP26_EID + "0",
                                 "8904903212345123451234567890123A", "", None, int(SGP26_EID)])
def test_eid_is_valid_rejects(bad) -> None:
    assert not eid_is_valid(bad)


def test_eid_with_check_digits_rejects_bad_body() -> None:
    for bad in ("123", "8904903212345123451234567890123", "89049032123451234512345678901X"):
        with pytest.raises(ValueError):
            eid_with_check_digits(bad)


def test_random_eid_is_valid() -> None:
    eids = {random_eid() for _ in range(20)}
    assert len(eids) == 20
    assert all(eid_is_valid(e) and e.startswith("89049032") for e in eids)


# --- generation -----------------------------------------------------------------------------

def test_generated_layout_and_permissions(generated: Path) -> None:
    for sfx in SUFFIX.values():
        for rel in (f"CertificateIssuer/CERT_CI_ECDSA_{sfx}.der",
                    f"CertificateIssuerKeys/SK_CI_ECDSA_{sfx}.pem",
                    f"EUM/CERT_EUM_ECDSA_{sfx}.der", f"EUM/SK_EUM_ECDSA_{sfx}.pem",
                    f"eUICC/CERT_EUICC_ECDSA_{sfx}.der", f"eUICC/SK_EUICC_ECDSA_{sfx}.pem",
                    f"DPauth/CERT_S_SM_DPauth_ECDSA_{sfx}.der",
                    f"DPauth/SK_S_SM_DPauth_ECDSA_{sfx}.pem",
                    f"DPpb/CERT_S_SM_DPpb_ECDSA_{sfx}.der", f"DPpb/SK_S_SM_DPpb_ECDSA_{sfx}.pem",
                    f"DPtls/CERT_S_SM_DP_TLS_{sfx}.der", f"DPtls/CERT_S_SM_DP_TLS_{sfx}.pem",
                    f"DPtls/SK_S_SM_DP_TLS_{sfx}.pem"):
            assert (generated / rel).is_file(), rel
    for key_file in generated.rglob("SK_*.pem"):
        assert stat.S_IMODE(key_file.stat().st_mode) == 0o600, key_file
        assert key_file.read_bytes().startswith(b"-----BEGIN EC PARAMETERS-----")
        assert curve_name(_key(key_file)) in SUFFIX
    # osmo-smdpp loads every .der/.pem below CertificateIssuer/ as a CI certificate
    for path in (generated / "CertificateIssuer").rglob("*"):
        assert certs.has_role(_cert(path), certs.OID_RSP_ROLE_CI), path


@pytest.mark.parametrize("curve", ["nist", "brp"])
def test_generated_certificate_profiles(generated: Path, curve: str) -> None:
    sfx = SUFFIX[curve]
    ci = _cert(generated / f"CertificateIssuer/CERT_CI_ECDSA_{sfx}.der")
    eum = _cert(generated / f"EUM/CERT_EUM_ECDSA_{sfx}.der")
    euicc = _cert(generated / f"eUICC/CERT_EUICC_ECDSA_{sfx}.der")
    dp = {role: _cert(generated / f"{folder}/CERT_S_SM_{stem}_{sfx}.der")
          for role, folder, stem in ((certs.OID_RSP_ROLE_DP_AUTH, "DPauth", "DPauth_ECDSA"),
                                     (certs.OID_RSP_ROLE_DP_PB, "DPpb", "DPpb_ECDSA"),
                                     (certs.OID_RSP_ROLE_DP_TLS, "DPtls", "DP_TLS"))}
    assert all(curve_name(c.public_key()) == curve for c in (ci, eum, euicc, *dp.values()))
    # CI: self-signed root, keyCertSign + cRLSign
    assert certs.verify_issued_by(ci, ci) and certs.has_role(ci, certs.OID_RSP_ROLE_CI)
    assert ci.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    ku = ci.extensions.get_extension_for_class(x509.KeyUsage).value
    assert ku.key_cert_sign and ku.crl_sign and not ku.digital_signature
    # EUM: CA pathlen 0, name constraint on the EID prefix
    assert certs.verify_issued_by(eum, ci) and certs.has_role(eum, certs.OID_RSP_ROLE_EUM)
    assert certs.authority_key_id(eum) == certs.subject_key_id(ci)
    assert eum.extensions.get_extension_for_class(x509.BasicConstraints).value.path_length == 0
    assert certs.eum_permitted_eid_prefixes(eum) == [EID[:8]]
    # eUICC: EID, role, never expires (GeneralizedTime 99991231235959Z)
    assert certs.verify_issued_by(euicc, eum) and not certs.verify_issued_by(euicc, ci)
    assert certs.has_role(euicc, certs.OID_RSP_ROLE_EUICC)
    assert not certs.has_role(euicc, certs.OID_RSP_ROLE_EUM)
    assert certs.eid_from_certificate(euicc) == EID
    assert certs.eid_permitted(EID, eum) and certs.euicc_name_permitted(euicc, eum)
    assert b"\x18\x0f99991231235959Z" in euicc.public_bytes(serialization.Encoding.DER)
    assert euicc.extensions.get_extension_for_class(x509.KeyUsage).value.digital_signature
    # SM-DP+ certificates
    for role, cert in dp.items():
        assert certs.has_role(cert, role) and certs.verify_issued_by(cert, ci), role
    tls = dp[certs.OID_RSP_ROLE_DP_TLS]
    san = tls.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert san.get_values_for_type(x509.DNSName) == ["testsmdpplus1.example.com"]
    eku = tls.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    assert ExtendedKeyUsageOID.SERVER_AUTH in eku
    pem = _cert(generated / f"DPtls/CERT_S_SM_DP_TLS_{sfx}.pem")
    assert pem == tls


def test_generated_keys_match_certificates(generated: Path) -> None:
    for key_file in generated.rglob("SK_*.pem"):
        folder = "CertificateIssuer" if key_file.parent.name == "CertificateIssuerKeys" else None
        cert_file = generated / (folder or key_file.parent.name) / key_file.name.replace(
            "SK_", "CERT_", 1).replace(".pem", ".der")
        assert certs.key_matches_certificate(_key(key_file), _cert(cert_file)), key_file


def test_generate_options_and_refusals(tmp_path: Path) -> None:
    generate_test_pki(tmp_path / "a", smdp_address="smdp.test.example")
    tls = _cert(tmp_path / "a/DPtls/CERT_S_SM_DP_TLS_NIST.der")
    assert tls.extensions.get_extension_for_class(x509.SubjectAlternativeName).value \
        .get_values_for_type(x509.DNSName) == ["smdp.test.example"]
    assert eid_is_valid(load_card_credentials(tmp_path / "a").eid)
    with pytest.raises(PkiError, match="overwrite"):
        generate_test_pki(tmp_path / "a")
    generate_test_pki(tmp_path / "a", EID, overwrite=True)
    assert load_card_credentials(tmp_path / "a").eid == EID
    with pytest.raises(PkiError, match="invalid EID"):
        generate_test_pki(tmp_path / "b", SGP26_EID[:-1] + "0")


# --- loading --------------------------------------------------------------------------------

def test_load_generated(generated: Path) -> None:
    creds = load_card_credentials(generated)
    assert creds.eid == EID
    assert [i.curve for i in creds.identities] == ["nist", "brp"]
    assert [c.curve for c in creds.trusted_cis] == ["nist", "brp"]
    assert creds.pkids_for_signing == creds.pkids_for_verification
    assert creds.identity_for_ci(bytes(20)) is None
    for identity, ci in zip(creds.identities, creds.trusted_cis, strict=True):
        assert creds.identity_for_ci(ci.pkid) is identity
        cert = x509.load_der_x509_certificate(identity.certificate_der)
        eum = x509.load_der_x509_certificate(identity.eum_certificate_der)
        ci_cert = x509.load_der_x509_certificate(ci.certificate_der)
        assert certs.verify_issued_by(cert, eum) and certs.verify_issued_by(eum, ci_cert)
        assert identity.ci_pkid == certs.subject_key_id(ci_cert)
        sig = sign_raw(identity.private_key, b"euiccSigned1")
        assert verify_raw(cert.public_key(), b"euiccSigned1", sig)


def test_tampered_euicc_certificate_rejected(pki: Path) -> None:
    _flip_last_byte(pki / "eUICC/CERT_EUICC_ECDSA_NIST.der")
    with pytest.raises(PkiError, match="not issued by any EUM"):
        load_card_credentials(pki)


def test_tampered_eum_certificate_rejected(pki: Path) -> None:
    _flip_last_byte(pki / "EUM/CERT_EUM_ECDSA_BRP.der")
    with pytest.raises(PkiError, match="not issued by any CI"):
        load_card_credentials(pki)


def test_wrong_key_rejected(pki: Path) -> None:
    shutil.copy(pki / "EUM/SK_EUM_ECDSA_NIST.pem", pki / "eUICC/SK_EUICC_ECDSA_NIST.pem")
    with pytest.raises(PkiError, match="does not match the public key"):
        load_card_credentials(pki)


def test_missing_key_or_ci_rejected(pki: Path) -> None:
    (pki / "eUICC/SK_EUICC_ECDSA_BRP.pem").unlink()
    with pytest.raises(PkiError, match="private key"):
        load_card_credentials(pki)
    (pki / "eUICC/CERT_EUICC_ECDSA_BRP.der").unlink()
    assert [i.curve for i in load_card_credentials(pki).identities] == ["nist"]
    (pki / "CertificateIssuer/CERT_CI_ECDSA_BRP.der").unlink()
    with pytest.raises(PkiError, match="not issued by any CI"):
        load_card_credentials(pki)


def test_conflicting_duplicate_rejected(pki: Path) -> None:
    shutil.copy(pki / "eUICC/CERT_EUICC_ECDSA_BRP.der", pki / "DPpb/CERT_EUICC_ECDSA_NIST.der")
    with pytest.raises(PkiError, match="more than once"):
        load_card_credentials(pki)


def test_eid_mismatch_needs_issue_into(pki: Path) -> None:
    assert load_card_credentials(pki, EID).eid == EID
    with pytest.raises(PkiError, match=f"EID {OTHER_EID} does not match certificate EID {EID}"):
        load_card_credentials(pki, OTHER_EID)
    with pytest.raises(PkiError, match="invalid EID"):
        load_card_credentials(pki, "1234", issue_into=pki / "issued")


def test_eid_override_issues_then_reuses(pki: Path, tmp_path: Path) -> None:
    issued = tmp_path / "issued"
    creds = load_card_credentials(pki, OTHER_EID, issue_into=issued)
    assert creds.eid == OTHER_EID
    assert [i.curve for i in creds.identities] == ["nist", "brp"]
    assert creds.pkids_for_signing == load_card_credentials(pki).pkids_for_signing
    for identity in creds.identities:
        cert = x509.load_der_x509_certificate(identity.certificate_der)
        assert certs.eid_from_certificate(cert) == OTHER_EID
        assert cert.public_bytes(serialization.Encoding.DER) == (
            issued / f"CERT_EUICC_ECDSA_{SUFFIX[identity.curve]}.der").read_bytes()
    for key_file in issued.glob("SK_*.pem"):
        assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    again = load_card_credentials(pki, OTHER_EID, issue_into=issued)
    assert [i.certificate_der for i in again.identities] == [
        i.certificate_der for i in creds.identities]
    # the folder may also live inside the PKI folder: it is excluded from the search
    inside = load_card_credentials(pki, OTHER_EID, issue_into=pki / "state")
    assert inside.eid == OTHER_EID
    assert load_card_credentials(pki, issue_into=pki / "state").eid == EID


def test_eid_override_limits(pki: Path, tmp_path: Path) -> None:
    foreign = eid_with_check_digits("890330231234512345123456789012")
    # With a CI key at hand, an EID outside the EUM's range gets an EUM of its own.
    issued = load_card_credentials(pki, foreign, issue_into=tmp_path / "ci")
    assert issued.eid == foreign
    assert (tmp_path / "ci" / "CERT_EUM_ECDSA_NIST.der").is_file()
    again = load_card_credentials(pki, foreign, issue_into=tmp_path / "ci")
    assert [i.certificate_der for i in again.identities] == [
        i.certificate_der for i in issued.identities]  # made once, then reused
    for key_file in (pki / "CertificateIssuerKeys").glob("SK_*.pem"):
        key_file.unlink()
    with pytest.raises(PkiError, match="not permitted"):
        load_card_credentials(pki, foreign, issue_into=tmp_path / "x")
    for key_file in (pki / "EUM").glob("SK_*.pem"):
        key_file.unlink()
    with pytest.raises(PkiError, match="no EUM private key"):
        load_card_credentials(pki, OTHER_EID, issue_into=tmp_path / "y")


def test_issue_euicc_certificate(generated: Path) -> None:
    eum = _cert(generated / "EUM/CERT_EUM_ECDSA_BRP.der")
    eum_key = _key(generated / "EUM/SK_EUM_ECDSA_BRP.pem")
    key, cert = issue_euicc_certificate(eum, eum_key, OTHER_EID)
    assert curve_name(key) == "brp" and certs.key_matches_certificate(key, cert)
    assert certs.verify_issued_by(cert, eum) and certs.eid_from_certificate(cert) == OTHER_EID
    with pytest.raises(PkiError, match="does not match"):
        issue_euicc_certificate(eum, _key(generated / "EUM/SK_EUM_ECDSA_NIST.pem"), OTHER_EID)


# --- SGP.26 reference material --------------------------------------------------------------

def test_sgp26_roles_and_chain(sgp26: Path) -> None:
    expected = {"CERT_CI_ECDSA_NIST.der": certs.OID_RSP_ROLE_CI,
                "CERT_CI_ECDSA_BRP.der": certs.OID_RSP_ROLE_CI,
                "CERT_EUICC_ECDSA_NIST.der": certs.OID_RSP_ROLE_EUICC,
                "CERT_EUM_ECDSA_NIST.der": certs.OID_RSP_ROLE_EUM,
                "CERT_S_SM_DP_TLS_NIST.der": certs.OID_RSP_ROLE_DP_TLS,
                "CERT_S_SM_DPauth_ECDSA_NIST.der": certs.OID_RSP_ROLE_DP_AUTH,
                "CERT_S_SM_DPauth_ECDSA_BRP.der": certs.OID_RSP_ROLE_DP_AUTH,
                "CERT_S_SM_DPpb_ECDSA_NIST.der": certs.OID_RSP_ROLE_DP_PB,
                "CERT_S_SM_DPpb_ECDSA_BRP.der": certs.OID_RSP_ROLE_DP_PB}
    for name, role in expected.items():
        policies = _cert(sgp26 / name).extensions.get_extension_for_class(x509.CertificatePolicies)
        assert [p.policy_identifier for p in policies.value] == [role], name
    ci, eum = _cert(sgp26 / "CERT_CI_ECDSA_NIST.der"), _cert(sgp26 / "CERT_EUM_ECDSA_NIST.der")
    euicc = _cert(sgp26 / "CERT_EUICC_ECDSA_NIST.der")
    assert certs.subject_key_id(ci) == SGP26_NIST_PKID
    assert ci.subject != eum.issuer  # "Test CI" vs "GSMA Test CI": linked by key id only
    assert certs.verify_issued_by(eum, ci) and certs.verify_issued_by(euicc, eum)
    assert not certs.verify_issued_by(eum, _cert(sgp26 / "CERT_CI_ECDSA_BRP.der"))
    assert certs.eum_permitted_eid_prefixes(eum) == ["89049032"]
    assert certs.eid_from_certificate(euicc) == SGP26_EID
    assert certs.euicc_name_permitted(euicc, eum)
    assert not certs.eid_permitted("89033023" + SGP26_EID[8:], eum)


def test_sgp26_folder_loads(sgp26: Path) -> None:
    creds = load_card_credentials(sgp26)
    assert creds.eid == SGP26_EID
    assert [i.curve for i in creds.identities] == ["nist"]
    assert creds.identities[0].ci_pkid == SGP26_NIST_PKID
    assert creds.identities[0].certificate_der == (sgp26 / "CERT_EUICC_ECDSA_NIST.der").read_bytes()
    assert [c.curve for c in creds.trusted_cis] == ["nist", "brp"]
    assert creds.pkids_for_verification[0] == SGP26_NIST_PKID
    assert len(creds.pkids_for_verification) == 2
    assert creds.pkids_for_signing == (SGP26_NIST_PKID,)
    assert load_card_credentials(sgp26, SGP26_EID).eid == SGP26_EID


def test_sgp26_eid_override(sgp26: Path, tmp_path: Path) -> None:
    with pytest.raises(PkiError, match="does not match certificate EID"):
        load_card_credentials(sgp26, OTHER_EID)
    creds = load_card_credentials(sgp26, OTHER_EID, issue_into=tmp_path / "issued")
    assert creds.eid == OTHER_EID
    assert [i.curve for i in creds.identities] == ["nist"]
    assert creds.identities[0].ci_pkid == SGP26_NIST_PKID
    assert creds.identities[0].eum_certificate_der == (
        sgp26 / "CERT_EUM_ECDSA_NIST.der").read_bytes()
