"""Common mutual authentication and download preparation (SGP.22 3.1.2, 3.1.3;
5.7.13 ES10b.AuthenticateServer, 5.7.5 ES10b.PrepareDownload).

The SM-DP+ proves itself with CERT.DPauth (AuthenticateServer) and CERT.DPpb
(PrepareDownload), both issued by a CI the eUICC trusts (SGP.22 4.5.2.2 certificate
verification); the eUICC answers with signatures made by SK.EUICC of the CI named in
euiccCiPKIdToBeUsed. Signed data is verified over the bytes as received. All signatures are
raw r||s (BSI TR-03111).

Which error answers what (AuthenticateErrorCode, SGP.22 5.7.13; DownloadErrorCode, 5.7.5):

- no GetEUICCChallenge since reset, or its challenge already used: noSessionContext (there
  is no session to authenticate; euiccChallengeMismatch is for a challenge that differs);
- a server certificate whose issuing CI the card does not hold (its authorityKeyIdentifier
  names no CI of euiccCiPKIdListForVerification), or an euiccCiPKIdToBeUsed for which the
  card has no certificate: ciPKUnknown, the CI public key is unknown; a certificate under a
  known CI whose signature or form is wrong: invalidCertificate;
- a certificate of another role presented as CERT.DPauth (CERT.DPpb's id-rspRole-dp-pb):
  invalidOid, the certificate policy OID of 4.5.2.1 is not the one of the function;
- PrepareDownload's CERT.DPpb must belong to the SM-DP+ that authenticated (3.1.3, 5.7.5:
  same CI as CERT.DPauth and the same SM-DP+ OID in subjectAltName registeredID, 4.5.2.1);
  anything else is invalidCertificate, DownloadErrorCode having neither ciPKUnknown nor
  invalidOid.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from cryptography import x509
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives.asymmetric import ec

from euicc.asn1 import encode, rsp
from euicc.crypto.certs import (
    OID_RSP_ROLE_DP_AUTH,
    OID_RSP_ROLE_DP_PB,
    authority_key_id,
    has_role,
    issued_by,
    load_checked,
)
from euicc.crypto.ecdsa import curve_name, public_point, verify_raw
from euicc.crypto.entropy import CardEntropy
from euicc.pki import CardCredentials
from euicc.tlv import TlvError, children, tlv

from .session import RspSession

# AuthenticateErrorCode (SGP.22 5.7.13)
INVALID_CERTIFICATE, INVALID_SIGNATURE, UNSUPPORTED_CURVE = 1, 2, 3
NO_SESSION_CONTEXT, INVALID_OID, EUICC_CHALLENGE_MISMATCH, CI_PK_UNKNOWN = 4, 5, 6, 7
# DownloadErrorCode (SGP.22 5.7.5)
INVALID_TRANSACTION_ID = 5
UNDEFINED_ERROR = 127

SIGNATURE_TAG = 0x5F37
# What cryptography raises for a certificate that is not a well-formed X.509 v1-v3 one
# (RFC 5280 4.1: version, each extension at most once, known GeneralName forms).
UNREADABLE_CERTIFICATE = (ValueError, x509.InvalidVersion, x509.DuplicateExtension,
                          x509.UnsupportedGeneralNameType)
SUPPORTED_CURVES = (ec.SECP256R1, ec.BrainpoolP256R1)


class Refused(Exception):
    """The function ends with an SGP.22 error code."""

    def __init__(self, code: int, reason: str) -> None:
        super().__init__(reason)
        self.code = code


def signature_tlv(raw: bytes) -> bytes:
    return tlv(SIGNATURE_TAG, raw)


def smdp_oid_of(cert: x509.Certificate) -> str | None:
    """The SM-DP+ OID: registeredID in the certificate's subjectAltName (SGP.22 4.5.2.1)."""
    try:
        names = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except x509.ExtensionNotFound:
        return None
    oids = names.get_values_for_type(x509.RegisteredID)
    return oids[0].dotted_string if oids else None


@dataclass
class ServerCheck:
    """Verification of an SM-DP+ certificate against the card's trusted CIs."""

    credentials: CardCredentials

    def certificate(self, der: bytes, role: x509.ObjectIdentifier, *, wrong_role: int,
                    unknown_ci: int) -> x509.Certificate:
        der = bytes(der)
        try:
            cert = load_checked(der)
            key = cert.public_key()
        except UnsupportedAlgorithm as exc:  # a key type or named curve the card lacks
            raise Refused(UNSUPPORTED_CURVE, f"certificate key: {exc}") from None
        except UNREADABLE_CERTIFICATE as exc:
            raise Refused(INVALID_CERTIFICATE, f"unreadable certificate: {exc}") from None
        if not isinstance(key, ec.EllipticCurvePublicKey) or not isinstance(
            key.curve, SUPPORTED_CURVES
        ):
            raise Refused(UNSUPPORTED_CURVE, "certificate key is not P-256 or brainpoolP256r1")
        issuer_pkid = authority_key_id(cert)
        if issuer_pkid is None:  # SGP.22 4.5.2.1: every certificate names its issuer's key
            raise Refused(INVALID_CERTIFICATE, "certificate without authorityKeyIdentifier")
        ci = next((c for c in self.credentials.trusted_cis if c.pkid == issuer_pkid), None)
        if ci is None:
            raise Refused(unknown_ci, "certificate issued by a CI the eUICC does not hold")
        if not issued_by(der, ci.certificate_der):
            raise Refused(INVALID_CERTIFICATE, "CI signature on the certificate is invalid")
        if not has_role(cert, role):
            raise Refused(wrong_role, f"certificate lacks the {role.dotted_string} role")
        return cert


class Authentication:
    """``entropy`` signs with SK.EUICC.SIG and makes the one-time key pairs (the card's,
    :mod:`euicc.crypto.entropy`)."""

    def __init__(self, credentials: CardCredentials, session: RspSession, euicc_info2,
                 entropy: CardEntropy) -> None:
        self.credentials = credentials
        self.session = session
        self.euicc_info2 = euicc_info2  # callable returning the EUICCInfo2 value
        self.entropy = entropy
        self.check = ServerCheck(credentials)
        # otSK.EUICC.ECKA, kept beyond its session until a profile is installed with it.
        self.retained_key: ec.EllipticCurvePrivateKey | None = None
        self._info2: tuple[dict, bytes] | None = None  # the last EUICCInfo2 and its DER

    def _euicc_info2_der(self) -> bytes:
        """EUICCInfo2 as euiccSigned1 carries it (SGP.22 5.7.13), encoded again only when its
        value changed (free memory, installed applications): encoding it was a quarter of
        AuthenticateServer's own work."""
        value = self.euicc_info2()
        known = self._info2
        if known is None or known[0] != value:
            known = self._info2 = (value, encode(rsp(), "EUICCInfo2", value))
        return known[1]

    def forget_one_time_key(self) -> None:
        self.retained_key = None

    # -- SGP.22 5.7.13 AuthenticateServer -----------------------------------------------------
    def authenticate_server(self, request: dict, raw: bytes) -> bytes | tuple[str, dict]:
        try:
            return self._authenticate(request, raw)
        except Refused as refused:
            return self.refuse_authentication(refused.code, request)

    def refuse_authentication(self, code: int, request: dict) -> tuple[str, dict]:
        """SGP.22 5.7.13: the authenticateResponseError with ``code``; the session ends (also
        the fault plan's error action for AuthenticateServer)."""
        self.session.clear()
        return ("authenticateResponseError",
                {"transactionId": request["serverSigned1"]["transactionId"],
                 "authenticateErrorCode": code})

    def _authenticate(self, request: dict, raw: bytes) -> bytes:
        session = self.session
        signed1 = request["serverSigned1"]
        if session.euicc_challenge is None:
            raise Refused(NO_SESSION_CONTEXT, "no GetEUICCChallenge before AuthenticateServer")
        parts = _signed_parts(raw)
        cert = self.check.certificate(bytes(request["serverCertificate"]), OID_RSP_ROLE_DP_AUTH,
                                      wrong_role=INVALID_OID, unknown_ci=CI_PK_UNKNOWN)
        if not verify_raw(cert.public_key(), parts[0], request["serverSignature1"]):
            raise Refused(INVALID_SIGNATURE, "serverSignature1 does not verify")
        if signed1["euiccChallenge"] != session.euicc_challenge:
            raise Refused(EUICC_CHALLENGE_MISMATCH, "euiccChallenge differs")
        smdp_oid = smdp_oid_of(cert)
        if smdp_oid is None:
            raise Refused(INVALID_CERTIFICATE, "CERT.DPauth names no SM-DP+ OID")
        identity = self.credentials.identity_for_ci(request["euiccCiPKIdToBeUsed"])
        if identity is None:
            raise Refused(CI_PK_UNKNOWN, "no eUICC certificate under that CI")
        # euiccSigned1 carries ctxParams1 exactly as received (extensions included).
        euicc_signed1 = tlv(0x30, tlv(0x80, signed1["transactionId"])
                            + tlv(0x83, signed1["serverAddress"].encode())
                            + tlv(0x84, signed1["serverChallenge"])
                            + self._euicc_info2_der() + parts[4])
        signature = self.entropy.sign(identity.private_key, euicc_signed1)
        session.start_transaction(
            transaction_id=signed1["transactionId"], server_address=signed1["serverAddress"],
            identity=identity, smdp_oid=smdp_oid, smdp_ci_pkid=authority_key_id(cert),
            euicc_signature1=signature, ctx_params1=request["ctxParams1"],
        )
        ok = euicc_signed1 + signature_tlv(signature) + identity.certificate_der + (
            identity.eum_certificate_der)
        return tlv(0xBF38, tlv(0xA0, ok))  # AuthenticateServerResponse, authenticateResponseOk

    # -- SGP.22 5.7.5 PrepareDownload ------------------------------------------------------------
    def prepare_download(self, request: dict, raw: bytes) -> tuple[str, dict]:
        try:
            return ("downloadResponseOk", self._prepare(request, raw))
        except Refused as refused:
            return self.refuse_download(refused.code, request)

    def refuse_download(self, code: int, request: dict) -> tuple[str, dict]:
        """SGP.22 5.7.5: the downloadResponseError with ``code``; the session ends (also the
        fault plan's error action for PrepareDownload)."""
        self.session.clear()
        return ("downloadResponseError",
                {"transactionId": request["smdpSigned2"]["transactionId"],
                 "downloadErrorCode": code})

    def _prepare(self, request: dict, raw: bytes) -> dict:
        session = self.session
        signed2 = request["smdpSigned2"]
        if session.transaction_id is None or session.identity is None:
            raise Refused(NO_SESSION_CONTEXT, "no authenticated session")
        cert = self.check.certificate(bytes(request["smdpCertificate"]), OID_RSP_ROLE_DP_PB,
                                      wrong_role=INVALID_CERTIFICATE,
                                      unknown_ci=INVALID_CERTIFICATE)
        if authority_key_id(cert) != session.smdp_ci_pkid:
            raise Refused(INVALID_CERTIFICATE, "CERT.DPpb is not under CERT.DPauth's CI")
        if smdp_oid_of(cert) != session.smdp_oid:
            raise Refused(INVALID_CERTIFICATE, "CERT.DPpb names another SM-DP+ than CERT.DPauth")
        parts = _signed_parts(raw)
        signed_data = parts[0] + signature_tlv(session.euicc_signature1)
        if not verify_raw(cert.public_key(), signed_data, request["smdpSignature2"]):
            raise Refused(INVALID_SIGNATURE, "smdpSignature2 does not verify")
        if signed2["transactionId"] != session.transaction_id:
            raise Refused(INVALID_TRANSACTION_ID, "transactionId differs from the session")
        hash_cc = request.get("hashCc")
        if signed2["ccRequiredFlag"] and hash_cc is None:
            raise Refused(UNDEFINED_ERROR, "confirmation code required but hashCc missing")
        # SGP.22 5.7.5: an SM-DP+ retrying with an already bound BPP names the one-time key
        # it used (bppEuiccOtpk); the eUICC reuses it if it still holds it, else makes anew.
        retained = self.retained_key
        reused = signed2.get("bppEuiccOtpk")
        if reused is not None and retained is not None and (
                reused == public_point(retained.public_key())):
            otsk = retained
        else:
            otsk = self.entropy.new_ec_key(curve_name(cert.public_key()))
        self.retained_key = otsk
        euicc_signed2 = {"transactionId": signed2["transactionId"],
                         "euiccOtpk": public_point(otsk.public_key())}
        if hash_cc is not None:
            euicc_signed2["hashCc"] = hash_cc
        signed = encode(rsp(), "EUICCSigned2", euicc_signed2) + signature_tlv(
            request["smdpSignature2"])
        signature = self.entropy.sign(session.identity.private_key, signed)
        session.prepared(one_time_key=otsk, dppb_certificate=cert, hash_cc=hash_cc)
        return {"euiccSigned2": euicc_signed2, "euiccSignature2": signature}


    # -- SGP.22 5.7.14 CancelSession -------------------------------------------------------------
    def cancel_session(self, request: dict) -> tuple[str, object]:
        session = self.session
        if session.transaction_id is None or request["transactionId"] != session.transaction_id:
            return ("cancelSessionResponseError", INVALID_TRANSACTION_ID)
        signed = {"transactionId": session.transaction_id, "smdpOid": session.smdp_oid,
                  "reason": request["reason"]}
        signature = self.entropy.sign(session.identity.private_key,
                                      encode(rsp(), "EuiccCancelSessionSigned", signed))
        session.clear()
        return ("cancelSessionResponseOk",
                {"euiccCancelSessionSigned": signed, "euiccCancelSessionSignature": signature})


def _signed_parts(raw: bytes) -> list[bytes]:
    """The complete child TLVs of a request, for signatures over the received bytes."""
    try:
        return [child for _, child in children(raw)]
    except TlvError as exc:  # decode_exact already accepted it; defensive only
        raise Refused(UNDEFINED_ERROR, str(exc)) from None


def hash_confirmation_code(code: str, transaction_id: bytes) -> bytes:
    """hashCc = SHA256(SHA256(confirmation code) || transactionId) (SGP.22 3.1.3)."""
    return hashlib.sha256(hashlib.sha256(code.encode()).digest() + transaction_id).digest()
