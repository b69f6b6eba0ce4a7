"""Card-resident applications, and the wiring that puts them on a card."""

from __future__ import annotations

from euicc.card import Card
from euicc.migrations import migrate
from euicc.pki import CardCredentials
from euicc.proactive import ProactiveSession
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
    proactive = ProactiveSession()
    uicc = UiccFileSystem(store, request_refresh=proactive.request_refresh)
    registry = Registry()
    registry.install(IsdR(store, credentials, config or EuiccConfig(),
                          on_enabled_profile_changed=uicc.enabled_profile_changed))
    registry.install(Ecasd(credentials))
    return Card(registry, file_system=uicc, proactive=proactive)
