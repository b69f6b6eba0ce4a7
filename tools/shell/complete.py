"""Completion candidates of the shell, from the card's state directory: profile identifiers
(ICCID and ISD-P AID, SGP.22 5.7.15 ProfileInfo) and file paths of a profile, level by
level (TS 102 221 8.4.2 paths: names such as ``ADF.ISIM/EF.IMPU`` or file identifiers such
as ``3F00/7FF0/6F07``, the forms :func:`.files.find` reads)."""

from __future__ import annotations

from cmd2 import CompletionItem, Completions

from euicc.fs.model import File, FileTree
from euicc.store import CardStore

from . import files
from .errors import ShellError


def profile_items(store: CardStore) -> list[CompletionItem]:
    """Each profile's ICCID and ISD-P AID, its state and nickname shown beside them."""
    items = []
    for record in store.profiles():
        meta = " ".join(filter(None, (record.state.name.lower(), record.nickname)))
        items += [CompletionItem(record.iccid_digits, display_meta=meta),
                  CompletionItem(record.isdp_aid.hex().upper(),
                                 display_meta=f"ISD-P of {record.iccid_digits}")]
    return items


def _forms(f: File) -> list[str]:
    """How a file can be named in a path: its name and its file identifier; a DF's end in
    '/' so completion goes on below it."""
    forms = [f.name] if f.name else []
    if f.fid is not None:
        forms.append(f"{f.fid:04X}")
    return [form + "/" if f.type.is_df else form for form in forms]


def path_candidates(tree: FileTree, text: str) -> list[tuple[str, str]]:
    """(completion, what to display) for a path being typed. The first level offers every
    file by name (a path may start anywhere) and the MF by FID; below a DF, its
    children by name and FID."""
    head, slash, _ = text.rpartition("/")
    if not slash:
        names = {form for f in tree.walk() for form in _forms(f)[:1] if f.name}
        options = [(form, form) for form in sorted(names | set(_forms(tree.mf)))]
    else:
        try:
            directory = files.find(tree, head)
        except ShellError:
            return []
        if not directory.type.is_df:
            return []
        options = [(f"{head}/{form}", form) for child in directory.children
                   for form in _forms(child)]
    wanted = text.lower()
    return [(full, shown) for full, shown in options if full.lower().startswith(wanted)]


def path_completions(store: CardStore, target: str | None, text: str) -> Completions:
    """Completions of a path in the named (or the enabled) profile; none when there is no
    such profile or file system."""
    try:
        tree = files.load_tree(store, files.pick_profile(store, target))
    except ShellError:
        return Completions()
    found = path_candidates(tree, text)
    items = [CompletionItem(full, display=shown) for full, shown in found]
    single_directory = len(found) == 1 and found[0][0].endswith("/")
    return Completions(items=items, allow_finalization=not single_directory)
