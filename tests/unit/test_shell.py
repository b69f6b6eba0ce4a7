"""`euicc-emu shell` one-shot form: profiles, notifications and info from a state
directory, as tables and as JSON; the store is opened read-only."""

from __future__ import annotations

import json

import pytest

from euicc_tools.emulator.cli import main


@pytest.fixture
def state(tmp_path, add_profile, store, pki_dir):
    from euicc.pki import load_card_credentials

    add_profile("8944000000000000077", name="Shell test", enabled=True)
    store.set_meta("eid", load_card_credentials(pki_dir).eid)
    return store.path.parent


def run(capsys, *args) -> tuple[int, str]:
    code = main(list(args))
    return code, capsys.readouterr().out


def test_profiles_table_and_json(state, capsys):
    code, out = run(capsys, "shell", "--state", str(state), "-c", "profiles")
    assert code == 0 and "8944000000000000077" in out and "enabled" in out
    code, out = run(capsys, "shell", "--state", str(state), "-c", "profiles", "--json")
    (row,) = json.loads(out)
    assert (row["iccid"], row["name"], row["state"]) == ("8944000000000000077", "Shell test",
                                                          "enabled")


def test_info_and_notifications(state, pki_dir, capsys):
    code, out = run(capsys, "shell", "--state", str(state), "--pki", str(pki_dir), "-c", "info",
                    "--json")
    info = json.loads(out)
    assert code == 0 and len(info["eid"]) == 32 and info["profiles"] == 1
    assert {ci["curve"] for ci in info["trustedCis"]} == {"nist", "brp"}
    assert info["versions"]["sgp22"] == "2.4.0"
    assert 0 < info["memory"]["free"] <= info["memory"]["capacity"]
    code, out = run(capsys, "shell", "--state", str(state), "-c", "notifications", "--json")
    assert json.loads(out) == []


def test_unknown_command_and_missing_state(tmp_path, state, capsys):
    assert main(["shell", "--state", str(state), "-c", "bogus"]) == 2
    assert main(["shell", "--state", str(tmp_path / "nothing"), "-c", "profiles"]) == 1


def test_read_only(state):
    from euicc.store import CardStore

    store = CardStore(state, read_only=True)
    with pytest.raises(Exception, match="readonly"):
        store.set_meta("default_dp_address", "x")


def test_profile_detail_and_keys(state, pki_dir, capsys):
    code, out = run(capsys, "shell", "--state", str(state), "-c",
                    "profile 8944000000000000077", "--json")
    detail = json.loads(out)
    assert code == 0 and detail["name"] == "Shell test" and detail["state"] == "enabled"
    assert main(["shell", "--state", str(state), "-c", "profile 8944000000000000099"]) == 1
    capsys.readouterr()
    code, out = run(capsys, "shell", "--state", str(state), "--pki", str(pki_dir), "-c",
                    "keys", "--json")
    rows = json.loads(out)
    assert {r["private"] for r in rows} == {"********"}
    code, out = run(capsys, "shell", "--state", str(state), "--pki", str(pki_dir), "-c",
                    "keys --reveal", "--json")
    assert all(len(r["private"]) == 64 for r in json.loads(out))


@pytest.fixture
def interpreted(state, store):
    """The enabled profile with a file system, PINs and keys, as an installation leaves it."""
    from euicc.ppi import interpret
    from euicc.store_image import file_rows, secret_rows
    from euicc.tlv import split
    from euicc_tools.testkit.profile_builder import build_upp

    package = build_upp("8944000000000000077", "001010000000777", algorithm="milenage",
                        k=bytes(range(16)), opc=bytes(range(16, 32)))
    image = interpret(split(package))
    aid = store.enabled_profile().isdp_aid
    store.set_profile_image(aid, file_rows(image.tree), secret_rows(image))
    return state


def test_tree_and_read_decoded(interpreted, capsys):
    code, out = run(capsys, "shell", "--state", str(interpreted), "-c", "tree")
    assert code == 0 and "3F00 MF" in out and "6F07 TR  EF.IMSI 9 B SFI 07" in out
    code, out = run(capsys, "shell", "--state", str(interpreted), "-c", "tree", "--json")
    root = json.loads(out)
    adf = next(c for c in root["children"] if c["type"] == "adf")
    assert adf["aid"].startswith("A0000000871002")
    code, out = run(capsys, "shell", "--state", str(interpreted), "-c", "read EF.IMSI", "--json")
    imsi = json.loads(out)
    assert imsi["raw"] == "080910100000007077" and imsi["decoded"]["imsi"] == "001010000000777"
    code, out = run(capsys, "shell", "--state", str(interpreted), "-c", "read ADF.USIM/EF.AD")
    assert code == 0 and "decoded" in out
    code, out = run(capsys, "shell", "--state", str(interpreted), "-c", "read 3F00/2FE2",
                    "--json")
    assert json.loads(out)["decoded"]["iccid"] == "8944000000000000077"
    assert main(["shell", "--state", str(interpreted), "-c", "read EF.NOPE"]) == 1
    capsys.readouterr()


def test_profile_lists_its_elements(interpreted, store, capsys):
    from euicc.ppi import elements_without_secrets
    from euicc.tlv import split
    from euicc_tools.testkit.profile_builder import build_upp

    package = build_upp("8944000000000000077", "001010000000777", k=bytes(16), opc=bytes(16))
    # as the installer stores them: secrets zeroed, everything the listing shows intact
    store.set_profile_content(store.enabled_profile().isdp_aid, b"",
                              elements_without_secrets(split(package)))
    code, out = run(capsys, "shell", "--state", str(interpreted), "-c",
                    "profile 8944000000000000077", "--json")
    elements = json.loads(out)["profileElements"]
    assert elements[0].startswith("header SAIP 2.3") and elements[-1] == "end"
    assert "usim 2.23.143.1.2.4" in elements and "akaParameter algorithm MILENAGE" in elements
    assert any(e.startswith("securityDomain ") and "keys" in e for e in elements)


def test_profile_keys_masked_unless_revealed(interpreted, capsys):
    code, out = run(capsys, "shell", "--state", str(interpreted), "-c",
                    "keys --profile 8944000000000000077", "--json")
    rows = json.loads(out)
    assert code == 0 and {r["value"] for r in rows} == {"********"}
    assert any(r["key"].startswith("K (MILENAGE)") for r in rows)
    assert bytes(range(16)).hex().upper() not in out
    code, out = run(capsys, "shell", "--state", str(interpreted), "-c",
                    "keys --profile 8944000000000000077 --reveal", "--json")
    values = {r["key"]: r["value"] for r in json.loads(out)}
    assert values["K (MILENAGE)"] == bytes(range(16)).hex().upper()
    assert values["OPc"] == bytes(range(16, 32)).hex().upper()
