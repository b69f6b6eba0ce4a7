"""The fault plan: the card failing on demand, the way the tester chose (an LPA conformance
target). :mod:`.plan` holds the rules and says what is due where a command is dispatched;
:mod:`.scenario` reads rules from a TOML file or a control request; :mod:`.malform` damages
answers."""

from .malform import APDU_FORMS, DATA_FORMS, FORMS, malformed_data
from .plan import (
    BPP_FUNCTION,
    BPP_PARTS,
    NOTHING,
    TRANSPORT_EVENTS,
    Action,
    ActionKind,
    FaultPlan,
    Fired,
    Layer,
    Match,
    Point,
    Rule,
    bpp_point_name,
    rule_as_dict,
    withdrawal,
)
from .scenario import (
    Catalog,
    Scenario,
    ScenarioError,
    Target,
    load_scenario,
    read_scenario,
    rule_from_table,
)

__all__ = [
    "APDU_FORMS", "BPP_FUNCTION", "BPP_PARTS", "DATA_FORMS", "FORMS", "NOTHING",
    "TRANSPORT_EVENTS", "Action", "ActionKind", "Catalog", "FaultPlan", "Fired", "Layer",
    "Match", "Point", "Rule", "Scenario", "ScenarioError", "Target", "bpp_point_name",
    "load_scenario",
    "malformed_data", "read_scenario", "rule_as_dict", "rule_from_table", "withdrawal",
]
