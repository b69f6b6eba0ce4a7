"""Card-resident applications, and the wiring that puts them on a card."""

from __future__ import annotations

from euicc.card import Card
from euicc.migrations import migrate
from euicc.pki import CardCredentials
from euicc.registry import Registry
from euicc.store import CardStore

from .ecasd import Ecasd
from .isd_r import EuiccConfig, IsdR
from .uicc import UiccFileSystem


def build_card(
    store: CardStore, credentials: CardCredentials, config: EuiccConfig | None = None
) -> Card:
    """A powered-off eUICC with its ISD-R and ECASD installed, showing the enabled
    profile's file system (SGP.22 2.2.3). A store written by an earlier version is migrated
    first (:mod:`euicc.migrations`), before any applet reads a profile from it."""
    migrate(store)
    registry = Registry()
    isd_r = IsdR(store, credentials, config or EuiccConfig())
    registry.install(isd_r)
    registry.install(Ecasd(credentials))
    uicc = UiccFileSystem(store)
    card = Card(registry, file_system=uicc)
    isd_r.profiles.on_enabled_profile_changed.append(uicc.enabled_profile_changed)
    uicc.request_refresh = card.proactive.request_refresh
    return card
