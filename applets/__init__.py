"""Card-resident applications, and the wiring that puts them on a card."""

from __future__ import annotations

from euicc.card import Card
from euicc.fs.master_file import CardFileSystem
from euicc.pki import CardCredentials
from euicc.registry import Registry
from euicc.store import CardStore

from .ecasd import Ecasd
from .isd_r import EuiccConfig, IsdR


def build_card(
    store: CardStore, credentials: CardCredentials, config: EuiccConfig | None = None
) -> Card:
    """A powered-off eUICC with its ISD-R and ECASD installed."""
    registry = Registry()
    registry.install(IsdR(store, credentials, config or EuiccConfig()))
    registry.install(Ecasd(credentials))
    return Card(registry, file_system=CardFileSystem())
