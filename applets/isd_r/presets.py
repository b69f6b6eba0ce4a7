"""Presets: the state an LPA test case starts from, written into a fresh card by the ISD-R's
own record formats (a scenario file's ``[preset]`` section, :mod:`euicc.faults.scenario`).

::

    [preset]
    memory_full = true                 # no NVM left: EUICCInfo2 extCardResource free 0,
                                       # a download ends installFailedDueToInsufficient-
                                       # MemoryForProfile (SGP.22 5.7.6, errorReason 10)
    default_dp_address = "smdp.example.com"   # ES10a configured addresses (SGP.22 5.7.3)
    root_ds_address = "lpa.ds.example.com"
    svn = "2.2.0"                      # EUICCInfo1/2 svn (SGP.22 4.3)

    [[preset.profile]]                 # an ISD-P with its metadata (SGP.22 2.4a, 5.5.3)
    iccid = "8944000000000000017"
    state = "enabled"                  # enabled | disabled
    class = "operational"              # test | provisioning | operational
    name = "Operator"                  # profileName, serviceProviderName (spn)
    spn = "Operator SP"
    nickname = "my profile"            # at most 64 characters (UTF-8)
    ppr = ["ppr1", "ppr2"]             # profilePolicyRules (SGP.22 2.9.1)
    icon = "png"                       # png | jpg: a small valid image of that type
    notify = { install = "smdp.example.com", enable = "smdp.example.com" }

    [[preset.notification]]            # a pending notification (SGP.22 5.7.9, 5.7.10)
    seq = 128                          # any seqNumber, 0 and >= 0x80 included
    event = "delete"                   # install | enable | disable | delete
    address = "smdp.example.com"
    iccid = "8944000000000000017"      # optional

A preset profile has its metadata only: its file system is an empty MF (a profile that was
downloaded has the package's files). Notifications are made and signed as the card makes
them (an install notification is a signed ProfileInstallationResult with a successResult).
A preset is written once, into a state with no profile and no notification; the card
remembers which preset it wrote, so a restart with the same scenario changes nothing.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field, replace

from euicc.asn1 import encode, rsp
from euicc.coding import encode_iccid
from euicc.crypto.entropy import CardEntropy
from euicc.faults import ScenarioError
from euicc.pki import CardCredentials
from euicc.ppi import success_response
from euicc.store import (
    CardStore,
    NotificationEvent,
    NotificationRecord,
    ProfileClass,
    ProfileRecord,
    ProfileState,
)

from .config import EuiccConfig
from .install import ISDP_AID_PREFIX, ISDP_COUNTER
from .notifications import (
    SEQ_COUNTER,
    event_bits,
    other_signed_notification,
    signed_installation_result,
)

PRESET_KEY = "preset_sha256"
EVENTS = {"install": NotificationEvent.INSTALL, "enable": NotificationEvent.ENABLE,
          "disable": NotificationEvent.DISABLE, "delete": NotificationEvent.DELETE}
CLASSES = {"test": ProfileClass.TEST, "provisioning": ProfileClass.PROVISIONING,
           "operational": ProfileClass.OPERATIONAL}
PPR_BITS = {"pprUpdateControl": 0, "ppr1": 1, "ppr2": 2}
# The smallest valid images of each SGP.22 IconType (jpg(0), png(1)): a 1x1 pixel.
ICONS = {
    "png": (1, bytes.fromhex(
        "89504E470D0A1A0A0000000D4948445200000001000000010806000000"
        "1F15C4890000000D49444154789C6360000002000154A24F5D0000000049454E44AE426082")),
    "jpg": (0, bytes.fromhex(
        "FFD8FFE000104A46494600010100000100010000FFDB004300080606070605080707070909080A0C"
        "140D0C0B0B0C1912130F141D1A1F1E1D1A1C1C20242E2720222C231C1C2837292C30313434341F27"
        "393D38323C2E333432FFC0000B080001000101011100FFC4001F000001050101010101010000000000"
        "0000000102030405060708090A0BFFC400B5100002010303020403050504040000017D010203000411"
        "05122131410613516107227114328191A1082342B1C11552D1F02433627282090A161718191A252627"
        "28292A3435363738393A434445464748494A535455565758595A636465666768696A737475767778"
        "797A838485868788898A92939495969798999AA2A3A4A5A6A7A8A9AAB2B3B4B5B6B7B8B9BAC2C3C4C5"
        "C6C7C8C9CAD2D3D4D5D6D7D8D9DAE1E2E3E4E5E6E7E8E9EAF1F2F3F4F5F6F7F8F9FAFFDA0008010100"
        "003F00FBD3FFD9")),
}
PROFILE_KEYS = ("iccid", "state", "class", "name", "spn", "nickname", "ppr", "icon", "notify")
NOTIFICATION_KEYS = ("seq", "event", "address", "iccid")
PRESET_KEYS = ("memory_full", "default_dp_address", "root_ds_address", "svn", "profile",
               "notification")


@dataclass(frozen=True)
class PresetProfile:
    iccid: str
    state: ProfileState = ProfileState.DISABLED
    profile_class: ProfileClass = ProfileClass.OPERATIONAL
    name: str = "Preset profile"
    spn: str = "Preset SP"
    nickname: str | None = None
    ppr: tuple[str, ...] = ()
    icon: str | None = None
    notify: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class PresetNotification:
    seq: int
    event: str
    address: str
    iccid: str | None = None


@dataclass(frozen=True)
class Preset:
    profiles: tuple[PresetProfile, ...] = ()
    notifications: tuple[PresetNotification, ...] = ()
    memory_full: bool = False
    default_dp_address: str | None = None
    root_ds_address: str | None = None
    svn: str | None = None
    digest: str = field(default="", compare=False)

    def config(self, base: EuiccConfig) -> EuiccConfig:
        """The eUICC's declared configuration under this preset."""
        changes: dict = {}
        if self.memory_full:
            changes["nvm_capacity"] = 0
        if self.root_ds_address is not None:
            changes["root_ds_address"] = self.root_ds_address
        if self.default_dp_address is not None:
            changes["initial_default_dp_address"] = self.default_dp_address
        if self.svn is not None:
            changes["svn"] = self.svn
        return replace(base, **changes)


# -- reading ----------------------------------------------------------------------------------

def _fail(where: str, message: str):
    raise ScenarioError(f"{where}: {message}")


def _text(where, value, limit=None):
    if not isinstance(value, str) or (limit is not None and len(value) > limit):
        _fail(where, f"{value!r}: text{'' if limit is None else f' of at most {limit} characters'}")
    return value


def _iccid(where, value):
    if not isinstance(value, str) or not re.fullmatch(r"\d{18,20}", value):
        _fail(where, f"{value!r}: 18 to 20 digits")
    return value


def _choice(where, value, allowed):
    if value not in allowed:
        _fail(where, f"{value!r} (allowed: {', '.join(allowed)})")
    return allowed[value] if isinstance(allowed, dict) else value


def _unknown(where, table, keys):
    if not isinstance(table, dict):
        _fail(where, "a table expected")
    extra = [k for k in table if k not in keys]
    if extra:
        _fail(f"{where}: {extra[0]}", f"unknown key (allowed: {', '.join(keys)})")


def _profile(where: str, table: dict) -> PresetProfile:
    _unknown(where, table, PROFILE_KEYS)
    if "iccid" not in table:
        _fail(f"{where}: iccid", "a preset profile needs its ICCID")
    states = {"enabled": ProfileState.ENABLED, "disabled": ProfileState.DISABLED}
    ppr = table.get("ppr", [])
    if not isinstance(ppr, list) or any(p not in PPR_BITS for p in ppr):
        _fail(f"{where}: ppr", f"{ppr!r}: a list of {', '.join(PPR_BITS)}")
    notify = table.get("notify", {})
    if not isinstance(notify, dict):
        _fail(f"{where}: notify", "a table of event = address")
    for event, address in notify.items():
        _choice(f"{where}: notify", event, EVENTS)
        _text(f"{where}: notify.{event}", address, 255)
    nickname = table.get("nickname")
    if nickname is not None:
        _text(f"{where}: nickname", nickname, 64)
    return PresetProfile(
        iccid=_iccid(f"{where}: iccid", table["iccid"]),
        state=_choice(f"{where}: state", table.get("state", "disabled"), states),
        profile_class=_choice(f"{where}: class", table.get("class", "operational"), CLASSES),
        name=_text(f"{where}: name", table.get("name", "Preset profile"), 64),
        spn=_text(f"{where}: spn", table.get("spn", "Preset SP"), 32),
        nickname=nickname, ppr=tuple(ppr),
        icon=None if "icon" not in table else _choice(f"{where}: icon", table["icon"],
                                                       tuple(ICONS)),
        notify=tuple(notify.items()))


def _notification(where: str, table: dict) -> PresetNotification:
    _unknown(where, table, NOTIFICATION_KEYS)
    seq = table.get("seq")
    if isinstance(seq, bool) or not isinstance(seq, int) or not 0 <= seq < 2 ** 31:
        _fail(f"{where}: seq", f"{seq!r}: a seqNumber, 0 .. 2147483647")
    if "address" not in table:
        _fail(f"{where}: address", "a notification needs its notificationAddress")
    iccid = table.get("iccid")
    return PresetNotification(
        seq=seq, event=_choice(f"{where}: event", table.get("event"), tuple(EVENTS)),
        address=_text(f"{where}: address", table["address"], 255),
        iccid=None if iccid is None else _iccid(f"{where}: iccid", iccid))


def parse_preset(table: dict, where: str = "preset") -> Preset:
    """A scenario's ``[preset]`` table; :class:`ScenarioError` says what is wrong."""
    _unknown(where, table, PRESET_KEYS)
    profiles = tuple(_profile(f"{where}.profile {n + 1}", t)
                     for n, t in enumerate(table.get("profile", [])))
    iccids = [p.iccid for p in profiles]
    if len(set(iccids)) != len(iccids):
        _fail(f"{where}.profile", "two profiles with one ICCID")
    if sum(p.state is ProfileState.ENABLED for p in profiles) > 1:
        _fail(f"{where}.profile", "at most one profile is enabled (SGP.22 2.4a)")
    notifications = tuple(_notification(f"{where}.notification {n + 1}", t)
                          for n, t in enumerate(table.get("notification", [])))
    seqs = [n.seq for n in notifications]
    if len(set(seqs)) != len(seqs):
        _fail(f"{where}.notification", "two notifications with one seq")
    memory_full = table.get("memory_full", False)
    if not isinstance(memory_full, bool):
        _fail(f"{where}: memory_full", "true or false")
    svn = table.get("svn")
    if svn is not None and not re.fullmatch(r"\d{1,3}\.\d{1,3}\.\d{1,3}", str(svn)):
        _fail(f"{where}: svn", f"{svn!r}: a version, e.g. \"2.2.0\"")
    digest = hashlib.sha256(json.dumps(table, sort_keys=True, default=str).encode()).hexdigest()
    return Preset(profiles, notifications, memory_full,
                  table.get("default_dp_address"), table.get("root_ds_address"), svn, digest)


# -- writing ----------------------------------------------------------------------------------

def metadata_der(profile: PresetProfile) -> bytes:
    value = {"iccid": encode_iccid(profile.iccid), "serviceProviderName": profile.spn,
             "profileName": profile.name, "profileClass": int(profile.profile_class)}
    if profile.icon is not None:
        value["iconType"], value["icon"] = ICONS[profile.icon]
    if profile.notify:
        value["notificationConfigurationInfo"] = [
            {"profileManagementOperation": event_bits(EVENTS[event]),
             "notificationAddress": address} for event, address in profile.notify]
    if profile.ppr:
        bits = 0
        for name in profile.ppr:
            bits |= 0x80 >> PPR_BITS[name]
        value["profilePolicyRules"] = (bytes([bits]), 3)
    return encode(rsp(), "StoreMetadataRequest", value)


def apply_preset(preset: Preset, store: CardStore, credentials: CardCredentials,
                 entropy: CardEntropy) -> bool:
    """Write the preset into the store (one transaction); False when this very preset was
    written before. A state with profiles or notifications of its own is refused."""
    if store.get_meta(PRESET_KEY) == preset.digest:
        return False
    if store.profiles() or store.notifications():
        raise ScenarioError("the preset needs a fresh state (this one has profiles or "
                            "notifications); start with a new --state")
    identity = credentials.identities[0]
    with store.transaction():
        for number, profile in enumerate(preset.profiles):
            store.add_profile(ProfileRecord(
                isdp_aid=ISDP_AID_PREFIX + bytes([0x10 + number, 0x00]),
                iccid=encode_iccid(profile.iccid), state=profile.state,
                profile_class=profile.profile_class, metadata=metadata_der(profile),
                nickname=profile.nickname, ci_pkid=identity.ci_pkid))
        if preset.profiles:
            store.set_meta(ISDP_COUNTER, 0x10 + len(preset.profiles) - 1)
        for note in preset.notifications:
            store.add_notification(_notification_record(note, identity, entropy))
        if preset.notifications:
            store.set_meta(SEQ_COUNTER, max(n.seq for n in preset.notifications))
        store.set_meta(PRESET_KEY, preset.digest)
    return True


def _notification_record(note: PresetNotification, identity, entropy) -> NotificationRecord:
    """A pending notification as the card makes it (SGP.22 5.7.10 PendingNotification)."""
    event = EVENTS[note.event]
    iccid = None if note.iccid is None else encode_iccid(note.iccid)
    metadata = {"seqNumber": note.seq, "profileManagementOperation": event_bits(event),
                "notificationAddress": note.address}
    if iccid is not None:
        metadata["iccid"] = iccid
    if event is NotificationEvent.INSTALL:
        data = {"transactionId": entropy.random_bytes(16), "notificationMetadata": metadata,
                "finalResult": ("successResult", {
                    "aid": ISDP_AID_PREFIX + b"\x7f\x00", "simaResponse": success_response()})}
        pending = signed_installation_result(data, identity, entropy)
    else:
        pending = other_signed_notification(metadata, identity, entropy)
    return NotificationRecord(note.seq, event, note.address, iccid, pending)
