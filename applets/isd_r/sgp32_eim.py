"""The IoT eUICC's eIM configuration (SGP.32 v1.0 2.11.1.1.1 "eIM Configuration Data") and
the ES10b functions around it: 5.9.2 GetEUICCInfo (EUICCInfo2 with ipaMode and
iotSpecificInfo), 5.9.4 AddInitialEim, 5.9.10 GetCerts and 5.9.18 GetEimConfigurationData.

Each associated eIM is one row of the store (:class:`euicc.store.EimRecord`): its
EimConfigurationData as associated, DER, and the last counterValue accepted from it. The ES10
table runs every function in one store transaction, so an AddInitialEim that fails on its
third entry leaves none of the three, and a card killed at any moment has either all of them
or none (SQLite's commit).

How this card reads SGP.32 5.9.4 where the text gives the rule but not the code:

- AddInitialEim is the unsigned way to the first eIM: with an eIM already associated it is
  ``unsignedEimConfigDisallowed(2)`` (later eIMs come in a signed eCO).
- counterValue and eimPublicKeyData are mandatory in each entry; an entry without them, a
  public key or certificate that is no EC key on a curve the card verifies with (NIST P-256,
  brainpoolP256r1, SGP.22 2.6.5), a repeated eimId or an empty list is ``undefinedError``.
- associationToken present asks the eUICC for one: its value must be -1 (else
  ``invalidAssociationToken(5)``); the card gives the next of its own counter, returns it in
  the entry's answer and keeps it in the configuration.
- euiccCiPKId must name a CI the card signs with (``ciPKUnknown(3)``).
- counterValue above :data:`MAX_COUNTER_VALUE` or negative is ``counterValueOutOfRange(6)``.
  The limit, 0x7FFFFF (the largest INTEGER of three content octets), is this card's: the
  SGP.32 text that would give the range could not be consulted, and the public peers
  (onomondo-ipa, onomondo-eim) check none.
- More than :attr:`Sgp32Settings.max_eims` eIMs is ``insufficientMemory(1)``.
"""

from __future__ import annotations

from dataclasses import dataclass

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import load_der_public_key

from euicc.asn1 import decode_exact, encode, sgp32
from euicc.pki import CardCredentials, EuiccIdentity
from euicc.store import CardStore, EimRecord
from euicc.tlv import read_header, tlv

from .config import version_bytes

# SGP.32 versions this card can be (v1.2 gives BF59 / BF5A other functions: .sgp32)
SGP32_VERSIONS = ("1.0", "1.2")
MAX_COUNTER_VALUE = 0x7FFFFF  # the largest counterValue the card accepts (see the module doc)
ASSOCIATION_TOKEN_COUNTER = "sgp32_association_token"  # store meta key
REQUEST_TOKEN = -1  # an associationToken of -1 asks the eUICC to make one (SGP.32 5.9.4)
CURVES = (ec.SECP256R1, ec.BrainpoolP256R1)

# AddInitialEimResponse addInitialEimError (SGP.32 5.9.4)
INSUFFICIENT_MEMORY, UNSIGNED_DISALLOWED, CI_PK_UNKNOWN = 1, 2, 3
INVALID_ASSOCIATION_TOKEN, COUNTER_OUT_OF_RANGE, UNDEFINED = 5, 6, 127
INVALID_CI_PKID = 1  # GetCertsResponse getCertsError (SGP.32 5.9.10)


@dataclass(frozen=True)
class Sgp32Settings:
    """What makes the card an IoT eUICC: the SGP.32 version it implements (EUICCInfo2
    iotSpecificInfo, and which meaning BF59 / BF5A have), the active IPA (EUICCInfo2 ipaMode:
    0 ipad, the IPA in the device; 1 ipae, in the eUICC) and how many eIMs it holds."""

    version: str = "1.0"
    ipa_mode: int = 0
    max_eims: int = 8

    def __post_init__(self) -> None:
        if self.version not in SGP32_VERSIONS:
            raise ValueError(f"SGP.32 version {self.version!r}: this card implements "
                             f"{', '.join(SGP32_VERSIONS)}")


class EimError(Exception):
    """An AddInitialEim entry the card refuses: ``code`` is addInitialEimError's."""

    def __init__(self, code: int, why: str) -> None:
        super().__init__(why)
        self.code = code


def certificate_fields(der: bytes) -> bytes:
    """The contents of a DER certificate (its SEQUENCE's value): what an implicitly tagged
    Certificate member of SGP.32 (GetCerts 'A5' / 'A6') carries."""
    header = read_header(der)
    return der[header.header_length:header.header_length + header.length]


def eim_public_key(config: dict) -> ec.EllipticCurvePublicKey:
    """The key that verifies the eIM's eUICC Packages: eimPublicKeyData's SubjectPublicKeyInfo
    or the public key of its certificate (SGP.32 2.11.1.1.1)."""
    kind, value = config["eimPublicKeyData"]
    module = sgp32().modules["PKIX1Explicit88"]
    if kind == "eimPublicKey":
        key = load_der_public_key(bytes(module["SubjectPublicKeyInfo"].encode(value)))
    else:
        key = x509.load_der_x509_certificate(
            bytes(module["Certificate"].encode(value))).public_key()
    if not isinstance(key, ec.EllipticCurvePublicKey) or not isinstance(key.curve, CURVES):
        raise ValueError("not an EC key on NIST P-256 or brainpoolP256r1")
    return key


class EimConfiguration:
    def __init__(self, store: CardStore, credentials: CardCredentials,
                 settings: Sgp32Settings) -> None:
        self.store = store
        self.credentials = credentials
        self.settings = settings

    # -- the associated eIMs -----------------------------------------------------------------
    def find(self, eim_id: str) -> tuple[EimRecord, dict] | None:
        """The eIM ``eim_id`` (its row and decoded configuration), or None."""
        for record in self.store.eims():
            if record.eim_id == eim_id:
                return record, decode_exact(sgp32(), "EimConfigurationData", record.config)
        return None

    def identity_for(self, config: dict) -> EuiccIdentity:
        """The eUICC key that signs for this eIM: the CI its euiccCiPKId names, else the
        card's first."""
        pkid = config.get("euiccCiPKId")
        identity = None if pkid is None else self.credentials.identity_for_ci(pkid)
        return identity or self.credentials.identities[0]

    # -- SGP.32 5.9.4 AddInitialEim -----------------------------------------------------------
    def add_initial_eim(self, request: dict) -> tuple[str, object]:
        entries = request["eimConfigurationDataList"]
        try:
            if self.store.eims():
                raise EimError(UNSIGNED_DISALLOWED, "an eIM is associated already")
            if not entries:
                raise EimError(UNDEFINED, "no eIM Configuration Data")
            if len(entries) > self.settings.max_eims:
                raise EimError(INSUFFICIENT_MEMORY, f"{len(entries)} eIMs, the card holds "
                               f"{self.settings.max_eims}")
            ids = [e["eimId"] for e in entries]
            if len(set(ids)) != len(ids):
                raise EimError(UNDEFINED, "an eimId twice")
            for entry in entries:
                self.check(entry, UNDEFINED)
        except EimError as exc:
            return ("addInitialEimError", exc.code)
        return ("addInitialEimOk", [self.associate(entry) for entry in entries])

    def associate(self, entry: dict) -> tuple[str, object]:
        """Store one checked eIM Configuration Data: ("associationToken", the token made for
        it) when it asked for one, else ("addOk", None)."""
        entry = dict(entry)
        answer: tuple[str, object] = ("addOk", None)
        if "associationToken" in entry:
            entry["associationToken"] = self.store.next_counter(ASSOCIATION_TOKEN_COUNTER)
            answer = ("associationToken", entry["associationToken"])
        self.store.add_eim(EimRecord(entry["eimId"],
                                     encode(sgp32(), "EimConfigurationData", entry),
                                     entry["counterValue"]))
        return answer

    def check(self, entry: dict, malformed: int, new: bool = True) -> None:
        """Raise :class:`EimError` for an eIM Configuration Data the card cannot associate
        (``new``) or take as an update; ``malformed``: the code for what the function has
        no code of its own for (undefinedError in AddInitialEim, commandError in an eCO).
        The other codes have the same numbers in AddInitialEim's and the eCOs' results."""
        if new and ("counterValue" not in entry or "eimPublicKeyData" not in entry):
            raise EimError(malformed, "counterValue and eimPublicKeyData are mandatory")
        if "counterValue" not in entry:
            entry = {**entry, "counterValue": 0}
        if not 0 <= entry["counterValue"] <= MAX_COUNTER_VALUE:
            raise EimError(COUNTER_OUT_OF_RANGE, f"counterValue {entry['counterValue']}")
        if entry.get("associationToken", REQUEST_TOKEN) != REQUEST_TOKEN:
            raise EimError(INVALID_ASSOCIATION_TOKEN, "associationToken other than -1")
        pkid = entry.get("euiccCiPKId")
        if pkid is not None and pkid not in self.credentials.pkids_for_signing:
            raise EimError(CI_PK_UNKNOWN, f"euiccCiPKId {pkid.hex()}")
        if "eimPublicKeyData" not in entry:
            return
        try:
            eim_public_key(entry)
        except ValueError as exc:  # also what cryptography raises for a bad key or cert
            raise EimError(malformed, f"eimPublicKeyData: {exc}") from None

    # -- SGP.32 5.9.18 GetEimConfigurationData ------------------------------------------------
    def get_eim_configuration_data(self, request: dict) -> dict:
        """Every associated eIM's configuration as associated, counterValue the last one
        accepted from it."""
        configs = []
        for record in self.store.eims():
            config = decode_exact(sgp32(), "EimConfigurationData", record.config)
            config["counterValue"] = record.counter
            configs.append(config)
        return {"eimConfigurationDataList": configs}

    # -- SGP.32 5.9.10 GetCerts ---------------------------------------------------------------
    def get_certs(self, request: dict) -> bytes | tuple[str, int]:
        """CERT.EUM.ECDSA and CERT.EUICC.ECDSA of the CI named (the card's first if none),
        byte for byte: built around the stored DER, not re-encoded."""
        pkid = request.get("euiccCiPKId")
        if pkid is None:
            identity = self.credentials.identities[0]
        else:
            identity = self.credentials.identity_for_ci(pkid)
            if identity is None:
                return ("getCertsError", INVALID_CI_PKID)
        certs = (tlv(0xA5, certificate_fields(identity.eum_certificate_der))
                 + tlv(0xA6, certificate_fields(identity.certificate_der)))
        return tlv(0xBF56, tlv(0xA0, certs))

    # -- SGP.32 5.9.2 GetEUICCInfo --------------------------------------------------------------
    def iot_members(self) -> dict:
        """EUICCInfo2's members SGP.32 makes mandatory: ipaMode and iotSpecificInfo."""
        info = {"iotVersion": [version_bytes(self.settings.version + ".0")]}
        if self.settings.version != "1.0":  # v1.2: the Emergency and Fallback Mechanisms
            info.update(ecallSupported=None, fallbackSupported=None)
        return {"ipaMode": self.settings.ipa_mode, "iotSpecificInfo": info}
