"""The volatile RSP session of the ISD-R (SGP.22 3.1.2 common mutual authentication, 3.1.3
download and installation, 5.7.7 GetEUICCChallenge): the eUICC challenge, then what
AuthenticateServer and PrepareDownload establish for LoadBoundProfilePackage. Cleared on
reset and by a new challenge; never persisted. The challenge is drawn from the card's
entropy (:mod:`euicc.crypto.entropy`), which the session holds but never clears.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec

from euicc.crypto.entropy import CardEntropy
from euicc.pki import EuiccIdentity

CHALLENGE_LENGTH = 16  # SGP.22 5.7.7: euiccChallenge, Octet16


@dataclass
class RspSession:
    entropy: CardEntropy = field(repr=False)  # the card's: not session state, kept by clear()
    euicc_challenge: bytes | None = None
    # after AuthenticateServer
    transaction_id: bytes | None = None
    server_address: str | None = None
    identity: EuiccIdentity | None = None
    smdp_oid: str | None = None  # of CERT.DPauth: CERT.DPpb must name the same SM-DP+
    smdp_ci_pkid: bytes | None = None  # the CI that issued CERT.DPauth
    euicc_signature1: bytes | None = None
    ctx_params1: Any = None
    # after PrepareDownload
    one_time_key: ec.EllipticCurvePrivateKey | None = None
    dppb_certificate: x509.Certificate | None = None
    hash_cc: bytes | None = None

    def new_challenge(self) -> bytes:
        """A fresh challenge ends any previous session (SGP.22 5.7.7)."""
        self.clear()
        self.euicc_challenge = self.entropy.random_bytes(CHALLENGE_LENGTH)
        return self.euicc_challenge

    def clear(self) -> None:
        for name in self.__dataclass_fields__:
            if name != "entropy":
                setattr(self, name, None)

    def start_transaction(self, *, transaction_id: bytes, server_address: str,
                          identity: EuiccIdentity, smdp_oid: str | None,
                          smdp_ci_pkid: bytes | None, euicc_signature1: bytes,
                          ctx_params1: Any) -> None:
        self.euicc_challenge = None  # one challenge, one authentication
        self.transaction_id = transaction_id
        self.server_address = server_address
        self.identity = identity
        self.smdp_oid = smdp_oid
        self.smdp_ci_pkid = smdp_ci_pkid
        self.euicc_signature1 = euicc_signature1
        self.ctx_params1 = ctx_params1

    def prepared(self, *, one_time_key: ec.EllipticCurvePrivateKey,
                 dppb_certificate: x509.Certificate, hash_cc: bytes | None) -> None:
        self.one_time_key = one_time_key
        self.dppb_certificate = dppb_certificate
        self.hash_cc = hash_cc
