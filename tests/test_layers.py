"""The layers, read from the import graph of src/vocalis: engine stages, then the service, then the surfaces,
with eval/ at the side. A module may import its own unit, a lower layer, or a unit of its own layer that
imports nothing back (no cycles between units)."""

from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "src" / "vocalis"

# Lowest first. A unit is a top-level module or package of vocalis; a surface under studio/ is its own unit.
LAYERS = [
    {"errors", "home", "voice_names", "memory"},
    {"database"},  # SQLAlchemy engines, for every store above
    {"audio", "text", "media"},
    {"acoustic", "asr"},
    {"emotion", "voice"},
    {"trust", "market"},
    {"engine", "subtitles"},
    {"service"},
    {"vocalis"},  # the package's own __init__: the Python API's short names
    {"studio", "studio.api", "studio.webui", "studio.cli"},
]
EVAL = "eval"  # at the side: it may import any product layer; only the `vocalis eval` command imports it
EVAL_COMMAND = "vocalis.studio.cli.eval_commands"
LEVEL = {unit: level for level, units in enumerate(LAYERS) for unit in units}


def unit_of(module: str) -> str:
    parts = module.split(".")
    if len(parts) == 1:
        return "vocalis"
    if parts[1] == "studio" and len(parts) > 2:
        return f"studio.{parts[2]}"
    return parts[1]


def module_of(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports() -> list[tuple[str, str]]:
    """(importing module, imported vocalis module) for every import in the package, lazy ones included."""
    edges = []
    for path in sorted(PACKAGE.rglob("*.py")):
        module = module_of(path)
        package = module if path.name == "__init__.py" else module.rpartition(".")[0]
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = package.split(".")[: len(package.split(".")) - node.level + 1] if node.level else []
                module_parts = [*base, node.module] if node.module else base
                targets = [".".join(module_parts)] if node.module else [
                    ".".join([*module_parts, alias.name]) for alias in node.names]
            else:
                continue
            edges += [(module, t) for t in targets if t == "vocalis" or t.startswith("vocalis.")]
    return edges


def test_every_unit_has_a_layer():
    units = {unit_of(module_of(p)) for p in PACKAGE.rglob("*.py")}
    assert units - set(LEVEL) == {EVAL}


def test_no_import_reaches_up():
    upward = []
    for module, target in imports():
        a, b = unit_of(module), unit_of(target)
        if a == b or a == EVAL:
            continue
        if b == EVAL:
            if module != EVAL_COMMAND:
                upward.append(f"{module} -> {target} (product code must not import eval/)")
        elif LEVEL[b] > LEVEL[a]:
            upward.append(f"{module} -> {target}")
    assert not upward, "imports that reach up a layer:\n" + "\n".join(upward)


def test_no_cycles_between_units():
    graph: dict[str, set[str]] = defaultdict(set)
    for module, target in imports():
        a, b = unit_of(module), unit_of(target)
        if a != b:
            graph[a].add(b)

    def reaches(start: str, goal: str, seen: set[str]) -> bool:
        for nxt in graph.get(start, set()) - seen:
            seen.add(nxt)
            if nxt == goal or reaches(nxt, goal, seen):
                return True
        return False

    cycles = sorted(f"{a} -> {b} -> ... -> {a}" for a in graph for b in graph[a] if reaches(b, a, set()))
    assert not cycles, "units that import each other:\n" + "\n".join(cycles)


@pytest.mark.parametrize("unit", ["text", "acoustic", "voice", "emotion", "trust", "engine"])
def test_stages_import_no_surface_and_no_eval(unit):
    bad = [f"{m} -> {t}" for m, t in imports()
           if unit_of(m) == unit and (unit_of(t).startswith("studio") or unit_of(t) == EVAL)]
    assert not bad


def test_the_graph_is_read():
    """The checks above would pass on an empty graph: the reader must see real imports, relative ones too."""
    edges = set(imports())
    assert ("vocalis.engine", "vocalis.acoustic.timing") in edges
    assert ("vocalis.text.frontend", "vocalis.text.g2p_en") in edges
    assert any(m == EVAL_COMMAND and t.startswith("vocalis.eval") for m, t in edges)


def test_files_and_functions_stay_small():
    """No module over 400 lines and no function over 80: past that, a file or a function asks to be split."""
    long = []
    for path in sorted(PACKAGE.rglob("*.py")):
        text = path.read_text(encoding="utf-8")
        if len(text.splitlines()) > 400:
            long.append(f"{path.relative_to(PACKAGE)}: {len(text.splitlines())} lines")
        for node in ast.walk(ast.parse(text)):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.end_lineno - node.lineno >= 80:
                long.append(f"{path.relative_to(PACKAGE)}:{node.lineno} {node.name}()")
    assert not long, "split these:\n" + "\n".join(long)
