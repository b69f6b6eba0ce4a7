"""What the shell shows of an IoT eUICC (SGP.32 v1.0), read from the card's store: the eIM
configuration (2.11.1.1.1 EimConfigurationData, its counterValue the last one accepted,
5.9.18), the eUICC Package Results the card keeps for the IPA (2.11.2.1, each
EuiccResultData by its SGP.32 name) and the rollback and auto-enable state (5.9.16
ProfileRollback, 2.11.1.1.3 configureAutoEnable); on a v1.2 card also the Fallback Profile
and the profile a fallback returns to (3.4.6, 5.9.20-21), the Emergency Profile and the
profile its disabling returns to (5.9.22-23).

Only public key material is shown (an eIM's key or certificate, as associated): the store
holds no private key of an eIM, and the eUICC's own keys are the ``keys`` command's.

The card's state beyond the eIMs and results is kept by the ISD-R's SGP.32 parts, each under
a store key of its own; :data:`CARD_STATE` lists them, with the applet module that keeps the
key: a card whose ISD-R has no such module does not support that part (said so, never shown
as empty). A part the ISD-R gains is one row here.
"""

from __future__ import annotations

import hashlib
import importlib
import json
from collections.abc import Callable
from dataclasses import dataclass

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from euicc.asn1 import Asn1Error, decode_exact, sgp32, sgp32_types
from euicc.coding import bcd_text
from euicc.store import CardStore, ProfileState

from .errors import ShellError

NOT_SUPPORTED = "not supported by this card"


class NotIot(ShellError):
    """The command shows what only an IoT eUICC has."""


# -- which card ---------------------------------------------------------------------------------

def sgp32_version(store: CardStore) -> str | None:
    """The SGP.32 version of the card kept in ``store``, None for an SGP.22 card: recorded
    at each start (``euicc-emu run``); a state last started before that is read from the
    built-in personality it was made with."""
    from euicc_tools.personalities import (
        META_PERSONALITY,
        META_SGP32,
        builtin_names,
        load_personality,
    )

    version = store.get_meta(META_SGP32)
    if version is not None:
        return version
    name = store.get_meta(META_PERSONALITY)
    if name in builtin_names():
        return load_personality(name).sgp32
    return None


def require_iot(store: CardStore) -> str:
    version = sgp32_version(store)
    if version is None:
        from euicc_tools.personalities import META_PERSONALITY

        persona = store.get_meta(META_PERSONALITY) or "generic"
        raise NotIot(f"this card is not an IoT eUICC (an SGP.22 card, personality {persona}): "
                     "it has no eIM, package results, rollback or auto-enable (SGP.32; "
                     "euicc-emu run --personality iot makes one)")
    return version


# -- names from the SGP.32 module -----------------------------------------------------------------

def _definition(type_def: dict) -> dict:
    """A type definition with its type references followed (SGP.32's names over SGP.22's:
    :func:`sgp32_types` holds both)."""
    seen = 0
    while seen < 8 and "named-numbers" not in type_def and "members" not in type_def:
        name = type_def.get("type")
        found = sgp32_types().get(name)
        if found is None:
            break
        type_def, seen = found, seen + 1
    return type_def


def _number_name(type_def: dict, number: int) -> str:
    names = {v: k for k, v in _definition(type_def).get("named-numbers", {}).items()}
    return names.get(number, str(number))


def _member(type_name: str, name: str) -> dict:
    return next(m for m in sgp32_types()[type_name]["members"] if m["name"] == name)


def _bit_names(type_name: str, bits: tuple[bytes, int]) -> list[str]:
    data, count = bits
    return [name for name, number in sgp32_types()[type_name]["named-bits"]
            if int(number) < count and data[int(number) // 8] & (0x80 >> (int(number) % 8))]


# -- SGP.32 2.11.1.1.1 the eIM configuration ------------------------------------------------------

def _key_summary(choice: tuple[str, dict] | None) -> dict | None:
    """What identifies a public key or certificate: its kind, curve, SHA-256 of the
    SubjectPublicKeyInfo, and for a certificate its subject, issuer and validity."""
    if choice is None:
        return None
    kind, value = choice
    module = sgp32().modules["PKIX1Explicit88"]
    summary: dict = {"kind": kind}
    if kind in ("eimPublicKey", "trustedEimPkTls"):
        key = serialization.load_der_public_key(
            bytes(module["SubjectPublicKeyInfo"].encode(value)))
    else:
        cert = x509.load_der_x509_certificate(bytes(module["Certificate"].encode(value)))
        key = cert.public_key()
        summary.update(subject=cert.subject.rfc4514_string(),
                       issuer=cert.issuer.rfc4514_string(),
                       notAfter=cert.not_valid_after_utc.isoformat())
    if isinstance(key, ec.EllipticCurvePublicKey):
        summary["curve"] = key.curve.name
    spki = key.public_bytes(serialization.Encoding.DER,
                            serialization.PublicFormat.SubjectPublicKeyInfo)
    summary["spkiSha256"] = hashlib.sha256(spki).hexdigest().upper()
    return summary


def eims(store: CardStore) -> dict:
    """Every associated eIM, in the order associated (SGP.32 5.9.18's order)."""
    version = require_iot(store)
    rows = []
    for record in store.eims():
        config = decode_exact(sgp32(), "EimConfigurationData", record.config)
        id_type = config.get("eimIdType")
        protocols = config.get("eimSupportedProtocol")
        pkid = config.get("euiccCiPKId")
        rows.append({
            "eimId": config["eimId"],
            "eimFqdn": config.get("eimFqdn"),
            "eimIdType": None if id_type is None else _number_name(
                sgp32_types()["EimIdType"], id_type),
            "counterValue": record.counter,  # the last one accepted (replay protection)
            "associationToken": config.get("associationToken"),
            "eimSupportedProtocol": None if protocols is None else _bit_names(
                "EimSupportedProtocol", protocols),
            "euiccCiPKId": None if pkid is None else pkid.hex().upper(),
            "eimPublicKeyData": _key_summary(config.get("eimPublicKeyData")),
            "trustedPublicKeyDataTls": _key_summary(config.get("trustedPublicKeyDataTls")),
        })
    return {"sgp32": version, "eims": rows}


def render_eims(data: dict) -> str:
    if not data["eims"]:
        return f"SGP.32 v{data['sgp32']} IoT eUICC: no eIM associated (AddInitialEim is open)"
    blocks = []
    for eim in data["eims"]:
        lines = [f"{'eimId':24}{eim['eimId']}"]
        for key in ("eimFqdn", "eimIdType", "counterValue", "associationToken",
                    "euiccCiPKId"):
            lines.append(f"{key:24}{'-' if eim[key] is None else eim[key]}")
        protocols = eim["eimSupportedProtocol"]
        lines.append(f"{'eimSupportedProtocol':24}"
                     f"{'-' if protocols is None else ', '.join(protocols) or '(none)'}")
        for key in ("eimPublicKeyData", "trustedPublicKeyDataTls"):
            summary = eim[key]
            if summary is None:
                lines.append(f"{key:24}-")
                continue
            lines.append(f"{key:24}{summary['kind']} {summary.get('curve', '')}".rstrip())
            lines += [f"{'':26}{k} {v}" for k, v in summary.items()
                      if k not in ("kind", "curve")]
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks)


# -- SGP.32 2.11.2.1 the eUICC Package Results kept ----------------------------------------------

def _result_text(name: str, value) -> str:
    """One EuiccResultData by its SGP.32 names: ``enableResult ok``."""
    member = _member("EuiccResultData", name)
    if name == "listProfileInfoResult":
        kind, inner = value
        if kind == "profileInfoListOk":
            iccids = [bcd_text(p["iccid"]) for p in inner if "iccid" in p]
            return f"{name} {len(inner)} profiles" + (f" ({', '.join(iccids)})" if iccids
                                                       else "")
        return f"{name} {_number_name(sgp32_types()['SGP32-ProfileInfoListError'], inner)}"
    if name == "getRATResult":
        return f"{name} {len(value)} rules"
    if name == "addEimResult":
        kind, inner = value
        if kind == "associationToken":
            return f"{name} associationToken {inner}"
        return f"{name} {_number_name(_member('AddEimResult', kind), inner)}"
    if name == "listEimResult":
        kind, inner = value
        if kind == "eimIdList":
            return f"{name} " + (", ".join(e["eimId"] for e in inner) or "(none)")
        return f"{name} {_number_name(_member('ListEimResult', kind), inner)}"
    if isinstance(value, int):
        return f"{name} {_number_name(member, value)}"
    return name


def package_results(store: CardStore, last: int | None = None) -> dict:
    """The eUICC Package Results the card keeps until the IPA removes them, oldest first
    (the last ``last`` of them)."""
    version = require_iot(store)
    rows = []
    for seq, eim_id, der in store.package_results():
        row: dict = {"seqNumber": seq, "eimId": eim_id}
        try:
            kind, value = decode_exact(sgp32(), "EuiccPackageResult", der)
        except Asn1Error as exc:
            rows.append({**row, "kind": "(undecodable)", "error": str(exc)})
            continue
        row["kind"] = kind
        if kind == "euiccPackageResultSigned":
            data = value["euiccPackageResultDataSigned"]
            row["counterValue"] = data["counterValue"]
            row["results"] = [_result_text(name, inner) for name, inner in data["euiccResult"]]
        elif kind == "euiccPackageErrorSigned":
            data = value["euiccPackageErrorDataSigned"]
            row["counterValue"] = data["counterValue"]
            row["results"] = ["euiccPackageErrorCode " + _number_name(
                sgp32_types()["EuiccPackageErrorCode"], data["euiccPackageErrorCode"])]
        else:
            data = value
            row["results"] = []
        if "transactionId" in data:
            row["transactionId"] = data["transactionId"].hex().upper()
        rows.append(row)
    if last is not None:
        rows = rows[-last:]
    return {"sgp32": version, "results": rows}


def render_package_results(data: dict) -> str:
    if not data["results"]:
        return "(no eUICC Package Results kept)"
    lines = []
    for row in data["results"]:
        head = f"seqNumber {row['seqNumber']}  eimId {row['eimId']}"
        if "counterValue" in row:
            head += f"  counterValue {row['counterValue']}"
        if "transactionId" in row:
            head += f"  transactionId {row['transactionId']}"
        lines.append(f"{head}  ({row['kind']})")
        lines += [f"  {n:>2}. {text}" for n, text in enumerate(row.get("results", []), 1)]
        if "error" in row:
            lines.append(f"  {row['error']}")
    return "\n".join(lines)


# -- rollback and auto-enable: kept by the ISD-R's SGP.32 parts, where the card has them ----------

@dataclass(frozen=True)
class CardStatePart:
    """One part of the IoT card's state: the ISD-R module that keeps it, the name of its
    store key in that module, and how its stored value reads (None: nothing kept)."""

    title: str
    module: str
    key_name: str
    show: Callable[[CardStore, dict], dict]


def _iccid_of_aid(store: CardStore, aid_hex: str) -> str:
    record = store.profile_by_aid(bytes.fromhex(aid_hex))
    return record.iccid_digits if record is not None else aid_hex.upper()


def _rollback(store: CardStore, value: dict) -> dict:
    return {"armed": True, "previousProfile": _iccid_of_aid(store, value["previous"]),
            "enabledByPackage": _iccid_of_aid(store, value["enabled"]),
            "packageResultSeqNumber": value["seq"]}


def _auto_enable(store: CardStore, value: dict) -> dict:
    return {"autoEnableFlag": bool(value.get("flag")), "smdpOid": value.get("smdp_oid"),
            "smdpAddress": value.get("smdp_address")}


CARD_STATE = (
    # 5.9.16 ProfileRollback, armed by an enable PSMO with rollbackFlag (2.11.1.1.3)
    CardStatePart("rollback", "euicc_applets.isd_r.sgp32_rollback", "ROLLBACK_KEY",
                  _rollback),
    # 2.11.1.1.3 configureAutoEnable
    CardStatePart("autoEnable", "euicc_applets.isd_r.sgp32_enabling", "AUTO_ENABLE_KEY",
                  _auto_enable),
)
EMPTY = {"rollback": {"armed": False}, "autoEnable": {"autoEnableFlag": False}}


def _store_key(part: CardStatePart) -> str | None:
    try:
        module = importlib.import_module(part.module)
    except ModuleNotFoundError:
        return None
    return getattr(module, part.key_name, None)


def card_state(store: CardStore) -> dict:
    """Each part of :data:`CARD_STATE`: what the card keeps, nothing kept, or not supported."""
    version = require_iot(store)
    parts: dict = {}
    for part in CARD_STATE:
        key = _store_key(part)
        if key is None:
            parts[part.title] = {"supported": False}
            continue
        raw = store.get_meta(key)
        shown = EMPTY[part.title] if raw is None else part.show(store, json.loads(raw))
        parts[part.title] = {"supported": True, **shown}
    for title, show in V12_STATE:
        parts[title] = ({"supported": False} if version == "1.0"
                        else {"supported": True, **show(store)})
    return {"sgp32": version, **parts}


# -- SGP.32 v1.2: the Fallback Attribute and the Emergency Profile (profile marks of the store) ---

def _iccid(record) -> str | None:
    return None if record is None else record.iccid_digits


def _fallback(store: CardStore) -> dict:
    from euicc_applets.isd_r import sgp32_fallback as fallback

    holder = store.marked_profile(fallback.ATTRIBUTE_MARK)
    return {"fallbackProfile": _iccid(holder),
            "inFallback": holder is not None and holder.state == ProfileState.ENABLED,
            "returnsTo": _iccid(store.marked_profile(fallback.RETURN_MARK))}


def _emergency(store: CardStore) -> dict:
    from euicc_applets.isd_r import sgp32_emergency as emergency

    profile = emergency.emergency_profile(store)
    return {"emergencyProfile": _iccid(profile),
            "enabled": profile is not None and profile.state == ProfileState.ENABLED,
            "returnsTo": _iccid(store.marked_profile(emergency.RETURN_MARK))}


# 3.4.6 / 5.9.20-21 the Fallback Mechanism, 5.9.22-23 the Emergency Profile (v1.2 only)
V12_STATE = (("fallback", _fallback), ("emergency", _emergency))


def render_card_state(data: dict) -> str:
    lines = [f"{'SGP.32':24}v{data['sgp32']}"]
    for title in [part.title for part in CARD_STATE] + [title for title, _ in V12_STATE]:
        value = data[title]
        if not value["supported"]:
            lines.append(f"{title:24}{NOT_SUPPORTED}")
            continue
        items = [(k, v) for k, v in value.items() if k != "supported"]
        first, *rest = items
        lines.append(f"{title:24}{first[0]} {_word(first[1])}")
        lines += [f"{'':24}{k} {_word(v)}" for k, v in rest]
    return "\n".join(lines)


def _word(value) -> str:
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)
