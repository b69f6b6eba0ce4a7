"""A card started from a preset (applets/isd_r/presets.py), in-process, with an ES10 client
opened as lpac opens one; and the same state started again, without the preset, as a
restart of `euicc-emu run` without --scenario is."""

from __future__ import annotations

from euicc.crypto.entropy import SystemEntropy
from euicc.store import CardStore
from euicc_applets.isd_r.presets import apply_preset, parse_preset
from euicc_tools.emulator.card import build_card
from euicc_tools.lpa.es10 import Es10Client
from euicc_tools.lpa.link import DirectLink


def started(store: CardStore, credentials):
    """(card, es10) over ``store`` as it is, powered on."""
    card = build_card(store, credentials)
    card.power_on()
    es10 = Es10Client(DirectLink(card))
    es10.open()
    return card, es10


def preset_card(tmp_path, credentials, table: dict, base=None):
    """(store, card, es10, preset): ``table`` as a [preset] written into a fresh state."""
    preset = parse_preset(table, base=base)
    store = CardStore(tmp_path / "state")
    assert apply_preset(preset, store, credentials, SystemEntropy())
    card, es10 = started(store, credentials)
    return store, card, es10, preset
