"""The fault plan core (euicc.faults): matching, times/after, several rules at one point,
the malformed forms, and the scenario schema with its error messages (file, line, allowed)."""

import threading
from pathlib import Path

import pytest

from euicc.asn1 import decode_exact, encode, rsp
from euicc.faults import (
    Action,
    ActionKind,
    Catalog,
    FaultPlan,
    Layer,
    Match,
    Point,
    Rule,
    ScenarioError,
    Target,
    load_scenario,
    malformed_data,
    rule_from_table,
)
from euicc.tlv import read_header

ENABLE = "ES10c.EnableProfile"
ENABLE_POINT = Point(Layer.ES10, ENABLE)
LPE = "ES10b.LoadBoundProfilePackage.LoadProfileElements"


def status(sw=0x6A82):
    return Action(ActionKind.STATUS, sw=sw)


def catalog() -> Catalog:
    c = Catalog()
    c.add(Target(ENABLE, Layer.ES10, {"catBusy": 5, "undefinedError": 127}))
    c.add(Target("ES10b.GetEUICCChallenge", Layer.ES10))
    c.add(Target(LPE, Layer.BPP, {"unsupportedProfileVersion": 9}, segmented=True))
    c.add(Target("SELECT", Layer.APDU))
    return c


# -- matching and counting ------------------------------------------------------------------

def test_a_rule_matches_its_layer_name_ins_channel_and_segment():
    assert Match(name=ENABLE).matches(ENABLE_POINT)
    assert not Match(name=ENABLE).matches(Point(Layer.ES10, "ES10c.DisableProfile"))
    assert not Match(name=ENABLE).matches(Point(Layer.APDU, ENABLE))  # layer from the name
    select = Point(Layer.APDU, "SELECT", ins=0xA4, channel=1)
    assert Match(ins=0xA4).matches(select)
    assert Match(name="SELECT", channel=1).matches(select)
    assert not Match(name="SELECT", channel=2).matches(select)
    assert not Match(ins=0xB0).matches(select)
    assert Match(name=LPE, segment=3).matches(Point(Layer.BPP, LPE, segment=3))
    assert not Match(name=LPE, segment=3).matches(Point(Layer.BPP, LPE, segment=2))
    with pytest.raises(ValueError):
        Match()


def test_times_once_n_and_always():
    plan = FaultPlan([Rule(Match(name=ENABLE), status(), times=1)])
    assert plan.fire(ENABLE_POINT).action == status()
    assert not plan.fire(ENABLE_POINT)  # once: spent
    plan = FaultPlan([Rule(Match(name=ENABLE), status(), times=3)])
    assert [bool(plan.fire(ENABLE_POINT)) for _ in range(5)] == [True] * 3 + [False] * 2
    plan = FaultPlan([Rule(Match(name=ENABLE), status(), times=None)])
    assert all(plan.fire(ENABLE_POINT) for _ in range(50))


def test_after_lets_the_first_matches_pass():
    plan = FaultPlan([Rule(Match(name=ENABLE), status(), times=2, after=2)])
    assert [bool(plan.fire(ENABLE_POINT)) for _ in range(6)] == [False, False, True, True,
                                                                 False, False]
    (rule,) = plan.rules()
    assert (rule.seen, rule.fired) == (4, 2)


def test_delays_add_up_and_the_first_other_action_answers():
    plan = FaultPlan([
        Rule(Match(name=ENABLE), Action(ActionKind.DELAY, ms=100), times=None),
        Rule(Match(name=ENABLE), status(0x6985), times=1),
        Rule(Match(name=ENABLE), Action(ActionKind.DELAY, ms=50), times=None),
        Rule(Match(name=ENABLE), status(0x6A88), times=1),
    ])
    fired = plan.fire(ENABLE_POINT)
    assert fired.delay_ms == 150 and fired.action.sw == 0x6985
    assert len(fired.marks) == 3 and all(m.startswith("injected f") for m in fired.marks)
    # The masked rule was not counted: it answers the next command.
    fired = plan.fire(ENABLE_POINT)
    assert fired.delay_ms == 150 and fired.action.sw == 0x6A88
    assert plan.fire(ENABLE_POINT).action is None


def test_rules_get_ids_and_can_be_listed_removed_and_cleared():
    plan = FaultPlan()
    first = plan.add(Rule(Match(name=ENABLE), status()))
    second = plan.add(Rule(Match(ins=0xA4), status(), id="sel"))
    assert (first.id, second.id) == ("f1", "sel")
    with pytest.raises(ValueError, match="already"):
        plan.add(Rule(Match(ins=0xA4), status(), id="sel"))
    assert [r.id for r in plan.rules()] == ["f1", "sel"]
    assert plan.remove("f1") and not plan.remove("f1")
    assert plan.clear() == 1 and not plan and not plan.rules()
    assert "INS A4 -> status 6A82 (1x)" in second.describe()


def test_concurrent_firing_never_exceeds_times():
    plan = FaultPlan([Rule(Match(name=ENABLE), status(), times=100)])
    fired = []

    def worker():
        fired.extend(bool(plan.fire(ENABLE_POINT)) for _ in range(100))

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sum(fired) == 100


# -- malformed data (X.690 8.1, 10.1) ----------------------------------------------------------

RESPONSE = encode(rsp(), "EnableProfileResponse", {"enableResult": 0})  # BF31 03 80 01 00


@pytest.mark.parametrize("form", ["truncated", "wrong-tag", "trailing", "wrong-length",
                                  "invalid-der"])
def test_every_data_form_breaks_the_der_response(form):
    damaged = malformed_data(form, RESPONSE)
    assert damaged != RESPONSE
    with pytest.raises(ValueError):
        decode_exact(rsp(), "EnableProfileResponse", damaged)


def test_data_forms_are_the_documented_damage():
    assert malformed_data("truncated", RESPONSE) == bytes.fromhex("BF3103800100")[:-1]
    assert malformed_data("wrong-tag", RESPONSE) == bytes.fromhex("BF7F03800100")
    assert malformed_data("trailing", RESPONSE) == RESPONSE + b"\x00\x00"
    assert malformed_data("wrong-length", RESPONSE) == bytes.fromhex("BF3102800100")
    invalid = malformed_data("invalid-der", RESPONSE)
    assert invalid == bytes.fromhex("BF3182000380 0100".replace(" ", ""))
    assert read_header(invalid).length == 3  # still BER: the same value, a longer length
    assert malformed_data("truncated", b"\x01") == b""  # not a TLV: still damaged


# -- scenario files ------------------------------------------------------------------------------

def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "case.toml"
    path.write_text(text)
    return path


def test_a_scenario_file_gives_its_rules_in_order(tmp_path):
    rules = load_scenario(write(tmp_path, f"""
[[fault]]
match = "{ENABLE}"
action = "error"
code = "catBusy"

[[fault]]
id = "slow-select"
match = "SELECT"
channel = 1
action = "delay"
ms = 2500
times = "always"

[[fault]]
match = "{LPE}"
segment = 2
action = "error"
code = 9
after = 1

[[fault]]
ins = 0xC0
action = "malformed"
form = "wrong-61xx"
times = 3
"""), catalog())
    assert [r.action.kind for r in rules] == [ActionKind.ERROR, ActionKind.DELAY,
                                             ActionKind.ERROR, ActionKind.MALFORMED]
    assert rules[0].action.code == 5 and rules[0].action.code_name == "catBusy"
    assert rules[1].id == "slow-select" and rules[1].times is None
    assert rules[1].match.channel == 1 and rules[1].action.ms == 2500
    assert rules[2].action.code_name == "unsupportedProfileVersion" and rules[2].after == 1
    assert rules[3].match.ins == 0xC0 and rules[3].times == 3


@pytest.mark.parametrize("body, line, message", [
    ('match = "SELECT"\naction = "status"\nsw = "6A82"\ncolour = "red"', 6,
     "colour: unknown key (allowed: id, match, ins"),
    ('match = "SELECT"\naction = "explode"', 4, "'explode' is not an action (allowed: error"),
    ('match = "ES10c.EnablProfile"\naction = "status"\nsw = "6A82"', 3,
     "is nothing this card dispatches"),
    (f'match = "{ENABLE}"\naction = "error"\ncode = "busy"', 5,
     "'busy' is not an error of ES10c.EnableProfile (allowed: catBusy, undefinedError)"),
    ('match = "ES10b.GetEUICCChallenge"\naction = "error"\ncode = 1', 5,
     "has no error result to give"),
    ('match = "SELECT"\naction = "status"\nsw = 27266', 5, "four hex digits"),
    ('match = "SELECT"\naction = "status"\nsw = "6A82"\ntimes = 0', 6, "times: 0"),
    ('match = "SELECT"\naction = "malformed"\nform = "ugly"', 5, "allowed: truncated"),
    ('match = "SELECT"\nsegment = 1\naction = "status"\nsw = "6A82"', 4,
     "only StoreMetadata and LoadProfileElements have segments"),
    ('match = "SELECT"\naction = "delay"', 2, "ms: the delay action needs it"),  # header
    ('match = "SELECT"\naction = "delay"\nms = 5\nsw = "6A82"', 6,
     "sw: not a field of the delay action"),
    ('ins = 300\naction = "status"\nsw = "6A82"', 3, "an INS byte"),
    ('match = "SELECT"\nchannel = 20\naction = "status"\nsw = "6A82"', 4, "0..19"),
])
def test_scenario_errors_name_the_line_and_what_is_allowed(tmp_path, body, line, message):
    path = write(tmp_path, "# a case\n[[fault]]\n" + body + "\n")  # the body from line 3
    with pytest.raises(ScenarioError) as error:
        load_scenario(path, catalog())
    assert str(error.value).startswith(f"{path}:{line}: fault 1: "), str(error.value)
    assert message in str(error.value)


def test_file_level_errors(tmp_path):
    with pytest.raises(ScenarioError, match="cannot read it"):
        load_scenario(tmp_path / "missing.toml", catalog())
    with pytest.raises(ScenarioError, match="not TOML"):
        load_scenario(write(tmp_path, "[[fault]\n"), catalog())
    with pytest.raises(ScenarioError, match=r":2: presets: unknown section \(allowed: fault\)"):
        load_scenario(write(tmp_path, "\n[presets]\nx = 1\n"), catalog())
    with pytest.raises(ScenarioError, match="two faults are named 'a'"):
        load_scenario(write(tmp_path, '[[fault]]\nid = "a"\nins = 1\naction = "status"\n'
                                      'sw = "6A82"\n[[fault]]\nid = "a"\nins = 2\n'
                                      'action = "status"\nsw = "6A82"\n'), catalog())


def test_a_live_rule_uses_the_same_checks():
    rule = rule_from_table({"match": ENABLE, "action": "error", "code": "undefinedError",
                            "times": "always"}, catalog())
    assert rule.action.code == 127 and rule.times is None
    with pytest.raises(ScenarioError, match="^fault: action"):
        rule_from_table({"match": ENABLE}, catalog())
