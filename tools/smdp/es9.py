"""The ES9+ functions of the test SM-DP+ (SGP.22 5.6.1 InitiateAuthentication, 5.6.3
AuthenticateClient, 5.6.2 GetBoundProfilePackage, 5.6.4 HandleNotification, 5.6.5
CancelSession) with per-transaction state, and the binding of a profile package to one
eUICC (SGP.22 2.5.5 BPP, 2.6.6 SCP03t, Annex G). Transport-free: JSON bodies in, JSON
bodies out; errors are :class:`Es9Error` with SGP.22 subject and reason codes.

Under load (many devices at once, :mod:`euicc_tools.fleet`): the functions run concurrently,
one lock guards only the transaction table; every download is bound to the eUICC that
authenticated it (its certificate, EID and one-time key). An ended transaction leaves the
table for a bounded record that only a late or repeated HandleNotification needs, and the
oldest unfinished ones are dropped beyond :data:`MAX_ACTIVE` (a device that vanished
mid-download). With ``iccids`` (:class:`.iccids.IccidSequence`) one package is served to
many eUICCs with a distinct ICCID per download.
"""

from __future__ import annotations

import base64
import hashlib
import os
import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding

from euicc.asn1 import Asn1Error, decode_exact, encode, rsp
from euicc.crypto import certs
from euicc.crypto.bsp import BspSession
from euicc.crypto.ecdsa import (
    curve_name,
    generate_private_key,
    public_point,
    sign_raw,
    verify_raw,
)
from euicc.crypto.ecka import derive_session_keys, shared_secret
from euicc.pki import read_certificate, read_private_key
from euicc.tlv import TlvError, children, tlv

from .iccids import IccidRangeExhausted, IccidSequence
from .profiles import Profile, load_profile, store_metadata

HOST_ID = b"euicc-emu"
MAX_SEGMENT = 1020  # SGP.22 2.5.5: tag, length, data and MAC together
CURVES = ("NIST", "BRP")
MAX_ACTIVE = 100_000  # unfinished transactions kept; beyond, the oldest are dropped
MAX_ENDED = 100_000  # ended ones kept for a repeated HandleNotification


@dataclass(frozen=True)
class Install:
    """A ProfileInstallationResult the SM-DP+ received (HandleNotification, SGP.22 5.6.4):
    which eUICC, which ICCID, whether it succeeded."""

    eid: str
    iccid: bytes
    success: bool


class Es9Error(Exception):
    def __init__(self, subject: str, reason: str, message: str) -> None:
        super().__init__(f"{subject}/{reason} {message}")
        self.subject, self.reason, self.message = subject, reason, message


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def unb64(body: dict, name: str) -> bytes:
    try:
        return base64.b64decode(body[name], validate=True)
    except (KeyError, ValueError, TypeError):
        raise Es9Error("1.1", "2.1", f"{name} missing or not base64") from None


@dataclass
class Signer:
    certificate: x509.Certificate
    key: object

    @property
    def der(self) -> bytes:
        return self.certificate.public_bytes(Encoding.DER)


@dataclass
class Transaction:
    transaction_id: bytes
    euicc_challenge: bytes
    server_challenge: bytes
    ci_pkid: bytes
    curve: str
    euicc_certificate: x509.Certificate | None = None
    eid: str = ""
    profile: Profile | None = None
    metadata: bytes = b""
    euicc_signature1: bytes = b""
    smdp_signature2: bytes = b""
    confirmation_code: str | None = None
    done: bool = False


@dataclass
class Smdp:
    address: str
    pki: Path
    profiles: Path
    provider: str = "euicc-emu test SM-DP+"
    confirmation_codes: dict[str, str] = field(default_factory=dict)
    port: int | None = None  # LPAs may name the address with the port: address:port
    # StoreMetadata of a profile (SGP.22 5.5.3), from its header by default; tests give
    # another builder to play a dishonest SM-DP+ (metadata that does not match the package)
    metadata_for: Callable[[Profile, str, str], bytes] = store_metadata
    # a distinct ICCID per download of one package (None: the package's own, every time)
    iccids: IccidSequence | None = None

    def __post_init__(self) -> None:
        self.cis = {}
        for path in sorted((self.pki / "CertificateIssuer").glob("CERT_CI_ECDSA_*.der")):
            cert = read_certificate(path)
            self.cis[certs.subject_key_id(cert)] = cert
        self.auth, self.pb = {}, {}
        for curve in CURVES:
            for role, table in (("DPauth", self.auth), ("DPpb", self.pb)):
                cert_path = self.pki / role / f"CERT_S_SM_{role}_ECDSA_{curve}.der"
                key_path = self.pki / role / f"SK_S_SM_{role}_ECDSA_{curve}.pem"
                if cert_path.exists() and key_path.exists():
                    cert = read_certificate(cert_path)
                    table[certs.authority_key_id(cert)] = Signer(cert, read_private_key(key_path))
        self._transactions: OrderedDict[bytes, Transaction] = OrderedDict()
        self._ended: OrderedDict[bytes, Transaction] = OrderedDict()
        self._lock = threading.Lock()
        self.notifications: list[bytes] = []
        self.installs: list[Install] = []

    def _transaction(self, body: dict) -> Transaction:
        try:
            tid = bytes.fromhex(body["transactionId"])
        except (KeyError, ValueError, TypeError):
            raise Es9Error("8.10.1", "3.9", "unknown transactionId") from None
        with self._lock:
            tx = self._transactions.get(tid)
        if tx is None or tx.done:
            raise Es9Error("8.10.1", "3.9", "unknown transactionId")
        return tx

    # -- 5.6.1 InitiateAuthentication ------------------------------------------------------
    def initiate_authentication(self, body: dict) -> dict:
        address = body.get("smdpAddress")
        if address not in (self.address, f"{self.address}:{self.port}"):
            raise Es9Error("8.8.1", "3.8", f"this SM-DP+ is {self.address}")
        challenge = unb64(body, "euiccChallenge")
        try:
            info1 = decode_exact(rsp(), "EUICCInfo1", unb64(body, "euiccInfo1"))
        except Asn1Error as exc:
            raise Es9Error("8.1", "2.1", f"euiccInfo1: {exc}") from None
        usable = [p for p in info1["euiccCiPKIdListForSigning"]
                  if p in info1["euiccCiPKIdListForVerification"] and p in self.auth]
        if not usable or len(challenge) != 16:
            raise Es9Error("8.8.2", "3.1", "no CI in common with the eUICC")
        pkid = usable[0]
        signer = self.auth[pkid]
        tx = Transaction(os.urandom(16), challenge, os.urandom(16), pkid,
                         curve_name(signer.certificate.public_key()))
        signed1 = encode(rsp(), "ServerSigned1", {
            "transactionId": tx.transaction_id, "euiccChallenge": challenge,
            "serverAddress": address, "serverChallenge": tx.server_challenge})
        with self._lock:
            self._transactions[tx.transaction_id] = tx
            while len(self._transactions) > MAX_ACTIVE:
                self._transactions.popitem(last=False)
        return {
            "transactionId": tx.transaction_id.hex().upper(),
            "serverSigned1": b64(signed1),
            "serverSignature1": b64(tlv(0x5F37, sign_raw(signer.key, signed1))),
            "euiccCiPKIdToBeUsed": b64(tlv(0x04, pkid)),
            "serverCertificate": b64(signer.der),
        }

    # -- 5.6.3 AuthenticateClient ------------------------------------------------------------
    def authenticate_client(self, body: dict) -> dict:
        tx = self._transaction(body)
        (kind, value), parts = _decode_choice(body, "authenticateServerResponse",
                                              "AuthenticateServerResponse")
        if kind != "authenticateResponseOk":
            self._end(tx)
            raise Es9Error("8.1", "4.8", f"eUICC refused: {value['authenticateErrorCode']}")
        eum = self._certificate(parts[3], "8.1.2")
        euicc = self._certificate(parts[2], "8.1.3")
        ci = self.cis.get(certs.authority_key_id(eum))
        if ci is None or not certs.verify_issued_by(eum, ci):
            raise Es9Error("8.1.2", "6.1", "CERT.EUM not issued by a trusted CI")
        if not certs.verify_issued_by(euicc, eum) or not certs.euicc_name_permitted(euicc, eum):
            raise Es9Error("8.1.3", "6.1", "CERT.EUICC not valid under CERT.EUM")
        if not verify_raw(euicc.public_key(), parts[0], value["euiccSignature1"]):
            raise Es9Error("8.1", "6.1", "euiccSignature1 does not verify")
        signed1 = value["euiccSigned1"]
        if (signed1["transactionId"] != tx.transaction_id
                or signed1["serverChallenge"] != tx.server_challenge):
            raise Es9Error("8.1", "6.1", "euiccSigned1 does not belong to this transaction")
        matching_id = signed1["ctxParams1"][1].get("matchingId", "")
        profile = load_profile(self.profiles, matching_id)
        if profile is None:
            self._end(tx)
            raise Es9Error("8.2.6", "3.8", f"no profile for matchingId {matching_id!r}")
        if self.iccids is not None:
            try:
                profile = self.iccids.next_for(profile)
            except IccidRangeExhausted as exc:  # 8.2.6/3.7: no more profiles available
                self._end(tx)
                raise Es9Error("8.2.6", "3.7", str(exc)) from None
            except ValueError as exc:
                self._end(tx)
                raise Es9Error("8.2.6", "3.8", f"profile {matching_id!r}: {exc}") from None
        tx.euicc_certificate, tx.eid = euicc, certs.eid_from_certificate(euicc)
        tx.profile, tx.euicc_signature1 = profile, value["euiccSignature1"]
        tx.metadata = self.metadata_for(profile, self.provider, self.address)
        tx.confirmation_code = self.confirmation_codes.get(matching_id)
        signed2 = encode(rsp(), "SmdpSigned2", {
            "transactionId": tx.transaction_id,
            "ccRequiredFlag": tx.confirmation_code is not None})
        signer = self.pb[tx.ci_pkid]
        tx.smdp_signature2 = sign_raw(signer.key, signed2 + tlv(0x5F37, tx.euicc_signature1))
        return {
            "transactionId": tx.transaction_id.hex().upper(),
            "profileMetadata": b64(tx.metadata),
            "smdpSigned2": b64(signed2),
            "smdpSignature2": b64(tlv(0x5F37, tx.smdp_signature2)),
            "smdpCertificate": b64(signer.der),
        }

    def _certificate(self, der: bytes, subject: str) -> x509.Certificate:
        try:
            return x509.load_der_x509_certificate(der)
        except ValueError:
            raise Es9Error(subject, "6.1", "certificate does not parse") from None

    # -- 5.6.2 GetBoundProfilePackage -----------------------------------------------------------
    def get_bound_profile_package(self, body: dict) -> dict:
        tx = self._transaction(body)
        if tx.profile is None:
            raise Es9Error("8.10.1", "3.9", "transaction not authenticated")
        (kind, value), parts = _decode_choice(body, "prepareDownloadResponse",
                                              "PrepareDownloadResponse")
        if kind != "downloadResponseOk":
            self._end(tx)
            raise Es9Error("8.1", "4.8", f"eUICC refused: {value['downloadErrorCode']}")
        signed = parts[0] + tlv(0x5F37, tx.smdp_signature2)
        if not verify_raw(tx.euicc_certificate.public_key(), signed, value["euiccSignature2"]):
            raise Es9Error("8.1", "6.1", "euiccSignature2 does not verify")
        signed2 = value["euiccSigned2"]
        if signed2["transactionId"] != tx.transaction_id:
            raise Es9Error("8.10.1", "3.9", "euiccSigned2 names another transaction")
        if tx.confirmation_code is not None:
            expected = hashlib.sha256(hashlib.sha256(tx.confirmation_code.encode()).digest()
                                      + tx.transaction_id).digest()
            if "hashCc" not in signed2:
                raise Es9Error("8.2.7", "2.2", "confirmation code required")
            if signed2["hashCc"] != expected:
                raise Es9Error("8.2.7", "3.8", "confirmation code refused")
        bpp = self._bind(tx, signed2["euiccOtpk"])
        return {"transactionId": tx.transaction_id.hex().upper(),
                "boundProfilePackage": b64(bpp)}

    def _bind(self, tx: Transaction, euicc_otpk: bytes) -> bytes:
        """SGP.22 2.5.5: BF36 { BF23, A0 {87}, A1 {88..}, A2 {87}, A3 {86..} }."""
        signer = self.pb[tx.ci_pkid]
        otsk = generate_private_key(tx.curve)
        smdp_otpk = public_point(otsk.public_key())
        try:
            shs = shared_secret(otsk, euicc_otpk)
        except ValueError as exc:
            raise Es9Error("8.1", "2.1", f"euiccOtpk: {exc}") from None
        head = (tlv(0x82, b"\x01") + tlv(0x80, tx.transaction_id)
                + tlv(0xA6, tlv(0x80, b"\x88") + tlv(0x81, b"\x10") + tlv(0x84, HOST_ID))
                + tlv(0x5F49, smdp_otpk))
        smdp_sign = sign_raw(signer.key, head + tlv(0x5F49, euicc_otpk))
        isc = tlv(0xBF23, head + tlv(0x5F37, smdp_sign))
        keys = derive_session_keys(shs, 0x88, 0x10, HOST_ID, bytes.fromhex(tx.eid))
        bsp = BspSession(keys.s_enc, keys.s_mac, keys.initial_mcv)
        a0 = tlv(0xA0, bsp.wrap(0x87, bytes.fromhex("BF2400")))
        a1 = tlv(0xA1, b"".join(bsp.wrap(0x88, chunk) for chunk in _chunks(tx.metadata, 1008)))
        ppk_enc, ppk_mac, ppk_mcv = os.urandom(16), os.urandom(16), os.urandom(16)
        replace = encode(rsp(), "ReplaceSessionKeysRequest", {
            "initialMacChainingValue": ppk_mcv, "ppkEnc": ppk_enc, "ppkCmac": ppk_mac})
        a2 = tlv(0xA2, bsp.wrap(0x87, replace))
        bsp.replace_keys(ppk_enc, ppk_mac, ppk_mcv)
        # 1 tag + 3 length + ciphertext + 8 MAC <= 1020: 1008 bytes of ciphertext, so at
        # most 1007 bytes of plaintext (padding adds at least one byte).
        a3 = tlv(0xA3, b"".join(bsp.wrap(0x86, chunk)
                                for chunk in _chunks(tx.profile.package, 1007)))
        return tlv(0xBF36, isc + a0 + a1 + a2 + a3)

    # -- 5.6.4 HandleNotification --------------------------------------------------------------
    def handle_notification(self, body: dict) -> None:
        raw = unb64(body, "pendingNotification")
        try:
            kind, value = decode_exact(rsp(), "PendingNotification", raw)
            parts = [part for _, part in children(raw)]
        except (Asn1Error, TlvError) as exc:
            raise Es9Error("8.1", "2.1", f"pendingNotification: {exc}") from None
        if kind == "otherSignedNotification":
            cert = self._certificate(parts[2], "8.1.3")
            signature = value["euiccNotificationSignature"]
        else:
            data = value["profileInstallationResultData"]
            tid = data["transactionId"]
            with self._lock:
                tx = self._transactions.get(tid) or self._ended.get(tid)
            if tx is None or tx.euicc_certificate is None:
                raise Es9Error("8.10.1", "3.9", "unknown transactionId")
            cert, signature = tx.euicc_certificate, value["euiccSignPIR"]
        if not verify_raw(cert.public_key(), parts[0], signature):
            raise Es9Error("8.1", "6.1", "notification signature does not verify")
        with self._lock:
            self.notifications.append(raw)
            if kind == "profileInstallationResult":
                self.installs.append(Install(tx.eid, data["notificationMetadata"].get("iccid", b""),
                                             data["finalResult"][0] == "successResult"))
        if kind == "profileInstallationResult":
            self._end(tx)

    # -- 5.6.5 CancelSession -----------------------------------------------------------------------
    def cancel_session(self, body: dict) -> dict:
        tx = self._transaction(body)
        (kind, value), parts = _decode_choice(body, "cancelSessionResponse",
                                              "CancelSessionResponse")
        if kind != "cancelSessionResponseOk":
            raise Es9Error("8.1", "4.8", f"eUICC refused: {value}")
        cert = tx.euicc_certificate
        if cert is not None and not verify_raw(cert.public_key(), parts[0],
                                               value["euiccCancelSessionSignature"]):
            raise Es9Error("8.1", "6.1", "euiccCancelSessionSignature does not verify")
        self._end(tx)
        return {}

    def _end(self, tx: Transaction) -> None:
        """The transaction is over: out of the table, into the bounded record of ended ones
        without its package (a repeated notification needs the certificate only)."""
        tx.done = True
        tx.profile, tx.metadata = None, b""
        with self._lock:
            self._transactions.pop(tx.transaction_id, None)
            self._ended[tx.transaction_id] = tx
            while len(self._ended) > MAX_ENDED:
                self._ended.popitem(last=False)


def _decode_choice(body: dict, field_name: str, type_name: str) -> tuple[tuple, list[bytes]]:
    """Decode an eUICC response (a tagged CHOICE) and keep the exact bytes of the chosen
    alternative's members, over which its signatures are made."""
    raw = unb64(body, field_name)
    try:
        value = decode_exact(rsp(), type_name, raw)
        tag, chosen = children(raw)[0]
        # an error alternative is a primitive INTEGER (cancelSessionResponseError): no
        # members, nothing signed
        parts = [part for _, part in children(chosen)] if _constructed(tag) else []
    except (Asn1Error, TlvError) as exc:
        raise Es9Error("8.1", "2.1", f"{field_name}: {exc}") from None
    return value, parts


def _constructed(tag: int) -> bool:
    """X.690 8.1.2.5: bit 6 of a tag's first octet."""
    return bool(tag >> (8 * ((tag.bit_length() - 1) // 8)) & 0x20)


def _chunks(data: bytes, size: int) -> list[bytes]:
    return [data[i:i + size] for i in range(0, len(data), size)] or [b""]
