"""What the shell shows of a card, computed from its state directory without touching the
running card: the eUICC's identity and certificates (SGP.22 4.5.2), the profiles with their
StoreMetadata (SGP.22 5.5.3) and the pending notifications (SGP.22 3.5). Plain data, so
one function serves the table printer and ``--json``."""

from __future__ import annotations

from pathlib import Path

from cryptography import x509

from euicc.asn1 import decode_exact, rsp
from euicc.pki import load_card_credentials
from euicc.store import CardStore

EVENTS = {0: "install", 1: "enable", 2: "disable", 3: "delete"}


def iccid_digits(raw: bytes) -> str:
    """SGP.22 Iccid (nibble-swapped BCD, F padding) -> the ICCID digits."""
    return "".join(f"{b & 0x0F:x}{b >> 4:x}" for b in raw).rstrip("f").upper()


def profiles(store: CardStore) -> list[dict]:
    rows = []
    for p in store.profiles():
        metadata = decode_exact(rsp(), "StoreMetadataRequest", p.metadata)
        rows.append({
            "iccid": iccid_digits(p.iccid),
            "isdpAid": p.isdp_aid.hex().upper(),
            "state": p.state.name.lower(),
            "class": p.profile_class.name.lower(),
            "name": metadata.get("profileName", ""),
            "provider": metadata.get("serviceProviderName", ""),
            "nickname": p.nickname,
            "size": p.size,
        })
    return rows


def notifications(store: CardStore) -> list[dict]:
    return [{"seqNumber": n.seq, "operation": EVENTS.get(int(n.event), str(n.event)),
             "address": n.address, "iccid": iccid_digits(n.iccid) if n.iccid else None}
            for n in store.notifications()]


def _certificate(der: bytes) -> dict:
    cert = x509.load_der_x509_certificate(der)
    return {"subject": cert.subject.rfc4514_string(), "issuer": cert.issuer.rfc4514_string(),
            "serial": format(cert.serial_number, "X"),
            "notAfter": cert.not_valid_after_utc.isoformat()}


def info(state: Path, store: CardStore, pki: Path | None = None) -> dict:
    credentials = load_card_credentials(pki or state / "pki",
                                        eid=store.get_meta("eid"), issue_into=state / "issued")
    return {
        "eid": credentials.eid,
        "defaultDpAddress": store.get_meta("default_dp_address") or None,
        "identities": [{"curve": i.curve, "ciPkid": i.ci_pkid.hex().upper(),
                        "euiccCertificate": _certificate(i.certificate_der),
                        "eumCertificate": _certificate(i.eum_certificate_der)}
                       for i in credentials.identities],
        "trustedCis": [{"curve": ci.curve, "pkid": ci.pkid.hex().upper()}
                       for ci in credentials.trusted_cis],
        "profiles": len(store.profiles()),
        "pendingNotifications": len(store.notifications()),
    }
