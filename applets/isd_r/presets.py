"""Presets: the state an LPA test case starts from, written into a fresh card by the ISD-R's
own record formats (a scenario file's ``[preset]`` section, :mod:`euicc.faults.scenario`).
The configuration keys (memory, addresses, svn, the RAT, EUICCInfo2) are read by
:mod:`.preset_config`, whose docstring has their schema; profiles and notifications here:

::

    [[preset.profile]]                 # an ISD-P with its metadata (SGP.22 2.4a, 5.5.3)
    iccid = "8944000000000000017"
    state = "enabled"                  # enabled | disabled
    class = "operational"              # test | provisioning | operational
    name = "Operator"                  # profileName, serviceProviderName (spn)
    spn = "Operator SP"
    nickname = "my profile"            # at most 64 characters (UTF-8)
    ppr = ["ppr1", "ppr2"]             # profilePolicyRules (SGP.22 2.9.1)
    owner = { plmn = "00101", gid1 = "A1" }   # profileOwner (OperatorId, SGP.22 2.9.2.1)
    icon = "png"                       # png | jpg: a small valid image of that type
    icon_file = "icon.png"             # optional: the icon's bytes, relative to the file
    isdp_aid = "A0000005591010FFFFFFFF8900001000"  # optional: the ISD-P's AID
    notify = { install = "smdp.example.com", enable = "smdp.example.com" }
    # or, in order and several events to one address (one NotificationConfigurationInfo
    # entry each, as a chip may hold them):
    # notify = [{ events = ["install", "enable"], address = "smdp.example.com" }]
    package = "profiles/operator.der"  # an Unprotected Profile Package (DER), relative to
                                       # the scenario file: the profile's files, PINs, keys

    [[preset.notification]]            # a pending notification (SGP.22 5.7.9, 5.7.10)
    seq = 128                          # any seqNumber, 0 and >= 0x80 included
    event = "delete"                   # install | enable | disable | delete
    address = "smdp.example.com"
    iccid = "8944000000000000017"      # optional

A preset profile without ``package`` has its metadata only: its file system is an empty MF.
With ``package`` the file goes through the Profile Package Interpreter (TCA eUICC Profile
Package 9) as a downloaded package's elements do and is stored the same way
(:func:`.install.store_profile`); its ProfileHeader ICCID must be the preset's ``iccid``
(as a download's must be StoreMetadata's, SGP.22 5.5.3), and a package the interpreter
refuses is refused with the interpreter's reason. Only a path is taken, no built-in
package: the test profile builder lives in euicc_tools, above the applets
(``euicc_tools.testkit.profile_builder.build_upp`` writes one; a TS.48 package will do). A
preset profile is written as given: PPRs the RAT would refuse at a download included.

``icon_file``, ``isdp_aid`` and the list form of ``notify`` are what a captured chip needs
to answer GetProfilesInfo as it did (``euicc-emu personality capture``): the icon's own
bytes (at most 1024, SGP.22 ProfileInfo icon) of the type ``icon`` names, the AID the chip's
ISD-P has (5 to 16 bytes, SGP.22 OctetTo16; by default the ISD-R's next one,
A0000005591010FFFFFFFF89000010 00, 11 00, ...), and notificationConfigurationInfo entries
in the chip's order, each with its events (SGP.22 2.4a NotificationEvent bits).

Notifications are made and signed as the card makes them (an install notification is a
signed ProfileInstallationResult with a successResult). A preset is written once, into a
state with no profile and no notification; the card remembers which preset it wrote (a
digest of the section and of the packages), so a restart with the same scenario changes
nothing, and keeps the configuration it set (:func:`.preset_config.stored_config`).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from euicc.asn1 import encode, rsp
from euicc.coding import encode_iccid
from euicc.crypto.entropy import CardEntropy
from euicc.faults import ScenarioError
from euicc.pki import CardCredentials
from euicc.ppi import PeError, ProfileImage, ProfileInterpreter, success_response
from euicc.store import (
    CardStore,
    NotificationEvent,
    NotificationRecord,
    ProfileClass,
    ProfileRecord,
    ProfileState,
)
from euicc.tlv import TlvError, split

from ..ecasd import ECASD_AID
from .applet import ISD_R_AID
from .bits import bits_from_names, bits_from_numbers
from .install import ISDP_AID_PREFIX, ISDP_COUNTER, header_iccid_mismatch, store_profile
from .notifications import (
    SEQ_COUNTER,
    event_bits,
    other_signed_notification,
    signed_installation_result,
)
from .preset_config import CONFIG_KEYS, CONFIG_META, config_changes, config_record
from .preset_config import operator as read_operator
from .preset_schema import bit_names, choice, fail, hex_bytes, number, text, unknown_keys

PRESET_KEY = "preset_sha256"
PackageMaker = Callable[[str], bytes]  # a named package, made for a profile's ICCID
EVENTS = {"install": NotificationEvent.INSTALL, "enable": NotificationEvent.ENABLE,
          "disable": NotificationEvent.DISABLE, "delete": NotificationEvent.DELETE}
CLASSES = {"test": ProfileClass.TEST, "provisioning": ProfileClass.PROVISIONING,
           "operational": ProfileClass.OPERATIONAL}
STATES = {"enabled": ProfileState.ENABLED, "disabled": ProfileState.DISABLED}
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
PROFILE_KEYS = ("iccid", "state", "class", "name", "spn", "nickname", "ppr", "owner", "icon",
                "icon_file", "isdp_aid", "notify", "package")
NOTIFY_KEYS = ("events", "address")
ICON_LIMIT = 1024  # ProfileInfo / StoreMetadataRequest icon OCTET STRING (SIZE(0..1024))
NOTIFICATION_KEYS = ("seq", "event", "address", "iccid")
PRESET_KEYS = (*CONFIG_KEYS, "profile", "notification")
CONFIGURE_ISDP = encode(rsp(), "ConfigureISDPRequest", {})  # no dpProprietaryData


@dataclass(frozen=True)
class PresetProfile:
    iccid: str
    state: ProfileState = ProfileState.DISABLED
    profile_class: ProfileClass = ProfileClass.OPERATIONAL
    name: str = "Preset profile"
    spn: str = "Preset SP"
    nickname: str | None = None
    ppr: tuple[str, ...] = ()
    owner: dict | None = field(default=None, compare=False)  # OperatorId as encoded
    icon: str | None = None
    icon_data: bytes | None = field(default=None, repr=False)  # icon_file, None: ICONS'
    isdp_aid: bytes | None = None  # None: the ISD-R's next AID (:func:`isdp_aids`)
    # notificationConfigurationInfo: (event names, address), one entry each, in order
    notify: tuple[tuple[tuple[str, ...], str], ...] = ()
    package: bytes | None = field(default=None, repr=False)  # the UPP (DER), None: none


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
    # the configuration keys as written (:mod:`.preset_config` reads them)
    config_tables: dict = field(default_factory=dict, compare=False)
    digest: str = field(default="", compare=False)

    @property
    def profile_bytes(self) -> int:
        """The preset packages' size: memory they take (EUICCInfo2 extCardResource)."""
        return sum(len(p.package or b"") for p in self.profiles)

    def config_changes(self, where: str = "preset") -> dict:
        return config_changes(self.config_tables, self.profile_bytes, where)


# -- reading ----------------------------------------------------------------------------------

def _iccid(where, value):
    if not isinstance(value, str) or not value.isdigit() or not 18 <= len(value) <= 20:
        fail(where, f"{value!r}: 18 to 20 digits")
    return value


def _interpret(where: str, package: bytes, iccid: str) -> tuple[ProfileInterpreter,
                                                                  ProfileImage]:
    """The package through the Profile Package Interpreter, element by element as a
    download feeds it (TCA eUICC Profile Package 9), its header's ICCID checked."""
    try:
        elements = split(package)
    except TlvError as exc:
        fail(where, f"not a sequence of DER profile elements ({exc})")
    interpreter = ProfileInterpreter()
    try:
        for element in elements:
            interpreter.feed(element)
            if interpreter.count == 1:
                mismatch = header_iccid_mismatch(interpreter.image.header,
                                                 encode_iccid(iccid))
                if mismatch is not None:
                    fail(where, f"{mismatch}, the preset's iccid {iccid} (SGP.22 5.5.3)")
        return interpreter, interpreter.finish()
    except PeError as exc:
        fail(where, f"the Profile Package Interpreter refuses it: {exc}")


def _package(where: str, value, base: Path | None, iccid: str,
             packages: dict[str, PackageMaker]) -> bytes:
    if isinstance(value, str) and value in packages:  # made by the caller (a personality's)
        package = packages[value](iccid)
        _interpret(f"{where}: {value!r}", package, iccid)
        return package
    path = Path(text(where, value))
    if base is not None and not path.is_absolute():
        path = base / path
    try:
        package = path.read_bytes()
    except OSError as exc:
        fail(where, f"{str(path)!r}: cannot read it ({exc.strerror})")
    _interpret(f"{where}: {str(path)!r}", package, iccid)
    return package


def _profile(where: str, table: dict, base: Path | None,
             packages: dict[str, PackageMaker]) -> PresetProfile:
    unknown_keys(where, table, PROFILE_KEYS)
    if "iccid" not in table:
        fail(f"{where}: iccid", "a preset profile needs its ICCID")
    iccid = _iccid(f"{where}: iccid", table["iccid"])
    nickname = table.get("nickname")
    if nickname is not None:
        text(f"{where}: nickname", nickname, 64)
    owner = None
    if "owner" in table:
        owner = read_operator(f"{where}: owner", table["owner"], wildcards=False)
    return PresetProfile(
        iccid=iccid,
        state=choice(f"{where}: state", table.get("state", "disabled"), STATES),
        profile_class=choice(f"{where}: class", table.get("class", "operational"), CLASSES),
        name=text(f"{where}: name", table.get("name", "Preset profile"), 64),
        spn=text(f"{where}: spn", table.get("spn", "Preset SP"), 32),
        nickname=nickname, ppr=bit_names(f"{where}: ppr", table.get("ppr", []), "PprIds"),
        owner=owner,
        icon=None if "icon" not in table else choice(f"{where}: icon", table["icon"],
                                                      tuple(ICONS)),
        icon_data=_icon_file(where, table, base),
        isdp_aid=None if "isdp_aid" not in table else _isdp_aid(
            f"{where}: isdp_aid", table["isdp_aid"]),
        notify=_notify(f"{where}: notify", table.get("notify", {})),
        package=None if "package" not in table else _package(
            f"{where}: package", table["package"], base, iccid, packages))


def _isdp_aid(where: str, value) -> bytes:
    """An ISD-P's AID (5 to 16 bytes, ISO/IEC 7816-5): any the chip used, but not the AID of
    the ISD-R or the ECASD, which the card's registry holds already (SGP.22 2.2.1, 2.2.3)."""
    aid = hex_bytes(where, value, 5, 16)
    for name, taken in (("ISD-R", ISD_R_AID), ("ECASD", ECASD_AID)):
        if aid == taken:
            fail(where, f"{aid.hex().upper()} is the {name}'s AID, not an ISD-P's")
    return aid


def _notify(where: str, value) -> tuple[tuple[tuple[str, ...], str], ...]:
    """``notify``: a table of event = address (one event an entry), or a list of
    { events = [...], address = ... } in the order the entries are to be kept."""
    if isinstance(value, dict):
        for event, address in value.items():
            choice(where, event, EVENTS)
            text(f"{where}.{event}", address, 255)
        return tuple(((event,), address) for event, address in value.items())
    if not isinstance(value, list):
        fail(where, "a table of event = address, or a list of "
                    "{ events = [...], address = \"...\" }")
    entries = []
    for n, entry in enumerate(value):
        inner = f"{where} {n + 1}"
        unknown_keys(inner, entry, NOTIFY_KEYS)
        events = entry.get("events")
        if not isinstance(events, list) or not events:
            fail(f"{inner}: events", f"{events!r}: a list of {', '.join(EVENTS)}")
        for event in events:
            choice(f"{inner}: events", event, EVENTS)
        if len(set(events)) != len(events):
            fail(f"{inner}: events", f"{events!r}: an event named twice")
        if "address" not in entry:
            fail(f"{inner}: address", "an entry needs its notificationAddress")
        entries.append((tuple(events), text(f"{inner}: address", entry["address"], 255)))
    return tuple(entries)


def _icon_file(where: str, table: dict, base: Path | None) -> bytes | None:
    """``icon_file``: the icon's own bytes, of the type ``icon`` names."""
    if "icon_file" not in table:
        return None
    if "icon" not in table:
        fail(f"{where}: icon_file", "needs icon = \"png\" or \"jpg\" (its IconType)")
    path = Path(text(f"{where}: icon_file", table["icon_file"]))
    if base is not None and not path.is_absolute():
        path = base / path
    try:
        data = path.read_bytes()
    except OSError as exc:
        fail(f"{where}: icon_file", f"{str(path)!r}: cannot read it ({exc.strerror})")
    if len(data) > ICON_LIMIT:
        fail(f"{where}: icon_file", f"{str(path)!r} has {len(data)} bytes; an icon has at "
                                    f"most {ICON_LIMIT} (SGP.22 ProfileInfo icon)")
    return data


def isdp_aids(profiles: tuple[PresetProfile, ...]) -> list[bytes]:
    """The ISD-P AIDs the preset profiles get: their own ``isdp_aid``, else the ISD-R's
    n-th (A0000005591010FFFFFFFF89000010 00 for the first profile, 11 00 next, ...)."""
    return [p.isdp_aid or ISDP_AID_PREFIX + bytes([0x10 + n, 0x00])
            for n, p in enumerate(profiles)]


def _notification(where: str, table: dict) -> PresetNotification:
    unknown_keys(where, table, NOTIFICATION_KEYS)
    seq = number(f"{where}: seq", table.get("seq"), 0, 2 ** 31 - 1)
    if "address" not in table:
        fail(f"{where}: address", "a notification needs its notificationAddress")
    iccid = table.get("iccid")
    return PresetNotification(
        seq=seq, event=choice(f"{where}: event", table.get("event"), tuple(EVENTS)),
        address=text(f"{where}: address", table["address"], 255),
        iccid=None if iccid is None else _iccid(f"{where}: iccid", iccid))


def parse_preset(table: dict, where: str = "preset", base: Path | None = None,
                 packages: dict[str, PackageMaker] | None = None) -> Preset:
    """A scenario's ``[preset]`` table; :class:`ScenarioError` says what is wrong. ``base``:
    the folder relative package paths start from (the scenario file's). ``packages``: named
    packages the caller makes for a profile's ICCID (a personality's ``builtin:...``),
    taken before a path."""
    unknown_keys(where, table, PRESET_KEYS)
    profiles = tuple(_profile(f"{where}.profile {n + 1}", t, base, packages or {})
                     for n, t in enumerate(table.get("profile", [])))
    iccids = [p.iccid for p in profiles]
    if len(set(iccids)) != len(iccids):
        fail(f"{where}.profile", "two profiles with one ICCID")
    aids = isdp_aids(profiles)
    if len(set(aids)) != len(aids):
        fail(f"{where}.profile", "two profiles with one ISD-P AID (isdp_aid)")
    if sum(p.state is ProfileState.ENABLED for p in profiles) > 1:
        fail(f"{where}.profile", "at most one profile is enabled (SGP.22 2.4a)")
    notifications = tuple(_notification(f"{where}.notification {n + 1}", t)
                          for n, t in enumerate(table.get("notification", [])))
    seqs = [n.seq for n in notifications]
    if len(set(seqs)) != len(seqs):
        fail(f"{where}.notification", "two notifications with one seq")
    digest = hashlib.sha256(json.dumps(table, sort_keys=True, default=str).encode())
    for profile in profiles:  # (a preset without packages keeps the digest it always had)
        if profile.package is not None:
            digest.update(hashlib.sha256(profile.package).digest())
        if profile.icon_data is not None:  # the file's content, not only its name
            digest.update(hashlib.sha256(profile.icon_data).digest())
    preset = Preset(profiles, notifications,
                    {k: table[k] for k in CONFIG_KEYS if k in table}, digest.hexdigest())
    preset.config_changes(where)  # the keys are checked now (and named as in the file)
    return preset


# -- writing ----------------------------------------------------------------------------------

def metadata_der(profile: PresetProfile) -> bytes:
    value = {"iccid": encode_iccid(profile.iccid), "serviceProviderName": profile.spn,
             "profileName": profile.name, "profileClass": int(profile.profile_class)}
    if profile.icon is not None:
        value["iconType"], value["icon"] = ICONS[profile.icon]
        if profile.icon_data is not None:
            value["icon"] = profile.icon_data
    if profile.notify:
        value["notificationConfigurationInfo"] = [
            {"profileManagementOperation": bits_from_numbers(int(EVENTS[e]) for e in events),
             "notificationAddress": address} for events, address in profile.notify]
    if profile.owner is not None:
        value["profileOwner"] = profile.owner
    if profile.ppr:
        value["profilePolicyRules"] = bits_from_names("PprIds", profile.ppr)
    return encode(rsp(), "StoreMetadataRequest", value)


def apply_preset(preset: Preset, store: CardStore, credentials: CardCredentials,
                 entropy: CardEntropy) -> bool:
    """Write the preset into the store (one transaction); False when this very preset was
    written before. A state with profiles or notifications of its own is refused."""
    if store.get_meta(PRESET_KEY) == preset.digest:
        if store.get_meta(CONFIG_META) is None:  # written before the state kept the config
            store.set_meta(CONFIG_META, config_record(preset.config_tables,
                                                      preset.profile_bytes))
        return False
    if store.profiles() or store.notifications():
        raise ScenarioError("the preset needs a fresh state (this one has profiles or "
                            "notifications); start with a new --state")
    identity = credentials.identities[0]
    with store.transaction():
        for profile, aid in zip(preset.profiles, isdp_aids(preset.profiles), strict=True):
            _write_profile(store, profile, aid, identity.ci_pkid)
        if preset.profiles:
            store.set_meta(ISDP_COUNTER, 0x10 + len(preset.profiles) - 1)
        for note in preset.notifications:
            store.add_notification(_notification_record(note, identity, entropy))
        if preset.notifications:
            store.set_meta(SEQ_COUNTER, max(n.seq for n in preset.notifications))
        store.set_meta(CONFIG_META, config_record(preset.config_tables, preset.profile_bytes))
        store.set_meta(PRESET_KEY, preset.digest)
    return True


def _write_profile(store: CardStore, profile: PresetProfile, aid: bytes, ci_pkid: bytes):
    record = ProfileRecord(
        isdp_aid=aid, iccid=encode_iccid(profile.iccid), state=profile.state,
        profile_class=profile.profile_class, metadata=metadata_der(profile),
        nickname=profile.nickname, ci_pkid=ci_pkid, size=len(profile.package or b""))
    if profile.package is None:
        store.add_profile(record)
        return
    interpreter, image = _interpret(profile.iccid, profile.package, profile.iccid)
    store_profile(store, record, CONFIGURE_ISDP, interpreter, image)


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
