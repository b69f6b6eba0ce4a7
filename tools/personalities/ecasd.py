"""A personality's ``[ecasd]``: which CIs the chip's ECASD holds keys and certificates for
(SGP.22 2.2.2 "ECASD": the CI public keys PK.CI.ECDSA the eUICC verifies with, and per CI
the eUICC's SK.EUICC.ECDSA with CERT.EUICC.ECDSA and CERT.EUM.ECDSA it signs with;
GlobalPlatform Card Specification 2.3 Amendment E, the ECASD)::

    [ecasd]
    ci_pkids_for_verification = ["F54172BDF98A95D65CBEB88A38A1C11D800A85C3"]
    ci_pkids_for_signing = ["F54172BDF98A95D65CBEB88A38A1C11D800A85C3"]   # default: the same

Each is a list of CI subject key identifiers (hex, in the order the chip lists them). What
it changes, all of it from the one declaration: the card verifies SM-DP+ certificates only
against the CIs of the first list (another CI's CERT.DPauth gets AuthenticateServer
ciPKUnknown, SGP.22 5.7.13), signs only with the eUICC certificates under the CIs of the
second (an euiccCiPKIdToBeUsed outside it: ciPKUnknown), EUICCInfo1/2 list exactly these
(euiccCiPKIdListForVerification / ForSigning, SGP.22 4.3), and the ECASD's GET DATA '7F21'
and AuthenticateServer's euiccCertificate / eumCertificate are those of the first signing
CI. Keys are not carried (no chip's are known): every CI named must be in the PKI the card
runs with (``--pki``), and a start whose PKI lacks one is refused, saying which it has.

Without ``[ecasd]`` the ECASD holds every CI of that PKI, and ``[factory.euicc_info2]`` may
declare other lists than it holds (a test of an LPA's ciPKUnknown handling); with it, a
declared list must name the same CIs as the ECASD's (refused at load otherwise): the
declaration cannot say what the card does not do.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from euicc.faults import ScenarioError
from euicc.pki import CardCredentials
from euicc_applets.isd_r.preset_schema import fail, hex_bytes, unknown_keys

KEYS = ("ci_pkids_for_verification", "ci_pkids_for_signing")


@dataclass(frozen=True)
class EcasdContents:
    verification: tuple[bytes, ...]
    signing: tuple[bytes, ...]


def _pkids(where: str, value) -> tuple[bytes, ...]:
    if not isinstance(value, list) or not value:
        fail(where, f"{value!r}: a list of one or more CI key identifiers in hex")
    ids = tuple(hex_bytes(where, v, 1, 32) for v in value)
    if len(set(ids)) != len(ids):
        fail(where, f"{value!r}: a CI named twice")
    return ids


def parse_ecasd(table: dict) -> EcasdContents:
    unknown_keys("ecasd", table, KEYS)
    if "ci_pkids_for_verification" not in table:
        fail("ecasd: ci_pkids_for_verification", "the CIs the ECASD holds keys for "
                                                 "(a list of key identifiers in hex)")
    verification = _pkids("ecasd: ci_pkids_for_verification",
                          table["ci_pkids_for_verification"])
    signing = verification
    if "ci_pkids_for_signing" in table:
        signing = _pkids("ecasd: ci_pkids_for_signing", table["ci_pkids_for_signing"])
    return EcasdContents(verification, signing)


def check_declared(ecasd: EcasdContents, factory_tables: dict) -> None:
    """``[factory.euicc_info2]``'s CI lists, where given, name the ECASD's CIs."""
    info2 = factory_tables.get("euicc_info2", {})
    for key, held in (("ci_pkids_for_verification", ecasd.verification),
                      ("ci_pkids_for_signing", ecasd.signing)):
        if key not in info2:
            continue
        declared = [bytes.fromhex(i) for i in info2[key]]
        if sorted(declared) != sorted(held) or len(declared) != len(held):
            fail(f"factory.euicc_info2: {key}",
                 f"{info2[key]!r} is not what the ECASD holds ([ecasd] {key} = "
                 f"{[h.hex().upper() for h in held]!r}): a chip lists its own CIs")


def held_credentials(ecasd: EcasdContents | None, credentials: CardCredentials,
                     name: str) -> CardCredentials:
    """The card's credentials cut to what the ECASD holds, in its order; ScenarioError when
    the PKI lacks a CI it names."""
    if ecasd is None:
        return credentials
    cis = {ci.pkid: ci for ci in credentials.trusted_cis}
    chains = {identity.ci_pkid: identity for identity in credentials.identities}
    for what, wanted, have in (("a CI key", ecasd.verification, cis),
                               ("an eUICC certificate under the CI", ecasd.signing, chains)):
        missing = [pkid.hex().upper() for pkid in wanted if pkid not in have]
        if missing:
            has = ", ".join(p.hex().upper() for p in have) or "none"
            raise ScenarioError(f"personality {name}: its ECASD holds {what} {missing[0]}, "
                                f"which the card's PKI does not have (it has {has}): give "
                                "--pki of that CI, with a new --state")
    return replace(credentials, trusted_cis=tuple(cis[p] for p in ecasd.verification),
                   identities=tuple(chains[p] for p in ecasd.signing))
