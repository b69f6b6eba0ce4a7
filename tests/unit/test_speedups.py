"""The compiled copies of the hot modules (euicc.speedups, euicc_tools.speedups): built for
real with Cython and the C compiler, loaded only while their source is unchanged, never
when EUICC_SPEEDUPS is off, and what a process uses said in one line. Each check runs in a
fresh interpreter: the finder is installed when ``euicc`` is first imported.
"""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

from euicc import speedups
from euicc.speedups import MANIFEST, MODULES

PROBE = """
import importlib.machinery, json, sys
import euicc, euicc.speedups as s
names = sys.argv[1:]
for name in names:
    __import__(name)
compiled = [n for n in names
            if isinstance(sys.modules[n].__spec__.loader, importlib.machinery.ExtensionFileLoader)]
from euicc.tlv import tlv
print(json.dumps({"compiled": compiled, "describe": s.status().describe(),
                  "tlv": tlv(0x5A, b"\\x01\\x02").hex(), "stale": s.status().stale}))
"""


def probe(env_value: str | None, *names: str) -> tuple[dict, str]:
    env = dict(os.environ)
    env.pop(speedups.ENV, None)
    if env_value is not None:
        env[speedups.ENV] = env_value
    done = subprocess.run([sys.executable, "-c", PROBE, *names], capture_output=True,
                          text=True, env=env, timeout=60)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.splitlines()[-1]), done.stderr


def can_compile() -> str | None:
    """Why a module cannot be built here, or None."""
    if importlib.util.find_spec("Cython") is None:
        return "Cython is not installed (the speed extra)"
    compiler = (sysconfig.get_config_var("CC") or "cc").split()[0]
    if shutil.which(compiler) is None:
        return f"no C compiler ({compiler})"
    if not Path(sysconfig.get_paths()["include"], "Python.h").exists():
        return "no Python headers"
    return None


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Path:
    """euicc.coding and euicc.tlv compiled into a directory of their own."""
    why = can_compile()
    if why:
        pytest.skip(why)
    where = tmp_path_factory.mktemp("speedups") / "built"
    done = subprocess.run(
        [sys.executable, "-m", "euicc_tools.speedups", "build", "--into", str(where),
         "--only", "euicc.coding", "euicc.tlv"], capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "2 of 2 modules compiled" in done.stdout
    return where


def test_built_modules_load_compiled_and_behave_as_their_source(built):
    result, stderr = probe(str(built), "euicc.coding", "euicc.tlv", "euicc.apdu")
    assert result["compiled"] == ["euicc.coding", "euicc.tlv"]  # euicc.apdu was not built
    assert result["tlv"] == "5a020102"
    assert result["describe"].startswith(f"2 of {len(MODULES)} hot modules compiled (Cython ")
    assert stderr == ""


def test_a_module_changed_since_the_build_runs_from_its_source(built, tmp_path):
    copy = tmp_path / "copy"
    shutil.copytree(built, copy)
    manifest = json.loads((copy / MANIFEST).read_text())
    manifest["modules"]["euicc.tlv"]["sha256"] = "0" * 64  # as if tlv.py had been edited
    (copy / MANIFEST).write_text(json.dumps(manifest))
    result, stderr = probe(str(copy), "euicc.coding", "euicc.tlv")
    assert result["compiled"] == ["euicc.coding"]
    assert result["stale"] == ["euicc.tlv"]
    assert result["tlv"] == "5a020102"
    assert stderr == ""  # said by the status (and the benchmarks), not on every start
    assert "1 changed since the build run from source" in result["describe"]


def test_off_runs_everything_from_source(built):
    result, _ = probe("off", "euicc.coding", "euicc.tlv")
    assert result["compiled"] == []
    assert result["describe"] == "pure Python (EUICC_SPEEDUPS=off)"


def test_no_build_says_how_to_make_one(tmp_path):
    result, stderr = probe(str(tmp_path / "none"), "euicc.tlv")
    assert result["compiled"] == []
    assert "none built in" in result["describe"]
    assert "build them with: python -m euicc_tools.speedups build" in result["describe"]
    assert stderr == ""


def test_a_build_for_another_interpreter_is_not_used(built, tmp_path):
    copy = tmp_path / "copy"
    shutil.copytree(built, copy)
    manifest = json.loads((copy / MANIFEST).read_text())
    manifest["interpreter"] = "cpython-39-.cpython-39-x86_64-linux-gnu.so"
    (copy / MANIFEST).write_text(json.dumps(manifest))
    result, _ = probe(str(copy), "euicc.tlv")
    assert result["compiled"] == []
    assert "built for cpython-39" in result["describe"]


def test_an_unreadable_manifest_is_reported_not_raised(tmp_path):
    (tmp_path / MANIFEST).write_text("{not json")
    result, _ = probe(str(tmp_path), "euicc.tlv")
    assert result["compiled"] == []
    assert result["describe"].startswith("pure Python (unreadable ")


def test_build_refuses_a_module_that_is_not_a_hot_one(tmp_path):
    done = subprocess.run(
        [sys.executable, "-m", "euicc_tools.speedups", "build", "--into", str(tmp_path / "x"),
         "--only", "euicc.cli_does_not_exist"], capture_output=True, text=True, timeout=60)
    assert done.returncode == 2
    assert "invalid choice: 'euicc.cli_does_not_exist'" in done.stderr
    assert not (tmp_path / "x").exists()


def test_build_without_cython_says_what_to_install(tmp_path):
    code = ("import sys; sys.modules['Cython'] = None\n"
            "from euicc_tools.speedups import main\n"
            f"sys.exit(main(['build', '--into', {str(tmp_path / 'x')!r}]))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=60)
    assert done.returncode == 2
    assert done.stderr.strip() == \
        "speedups: Cython is not installed: pip install -e '.[speed]'"


def test_the_set_up_machine_runs_every_hot_module_compiled():
    """tools/setup.sh builds them into the venv; CI (EUICC_REQUIRE_SPEEDUPS=1) must have."""
    default = Path(sys.prefix) / "euicc-speedups"
    if not (default / MANIFEST).exists() and not os.environ.get("EUICC_REQUIRE_SPEEDUPS"):
        pytest.skip(f"no compiled modules in {default} (tools/setup.sh builds them)")
    result, stderr = probe(None, *MODULES)
    assert sorted(result["compiled"]) == sorted(MODULES), result["describe"]
    assert result["describe"].startswith(f"{len(MODULES)} of {len(MODULES)} hot modules")
    assert stderr == ""
