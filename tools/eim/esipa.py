"""ESipa with the ASN.1 binding (SGP.32 6.1.2 and 6.3): every HTTP POST to
``/gsma/rsp2/asn1`` carries one DER EsipaMessageFromIpaToEim (6.3.1) and is answered with one
EsipaMessageFromEimToIpa, Content-Type ``application/x-gsma-rsp-asn1`` (as onomondo-ipa and
onomondo-eim speak it). Pure codec: bytes in, values out, and back; this layer's one
exception is :class:`EsipaError` (the message is not DER of the type, or an alternative this
eIM does not serve)."""

from __future__ import annotations

from euicc.asn1 import Asn1Error, decode_exact, encode, sgp32
from euicc.tlv import tlv

PATH = "/gsma/rsp2/asn1"
CONTENT_TYPE = "application/x-gsma-rsp-asn1"
ADMIN_PROTOCOL = "gsma/rsp/v2.1.0"  # X-Admin-Protocol (SGP.32 6.1.1), onomondo-ipa's value

# GetEimPackageResponse eimPackageError (6.3.2.6)
NO_EIM_PACKAGE_AVAILABLE, GET_UNDEFINED_ERROR = 1, 127
# ProvideEimPackageResult / TransferEimPackageResponse eimPackageError (6.3.2.7, 6.3.3.1)
INVALID_PACKAGE_FORMAT, UNKNOWN_PACKAGE, PROVIDE_UNDEFINED_ERROR = 1, 2, 127


class EsipaError(ValueError):
    """Not an ESipa message this side can act on."""


def decode_from_ipa(data: bytes) -> tuple[str, object]:
    """An EsipaMessageFromIpaToEim: (alternative, value)."""
    try:
        return decode_exact(sgp32(), "EsipaMessageFromIpaToEim", data)
    except Asn1Error as exc:
        raise EsipaError(f"not an EsipaMessageFromIpaToEim: {exc}") from None


def decode_from_eim(data: bytes) -> tuple[str, object]:
    """An EsipaMessageFromEimToIpa: (alternative, value)."""
    try:
        return decode_exact(sgp32(), "EsipaMessageFromEimToIpa", data)
    except Asn1Error as exc:
        raise EsipaError(f"not an EsipaMessageFromEimToIpa: {exc}") from None


def to_ipa(alternative: str, value) -> bytes:
    return encode(sgp32(), "EsipaMessageFromEimToIpa", (alternative, value))


def to_eim(alternative: str, value) -> bytes:
    return encode(sgp32(), "EsipaMessageFromIpaToEim", (alternative, value))


def no_package() -> bytes:
    """GetEimPackageResponse eimPackageError noEimPackageAvailable(1) (6.3.2.6)."""
    return to_ipa("getEimPackageResponse", ("eimPackageError", NO_EIM_PACKAGE_AVAILABLE))


def package_response(euicc_package_request: bytes) -> bytes:
    """GetEimPackageResponse with the signed EuiccPackageRequest exactly as signed (relayed
    byte for byte, not re-encoded): its 'BF51' becomes the alternative's implicit tag (one
    tag on the wire)."""
    return tlv(0xBF4F, euicc_package_request)


def acknowledgements(seq_numbers: list[int]) -> bytes:
    """ProvideEimPackageResultResponse with eimAcknowledgements (2.11.1.4, 6.3.2.7)."""
    value = {"eimAcknowledgements": seq_numbers} if seq_numbers else {}
    return to_ipa("provideEimPackageResultResponse", value)
