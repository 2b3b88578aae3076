"""The layering in the README, checked so it cannot rot silently."""

from __future__ import annotations

import ast
import importlib
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("assistant", "knowledge", "intents", "channels", "evals", "text")
# package -> siblings it may import
ALLOWED = {
    "text": set(),
    "knowledge": {"text"},
    "intents": {"text"},
    "channels": {"text"},
    "assistant": {"knowledge", "intents", "channels", "text"},
    "evals": {"assistant", "knowledge", "intents", "channels", "text"},
}


def _imported_packages(path: Path) -> set[str]:
    tree = ast.parse(path.read_text("utf-8"))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module.split(".")[0])
    return found & set(PACKAGES)


CLI = ROOT / "assistant" / "cli"


def _lazy_exemption(path: Path) -> set[str]:
    """The CLI's evaluation commands import evals inside the command functions."""
    return {"evals"} if path.is_relative_to(CLI) else set()


@pytest.mark.parametrize("package", PACKAGES)
def test_package_imports_only_what_the_layering_allows(package: str) -> None:
    offenders = {
        f"{path.relative_to(ROOT)} imports {sorted(bad)}"
        for path in (ROOT / package).rglob("*.py")
        if (bad := _imported_packages(path) - ALLOWED[package] - {package} - _lazy_exemption(path))
    }
    assert not offenders


def test_nothing_imports_evals() -> None:
    offenders = [
        str(path.relative_to(ROOT))
        for package in ("assistant", "knowledge", "intents", "channels", "text")
        for path in (ROOT / package).rglob("*.py")
        if "evals" in _imported_packages(path) - _lazy_exemption(path)
    ]
    assert not offenders, "only the CLI may import evals, lazily"


@pytest.mark.parametrize("package", PACKAGES)
def test_generic_package_names_resolve_to_this_project(package: str) -> None:
    """`channels` and `evals` are also names of other PyPI packages."""
    module = importlib.import_module(package)
    assert Path(module.__file__ or "").resolve().is_relative_to(ROOT)


def _module_level_imports(path: Path) -> set[str]:
    """Packages a module imports when it is imported (not inside a function)."""
    found: set[str] = set()
    body = list(ast.parse(path.read_text("utf-8")).body)
    while body:
        node = body.pop()
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            continue
        if isinstance(node, ast.Import):
            found.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module.split(".")[0])
        else:
            body.extend(
                child for child in ast.iter_child_nodes(node) if isinstance(child, ast.stmt)
            )
    return found


def test_the_cli_imports_evals_only_inside_its_commands() -> None:
    modules = sorted(CLI.rglob("*.py"))

    assert any("evals" in _imported_packages(path) for path in modules), "eval imports evals"
    eager = [
        str(path.relative_to(ROOT)) for path in modules if "evals" in _module_level_imports(path)
    ]
    assert not eager, "the CLI imports evals only inside its commands"


MODULE_LINES = 500
"""Past this many lines a module holds more than one concept and is split."""

OVERSIZED = {
    # Mostly tables: patterns and rule declarations.
    "assistant/compliance.py": 534,
}
"""The modules over :data:`MODULE_LINES` lines on 2026-12-06, each at its size then."""


def test_modules_stay_small_enough_to_hold_one_concept() -> None:
    sizes = {
        str(path.relative_to(ROOT)): len(path.read_text("utf-8").splitlines())
        for package in ("assistant", "channels", "evals")
        for path in (ROOT / package).rglob("*.py")
    }
    too_long = {
        name: lines for name, lines in sizes.items() if lines > OVERSIZED.get(name, MODULE_LINES)
    }

    assert not too_long, f"split these modules (limit {MODULE_LINES} lines): {too_long}"
    assert set(OVERSIZED) <= set(sizes), "a module listed as oversized is gone: drop it"


LANGUAGE_HOME = "text/language.py"
"""The one module that says which characters are Chinese (:data:`text.language.CJK_CHARACTERS`)."""

_CJK_RANGE = re.compile(
    r"\\u(?:3400|4dbf|4e00|9fa5|9fff|f900|faff)|[\u3400\u4e00\uf900]-|CJK UNIFIED",
    re.IGNORECASE,
)
"""A Unicode range of Chinese characters spelled out: ``\\u4e00-\\u9fff``, ``一-龥`` and kin."""

OWN_CJK_RANGES: dict[str, int] = {
    # Han inside larger patterns, where one must be spelled out; each may only lose them.
}
"""Modules that still spell out a range of their own, with how many lines do, on 2026-12-06."""


def test_chinese_characters_are_defined_in_one_place() -> None:
    found = {
        str(path.relative_to(ROOT)): sum(
            1 for line in path.read_text("utf-8").splitlines() if _CJK_RANGE.search(line)
        )
        for folder in (*PACKAGES, "benchmarks")
        for path in (ROOT / folder).rglob("*.py")
    }
    copies = {
        name: lines
        for name, lines in found.items()
        if lines > OWN_CJK_RANGES.get(name, 0) and name != LANGUAGE_HOME
    }

    assert found[LANGUAGE_HOME], "the home of the CJK range moved: update LANGUAGE_HOME"
    assert not copies, f"build the character class from text.language.CJK_CHARACTERS: {copies}"
