"""The layers import only downwards (issue 11, point 2): the card OS (``euicc/``) knows
nothing of the applets or the tools, the applets (``applets/``, installed as
``euicc_applets``) nothing of the tools (``tools/``, ``euicc_tools``); the one place that
knows every layer is the composition root, ``euicc_tools.emulator``. And nothing imports
the folders by their generic names ``applets`` / ``tools``, which only resolve from a
checkout.

Every module is parsed (ast), so an import inside a function, the way the command line
defers its heavy ones, counts like one at the top, and so does ``importlib.import_module``
or ``__import__`` with a literal name."""

from __future__ import annotations

import ast
from pathlib import Path
from typing import NamedTuple

ROOT = Path(__file__).resolve().parents[2]
# folder -> installed import name (pyproject.toml [tool.setuptools.package-dir])
LAYERS = {"euicc": "euicc", "applets": "euicc_applets", "tools": "euicc_tools"}
# what each layer must not import: everything above it
FORBIDDEN = {
    "euicc": ("euicc_applets", "euicc_tools"),
    "euicc_applets": ("euicc_tools",),
    "euicc_tools": (),
}
GENERIC = ("applets", "tools")  # folder names, never import names
DYNAMIC = {"import_module", "__import__"}


class Import(NamedTuple):
    line: int
    name: str  # absolute module name (relative imports resolved)


def module_name(path: Path, folder: Path, top: str) -> str:
    parts = [top, *path.relative_to(folder).with_suffix("").parts]
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _resolve(module: str, is_package: bool, node: ast.ImportFrom) -> str:
    if not node.level:
        return node.module or ""
    package = module.split(".") if is_package else module.split(".")[:-1]
    base = package[:len(package) - (node.level - 1)]
    return ".".join([*base, node.module] if node.module else base)


def imports_of(source: str, module: str, is_package: bool) -> list[Import]:
    """Every module a source imports, wherever the statement is (module level, function,
    class, ``if TYPE_CHECKING``). ``from a import b`` is ``a.b`` (b may be a submodule or a
    name in a; either way it comes from a)."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found += [Import(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = _resolve(module, is_package, node)
            found += [Import(node.lineno, base if alias.name == "*" else f"{base}.{alias.name}")
                      for alias in node.names]
        elif (isinstance(node, ast.Call) and node.args
              and isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str)
              and (getattr(node.func, "attr", None) in DYNAMIC
                   or getattr(node.func, "id", None) in DYNAMIC)):
            found.append(Import(node.lineno, node.args[0].value))
    return found


def _within(name: str, package: str) -> bool:
    return name == package or name.startswith(package + ".")


def offenders(root: Path) -> list[str]:
    """"file:line module -> imported name" for every import that goes against the layers,
    in file and line order."""
    found: list[tuple[str, int, str]] = []
    for folder, top in LAYERS.items():
        for path in sorted((root / folder).rglob("*.py")):
            module = module_name(path, root / folder, top)
            for line, name in imports_of(path.read_text(), module, path.name == "__init__.py"):
                bad = [p for p in (*FORBIDDEN[top], *GENERIC) if _within(name, p)]
                if bad:
                    found.append((str(path.relative_to(root)), line, f"{module} -> {name}"))
    return [f"{where}:{line} {what}" for where, line, what in sorted(set(found))]


def test_layers_import_only_downwards():
    found = offenders(ROOT)
    assert not found, ("imports against the layers (euicc <- euicc_applets <- euicc_tools; "
                       "wire layers together in euicc_tools.emulator):\n  "
                       + "\n  ".join(found))


def test_every_layer_is_looked_at():
    """The check reads the folders it is meant to (a moved folder would make it vacuous)."""
    for folder in LAYERS:
        assert len(list((ROOT / folder).rglob("*.py"))) > 2, folder
    assert (ROOT / "tools" / "emulator" / "cli.py").is_file()


def test_the_check_sees_deferred_relative_and_dynamic_imports(tmp_path):
    """A card OS module importing upwards inside a function, through importlib, or a tool
    reaching the generic folder name: each is reported with its file, line and name."""
    (tmp_path / "euicc").mkdir()
    (tmp_path / "applets" / "isd_r").mkdir(parents=True)
    (tmp_path / "tools").mkdir()
    (tmp_path / "euicc" / "cli.py").write_text(
        "import logging\n\n"
        "def open_card():\n"
        "    from euicc_applets import build_card\n"
        "    import importlib\n"
        "    return importlib.import_module('euicc_tools.shell.app')\n")
    (tmp_path / "applets" / "isd_r" / "__init__.py").write_text(
        "from . import applet\nfrom ..uicc import UiccFileSystem\n")
    (tmp_path / "applets" / "uicc.py").write_text("from euicc.card import FileSystem\n")
    (tmp_path / "tools" / "x.py").write_text("from applets import ecasd\n"
                                               "from euicc_applets.isd_r import IsdR\n")
    assert offenders(tmp_path) == [
        "euicc/cli.py:4 euicc.cli -> euicc_applets.build_card",
        "euicc/cli.py:6 euicc.cli -> euicc_tools.shell.app",
        "tools/x.py:1 euicc_tools.x -> applets.ecasd",
    ]
    relative = imports_of("from ..uicc import UiccFileSystem\n", "euicc_applets.isd_r", True)
    assert relative == [Import(1, "euicc_applets.uicc.UiccFileSystem")]
