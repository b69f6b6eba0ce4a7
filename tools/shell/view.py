"""What the shell shows of a card, computed from its state directory without touching the
running card: the eUICC's identity and certificates (SGP.22 4.5.2), the profiles with their
StoreMetadata (SGP.22 5.5.3) and the pending notifications (SGP.22 3.5). Plain data, so
one function serves the table printer and ``--json``."""

from __future__ import annotations

from pathlib import Path

from cryptography import x509

from euicc.asn1 import decode_exact, rsp
from euicc.coding import bcd_text
from euicc.identity import recorded_pki_dir
from euicc.pki import load_card_credentials
from euicc.ppi import AkaAlgorithmId
from euicc.store import CardStore

EVENTS = {0: "install", 1: "enable", 2: "disable", 3: "delete"}


def profiles(store: CardStore) -> list[dict]:
    rows = []
    for p in store.profiles():
        metadata = decode_exact(rsp(), "StoreMetadataRequest", p.metadata)
        rows.append({
            "iccid": p.iccid_digits,
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
             "address": n.address, "iccid": bcd_text(n.iccid) if n.iccid else None}
            for n in store.notifications()]


def _certificate(der: bytes) -> dict:
    cert = x509.load_der_x509_certificate(der)
    return {"subject": cert.subject.rfc4514_string(), "issuer": cert.issuer.rfc4514_string(),
            "serial": format(cert.serial_number, "X"),
            "notAfter": cert.not_valid_after_utc.isoformat()}


def info(state: Path, store: CardStore, pki: Path | None = None) -> dict:
    from euicc_applets.isd_r.config import EuiccConfig
    from euicc_applets.isd_r.euicc_info import free_memory
    from euicc_applets.isd_r.preset_config import stored_config

    config = stored_config(store, EuiccConfig())  # what `euicc-emu run` declares
    credentials = load_card_credentials(pki or recorded_pki_dir(state, store),
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
        "versions": {"sgp22": config.svn, "profilePackage": config.profile_version,
                     "firmware": config.firmware_version,
                     "globalPlatform": config.globalplatform_version},
        "memory": {"capacity": config.nvm_capacity, "free": free_memory(config, store)},
    }


def profile(store: CardStore, target: str) -> dict:
    """One profile in full: ISD-P, state and the StoreMetadata it was installed with."""
    from .files import pick_profile

    record = pick_profile(store, target)
    metadata = decode_exact(rsp(), "StoreMetadataRequest", record.metadata)
    rules = metadata.get("profilePolicyRules")
    ppr = [name for bit, name in enumerate(("pprUpdateControl", "ppr1", "ppr2"))
           if rules and bit < rules[1] and rules[0][bit // 8] & (0x80 >> (bit % 8))]
    owner = metadata.get("profileOwner")
    return {
        "iccid": record.iccid_digits,
        "isdpAid": record.isdp_aid.hex().upper(),
        "state": record.state.name.lower(),
        "class": record.profile_class.name.lower(),
        "name": metadata.get("profileName"),
        "provider": metadata.get("serviceProviderName"),
        "nickname": record.nickname,
        "iconType": {0: "jpg", 1: "png"}.get(metadata.get("iconType")),
        "profilePolicyRules": ppr,
        "profileOwner": owner["mccMnc"].hex().upper() if owner else None,
        "notifications": [
            {"operations": [EVENTS[b] for b in EVENTS
                            if b < n["profileManagementOperation"][1]
                            and n["profileManagementOperation"][0][b // 8] & (0x80 >> (b % 8))],
             "address": n["notificationAddress"]}
            for n in metadata.get("notificationConfigurationInfo", [])],
        "ciPkid": record.ci_pkid.hex().upper() if record.ci_pkid else None,
        "smdpOid": record.smdp_oid,
        "packageBytes": record.size,
        "profileElements": element_summary(store.profile_elements(record.isdp_aid)),
    }


def element_summary(elements: list[bytes]) -> list[str]:
    """One line per profile element (TCA eUICC Profile Package 8): its kind and what
    identifies it; keys stay out."""
    from euicc.asn1 import Asn1Error, pe

    lines = []
    for der in elements:
        try:
            kind, value = decode_exact(pe(), "ProfileElement", der)
        except Asn1Error:
            lines.append("(undecodable)")
            continue
        detail = ""
        if kind == "header":
            detail = f"SAIP {value['major-version']}.{value['minor-version']}"
        elif isinstance(value, dict) and "templateID" in value:
            detail = value["templateID"]
        elif kind == "securityDomain":
            instance = value["instance"]
            detail = (f"{instance['instanceAID'].hex().upper()} privileges "
                      f"{instance['applicationPrivileges'].hex().upper()}, "
                      f"{len(value.get('keyList', []))} keys")
        elif kind == "rfm":
            detail = "TAR " + ", ".join(t.hex().upper() for t in value.get("tarList", []))
        elif kind == "application":
            instances = value.get("instanceList", [])
            detail = ", ".join(i["instanceAID"].hex().upper() for i in instances) or "load file"
        elif kind == "akaParameter":
            algorithm = value["algoConfiguration"]
            detail = (f"algorithm {_algorithm_name(algorithm[1]['algorithmID'])}"
                      if algorithm[0] == "algoParameter" else "mapped")
        lines.append(f"{kind} {detail}".strip())
    return lines


def keys(state: Path, store: CardStore, pki: Path | None, reveal: bool) -> list[dict]:
    """The eUICC's key pairs; private keys masked unless ``reveal``."""
    from euicc.crypto.ecdsa import public_point

    credentials = load_card_credentials(pki or recorded_pki_dir(state, store),
                                        eid=store.get_meta("eid"), issue_into=state / "issued")
    rows = []
    for identity in credentials.identities:
        private = "********"
        if reveal:
            private = identity.private_key.private_numbers().private_value.to_bytes(
                32, "big").hex().upper()
        rows.append({"key": f"SK.EUICC.ECDSA ({identity.curve})", "ciPkid":
                     identity.ci_pkid.hex().upper(),
                     "public": public_point(identity.private_key.public_key()).hex().upper(),
                     "private": private})
    return rows


def _algorithm_name(number: int) -> str:
    try:
        return AkaAlgorithmId(number).label
    except ValueError:
        return str(number)
