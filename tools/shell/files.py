"""A profile's file system as the shell shows it (ETSI TS 102 221 8 file types, 11.1.1.4
FCP fields; TS 31.102 / 31.103 file names): the tree of an ISD-P, one file by path, and
the profile's NAA secrets masked, all read from the card's state directory (the rows the
Profile Package Interpreter wrote and the commands since then updated). EF.IMSI is shown
with its MCC and MNC, the MNC as long as EF.AD of the same ADF says (TS 31.102 4.2.18)."""

from __future__ import annotations

from euicc.fs.model import File, FileTree, FileType, path_text
from euicc.store import CardStore, ProfileRecord
from euicc.store_image import AkaAlgorithmId, image_from_rows

from .decode import MASK, decode_ef
from .decode_usim import mnc_length
from .errors import ShellError


def pick_profile(store: CardStore, target: str | None) -> ProfileRecord:
    """The profile named by ICCID or ISD-P AID, or the enabled one; ShellError if none."""
    from euicc_tools.lpa.management import identifier

    if target is None:
        record = store.enabled_profile()
        if record is None:
            raise ShellError("no profile is enabled; name one (ICCID or ISD-P AID)")
        return record
    record = store.profile_by_identifier(identifier(target))
    if record is None:
        raise ShellError(f"no profile {target}")
    return record


def load_tree(store: CardStore, record: ProfileRecord) -> FileTree:
    rows = store.profile_files(record.isdp_aid)
    if not rows:
        raise ShellError("this profile has no interpreted file system yet: it was stored by an "
                         "earlier version; starting the card on this state migrates it")
    return image_from_rows(rows, []).tree


def _fid(f: File) -> str:
    return f"{f.fid:04X}" if f.fid is not None else "----"


def describe(f: File) -> dict:
    info = {"fid": _fid(f), "name": f.name or None, "type": f.type.name.lower()}
    if f.aid:
        info["aid"] = f.aid.hex().upper()
    if not f.type.is_df:
        info["size"] = f.size
        if f.type.is_record:
            info["records"] = f.record_count
            info["recordLength"] = f.record_length
        if f.sfi is not None:
            info["sfi"] = f"{f.sfi:02X}"
    return info


def tree(store: CardStore, target: str | None) -> dict:
    """The whole file tree, nested (``children`` under each DF)."""
    record = pick_profile(store, target)

    def node(f: File) -> dict:
        info = describe(f)
        if f.type.is_df:
            info["children"] = [node(c) for c in f.children]
        return info

    return node(load_tree(store, record).mf)


def render_tree(root: dict, depth: int = 0) -> str:
    lines = []
    kind = root["type"]
    label = root["name"] or ""
    extra = ""
    if "aid" in root:
        extra = f" AID {root['aid']}"
    elif kind in ("linear_fixed", "cyclic"):
        extra = f" {root['records']} x {root['recordLength']} B"
    elif "size" in root:
        extra = f" {root['size']} B"
    if "sfi" in root:
        extra += f" SFI {root['sfi']}"
    short = FileType[kind.upper()].value  # 'TR', 'LF', ...: the file type's code
    lines.append(f"{'  ' * depth}{root['fid']} {short:3} {label}{extra}".rstrip())
    for child in root.get("children", []):
        lines.append(render_tree(child, depth + 1))
    return "\n".join(lines)


def find(file_tree: FileTree, path: str) -> File:
    """A file by path: FIDs or names separated by '/', from the MF ('3F00/7FF0/6F07',
    'MF/ADF.USIM/EF.IMSI') or from anywhere ('ADF.USIM/EF.IMSI', 'EF.IMSI' when unique)."""
    parts = [p for p in path.replace("\\", "/").split("/") if p]
    if not parts:
        raise ShellError("empty path")

    def matches(f: File, part: str) -> bool:
        if f.name and f.name.lower() == part.lower():
            return True
        try:
            return f.fid == int(part, 16) and len(part) == 4
        except ValueError:
            return False

    starts = [f for f in file_tree.walk() if matches(f, parts[0])]
    found = []
    for start in starts:
        node: File | None = start
        for part in parts[1:]:
            node = next((c for c in node.children if matches(c, part)), None) \
                if node is not None else None
        if node is not None:
            found.append(node)
    if not found:
        raise ShellError(f"no file {path}")
    if len(found) > 1:
        where = ", ".join(path_text(f.path) for f in found)
        raise ShellError(f"{path} is ambiguous: {where}")
    return found[0]


def read(store: CardStore, path: str, target: str | None, reveal: bool = False) -> dict:
    """One file: its FCP fields, raw content, and the decoded content where known."""
    f = find(load_tree(store, pick_profile(store, target)), path)
    info = describe(f)
    info["path"] = path_text(f.path)
    if f.type.is_df:
        info["children"] = [describe(c) for c in f.children]
        return info
    body = bytes(f.body)
    decoded = decode_ef(f.name, body, f.record_length or None, reveal=reveal) \
        if f.name else None
    secret = f.name in ("EF.Keys", "EF.KeysPS") and not reveal
    if f.type.is_record:
        info["raw"] = [MASK if secret else body[i:i + f.record_length].hex().upper()
                       for i in range(0, len(body), f.record_length)]
    else:
        info["raw"] = MASK if secret else body.hex().upper()
    if f.name == "EF.IMSI" and isinstance(decoded, dict) and decoded.get("imsi"):
        decoded = _with_mnc(decoded, f)
    info["decoded"] = decoded
    return info


def _with_mnc(decoded: dict, imsi: File) -> dict:
    """Split the IMSI's PLMN: MCC, then an MNC of the length EF.AD gives (TS 31.102 4.2.2:
    the IMSI is MCC, MNC, MSIN; 4.2.18: byte 4 of EF.AD, 2 or 3). Without a usable EF.AD
    beside the IMSI the MNC is left unknown rather than guessed."""
    ad = next((c for c in imsi.parent.children if c.name == "EF.AD"), None) \
        if imsi.parent is not None else None
    length = mnc_length(bytes(ad.body)) if ad is not None else None
    digits = decoded["imsi"]
    if length is None:
        why = "no EF.AD beside EF.IMSI" if ad is None else "EF.AD gives no MNC length"
        return decoded | {"mnc": None, "mncLength": f"unknown ({why})"}
    return decoded | {"mnc": digits[3:3 + length], "mncLength": length,
                      "msin": digits[3 + length:]}


def profile_secrets(store: CardStore, target: str | None, reveal: bool) -> list[dict]:
    """PINs, PUKs and AKA keys of a profile; values masked unless ``reveal``."""
    record = pick_profile(store, target)
    files = store.profile_files(record.isdp_aid)
    if not files:
        return []
    image = image_from_rows(files, store.profile_secrets(record.isdp_aid))

    def show(value: bytes) -> str:
        return value.hex().upper() if reveal else MASK

    rows = []
    for pin in [*image.pins, *image.puks.values()]:
        kind = "PUK" if pin.puk else "PIN"
        where = path_text(pin.scope) or "global"
        state = "enabled" if pin.enabled else "disabled"
        rows.append({"key": f"{kind} {pin.key_ref:02X} ({where})", "value": show(pin.value),
                     "detail": f"{state if not pin.puk else ''} {pin.attempts_left}/"
                               f"{pin.max_attempts} tries".strip()})
    for aka in image.aka:
        adfs = ", ".join(a.hex().upper() for a in aka.adf_aids)
        rows.append({"key": f"K ({aka.algorithm.label})", "value": show(aka.key),
                     "detail": adfs})
        if aka.algorithm is not AkaAlgorithmId.USIM_TEST_ALGORITHM:
            rows.append({"key": "OPc" if aka.algorithm is AkaAlgorithmId.MILENAGE else "TOPc",
                         "value": show(aka.opc), "detail": adfs})
    return rows

