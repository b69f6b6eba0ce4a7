"""ESipa as the IPA calls it (SGP.32 6.1.2 ASN.1 binding, 6.3): one DER
EsipaMessageFromIpaToEim POSTed to ``/gsma/rsp2/asn1`` of the eIM (``https://`` + the
eimFqdn, ``http://`` with ``tls=False``; no certificate verification, as lpac does ES9+),
one DER EsipaMessageFromEimToIpa back (nothing for a 204). Headers as onomondo-ipa sends
them. This layer's exception is :class:`EsipaError`: :class:`EsipaUnreachable` (no
connection, TLS, an HTTP error status) or :class:`EsipaMalformed` (an answer that is not
the ESipa message it should be)."""

from __future__ import annotations

import ssl
import urllib.error
import urllib.request
from collections.abc import Callable

from euicc_tools.eim import esipa as codec  # the ESipa codec both ends share

HEADERS = {"Content-Type": codec.CONTENT_TYPE, "X-Admin-Protocol": codec.ADMIN_PROTOCOL,
           "User-Agent": "euicc-emu-ipa"}

EsipaCall = Callable[[bytes], bytes | None]


class EsipaError(RuntimeError):
    pass


class EsipaUnreachable(EsipaError):
    """No ESipa answer: the network, TLS or the eIM's HTTP server failed."""


class EsipaMalformed(EsipaError):
    """An answer that is not the EsipaMessageFromEimToIpa expected."""


def http_esipa(address: str, tls: bool = True, timeout: float = 30.0,
               context: ssl.SSLContext | None = None,
               headers: dict[str, str] = HEADERS) -> EsipaCall:
    """POST to the ESipa server at ``address``: over HTTPS checked by ``context`` (default:
    none, as the IPA does), or plain HTTP. The eIM's push (:mod:`euicc_tools.eim.push`)
    calls the IPA with this too, with its own context and headers."""
    scheme = "https" if tls else "http"
    if tls and context is None:
        context = ssl.create_default_context()
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    url = f"{scheme}://{address}{codec.PATH}"

    def call(body: bytes) -> bytes | None:
        request = urllib.request.Request(url, body, headers)
        try:
            with urllib.request.urlopen(request, timeout=timeout, context=context) as answer:
                return answer.read() or None
        except urllib.error.HTTPError as exc:
            raise EsipaUnreachable(f"ESipa: {url} answered HTTP {exc.code}") from exc
        except (urllib.error.URLError, OSError) as exc:
            raise EsipaUnreachable(f"ESipa: {url}: {getattr(exc, 'reason', exc)}") from exc

    return call


def answer(data: bytes | None, alternative: str):
    """The eIM's answer as the EsipaMessageFromEimToIpa ``alternative``: its value."""
    if data is None:
        raise EsipaMalformed(f"ESipa: the eIM sent no {alternative}")
    try:
        kind, value = codec.decode_from_eim(data)
    except codec.EsipaError as exc:
        raise EsipaMalformed(f"ESipa: the eIM's answer is {exc}") from None
    if kind != alternative:
        raise EsipaMalformed(f"ESipa: the eIM answered {kind}, not {alternative}")
    return value
