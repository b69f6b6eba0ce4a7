"""Installation of a Bound Profile Package into a new ISD-P (SGP.22 5.7.6
LoadBoundProfilePackage; 2.5.5 BPP; 2.6.6 and 5.5 SCP03t; 5.5.1 InitialiseSecureChannel,
5.5.2 ConfigureISDP, 5.5.3 StoreMetadata, 5.5.4 ReplaceSessionKeys, 5.5.5 profile
elements; 4.7 ProfileInstallationResult; TCA eUICC Profile Package 8.7 EUICCResponse).

:class:`BppLoader` receives the package pieces, unwraps each SCP03t segment with the
session keys agreed through ECKA with the SM-DP+'s one-time key, and collects the ISD-P's
configuration, metadata and profile elements. Each profile element goes to the Profile
Package Interpreter as soon as its last byte is decrypted; an element it refuses ends the
download with peProcessingError and the interpreter's EUICCResponse; a ProfileHeader whose
ICCID is not StoreMetadata's ends it with installFailedDueToIccidMismatch; metadata setting
a PPR the RAT does not allow ends it with pprNotAllowed (:mod:`.rat`). Only when the last
element is in does it write the new profile, its files and its secrets (one transaction);
it then answers with the signed ProfileInstallationResult, which also stays pending as the
install notification.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from euicc.asn1 import Asn1Error, decode_exact, rsp
from euicc.coding import swap_nibbles
from euicc.crypto.bsp import BspError, BspSession
from euicc.crypto.ecdsa import public_point, verify_raw
from euicc.crypto.ecka import derive_session_keys, shared_secret
from euicc.faults import (
    DATA_FORMS,
    ActionKind,
    FaultPlan,
    Layer,
    Point,
    bpp_point_name,
    malformed_data,
    withdrawal,
)
from euicc.ppi import (
    PeError,
    PeStatusCode,
    ProfileImage,
    ProfileInterpreter,
    success_response,
)
from euicc.store import (
    CardStore,
    NotificationEvent,
    NotificationRecord,
    ProfileClass,
    ProfileRecord,
    ProfileState,
)
from euicc.store_image import file_rows, secret_rows
from euicc.sw import SW, SwError
from euicc.tlv import TlvError, children, read_header, tlv

from .bpp import MAX_BPP, BppCommandId, BppEvent, BppFailure, BppStream, ErrorReason
from .notifications import SEQ_COUNTER, event_bits, signed_installation_result
from .session import RspSession

log = logging.getLogger(__name__)

INSTALL_BPP = 1  # RemoteOpId installBoundProfilePackage
KEY_TYPE_AES, KEY_LENGTH_16 = 0x88, 0x10
ISDP_COUNTER = "isdp_counter"
ISDP_AID_PREFIX = bytes.fromhex("A0000005591010FFFFFFFF890000")


def fail(command: BppCommandId, reason: ErrorReason, detail: str) -> BppFailure:
    return BppFailure(command, reason, detail)


@dataclass
class Pending:
    """What the package has told so far about the ISD-P being made."""

    isdp_aid: bytes | None = None
    configure_isdp: bytes = b""
    metadata: bytes = b""
    metadata_value: dict | None = None
    upp: bytearray = field(default_factory=bytearray)  # decrypted bytes of an unfinished element
    size: int = 0
    free: int = 0  # NVM free for the profile, read when its elements begin (nothing changes it
    # before the load ends: another ES10 function aborts it, and only ES10 adds profiles)
    interpreter: ProfileInterpreter = field(default_factory=ProfileInterpreter)


# The parts as the fault plan names them (euicc.faults: ES10b.LoadBoundProfilePackage.<Part>)
PART_NAMES = {
    BppCommandId.INITIALISE_SECURE_CHANNEL: "InitialiseSecureChannel",
    BppCommandId.CONFIGURE_ISDP: "ConfigureISDP",
    BppCommandId.STORE_METADATA: "StoreMetadata",
    BppCommandId.REPLACE_SESSION_KEYS: "ReplaceSessionKeys",
    BppCommandId.LOAD_PROFILE_ELEMENTS: "LoadProfileElements",
}


def store_profile(store: CardStore, record: ProfileRecord, configure_isdp: bytes,
                  interpreter: ProfileInterpreter, image: ProfileImage) -> None:
    """A new ISD-P with what the interpreter made of its package: the record, the
    ConfigureISDP data and the elements as stored, the files and the secrets (the caller's
    transaction). Downloads and presets install a profile through this one place."""
    store.add_profile(record)  # new: its content and image rows are added, none replaced
    store.set_profile_content(record.isdp_aid, configure_isdp, interpreter.stored_elements,
                              replace=False)
    store.set_profile_image(record.isdp_aid, file_rows(image.tree), secret_rows(image),
                            replace=False)


def header_iccid_mismatch(header: dict, iccid: bytes) -> str | None:
    """The ProfileHeader has the ICCID digits in order, 'F' padded (SAIP ProfileHeader, as
    osmo-smdpp and the TS.48 packages write it); SGP.22's Iccid (``iccid``) has them
    nibble-swapped, like EF.ICCID. Why they differ, or None."""
    if swap_nibbles(header.get("iccid", b"")) == iccid:
        return None
    return (f"ProfileHeader ICCID {header.get('iccid', b'').hex().upper()} is not "
            f"{swap_nibbles(iccid).hex().upper()}")


class BppLoader:
    def __init__(self, store: CardStore, session: RspSession, eid: str,
                 on_installed: Callable[[ProfileRecord], None] = lambda record: None,
                 faults: FaultPlan | None = None,
                 free_memory: Callable[[], int] = lambda: MAX_BPP,
                 ppr_refusal: Callable[[dict], str | None] = lambda metadata: None) -> None:
        """The ProfileInstallationResult is signed with the card's entropy, which the
        session holds (:attr:`RspSession.entropy`). ``free_memory``: the NVM left for
        profiles (EUICCInfo2 extCardResource), which a package's elements must fit in.
        ``ppr_refusal``: why the decoded StoreMetadataRequest's PPRs are not allowed
        (:func:`.rat.ppr_refusal`), None when they are."""
        self.free_memory = free_memory
        self.ppr_refusal = ppr_refusal
        self.store = store
        self.faults = faults if faults is not None else FaultPlan()
        self._damage: str | None = None  # a data form the plan asked for this piece's answer
        self.on_installed = on_installed
        self.session = session
        self.eid = eid
        self._stream: BppStream | None = None
        self._bsp: BspSession | None = None
        self._pending = Pending()

    @property
    def active(self) -> bool:
        """A package is being received: pieces that are no ES10 request continue it."""
        return self._stream is not None

    def abort(self) -> None:
        self._stream = None
        self._bsp = None
        self._pending = Pending()

    def start(self, piece: bytes) -> bytes:
        """The piece that opens a package (BF36): whatever was loading before is dropped."""
        self.abort()
        if self.session.one_time_key is None or self.session.identity is None:
            raise SwError(SW.CONDITIONS_NOT_SATISFIED, "no PrepareDownload before the BPP")
        self._stream = BppStream()
        return self.resume(piece)

    def resume(self, piece: bytes) -> bytes:
        """Take one piece; b"" while more is expected, else the ProfileInstallationResult."""
        if self._stream is None:
            return self.start(piece)
        self._damage = None
        try:
            for event in self._stream.feed(piece):
                self._planned(event)
                self._handle(event)
        except BppFailure as failure:
            log.info("profile download failed: %s", failure)
            result = self._result_error(failure)
            self.abort()
            self.session.clear()
            return self._damaged(result)
        if not self._stream.done:
            return self._damaged(b"")
        result = self._install()
        self.abort()
        self.session.clear()
        return self._damaged(result)

    # -- the fault plan (euicc.faults), consulted for each part and segment ------------------
    def _planned(self, event: BppEvent) -> None:
        """The rules for this part (its opening; ``segment``: its n-th segment). An error
        ends the load as a real failure of that part does (a signed ProfileInstallationResult
        with the errorReason, kept as a pending notification: SGP.22 5.7.6)."""
        if not self.faults:
            return
        fired = self.faults.fire(Point(Layer.BPP, bpp_point_name(PART_NAMES[event.part]),
                                       segment=event.segment or None))
        if fired.delay_ms:
            time.sleep(fired.delay_ms / 1000)
        action = fired.action
        if action is None:
            return
        if action.kind is ActionKind.ERROR:
            raise BppFailure(event.part, ErrorReason(action.code),
                             f"injected {action.code_name}")
        if action.kind is ActionKind.MALFORMED:
            if action.form in DATA_FORMS:
                self._damage = action.form
            else:
                self.faults.shape_response(action.form)
            return
        self.abort()  # a status word or the card leaving: the load ends, nothing kept
        self.session.clear()
        if action.kind is ActionKind.STATUS:
            raise SwError(action.sw, f"{PART_NAMES[event.part]}: injected")
        raise withdrawal(action)

    def _damaged(self, response: bytes) -> bytes:
        form, self._damage = self._damage, None
        return response if form is None else malformed_data(form, response)

    # -- the parts ------------------------------------------------------------------------------
    def _handle(self, event: BppEvent) -> None:
        """The one place where each part of the package is acted on: ``event.part`` is its
        bppCommandId, ``event.segment`` the number of a StoreMetadata or LoadProfileElements
        segment (0 for the part's opening)."""
        {
            BppCommandId.INITIALISE_SECURE_CHANNEL: self._initialise_secure_channel,
            BppCommandId.CONFIGURE_ISDP: self._configure_isdp,
            BppCommandId.STORE_METADATA: self._store_metadata,
            BppCommandId.REPLACE_SESSION_KEYS: self._replace_keys,
            BppCommandId.LOAD_PROFILE_ELEMENTS: self._load_profile_elements,
        }[event.part](event)

    def _initialise_secure_channel(self, event: BppEvent) -> None:
        """SGP.22 5.5.1: check the request, verify smdpSign, agree the session keys."""
        cmd, data = event.part, event.tlv
        session = self.session
        try:
            request = decode_exact(rsp(), "InitialiseSecureChannelRequest", data)
            parts = children(data)
        except (Asn1Error, TlvError) as exc:
            raise fail(cmd, ErrorReason.INCORRECT_INPUT_VALUES, str(exc)) from None
        if request["remoteOpId"] != INSTALL_BPP:
            raise fail(cmd, ErrorReason.UNSUPPORTED_REMOTE_OPERATION_TYPE, "remoteOpId")
        if request["transactionId"] != session.transaction_id:
            raise fail(cmd, ErrorReason.INVALID_TRANSACTION_ID, "transactionId")
        crt = request["controlRefTemplate"]
        if crt["keyType"] != bytes([KEY_TYPE_AES]) or crt["keyLen"] != bytes([KEY_LENGTH_16]):
            raise fail(cmd, ErrorReason.UNSUPPORTED_CRT_VALUES, "only AES-128 is supported")
        signed = b"".join(raw for tag, raw in parts if tag != 0x5F37) + tlv(
            0x5F49, public_point(session.one_time_key.public_key()))
        if not verify_raw(session.dppb_certificate.public_key(), signed, request["smdpSign"]):
            raise fail(cmd, ErrorReason.INVALID_SIGNATURE, "smdpSign does not verify")
        try:
            shs = shared_secret(session.one_time_key, request["smdpOtpk"])
        except ValueError as exc:
            raise fail(cmd, ErrorReason.INCORRECT_INPUT_VALUES, f"smdpOtpk: {exc}") from None
        keys = derive_session_keys(shs, KEY_TYPE_AES, KEY_LENGTH_16, crt["hostId"],
                                   bytes.fromhex(self.eid))
        self._bsp = BspSession(keys.s_enc, keys.s_mac, keys.initial_mcv)

    def _unwrap_87s(self, container: bytes, cmd: BppCommandId) -> bytes:
        try:
            segments = children(container)
        except TlvError as exc:
            raise fail(cmd, ErrorReason.SCP03T_STRUCTURE_ERROR, str(exc)) from None
        if not segments or any(tag != 0x87 for tag, _ in segments):
            raise fail(cmd, ErrorReason.SCP03T_STRUCTURE_ERROR, "expected 87 segments")
        return b"".join(self._unwrap(tag, raw, cmd) for tag, raw in segments)

    def _unwrap(self, tag: int, segment: bytes, cmd: BppCommandId) -> bytes:
        """One SCP03t segment (the stream has already checked its tag's place)."""
        try:
            return self._bsp.unwrap(tag, segment)
        except BspError as exc:
            reason = (ErrorReason.SCP03T_SECURITY_ERROR if exc.security
                      else ErrorReason.SCP03T_STRUCTURE_ERROR)
            raise fail(cmd, reason, str(exc)) from None

    def _configure_isdp(self, event: BppEvent) -> None:
        """SGP.22 5.5.2: the ISD-P gets its AID now; it is created at the end."""
        cmd = event.part
        plain = self._unwrap_87s(event.tlv, cmd)
        try:
            decode_exact(rsp(), "ConfigureISDPRequest", plain)
        except Asn1Error as exc:
            raise fail(cmd, ErrorReason.INCORRECT_INPUT_VALUES, str(exc)) from None
        self._pending.configure_isdp = plain
        self._pending.isdp_aid = self._next_isdp_aid()

    def _next_isdp_aid(self) -> bytes:
        used = {p.isdp_aid for p in self.store.profiles()}
        n = int(self.store.get_meta(ISDP_COUNTER, 0x0F))
        while True:
            n = n + 1 if n < 0xFF else 0x10
            aid = ISDP_AID_PREFIX + bytes([n, 0x00])
            if aid not in used:
                return aid

    def _store_metadata(self, event: BppEvent) -> None:
        """SGP.22 5.5.3: the 88 segments decrypt to the StoreMetadataRequest, checked once
        the next part begins."""
        if not event.opens_part:
            self._pending.metadata += self._unwrap(0x88, event.tlv, event.part)

    def _check_metadata(self) -> None:
        """SGP.22 5.5.3: the metadata must decode, name a new ICCID and a known class, and
        set only PPRs the RAT allows (2.9.2.1; errorReason pprNotAllowed, 5.7.6)."""
        cmd = BppCommandId.STORE_METADATA
        if self._pending.metadata_value is not None:
            return
        try:
            value = decode_exact(rsp(), "StoreMetadataRequest", self._pending.metadata)
        except Asn1Error as exc:
            raise fail(cmd, ErrorReason.INCORRECT_INPUT_VALUES, str(exc)) from None
        if self.store.profile_by_iccid(value["iccid"]) is not None:
            raise fail(cmd, ErrorReason.ICCID_ALREADY_EXISTS, "ICCID already on the eUICC")
        profile_class = value.get("profileClass", "operational")
        if profile_class == "operational":
            value["profileClass"] = ProfileClass.OPERATIONAL
        elif profile_class not in (0, 1, 2):
            raise fail(cmd, ErrorReason.UNSUPPORTED_PROFILE_CLASS, str(profile_class))
        refusal = self.ppr_refusal(value)
        if refusal is not None:
            raise fail(cmd, ErrorReason.PPR_NOT_ALLOWED, refusal)
        self._pending.metadata_value = value

    def _replace_keys(self, event: BppEvent) -> None:
        """SGP.22 5.5.4: PPK-ENC / PPK-MAC protect the profile elements from here on."""
        self._check_metadata()
        cmd = event.part
        plain = self._unwrap_87s(event.tlv, cmd)
        try:
            keys = decode_exact(rsp(), "ReplaceSessionKeysRequest", plain)
        except Asn1Error as exc:
            raise fail(cmd, ErrorReason.INCORRECT_INPUT_VALUES, str(exc)) from None
        self._bsp.replace_keys(keys["ppkEnc"], keys["ppkCmac"], keys["initialMacChainingValue"])

    def _load_profile_elements(self, event: BppEvent) -> None:
        """SGP.22 5.5.5: the decrypted segments concatenate to the profile elements, which
        need the checked metadata (the ICCID of the ProfileHeader)."""
        pending = self._pending
        if event.opens_part:
            self._check_metadata()
            pending.free = self.free_memory()  # once, not for each segment
            return
        plain = self._unwrap(0x86, event.tlv, event.part)
        pending.upp += plain
        pending.size += len(plain)
        free = pending.free
        if pending.size > free:  # SGP.22 5.7.6: errorReason 10 when the profile does not fit
            raise BppFailure(BppCommandId.LOAD_PROFILE_ELEMENTS, ErrorReason.INSUFFICIENT_MEMORY,
                             f"{pending.size} bytes of profile elements, {free} bytes free")
        while pending.upp:
            try:
                head = read_header(pending.upp)
            except TlvError:
                return  # the element's header continues in the next segment
            if head.total_length > len(pending.upp):
                return
            element = bytes(pending.upp[:head.total_length])
            del pending.upp[:head.total_length]
            self._interpret(element)

    def _interpret(self, element: bytes) -> None:
        """TCA eUICC Profile Package 9: one element into the ISD-P being made."""
        interpreter = self._pending.interpreter
        try:
            interpreter.feed(element)
        except PeError as exc:
            raise BppFailure(BppCommandId.LOAD_PROFILE_ELEMENTS,
                             ErrorReason.PE_PROCESSING_ERROR, str(exc),
                             exc.euicc_response()) from None
        if interpreter.count == 1:
            self._check_header_iccid(interpreter.image.header)

    def _check_header_iccid(self, header: dict) -> None:
        """SGP.22 5.5.3 StoreMetadata describes the profile being loaded: an ICCID that is
        not the package's ends the load with installFailedDueToIccidMismatch(13) at
        loadProfileElements, where the ProfileHeader (the first element) arrives."""
        mismatch = header_iccid_mismatch(header, self._pending.metadata_value["iccid"])
        if mismatch is not None:
            raise BppFailure(BppCommandId.LOAD_PROFILE_ELEMENTS, ErrorReason.ICCID_MISMATCH,
                             f"{mismatch} (StoreMetadata's)")

    # -- the end ---------------------------------------------------------------------------
    def _install(self) -> bytes:
        pending = self._pending
        try:
            if pending.upp:
                raise PeError(PeStatusCode.INVALID_REQUEST_FORMAT, None,
                              f"{len(pending.upp)} bytes after the last element")
            image = pending.interpreter.finish()
        except PeError as exc:
            return self._result_error(BppFailure(
                BppCommandId.LOAD_PROFILE_ELEMENTS, ErrorReason.PE_PROCESSING_ERROR, str(exc),
                exc.euicc_response()))
        metadata = pending.metadata_value
        session = self.session
        record = ProfileRecord(
            isdp_aid=pending.isdp_aid, iccid=metadata["iccid"], state=ProfileState.DISABLED,
            profile_class=ProfileClass(metadata["profileClass"]), metadata=pending.metadata,
            ci_pkid=session.identity.ci_pkid, smdp_oid=session.smdp_oid,
            size=pending.size,
        )
        with self.store.transaction():
            store_profile(self.store, record, pending.configure_isdp, pending.interpreter,
                          image)
            self.store.set_meta(ISDP_COUNTER, pending.isdp_aid[-2])
            result = self._result(("successResult", {"aid": record.isdp_aid,
                                                      "simaResponse": success_response()}),
                                  iccid=record.iccid)
        self.on_installed(record)
        log.info("installed profile %s in ISD-P %s", metadata["iccid"].hex().upper(),
                 record.isdp_aid.hex().upper())
        return result

    def _result_error(self, failure: BppFailure) -> bytes:
        metadata = self._pending.metadata_value
        error = {"bppCommandId": int(failure.command), "errorReason": int(failure.reason)}
        if failure.sima_response is not None:
            error["simaResponse"] = failure.sima_response
        with self.store.transaction():
            return self._result(
                ("errorResult", error),
                iccid=None if metadata is None else metadata["iccid"])

    def _result(self, final_result: tuple, iccid: bytes | None) -> bytes:
        """Sign the ProfileInstallationResult and keep it as the pending notification."""
        session = self.session
        seq = self.store.next_counter(SEQ_COUNTER)
        address = session.server_address
        notification = {"seqNumber": seq,
                        "profileManagementOperation": event_bits(NotificationEvent.INSTALL),
                        "notificationAddress": address}
        if iccid is not None:
            notification["iccid"] = iccid
        data = {"transactionId": session.transaction_id, "notificationMetadata": notification,
                "finalResult": final_result}
        if session.smdp_oid:
            data["smdpOid"] = session.smdp_oid
        result = signed_installation_result(data, session.identity, session.entropy)
        # PendingNotification is an untagged CHOICE: the BF37 TLV is its encoding.
        self.store.add_notification(
            NotificationRecord(seq, NotificationEvent.INSTALL, address, iccid, result))
        return result
