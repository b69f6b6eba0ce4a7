"""What `pip install euicc-emu` puts into site-packages (issue 11, point 1).

The repository keeps the design's folders (``euicc/``, ``applets/``, ``tools/``); the wheel
maps them to distinctive import names, so installing the project never adds a generic
``applets`` or ``tools`` package that clashes with another distribution or is shadowed by a
``tools/`` folder in the current directory. The wheel is built here for real (pip, in an
isolated build environment) and its ``top_level.txt`` and file list are read back.
"""

import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
INSTALLED_NAME = {"euicc": "euicc", "applets": "euicc_applets", "tools": "euicc_tools"}


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> zipfile.ZipFile:
    out = tmp_path_factory.mktemp("wheel")
    # Built from a copy: setuptools writes build/ and *.egg-info into the tree it builds.
    source = tmp_path_factory.mktemp("source") / "euicc-emu"
    shutil.copytree(ROOT, source, ignore=shutil.ignore_patterns(
        ".git", ".venv", "build", "dist", "*.egg-info", "__pycache__", ".*_cache"))
    done = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet",
         "--disable-pip-version-check", "-w", str(out), str(source)],
        capture_output=True, text=True, timeout=600)
    if done.returncode != 0:
        pytest.fail(f"pip wheel failed:\n{done.stdout}\n{done.stderr}")
    (built,) = out.glob("euicc_emu-*.whl")
    return zipfile.ZipFile(built)


def test_top_level_names_are_distinctive(wheel):
    (top_level,) = [n for n in wheel.namelist() if n.endswith(".dist-info/top_level.txt")]
    names = set(wheel.read(top_level).decode().split())
    assert names == {"euicc", "euicc_applets", "euicc_tools"}


def test_every_source_package_is_in_the_wheel(wheel):
    """The package list in pyproject.toml is explicit (the folders are renamed on install),
    so a new subpackage left out of it would silently be missing from an installation."""
    files = set(wheel.namelist())
    for folder, name in INSTALLED_NAME.items():
        for source in sorted((ROOT / folder).rglob("*.py")):
            relative = source.relative_to(ROOT / folder).as_posix()
            assert f"{name}/{relative}" in files, f"{folder}/{relative} is not installed"
    assert "euicc/asn1/" + next((ROOT / "euicc/asn1").glob("*.asn")).name in files


def test_every_personality_file_is_in_the_wheel(wheel):
    """A built-in personality reads files beside it (its TOML, an icon file it names): each
    must be package data, or `--personality NAME` fails once installed."""
    files = set(wheel.namelist())
    data = [p for p in sorted((ROOT / "tools/personalities").iterdir())
            if p.is_file() and p.suffix != ".py"]
    assert any(p.suffix == ".toml" for p in data)
    for path in data:
        assert f"euicc_tools/personalities/{path.name}" in files, f"{path.name} not installed"


def test_no_generic_names_and_no_tests_in_the_wheel(wheel):
    tops = {n.split("/", 1)[0] for n in wheel.namelist()}
    assert not tops & {"applets", "tools", "tests", "bench"}


def test_code_imports_only_the_installed_names():
    """Nothing in the project imports `applets` or `tools` by their folder names (that would
    work from a checkout and fail once installed)."""
    generic = re.compile(r"^\s*(from|import)\s+(applets|tools)(\.|\s|$)", re.M)
    offenders = [str(p.relative_to(ROOT))
                 for folder in ("euicc", "applets", "tools", "tests", "bench")
                 for p in (ROOT / folder).rglob("*.py") if generic.search(p.read_text())]
    assert offenders == []
