"""A test eIM (SGP.32 v1.0 "eIM": the eUICC IoT Manager) for tests and by hand: its key,
the eIM Configuration Data an IPA gives the eUICC in AddInitialEim (SGP.32 5.9.4,
2.11.1.1.1), eUICC Packages it signs (2.11.1.1 EuiccPackageRequest: eimSignature over
euiccPackageSigned and the associationToken data object) and the check of the eUICC's signed
EuiccPackageResult (2.11.2.1: euiccSignEPR / euiccSignEPE over the result data and the
package's eimSignature data object). It speaks ES10 through any :class:`Es10Client`
(STORE DATA, SGP.22 5.7.2): in-process or over PC/SC. :func:`enable_psmo` and
:func:`configure_auto_enable_psmo` build the PSMOs of 2.11.1.1.3 with their options
(rollbackFlag; autoEnableFlag, smdpOid, smdpAddress), :func:`rollback_package_result` takes
the eUICC Package Result out of a ProfileRollbackResponse (5.9.16) to check it as any other.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from euicc.asn1 import decode_exact, encode, sgp32
from euicc.crypto.ecdsa import sign_raw, verify_raw
from euicc.tlv import parse, tlv
from euicc_applets.isd_r.sgp32_package import association_token_object


def enable_psmo(iccid: bytes, rollback: bool = False) -> tuple[str, dict]:
    """The enable PSMO; ``rollback``: with rollbackFlag, the eIM's grant of a rollback."""
    value: dict = {"iccid": iccid}
    if rollback:
        value["rollbackFlag"] = None
    return ("enable", value)


def configure_auto_enable_psmo(flag: bool = True, smdp_oid: str | None = None,
                               smdp_address: str | None = None) -> tuple[str, dict]:
    """The configureAutoEnable PSMO (SGP.32 v1.0): the members given."""
    value: dict = {}
    if flag:
        value["autoEnableFlag"] = None
    if smdp_oid is not None:
        value["smdpOid"] = smdp_oid
    if smdp_address is not None:
        value["smdpAddress"] = smdp_address
    return ("configureAutoEnable", value)


def rollback_package_result(response_der: bytes) -> bytes | None:
    """The EuiccPackageResult ('BF51') of a ProfileRollbackResponse, as the card sent it;
    None when it has none."""
    [(_, members)] = parse(response_der)
    items = parse(members)
    return next((tlv(tag, value) for tag, value in items if tag == 0xBF51), None)


def spki(key: ec.EllipticCurvePublicKey) -> dict:
    """A public key as SGP32Definitions' SubjectPublicKeyInfo value."""
    der = key.public_bytes(serialization.Encoding.DER,
                           serialization.PublicFormat.SubjectPublicKeyInfo)
    return sgp32().modules["PKIX1Explicit88"]["SubjectPublicKeyInfo"].decode(der)


@dataclass
class SampleEim:
    eim_id: str = "eim.example.com"
    fqdn: str = "eim.example.com"
    key: ec.EllipticCurvePrivateKey = field(
        default_factory=lambda: ec.generate_private_key(ec.SECP256R1()))
    counter: int = 0
    association_token: int | None = None  # what AddInitialEim gave, when one was asked for

    def configuration(self, ask_token: bool = False, **extra) -> dict:
        """This eIM's EimConfigurationData for AddInitialEim (``ask_token``: associationToken
        -1, the eUICC makes one)."""
        config = {"eimId": self.eim_id, "eimFqdn": self.fqdn, "counterValue": self.counter,
                  "eimPublicKeyData": ("eimPublicKey", spki(self.key.public_key()))}
        if ask_token:
            config["associationToken"] = -1
        config.update(extra)
        return config

    def add_initial_eim_request(self, **kwargs) -> bytes:
        return encode(sgp32(), "AddInitialEimRequest",
                      {"eimConfigurationDataList": [self.configuration(**kwargs)]})

    def package(self, eid: str, psmos: list, counter: int | None = None,
                transaction_id: bytes | None = None, key=None,
                ecos: list | None = None) -> bytes:
        """An EuiccPackageRequest of PSMOs (or of ``ecos``, eIM Configuration Operations) for
        ``eid``, signed with this eIM's key (or ``key``); ``counter`` None: the next."""
        if counter is None:
            self.counter += 1
            counter = self.counter
        signed = {"eimId": self.eim_id, "eidValue": bytes.fromhex(eid),
                  "counterValue": counter,
                  "euiccPackage": ("psmoList", psmos) if ecos is None else ("ecoList", ecos)}
        if transaction_id is not None:
            signed["transactionId"] = transaction_id
        spec = sgp32()
        message = encode(spec, "EuiccPackageSigned", signed)
        if self.association_token is not None:
            message += association_token_object(self.association_token)
        signature = sign_raw(key or self.key, message)
        return encode(spec, "EuiccPackageRequest",
                      {"euiccPackageSigned": signed, "eimSignature": signature})


def result_signature_valid(result_der: bytes, request_der: bytes, euicc_certificate: bytes) -> bool:
    """Whether the eUICC's EuiccPackageResult (signed result or signed error) verifies with
    the eUICC certificate, over its data and the request's eimSignature data object."""
    spec = sgp32()
    kind, value = decode_exact(spec, "EuiccPackageResult", result_der)
    request = decode_exact(spec, "EuiccPackageRequest", request_der)
    signature_object = tlv(0x5F37, request["eimSignature"])
    if kind == "euiccPackageResultSigned":
        data = encode(spec, "EuiccPackageResultDataSigned", value["euiccPackageResultDataSigned"])
        signature = value["euiccSignEPR"]
    elif kind == "euiccPackageErrorSigned":
        data = encode(spec, "EuiccPackageErrorDataSigned", value["euiccPackageErrorDataSigned"])
        signature = value["euiccSignEPE"]
    else:
        return False
    key = x509.load_der_x509_certificate(euicc_certificate).public_key()
    return verify_raw(key, data + signature_object, signature)
