"""A card's identity stays the one its state was made with.

The EID and the eUICC certificates (SGP.22 2.6.1 and 4.5.2: CERT.EUICC.ECDSA signed by the
EUM, which the CI certifies) are what every SM-DP+ knows a card by, and every profile, ISD-P
and signed notification in a state directory belongs to that identity. So the state records
where its PKI came from (``pki_source``: the state's own generated ``pki/`` or the folder
given with ``--pki``) and which PKI it was (``pki_fingerprint``: its CI and EUM
certificates), and a later start that would give the card another identity - no ``--pki``
for a state made with one, another PKI, a generated PKI that has gone missing - is refused
with what the state was made with and how to start it. Only ``rekey`` binds the state to
another PKI, and says what it changed.
"""

from __future__ import annotations

import hashlib
import logging
import shutil
from pathlib import Path

from .pki import (
    CardCredentials,
    PkiError,
    generate_test_pki,
    load_card_credentials,
    pki_fingerprint,
)
from .store import CardStore

log = logging.getLogger(__name__)

PKI_SUBDIR = "pki"  # the state's own generated PKI
ISSUED_SUBDIR = "issued"  # eUICC certificates issued for an --eid (state/issued)
GENERATED = "generated"  # pki_source of a state that uses its own PKI_SUBDIR
META_SOURCE, META_FINGERPRINT, META_EID = "pki_source", "pki_fingerprint", "eid"
META_CERTIFICATES = "euicc_certificates"  # short SHA-256 of the eUICC certificates in use
_BOUND = (META_SOURCE, META_FINGERPRINT, META_EID, META_CERTIFICATES)


class IdentityError(PkiError):
    """A start that would change the card's identity without being asked to."""


def _source_dir(state: Path, source: str) -> Path:
    return state / PKI_SUBDIR if source == GENERATED else Path(source)


def _how(state: Path, source: str) -> str:
    pki = "" if source == GENERATED else f" --pki {source}"
    return f"euicc-emu run --state {state}{pki}"


def recorded_pki_dir(state: Path, store: CardStore) -> Path:
    """The PKI folder a state's card runs with (what a reader of the state, e.g. the shell,
    needs to show its certificates); the state's own folder for states from before the
    binding was recorded."""
    return _source_dir(state, store.get_meta(META_SOURCE) or GENERATED)


def _certificates_fingerprint(credentials: CardCredentials) -> str:
    digest = hashlib.sha256()
    for identity in credentials.identities:
        digest.update(identity.certificate_der)
    return digest.hexdigest()[:16]


def bind_card_credentials(state: Path, store: CardStore, pki: Path | None, eid: str | None,
                          rekey: bool = False) -> CardCredentials:
    """Load the card's credentials for this start and keep the state bound to its PKI.

    ``pki``: the ``--pki`` folder, or None for the state's own (generated on the first
    start). ``rekey``: accept another PKI (or regenerate a lost own one) and record it."""
    own = state / PKI_SUBDIR
    if pki is None or Path(pki).resolve() == own.resolve():
        wanted, directory = GENERATED, own
    else:
        directory = Path(pki).resolve()
        wanted = str(directory)
    known_eid = store.get_meta(META_EID)
    source = store.get_meta(META_SOURCE)
    if source is None and known_eid is not None:
        source = wanted  # a state from before the binding: bound by this start
    recorded = store.get_meta(META_FINGERPRINT)
    made_with = (f"state {state} (EID {known_eid}) was made with "
                 + ("its own generated PKI" if source == GENERATED else f"--pki {source}"))
    if source is not None and wanted != source and GENERATED in (wanted, source) and not rekey:
        raise IdentityError(f"{made_with}; start it with: {_how(state, source)} (or add "
                            f"--rekey to bind it to {directory})")
    if wanted == GENERATED and not directory.exists():
        if known_eid is not None and not rekey:
            raise IdentityError(f"{made_with}, but {directory} is gone: restore it, or start "
                                "with --rekey to generate a new PKI (new CI, EUM and eUICC "
                                "certificate, same EID)")
        generate_test_pki(directory, eid=eid or known_eid)
        log.info("generated a test PKI in %s", directory)
    fingerprint = pki_fingerprint(directory)
    if recorded is not None and fingerprint != recorded:
        if not rekey:
            raise IdentityError(f"{made_with} (CI/EUM fingerprint {recorded[:16]}), but "
                                f"{directory} holds another PKI ({fingerprint[:16]}); start "
                                f"it with: {_how(state, source)} (or add --rekey to bind it "
                                f"to {directory})")
        shutil.rmtree(state / ISSUED_SUBDIR, ignore_errors=True)  # the old EUM's
    if eid is not None and known_eid is not None and eid != known_eid and not rekey:
        raise IdentityError(f"{made_with}; --eid {eid} would change its EID (add --rekey "
                            "to issue a certificate for the new EID)")
    # A re-key takes the new PKI's own EID unless --eid names one.
    credentials = load_card_credentials(directory, eid=eid if rekey else eid or known_eid,
                                        issue_into=state / ISSUED_SUBDIR)
    before = (source, recorded, known_eid, store.get_meta(META_CERTIFICATES))
    after = (wanted, fingerprint, credentials.eid, _certificates_fingerprint(credentials))
    # Written when the binding changes (first start, re-key, moved PKI, a state from before
    # the binding), compared with what the store holds: a plain restart writes nothing.
    changed = {key: value for key, value in zip(_BOUND, after, strict=True)
               if store.get_meta(key) != value}
    if changed:
        with store.transaction():
            for key, value in changed.items():
                store.set_meta(key, value)
    if source is not None and wanted != source and not rekey:
        log.info("state %s: its PKI moved from %s to %s (same CI and EUM certificates)",
                 state, source, wanted)
    if rekey and before != after:
        log.warning("re-keyed state %s: PKI %s -> %s, CI/EUM %s -> %s, EID %s -> %s, "
                    "eUICC certificates %s -> %s", state, before[0], after[0],
                    (before[1] or "-")[:16], after[1][:16], before[2], after[2],
                    before[3], after[3])
    return credentials
