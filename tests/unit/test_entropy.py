"""The card's entropy (euicc.crypto.entropy): the seeded one repeats itself for a seed and
only for it, its keys and signatures are valid ones; RFC 6979 nonces with and without the
additional data of 3.6 (euicc.crypto.ecdsa.sign_raw_rfc6979); the seed reaches GET
CHALLENGE and the SUCI through the card assembly."""

from __future__ import annotations

import pytest
from cryptography.hazmat.primitives.asymmetric import ec, x25519
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from euicc.crypto.ecdsa import (
    CURVE_ORDERS,
    curve_for_name,
    curve_name,
    generate_private_key,
    private_key_from_scalar,
    sign_raw,
    sign_raw_rfc6979,
    verify_raw,
)
from euicc.crypto.entropy import SeededEntropy, SystemEntropy
from euicc.store import CardStore
from euicc_applets.naa.suci import (
    HomeNetworkKey,
    SchemeEntry,
    SuciCalcInfo,
    calculate_suci,
    decode_suci_value,
    msin_bcd,
    unprotect,
)
from euicc_tools.emulator.card import build_card

CURVES = ["nist", "brp"]


def h(text: str) -> bytes:
    return bytes.fromhex(text)


# -- RFC 6979 ---------------------------------------------------------------------------------

# RFC 6979 A.2.5: ECDSA, 256 bits (prime field), P-256, with SHA-256
A25_KEY = h("C9AFA9D845BA75166B5C215767B1D6934E50C3DB36E89B127B8A622B120F6721")
A25_SIGNATURES = {
    b"sample": "EFD48B2AACB6A8FD1140DD9CD45E81D69D2C877B56AAF991C34D0EA84EAF3716"
               "F7CB1C942D657C41D436C7A1B6E29F65F3E900DBB9AFF4064DC4AB2F843ACDA8",
    b"test": "F1ABB023518351CD71D881567B1EA663ED3EFCF6C5132B354F28D3B0B7D38367"
             "019F4113742A2B14BD25926B49C649155F267E60D3814B4C0CC84250E46F0083",
}


@pytest.mark.parametrize("message", list(A25_SIGNATURES))
def test_rfc6979_known_answers(message):
    key = private_key_from_scalar(A25_KEY)
    assert sign_raw_rfc6979(key, message).hex().upper() == A25_SIGNATURES[message]


@pytest.mark.parametrize("curve", CURVES)
def test_rfc6979_without_additional_data_is_openssls(curve):
    for n in range(8):
        key = generate_private_key(curve)
        message = bytes([n]) * (17 * n)
        assert sign_raw_rfc6979(key, message) == sign_raw(key, message, deterministic=True)


@pytest.mark.parametrize("curve", CURVES)
def test_rfc6979_additional_data_changes_the_nonce_only(curve):
    key = generate_private_key(curve)
    with_k1 = sign_raw_rfc6979(key, b"euiccSigned1", b"\x01" * 32)
    assert sign_raw_rfc6979(key, b"euiccSigned1", b"\x01" * 32) == with_k1
    assert with_k1 != sign_raw_rfc6979(key, b"euiccSigned1", b"\x02" * 32)
    assert with_k1 != sign_raw_rfc6979(key, b"euiccSigned1")
    assert verify_raw(key.public_key(), b"euiccSigned1", with_k1)


@pytest.mark.parametrize("curve", CURVES)
def test_curve_orders(curve):
    """(n - 1) G = -G: same x, the other y (SEC 2 2.4.2, RFC 5639 3.4)."""
    n = CURVE_ORDERS[curve]
    g = ec.derive_private_key(1, curve_for_name(curve)).public_key().public_numbers()
    minus_g = ec.derive_private_key(n - 1, curve_for_name(curve)).public_key().public_numbers()
    assert minus_g.x == g.x and minus_g.y != g.y


# -- SeededEntropy and SystemEntropy -------------------------------------------------------

def draws(entropy, signing_key) -> list[bytes]:
    """One of everything a card asks for, as bytes."""
    nist, brp = entropy.new_ec_key("nist"), entropy.new_ec_key("brp")
    return [
        entropy.random_bytes(16),
        nist.private_numbers().private_value.to_bytes(32, "big"),
        brp.private_numbers().private_value.to_bytes(32, "big"),
        entropy.new_x25519_key().private_bytes_raw(),
        entropy.sign(signing_key, b"euiccSigned2"),
        entropy.random_bytes(8),
    ]


def test_same_seed_same_draws_other_seed_other_draws():
    key = generate_private_key("nist")
    first = draws(SeededEntropy(b"seed"), key)
    assert draws(SeededEntropy(b"seed"), key) == first
    other = draws(SeededEntropy(b"seeds"), key)
    assert all(a != b for a, b in zip(first, other, strict=True))
    assert len(set(first)) == len(first)  # the stream moves on from draw to draw


@pytest.mark.parametrize("entropy", [SeededEntropy(b"x"), SystemEntropy()],
                         ids=["seeded", "system"])
def test_keys_and_signatures_are_valid(entropy):
    for curve in CURVES:
        key = entropy.new_ec_key(curve)
        assert curve_name(key) == curve
        assert 1 <= key.private_numbers().private_value < CURVE_ORDERS[curve]
        signature = entropy.sign(key, b"data")
        assert len(signature) == 64 and verify_raw(key.public_key(), b"data", signature)
    assert isinstance(entropy.new_x25519_key(), x25519.X25519PrivateKey)
    assert len(entropy.random_bytes(0)) == 0 and len(entropy.random_bytes(100)) == 100
    assert entropy.random_bytes(16) != entropy.random_bytes(16)


# -- through the card ---------------------------------------------------------------------------

def get_challenge(tmp_path, credentials, name: str, seed: bytes) -> bytes:
    store = CardStore(tmp_path / name)
    try:
        card = build_card(store, credentials, entropy=SeededEntropy(seed))
        card.power_on()
        response = card.transmit(h("0084000008"))  # ISO/IEC 7816-4 11.5.3 GET CHALLENGE
    finally:
        store.close()
    assert response[-2:] == b"\x90\x00"
    return response[:-2]


def test_seed_reaches_get_challenge(tmp_path, credentials):
    first = get_challenge(tmp_path, credentials, "a", b"fleet card 1")
    assert get_challenge(tmp_path, credentials, "b", b"fleet card 1") == first
    assert get_challenge(tmp_path, credentials, "c", b"fleet card 2") != first


@pytest.mark.parametrize("scheme", [1, 2], ids=["profile-A", "profile-B"])
def test_seeded_suci(scheme):
    """TS 33.501 C.3: the ephemeral key comes from the entropy; same seed, same SUCI."""
    if scheme == 1:
        home = x25519.X25519PrivateKey.generate()
        home_private = home.private_bytes_raw()
        home_public = home.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    else:
        home = ec.generate_private_key(ec.SECP256R1())
        home_private = home.private_numbers().private_value.to_bytes(32, "big")
        home_public = home.public_key().public_bytes(Encoding.X962,
                                                     PublicFormat.CompressedPoint)
    info = SuciCalcInfo((SchemeEntry(scheme, 1),), (HomeNetworkKey(7, home_public),))

    def suci(seed: bytes) -> bytes:
        return calculate_suci("001010123456789", 2, h("F0FF"), info,
                              entropy=SeededEntropy(seed))

    first = suci(b"seed")
    assert suci(b"seed") == first and suci(b"other") != first
    value = decode_suci_value(first)
    assert unprotect(scheme, home_private, value.scheme_output) == msin_bcd("0123456789")
