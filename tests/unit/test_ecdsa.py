"""ECDSA-SHA256 raw (BSI TR-03111) signatures: round trips, malformed input, known answers."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

from euicc.crypto.ecdsa import (
    curve_name,
    der_to_raw,
    generate_private_key,
    private_key_from_scalar,
    raw_to_der,
    sign_raw,
    verify_raw,
)

VECTORS = (Path(__file__).resolve().parents[3] / "shared" / "vectors"
           / "sgp22_download_osmo-smdpp_ts48v2.json")
CURVES = ["nist", "brp"]


@pytest.fixture(scope="module")
def vectors() -> dict:
    if not VECTORS.exists():
        pytest.skip(f"known-answer vectors not available at {VECTORS}")
    return json.loads(VECTORS.read_text())


@pytest.mark.parametrize("curve", CURVES)
def test_sign_verify_roundtrip(curve: str) -> None:
    key = generate_private_key(curve)
    assert curve_name(key) == curve_name(key.public_key()) == curve
    sig = sign_raw(key, b"euiccSigned1")
    assert len(sig) == 64
    assert verify_raw(key.public_key(), b"euiccSigned1", sig)
    assert not verify_raw(key.public_key(), b"euiccSigned2", sig)
    assert not verify_raw(generate_private_key(curve).public_key(), b"euiccSigned1", sig)


@pytest.mark.parametrize("curve", CURVES)
def test_deterministic_signing(curve: str) -> None:
    key = generate_private_key(curve)
    first = sign_raw(key, b"data", deterministic=True)
    assert sign_raw(key, b"data", deterministic=True) == first
    assert sign_raw(key, b"other", deterministic=True) != first
    assert sign_raw(key, b"data") != sign_raw(key, b"data")  # random nonces
    assert verify_raw(key.public_key(), b"data", first)


@pytest.mark.parametrize("curve", CURVES)
def test_raw_der_roundtrip(curve: str) -> None:
    key = generate_private_key(curve)
    raw = sign_raw(key, b"x")
    der = raw_to_der(raw)
    assert der[0] == 0x30
    assert der_to_raw(der) == raw
    key.public_key().verify(der, b"x", ec.ECDSA(hashes.SHA256()))  # DER is what X.509 uses


def test_der_to_raw_pads_and_checks_size() -> None:
    assert der_to_raw(encode_dss_signature(1, 2)) == bytes(31) + b"\x01" + bytes(31) + b"\x02"
    assert der_to_raw(encode_dss_signature(1, 2), size=2) == b"\x00\x01\x00\x02"
    with pytest.raises(ValueError):
        der_to_raw(encode_dss_signature(1 << 256, 1))
    with pytest.raises(ValueError):
        der_to_raw(b"\x30\x00garbage")


def test_raw_to_der_rejects_odd_or_empty() -> None:
    for bad in (b"", b"\x01" * 63):
        with pytest.raises(ValueError):
            raw_to_der(bad)


@pytest.mark.parametrize("curve", CURVES)
def test_verify_raw_never_raises_on_bad_signatures(curve: str) -> None:
    key = generate_private_key(curve)
    pub = key.public_key()
    good = sign_raw(key, b"m")
    flipped = good[:-1] + bytes([good[-1] ^ 1])
    for bad in (b"", good[:63], good + b"\x00", bytes(64), b"\xff" * 64, flipped, "text", None):
        assert verify_raw(pub, b"m", bad) is False  # type: ignore[arg-type]


def test_curve_name_rejects_other_curves() -> None:
    with pytest.raises(ValueError):
        curve_name(ec.generate_private_key(ec.SECP384R1()))
    with pytest.raises(ValueError):
        generate_private_key("p384")


def _signer_cert(vectors: dict, signer: str) -> x509.Certificate:
    names = {"DPauth": "dpauth_certificate", "DPpb": "dppb_certificate",
             "EUICC": "euicc_certificate"}
    name = next(v for k, v in names.items() if f"SK.{k}." in signer)
    return x509.load_der_x509_certificate(bytes.fromhex(vectors["pki"][name]["der"]))


def test_recorded_signatures_verify(vectors: dict) -> None:
    assert len(vectors["signatures"]) >= 5
    for entry in vectors["signatures"]:
        pub = _signer_cert(vectors, entry["signer"]).public_key()
        data = bytes.fromhex(entry["signed_data"])
        sig = bytes.fromhex(entry["signature_raw_r_s"])
        assert verify_raw(pub, data, sig), entry["name"]
        assert not verify_raw(pub, data + b"\x00", sig), entry["name"]


def test_deterministic_signature_reproduces_recorded_euicc_signatures(vectors: dict) -> None:
    key = private_key_from_scalar(bytes.fromhex(vectors["pki"]["euicc_private_key_scalar"]))
    cert = _signer_cert(vectors, "SK.EUICC.SIG")
    assert key.public_key().public_numbers() == cert.public_key().public_numbers()
    recorded = {e["name"]: e for e in vectors["signatures"]}
    for name in ("euiccSignature1", "euiccSignature2"):
        entry = recorded[name]
        sig = sign_raw(key, bytes.fromhex(entry["signed_data"]), deterministic=True)
        assert sig.hex().upper() == entry["signature_raw_r_s"], name
