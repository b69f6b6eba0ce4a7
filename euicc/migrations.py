"""Bringing a card store written by an earlier version up to :data:`euicc.store.SCHEMA_VERSION`
(TCA eUICC Profile Package 2.x/3.x section 8 for what is interpreted; SGP.22 3.2.3 and
5.7.19 for why no superseded copy of a secret may stay on disk).

Version 1 -> 2:

- A profile installed before the card had a Profile Package Interpreter has only its
  profile elements: they are interpreted now, once, into files and secrets rows (an element
  the interpreter refuses leaves the profile an empty MF, and the log says so).
- Elements were kept as received, K, OPc, PINs, PUKs and security domain keys included:
  they are rewritten without their secrets (:func:`euicc.ppi.elements_without_secrets`),
  and the store is erased of the old pages (:meth:`euicc.store.CardStore.erase`).

Version 2 -> 3: an ISD-P's files, one ``isdp_files`` row each, become one ``isdp_image``
row (:meth:`euicc.store.CardStore.pack_files`); ``isdp_files`` keeps only files changed by
a command since the install.

Why a module of its own, run by the card's wiring
(:func:`euicc_tools.emulator.card.build_card`): the migration needs the interpreter, and
data flows PPI -> store, so the store cannot run it when it opens; the UICC applet should
not have to know which version wrote its rows. The wiring opens the store and calls
:func:`migrate` once, before any applet reads a profile.
"""

from __future__ import annotations

import logging

from euicc.ppi import PeError, ProfileImage, elements_without_secrets, interpret
from euicc.store import SCHEMA_KEY, SCHEMA_VERSION, CardStore, ProfileRecord
from euicc.store_image import empty_tree, file_rows, secret_rows

log = logging.getLogger(__name__)


def _interpret_unloaded(store: CardStore, record: ProfileRecord, elements: list[bytes]) -> None:
    """Files and secrets rows for a profile that has none (installed before the PPI)."""
    try:
        image = interpret(elements)
    except PeError as exc:
        log.warning("profile %s cannot be interpreted (%s): it shows an empty MF",
                    record.iccid_digits, exc)
        image = ProfileImage(empty_tree())
    store.set_profile_image(record.isdp_aid, file_rows(image.tree), secret_rows(image))


def _to_version_2(store: CardStore) -> None:
    for record in store.profiles():
        elements = store.profile_elements(record.isdp_aid)
        if not store.profile_files(record.isdp_aid):
            _interpret_unloaded(store, record, elements)
        store.set_profile_elements(record.isdp_aid, elements_without_secrets(elements))


def _to_version_3(store: CardStore) -> None:
    for record in store.profiles():
        store.pack_files(record.isdp_aid)


# Each step takes a store at the version before its key to that version.
STEPS = {2: _to_version_2, 3: _to_version_3}


def migrate(store: CardStore) -> bool:
    """Run the steps from the store's version to :data:`SCHEMA_VERSION`, each in one
    transaction; True if anything ran. A read-only store is left as it is."""
    if store.read_only or store.schema_version >= SCHEMA_VERSION:
        return False
    for version in range(store.schema_version + 1, SCHEMA_VERSION + 1):
        with store.transaction():
            STEPS[version](store)
            store.set_meta(SCHEMA_KEY, version)
        log.info("card store migrated to schema version %d", version)
    store.erase()  # superseded rows held secrets: no copy stays in the WAL or free pages
    return True
