"""Fleets of in-process eUICCs and the devices that drive them (issue 14): see
:mod:`.fleet` (the cards and how their state is kept), :mod:`.identity` (their EIDs and
certificates from a seed), :mod:`.device` (card + the project's LPA against an SM-DP+) and
``locustfile.py`` (every Locust user one device)."""

from .fleet import DEFAULT_OPEN_LIMIT, Fleet, FleetCard
from .identity import FleetError, FleetIssuer

__all__ = ["DEFAULT_OPEN_LIMIT", "Fleet", "FleetCard", "FleetError", "FleetIssuer"]
