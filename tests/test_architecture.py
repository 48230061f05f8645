"""The architecture is enforced, not only described: the import-linter contracts in
``pyproject.toml`` hold (layers from the front ends down to leaf modules, the TUI apart from
the command line, Textual only in the TUI), and no module of ``scribe_tui`` takes part in
an import cycle. Imports inside functions and under ``TYPE_CHECKING`` count: they are
dependencies all the same."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterable, Mapping

import grimp

from tests.conftest import ROOT

LINT_IMPORTS = "from importlinter.cli import lint_imports; raise SystemExit(lint_imports(no_cache=True))"


def test_import_linter_contracts_hold() -> None:
    proc = subprocess.run([sys.executable, "-c", LINT_IMPORTS], cwd=ROOT, capture_output=True, text=True,
                          timeout=120)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "0 broken" in proc.stdout


def import_cycles(imports: Mapping[str, Iterable[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan), each sorted:
    every module in one can reach every other, so each is an import cycle."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    cycles: list[list[str]] = []

    def visit(module: str) -> None:
        index[module] = low[module] = len(index)
        stack.append(module)
        on_stack.add(module)
        for imported in imports.get(module, ()):
            if imported not in index:
                visit(imported)
                low[module] = min(low[module], low[imported])
            elif imported in on_stack:
                low[module] = min(low[module], index[imported])
        if low[module] == index[module]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == module:
                    break
            if len(component) > 1:
                cycles.append(sorted(component))

    for module in sorted(imports):
        if module not in index:
            visit(module)
    return cycles


def test_import_cycles_finds_a_cycle_and_only_the_cycle() -> None:
    imports = {"a": ["b"], "b": ["c"], "c": ["a", "d"], "d": [], "e": ["e"]}
    assert import_cycles(imports) == [["a", "b", "c"]]


def test_no_module_of_scribe_tui_is_part_of_an_import_cycle() -> None:
    graph = grimp.build_graph("scribe_tui", cache_dir=None)
    imports = {module: graph.find_modules_directly_imported_by(module) for module in graph.modules}
    assert import_cycles(imports) == []


def test_the_readme_module_map_matches_the_tree() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Development", 1)[1]
    module_map = section.split("```", 2)[1]
    names = set(module_map.split())
    package = ROOT / "scribe_tui"
    entries = {f"{path.name}/" if path.is_dir() else path.name for path in package.iterdir()
               if (path.is_dir() and (path / "__init__.py").exists())
               or (path.suffix == ".py" and path.name != "__init__.py")}
    listed = {name for name in names if name.endswith((".py", "/")) and name != "scribe_tui/"}
    assert sorted(entries - listed) == [], "modules missing from the README's map"
    assert sorted(listed - entries) == [], "the README's map names modules that are gone"
