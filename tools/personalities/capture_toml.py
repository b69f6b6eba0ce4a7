"""A :class:`~.capture.Capture` as a personality file (the schema of
:mod:`euicc_tools.personalities`): every decoded ES10 answer mapped field by field onto
the schema's keys, so that a card made from the file answers as the captured one did
(SGP.22 5.7.20 GetEID, 5.7.8 EUICCInfo1/2, 5.7.3 configured addresses, 5.7.16 GetRAT,
5.7.15 GetProfilesInfo).

What the schema cannot say is not guessed: it goes into :attr:`Rendered.notes`, which
the file's header lists as "not reproduced" (e.g. an EUICCInfo2 member this project's
SGP.22 module does not define, an extCardResource not coded as the TS 102 226 three
values, a BIT STRING with trailing zero bits DER would drop). Choices the writer makes:

- ``eum`` is the EID's first 8 digits: "89", the country code and the issuer identifier
  (SGP.29 EID structure), the part an EUM's range shares;
- a captured profile's content cannot be read from a chip, so each gets
  ``package = "builtin:test"`` (the project's test UPP for its ICCID);
- an icon goes into a file beside the TOML (``<stem>-<iccid>.png|jpg``, ``icon_file``);
- ``max_store_data`` is the ISD-R FCI's '9F65' when it is not 'FF' (GlobalPlatform 2.3
  11.9.3.1; 'FF' is what the emulator declares without a limit); ``max_response`` the
  chunk size of an answer the card chained (:attr:`.capture.Capture.max_response`) when it
  is below 256. The header says what of these the capture could not see.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from euicc import __version__
from euicc.asn1 import Asn1Error, decode_exact, named_bits, rsp_types, sgp32
from euicc.coding import bcd_text
from euicc.tlv import TlvError, parse
from euicc_applets.isd_r import ISD_R_AID
from euicc_applets.isd_r.presets import CLASSES, EVENTS, STATES
from euicc_applets.isd_r.profiles import BASIC_PROFILE_INFO_TAGS, PROFILE_INFO_TAGS
from euicc_applets.isd_r.rat import plmn_text
from euicc_applets.isd_r.sgp32_eim import SGP32_VERSIONS
from euicc_tools.lpa.es10 import number_name

from .capture import ALL_TAGS, VENDOR_ISD_R_AIDS, Capture

EUM_DIGITS = 8  # SGP.29: "89" + country code (3) + issuer identifier (3)
ICON_TYPES = {0: "jpg", 1: "png"}  # SGP.22 IconType
EVENT_NAMES = {int(event): name for name, event in EVENTS.items()}
STATE_NAMES = {int(state): name for name, state in STATES.items()}
CLASS_NAMES = {int(cls): name for name, cls in CLASSES.items()}
# extCardResource (ETSI TS 102 226 8.2.1.7.2) as the emulator codes it: tag, length, key
EXT_CARD_RESOURCE = ((0x81, 1, "installed_applications"), (0x82, 4, "free_nvm"),
                     (0x83, 2, "free_volatile"))
VERSION_KEYS = (("profileVersion", "profile_version"), ("euiccFirmwareVer", "firmware"),
                ("ts102241Version", "ts102241_version"),
                ("globalplatformVersion", "globalplatform_version"),
                ("ppVersion", "pp_version"))


@dataclass
class Rendered:
    text: str
    files: dict[str, bytes] = field(default_factory=dict)  # icon files, by name
    notes: list[str] = field(default_factory=list)  # what the file does not reproduce


# -- TOML writing ------------------------------------------------------------------------------

def toml_string(value: str) -> str:
    """A TOML basic string: quotes, backslashes, control characters and DEL escaped
    (TOML 1.0 "Basic strings"), everything else as it is."""
    out = []
    for ch in value:
        if ch in '"\\':
            out.append("\\" + ch)
        elif ord(ch) < 0x20 or ord(ch) == 0x7F:
            out.append(f"\\u{ord(ch):04X}")
        else:
            out.append(ch)
    return '"' + "".join(out) + '"'


def toml_value(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str):
        return toml_string(value)
    if isinstance(value, list | tuple):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{k} = {toml_value(v)}" for k, v in value.items()) + " }"
    raise TypeError(f"no TOML for {value!r}")


def _table(header: str, values: dict) -> list[str]:
    return [header, *(f"{key} = {toml_value(value)}" for key, value in values.items()), ""]


# -- decoded values to schema values --------------------------------------------------------------

def _version(value: bytes) -> str:
    return ".".join(str(b) for b in value)


def _bits(where: str, type_name: str, value: tuple[bytes, int], notes: list[str]) -> list:
    """The names of a named BIT STRING's set bits; a bit the module does not name, or a
    length DER would not give (trailing zero bits, X.690 11.2.2), is a note."""
    data, length = value
    names = {n: name for name, n in named_bits(type_name).items()}
    set_bits = [n for n in range(length) if data[n // 8] & (0x80 >> (n % 8))]
    unnamed = [n for n in set_bits if n not in names]
    if unnamed:
        notes.append(f"{where}: bits {unnamed} SGP.22 does not name ({type_name})")
    if length != (set_bits[-1] + 1 if set_bits else 0):
        notes.append(f"{where}: {length} bits coded, trailing zero bits included")
    return [names[n] for n in set_bits if n in names]


def _ext_card_resource(raw: bytes, info2: dict, notes: list[str]) -> None:
    """extCardResource into installed_applications, free_nvm, free_volatile; any other
    coding (other tags, lengths, order) is a note: the emulator codes these three."""
    try:
        found = parse(raw)
    except TlvError:
        found = []
    if [(tag, len(value)) for tag, value in found] != [(t, n) for t, n, _ in
                                                         EXT_CARD_RESOURCE]:
        notes.append(f"EUICCInfo2 extCardResource {raw.hex().upper()}: not the TS 102 226 "
                     "81/82/83 coding the emulator answers")
    for tag, value in found:
        for known, size, key in EXT_CARD_RESOURCE:
            if tag == known and len(value) <= size:  # a value the schema's range holds
                info2[key] = int.from_bytes(value, "big")


UNIVERSAL_TAGS = {"VersionType": 0x04, "OCTET STRING": 0x04, "UTF8String": 0x0C}


def sgp32_version(raw: bytes) -> str | None:
    """The SGP.32 version an EUICCInfo2 declares (SGP.32 5.9.2 iotSpecificInfo iotVersion,
    the first one, major.minor) when it is one this project's IoT card can be, else None."""
    try:
        info = decode_exact(sgp32(), "SGP32-EUICCInfo2", raw)
    except Asn1Error:
        return None
    versions = info.get("iotSpecificInfo", {}).get("iotVersion") or [b""]
    version = ".".join(str(octet) for octet in versions[0][:2])
    return version if version in SGP32_VERSIONS else None


def _unknown_members(type_name: str, raw: bytes, notes: list[str],
                     also_known: frozenset = frozenset()) -> None:
    """Members of the answer whose tags the SGP.22 module does not give the type: the
    decoder skips them, so the file cannot carry them (a newer SGP.22's members, or a
    vendor's). They are named in the notes, tag and length, not kept."""
    known = set(also_known)
    for member in rsp_types()[type_name]["members"]:
        if member.get("tag") is not None:
            known.add(("context", int(member["tag"]["number"])))
        elif member["type"] in UNIVERSAL_TAGS:
            known.add(("universal", UNIVERSAL_TAGS[member["type"]]))
    try:
        ((_, content),) = parse(raw)
        members = parse(content)
    except (TlvError, ValueError):
        return
    for tag, value in members:
        if _tag_key(tag) not in known:
            notes.append(f"{type_name}: member tag {tag:X} ({len(value)} bytes) that the "
                         "project's SGP.22 module does not define")


def _tag_key(tag: int) -> tuple[str, int]:
    """A member's tag as (class, number): '8x'/'Ax'/'9F xx'/'BF xx' context-specific,
    '04'/'0C' universal."""
    raw = tag.to_bytes((tag.bit_length() + 7) // 8 or 1, "big")
    number = raw[0] & 0x1F if len(raw) == 1 else raw[-1] & 0x7F
    kind = {0x00: "universal", 0x80: "context"}.get(raw[0] & 0xC0, "other")
    return (kind, number)


def euicc_info2(capture: Capture, notes: list[str]) -> tuple[str, dict]:
    """(svn, the [factory.euicc_info2] table) from EUICCInfo1 and EUICCInfo2."""
    info1, info2 = capture.values["ES10b.GetEUICCInfo1"], capture.values["ES10b.GetEUICCInfo2"]
    _unknown_members("EUICCInfo1", capture.answers["ES10b.GetEUICCInfo1"], notes)
    raw2 = capture.answers["ES10b.GetEUICCInfo2"]
    # an IoT card's ipaMode [16] and iotSpecificInfo [20] are the file's `card: sgp32`
    iot = frozenset({("context", 16), ("context", 20)}) if sgp32_version(raw2) else frozenset()
    _unknown_members("EUICCInfo2", raw2, notes, iot)
    if info1["svn"] != info2["svn"]:
        notes.append(f"EUICCInfo1 svn {_version(info1['svn'])} differs from EUICCInfo2's "
                     f"{_version(info2['svn'])}: the file has one svn, EUICCInfo2's")
    table: dict = {}
    for member, key in VERSION_KEYS:
        if member in info2:
            table[key] = _version(info2[member])
    if "globalplatformVersion" not in info2:
        table["leave_out"] = ["globalplatform_version"]  # OPTIONAL, the chip has none
    table["uicc_capability"] = _bits("uiccCapability", "UICCCapability",
                                     info2["uiccCapability"], notes)
    table["rsp_capability"] = _bits("rspCapability", "RspCapability",
                                    info2["rspCapability"], notes)
    for member, key in (("euiccCiPKIdListForVerification", "ci_pkids_for_verification"),
                        ("euiccCiPKIdListForSigning", "ci_pkids_for_signing")):
        if info1[member] != info2[member]:
            notes.append(f"EUICCInfo1 {member} differs from EUICCInfo2's: the file has "
                         "EUICCInfo2's")
        table[key] = [pkid.hex().upper() for pkid in info2[member]]
    if "euiccCategory" in info2:
        table["euicc_category"] = number_name("EUICCInfo2", info2["euiccCategory"],
                                              "euiccCategory")
        if table["euicc_category"].isdigit():
            notes.append(f"EUICCInfo2 euiccCategory {info2['euiccCategory']}: not a named "
                         "category")
            del table["euicc_category"]
    if "forbiddenProfilePolicyRules" in info2:
        table["forbidden_ppr"] = _bits("forbiddenProfilePolicyRules", "PprIds",
                                       info2["forbiddenProfilePolicyRules"], notes)
    table["sas_accreditation_number"] = info2["sasAcreditationNumber"]
    if "certificationDataObject" in info2:
        data = info2["certificationDataObject"]
        table["certification_data"] = {"platform_label": data["platformLabel"],
                                       "discovery_base_url": data["discoveryBaseURL"]}
    _ext_card_resource(info2["extCardResource"], table, notes)
    return _version(info2["svn"]), table


def _operator(value: dict) -> dict:
    operator = {"plmn": plmn_text(value["mccMnc"])}
    operator.update({key: value[key].hex().upper() for key in ("gid1", "gid2")
                     if key in value})
    return operator


def rat_rules(capture: Capture, notes: list[str]) -> list[dict] | None:
    """[[factory.rat]] tables (None: GetRAT not answered, the emulator's default stays)."""
    if "ES10b.GetRAT" not in capture.values:
        notes.append(f"GetRAT not answered ({capture.missing.get('ES10b.GetRAT')}): the "
                     "emulator's default RAT stays")
        return None
    rules = []
    for n, rule in enumerate(capture.values["ES10b.GetRAT"]["rat"]):
        data, length = rule["pprFlags"]
        consent = bool(length and data[0] & 0x80)  # consentRequired(0)
        if (data, length) != ((b"\x80", 1) if consent else (b"", 0)):
            notes.append(f"GetRAT rule {n + 1} pprFlags {data.hex()} ({length} bits): the "
                         "emulator codes consentRequired as 1 bit or none")
        rules.append({"ppr": _bits(f"rat {n + 1} pprIds", "PprIds", rule["pprIds"], notes),
                      "operators": [_operator(op) for op in rule["allowedOperators"]],
                      "consent_required": consent})
    return rules


def _notify(where: str, entries: list, notes: list[str]) -> list[dict]:
    """notificationConfigurationInfo as the list form of ``notify``, in the chip's order;
    an entry with no event the schema names is a note, and left out."""
    bit = named_bits("NotificationEvent")
    written = []
    for entry in entries:
        names = _bits(f"{where} notificationConfigurationInfo", "NotificationEvent",
                      entry["profileManagementOperation"], notes)
        events = [EVENT_NAMES[bit[name]] for name in names]
        if not events:
            notes.append(f"{where}: a notificationConfigurationInfo entry with no event")
            continue
        written.append({"events": events, "address": entry["notificationAddress"]})
    return written


def profile_table(info: dict, stem: str, files: dict[str, bytes], notes: list[str]) -> dict:
    """One [[factory.profile]] from a GetProfilesInfo ProfileInfo."""
    iccid = bcd_text(info["iccid"]) if "iccid" in info else None
    where = f"profile {iccid}"
    if iccid is None or "isdpAid" not in info:
        raise ValueError("a ProfileInfo without its iccid or isdpAid cannot be written")
    table: dict = {"iccid": iccid, "isdp_aid": info["isdpAid"].hex().upper()}
    state = STATE_NAMES.get(info.get("profileState"))
    if state is None:
        notes.append(f"{where}: profileState {info.get('profileState')}: written disabled")
    table["state"] = state or "disabled"
    profile_class = info.get("profileClass", 2)
    table["class"] = CLASS_NAMES.get(profile_class, "operational")
    for member, key in (("profileName", "name"), ("serviceProviderName", "spn")):
        if member in info:
            table[key] = info[member]
        else:
            notes.append(f"{where}: no {member}; the emulator keeps one (StoreMetadata)")
    if "profileNickname" in info:
        table["nickname"] = info["profileNickname"]
    if "iconType" in info and "icon" in info:
        kind = ICON_TYPES.get(info["iconType"])
        if kind is None:
            notes.append(f"{where}: iconType {info['iconType']}: not jpg or png")
        else:
            name = f"{stem}-{iccid}.{kind}"
            files[name] = info["icon"]
            table["icon"], table["icon_file"] = kind, name
    elif "iconType" in info or "icon" in info:
        notes.append(f"{where}: iconType or icon alone; the emulator keeps both or none")
    if "profilePolicyRules" in info:
        table["ppr"] = _bits(f"{where} profilePolicyRules", "PprIds",
                             info["profilePolicyRules"], notes)
    if "profileOwner" in info:
        table["owner"] = _operator(info["profileOwner"])
    if "notificationConfigurationInfo" in info:
        table["notify"] = _notify(where, info["notificationConfigurationInfo"], notes)
    if "dpProprietaryData" in info:
        notes.append(f"{where}: dpProprietaryData not reproduced")
    table["package"] = "builtin:test"
    return table


# -- the file ----------------------------------------------------------------------------------

def _aid_name(aid: bytes) -> str:
    if aid == ISD_R_AID:
        return f"{aid.hex().upper()} (SGP.22)"
    vendor = next(name for name, known in VENDOR_ISD_R_AIDS.items() if known == aid)
    return f"{aid.hex().upper()} ({vendor})"


def _header(capture: Capture, when: datetime, notes: list[str],
            mismatches: list[str]) -> list[str]:
    tried = ", ".join(["SGP.22", *VENDOR_ISD_R_AIDS])
    lines = [
        f"# Captured by `euicc-emu personality capture` (euicc-emu {__version__}) on "
        f"{when:%Y-%m-%d %H:%M} UTC",
        f"# from the card in PC/SC reader {capture.reader!r}." if capture.reader else
        "# from a card in-process.",
        f"# ISD-R AIDs tried: {tried}; answering: "
        + ", ".join(_aid_name(a) for a in capture.answering_aids) + ".",
        f"# EID {capture.eid}: card.eid; card.eum is its first {EUM_DIGITS} digits (SGP.29: "
        "\"89\", country code, issuer id).",
        f"# Logical channels: {capture.logical_channels} (MANAGE CHANNEL open until refused).",
        "# Profiles: the metadata GetProfilesInfo shows. A chip's profile content cannot be",
        "# read, so each profile gets package = \"builtin:test\" (the project's test UPP for",
        "# its ICCID): its file system is not the chip's.",
        "# The CI key ids are declared as captured; the card signs and verifies with the",
        "# PKI it runs with (give --pki of that CI for downloads to work). Which CIs the",
        "# ECASD holds keys for is not observable beyond these lists: no [ecasd] is written.",
        *_size_lines(capture),
    ]
    if notes:
        lines.append("# Not reproduced (the schema cannot say it):")
        lines += [f"#   - {' '.join(note.split())}" for note in notes]
    if mismatches:
        lines.append("# A card made from this file answers differently: "
                     + ", ".join(mismatches))
    else:
        lines.append("# A card made from this file answers every captured function "
                     "byte-identically (checked when written).")
    return lines


DEFAULT_FCI_MAX = 0xFF  # '9F65' of a card without a limit (euicc/applet.py)


def sizes(capture: Capture) -> dict:
    """``card`` max_store_data and max_response where the capture saw a limit."""
    found: dict = {}
    declared = capture.max_store_data
    if declared is not None and declared != DEFAULT_FCI_MAX:
        found["max_store_data"] = declared
    cut = capture.max_response
    if cut is not None and cut < 256:
        found["max_response"] = cut
    return found


def _size_lines(capture: Capture) -> list[str]:
    declared = capture.max_store_data
    lines = [
        "# STORE DATA size: " + (f"the ISD-R's FCI declares '9F65' = {declared}"
                                 if declared is not None else
                                 "the ISD-R's FCI has no '9F65'")
        + " (max_store_data"
        + (" unless FF" if declared == DEFAULT_FCI_MAX or declared is None else "") + ");",
        "# not observable: whether the chip takes the blocks it declares (the capture sent",
        "# 120-byte blocks only, lpac's; no longer one is tried on a chip).",
    ]
    cut = capture.max_response
    if cut is None:
        lines.append(f"# Response size: not observable, no answer was chained past one "
                     f"chunk (longest R-APDU data {capture.longest_chunk} bytes).")
    else:
        lines.append(f"# Response size: answers chained in chunks of {cut} bytes"
                     + (" (max_response)." if cut < 256 else " (the default, 256)."))
    return lines


def sends_default_profile_class(answer: bytes) -> bool:
    """Whether a ProfileInfo of a GetProfilesInfo answer (BF2D, SGP.22 5.7.15) carries
    profileClass operational(2), its DEFAULT, which DER leaves out (X.690 11.5): the
    personality quirk ``profile_class_explicit``."""
    try:
        for _, response in parse(answer):
            for tag, infos in parse(response):
                if tag == 0xA0 and any((0x95, b"\x02") in parse(info)
                                       for _, info in parse(infos)):
                    return True  # profileInfoListOk: a ProfileInfo with 95 01 02
    except TlvError:
        pass
    return False


def profile_infos(capture: Capture, notes: list[str]) -> tuple[list[dict], bool]:
    """(the ProfileInfos to write, whether the chip has the quirk
    ``profiles_info_basic_tags``): GetProfilesInfo asked with a tagList of every member
    (SGP.22 5.7.15) shows what one without a tagList may leave out; the quirk is a chip
    whose answer without a tagList is exactly that one cut to the basic members."""
    unasked = capture.values["ES10c.GetProfilesInfo"][1]
    kind, asked = capture.values.get(ALL_TAGS, (None, None))
    if kind != "profileInfoListOk":
        why = capture.missing.get(ALL_TAGS) or kind
        notes.append(f"GetProfilesInfo with a tagList not answered ({why}): the profiles "
                     "are what it shows without one")
        return unasked, False
    basic = {PROFILE_INFO_TAGS[tag] for tag in BASIC_PROFILE_INFO_TAGS}
    cut = [{k: v for k, v in info.items() if k in basic} for info in asked]
    if unasked == asked:
        return asked, False
    if unasked == cut:
        return asked, True
    notes.append("GetProfilesInfo answers without a tagList other members than its "
                 "ProfileInfos with one (not only the basic ones): written from the latter")
    return asked, False


def render(capture: Capture, stem: str, when: datetime | None = None,
           mismatches: list[str] | None = None) -> Rendered:
    """The personality file for ``capture``, named ``stem`` (the file's name without
    .toml): its text and its icon files."""
    when = when or datetime.now(UTC)
    notes: list[str] = []
    files: dict[str, bytes] = {}
    svn, info2 = euicc_info2(capture, notes)
    rules = rat_rules(capture, notes)
    infos, basic_tags = profile_infos(capture, notes)
    profiles = [profile_table(info, stem, files, notes) for info in infos]
    card: dict = {"atr": capture.atr.hex().upper()}
    if capture.isd_r_aid != ISD_R_AID:
        card["isd_r_aid"] = capture.isd_r_aid.hex().upper()
    card["logical_channels"] = capture.logical_channels
    card["eum"], card["eid"] = capture.eid[:EUM_DIGITS], capture.eid
    quirks = ["standard_isd_r_also"] if capture.standard_also else []
    if sends_default_profile_class(capture.answers["ES10c.GetProfilesInfo"]):
        quirks.append("profile_class_explicit")
    if basic_tags:
        quirks.append("profiles_info_basic_tags")
    if quirks:
        card["quirks"] = quirks
    card.update(sizes(capture))
    version = sgp32_version(capture.answers["ES10b.GetEUICCInfo2"])
    if version is not None:
        card["sgp32"] = version
    factory: dict = {"svn": svn}
    addresses = capture.values.get("ES10a.GetEuiccConfiguredAddresses")
    if addresses is None:
        notes.append("GetEuiccConfiguredAddresses not answered ("
                     f"{capture.missing.get('ES10a.GetEuiccConfiguredAddresses')})")
    else:
        if "defaultDpAddress" in addresses:
            factory["default_dp_address"] = addresses["defaultDpAddress"]
        factory["root_ds_address"] = addresses["rootDsAddress"]
    if rules == []:
        factory["rat"] = []
    source = (f"captured from PC/SC reader {capture.reader!r}" if capture.reader
              else "captured in-process")
    lines = [*_header(capture, when, notes, mismatches or []), ""]
    lines += _table("[personality]", {
        "name": stem, "description": f"captured: EID {capture.eid}",
        "source": f"{source} on {when:%Y-%m-%d %H:%M} UTC"})
    lines += _table("[card]", card)
    lines += _table("[factory]", factory)
    lines += _table("[factory.euicc_info2]", info2)
    for rule in rules or []:
        lines += _table("[[factory.rat]]", rule)
    for profile in profiles:
        lines += _table("[[factory.profile]]", profile)
    return Rendered("\n".join(lines).rstrip("\n") + "\n", files, notes)


def write(capture: Capture, path: Path, force: bool = False) -> tuple[Rendered, list[str]]:
    """Write the personality file ``path`` (and its icon files beside it) for ``capture``,
    then make a card from it (:func:`~.capture.replay`) and compare: (what was written,
    the names of the answers that card gives differently, also listed in the file).
    FileExistsError (one of the files is there and not ``force``) before anything is
    written."""
    from .capture import differences, replay

    if path.suffix != ".toml":
        raise ValueError(f"{path}: a personality file's name ends in .toml")
    if not path.parent.is_dir():
        raise FileNotFoundError(f"{path.parent}: no such folder")
    when = datetime.now(UTC)
    rendered = render(capture, path.stem, when)
    targets = [path, *(path.parent / name for name in rendered.files)]
    if not force:
        for target in targets:
            if target.exists():
                raise FileExistsError(f"{target} exists (--force to overwrite it)")
    for name, data in rendered.files.items():
        (path.parent / name).write_bytes(data)
    path.write_text(rendered.text, encoding="utf-8")
    mismatches = differences(capture, replay(path))
    if mismatches:  # said in the file too, so it does not claim more than it does
        rendered = render(capture, path.stem, when, mismatches)
        path.write_text(rendered.text, encoding="utf-8")
    return rendered, mismatches
