"""The operations of ``euicc-lpa``, transport-free: each takes an opened
:class:`~.es10.Es10Client`, an ES9+ caller per SM-DP+ address and the parsed arguments, and
returns JSON-ready data (or raises the failing layer's exception, :mod:`.outcome` words
it); each has a renderer for the human output. lpac's operations (shared/docs/interop.md),
done as SGP.22 says where lpac does not: a download delivers the card's
ProfileInstallationResult (3.1.3: the LPAd sends it to the SM-DP+ with
ES9+.HandleNotification, 5.6.4) and removes it once accepted (5.7.11)."""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from . import ipa, listen, management, notifications
from .download import CancelSessionReason, download, error_names
from .es10 import Es10Client
from .notifications import Es9For
from .outcome import LpaFailure, RequestError


def download_profile(es10: Es10Client, es9_for: Es9For, smdp: str, matching_id: str,
                     confirmation_code: str | None = None,
                     reject: CancelSessionReason | None = None, notify: bool = True) -> dict:
    """SGP.22 3.1.3 with the Install notification delivered (unless ``notify`` is off):
    LpaFailure if the installation failed (errorResult) or its notification could not be
    delivered or removed."""
    result = download(es10, es9_for(smdp), smdp, matching_id, confirmation_code,
                      reject=reject)
    data = {"profile": result.metadata}
    if result.rejected is not None:
        return {**data, "result": "rejected", "reason": result.rejected}
    data.update(result="installed" if result.ok else "installFailed",
                seqNumber=result.seq_number, notification=None)
    if notify:
        data["notification"] = notifications.deliver(es10, es9_for, result.seq_number)
    if not result.ok:
        command, reason = error_names(result.result)
        data["bppCommandId"], data["errorReason"] = command, reason
        raise LpaFailure(f"ES10b.LoadBoundProfilePackage: errorResult {reason} at {command}",
                         reason, data)
    note = data["notification"]
    if note is not None and "error" in note:
        raise LpaFailure(f"installed, but the Install notification {note['seqNumber']} was "
                         f"not done: {note['error']}", note.get("code"), data)
    return data


# -- the operations' table -------------------------------------------------------------------

Run = Callable[[Es10Client, Es9For, argparse.Namespace], object]


@dataclass(frozen=True)
class Operation:
    run: Run
    human: Callable[[object], list[str]]


def _result(data: dict) -> list[str]:
    return [f"{data['function']}: {data['result']}"]


def _info(data: dict) -> list[str]:
    info2 = data["euiccInfo2"]
    addresses = data["configuredAddresses"]
    return [f"EID {data['eid']}",
            f"SGP.22 {info2['svn']}, profile package {info2['profileVersion']}, "
            f"firmware {info2['euiccFirmwareVer']}",
            f"default SM-DP+ {addresses['defaultDpAddress'] or '-'}, "
            f"root SM-DS {addresses['rootDsAddress']}"]


def _profiles(rows: list[dict]) -> list[str]:
    return [f"{r['iccid']}  {r['state']:8}  {r['class']:12}  {r['name'] or ''}"
            + (f"  ({r['nickname']})" if r["nickname"] else "") for r in rows] or [
        "no profiles"]


def _pending(rows: list[dict]) -> list[str]:
    return [f"{r['seqNumber']}  {r['operation']:8}  {r['address']}  {r['iccid'] or ''}"
            for r in rows] or ["no pending notifications"]


def _delivery(row: dict) -> str:
    if "error" in row:
        return f"{row['seqNumber']}: {row['error']}"
    done = "delivered and removed" if row["removed"] else "delivered (kept on the card)"
    return f"{row['seqNumber']} {row['operation']} to {row['address']}: {done}"


def _download(data: dict) -> list[str]:
    profile = data["profile"] or {}
    what = f"{profile.get('iccid', '?')} ({profile.get('name') or ''})"
    if data["result"] == "rejected":
        return [f"rejected {what}: {data['reason']}"]
    lines = [f"{data['result']} {what}, Install notification {data['seqNumber']}"]
    if data["notification"] is not None:
        lines.append(_delivery(data["notification"]))
    return lines


def ipa_operation(es10: Es10Client, es9_for: Es9For, args: argparse.Namespace):
    """``ipa add-initial-eim FILE``, ``ipa poll [--loop]`` or one of the v1.2 functions
    (``ipa fallback`` ...) (SGP.32, :mod:`.ipa`)."""
    if args.ipa_operation == "add-initial-eim":
        try:
            request = Path(args.file).read_bytes()
        except OSError as exc:
            raise RequestError(f"{args.file}: {exc.strerror}") from None
        return ipa.add_initial_eim(es10, request)
    if args.ipa_operation in ipa.V12_FUNCTIONS:
        return ipa.v12_function(es10, args.ipa_operation, args.refresh)
    if args.ipa_operation == "listen":
        return listen.listen(es10, args.esipa_for, es9_for, args.host, args.port,
                             listen.tls_context(args.tls_cert, args.tls_key), args.count,
                             args.eim)
    rounds = []
    for number in range(args.rounds if args.loop else 1):
        if number and args.interval:
            time.sleep(args.interval)
        try:
            rounds.append(ipa.poll(es10, args.esipa_for, es9_for, args.eim,
                                   getattr(args, "indirect", False)))
        except LpaFailure as failure:
            if args.loop:
                failure.data = {"rounds": [*rounds, failure.data]}
            raise
        if rounds[-1]["package"] is None and args.loop:
            break
    return {"rounds": rounds} if args.loop else rounds[0]


def _round(data: dict) -> list[str]:
    lines = [f"eIM {data['eimId']} at {data['eim']}"]
    for note in data.get("notifications", []):
        lines.append("notification " + _delivery(note))
    for kept in data.get("results", []):
        lines.append(f"earlier package result sent, acknowledged {kept['acknowledged']}")
    package = data.get("package")
    if package is None:
        lines.append("no eIM package")
        return lines
    what = data.get("result") or data.get("error")
    if package == "profileDownloadTriggerRequest":
        lines.append(f"download trigger {data.get('smdp')} {data.get('matchingId')!r}: {what}"
                     + (f" {data['iccid']}" if data.get("iccid") else ""))
    elif package == "ipaEuiccDataRequest":
        lines.append(f"eUICC data {' '.join(data['tags'])}: {what}")
    else:
        lines.append(f"eUICC package: {what}")
        value = data.get("value") or {}
        signed = value.get("euiccPackageResultDataSigned")
        if signed:
            lines.extend(f"  {r}" for r in signed["euiccResult"])
    if "acknowledged" in data:
        lines.append(f"reported; eIM acknowledged {data['acknowledged']}, removed "
                     f"{data['removed']}")
    return lines


def _pushed(data: dict) -> list[str]:
    lines = [f"listened at {data['listened']}"]
    for report in data["transfers"]:
        what = report.get("result") or report.get("refused") or report.get("error") or ""
        lines.append(f"pushed {report.get('package')}: {what}".rstrip())
    return lines


def _ipa(data: dict) -> list[str]:
    if "function" in data:
        return _result(data)
    if "listened" in data:
        return _pushed(data)
    if "rounds" in data:
        return [line for r in data["rounds"] if r for line in _round(r)]
    return _round(data)


def _reason(name: str | None) -> CancelSessionReason | None:
    return None if name is None else CancelSessionReason[name]


OPERATIONS: dict[str, Operation] = {
    "info": Operation(lambda es10, _, a: management.info(es10), _info),
    "list": Operation(lambda es10, _, a: management.profiles(es10), _profiles),
    "enable": Operation(lambda es10, _, a: management.perform(
        es10, "enable", management.switch(a.profile, a.refresh)), _result),
    "disable": Operation(lambda es10, _, a: management.perform(
        es10, "disable", management.switch(a.profile, a.refresh)), _result),
    "delete": Operation(lambda es10, _, a: management.perform(
        es10, "delete", management.delete(a.profile)), _result),
    "nickname": Operation(lambda es10, _, a: management.perform(
        es10, "nickname", management.nickname(a.iccid, a.name)), _result),
    "set-default-address": Operation(lambda es10, _, a: management.perform(
        es10, "set_default_address", management.default_address(a.address)), _result),
    "memory-reset": Operation(lambda es10, _, a: management.perform(
        es10, "memory_reset", management.memory_reset(a.operational, a.test,
                                                      a.default_address)), _result),
    "notifications-list": Operation(lambda es10, _, a: notifications.pending(es10), _pending),
    "notifications-process": Operation(lambda es10, es9_for, a: notifications.process(
        es10, es9_for, a.seq, remove=not a.no_remove),
        lambda rows: [_delivery(r) for r in rows] or ["no pending notifications"]),
    "download": Operation(lambda es10, es9_for, a: download_profile(
        es10, es9_for, a.smdp, a.matching_id, a.confirmation_code, _reason(a.reject),
        notify=not a.no_notify), _download),
    "ipa": Operation(ipa_operation, _ipa),
}
