"""The packages' import graph, read from the source with ``ast``, has no cycle.

Every ``import`` counts, at module level and inside functions (a lazy import still
ties the two modules together); only imports under ``if TYPE_CHECKING:`` are left
out, since they never run. Relative imports are resolved against the importing
module, and ``from package import name`` counts as importing ``package.name`` when
that is a module, else as importing ``package`` (its ``__init__``).
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("minigrad", "rnn")


def module_files(package: str) -> dict[str, Path]:
    """Dotted module name -> source file, for every module of ``package``."""
    found = {}
    for path in sorted((ROOT / package).rglob("*.py")):
        parts = list(path.relative_to(ROOT).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        found[".".join(parts)] = path
    return found


def _is_type_checking(test: ast.expr) -> bool:
    name = test.attr if isinstance(test, ast.Attribute) else getattr(test, "id", None)
    return name == "TYPE_CHECKING"


def _imports(tree: ast.AST) -> list[ast.Import | ast.ImportFrom]:
    """Every import statement outside ``if TYPE_CHECKING:`` blocks (iterative walk)."""
    found, stack = [], [tree]
    while stack:
        node = stack.pop()
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            found.append(node)
            continue
        if isinstance(node, ast.If) and _is_type_checking(node.test):
            stack.extend(node.orelse)
            continue
        stack.extend(ast.iter_child_nodes(node))
    return found


def imported_modules(name: str, path: Path, known: set[str]) -> set[str]:
    """The project modules that module ``name`` (at ``path``) imports."""
    is_package = path.name == "__init__.py"
    out: set[str] = set()
    for node in _imports(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        else:
            if node.level:
                base = name.split(".")
                base = base[: len(base) - node.level + (1 if is_package else 0)]
                stem = ".".join(base + ([node.module] if node.module else []))
            else:
                stem = node.module or ""
            # ``from pkg import mod`` imports pkg.mod (pkg is already loading); a name that
            # is not a module is read from pkg itself, which then counts.
            subs = [f"{stem}.{alias.name}" for alias in node.names]
            targets = subs if all(t in known for t in subs) else [stem, *subs]
        for target in targets:
            # The deepest project module named by the target (a.b.c -> a.b if c is a name).
            while target and target not in known:
                target = target.rpartition(".")[0]
            if target and target != name:
                out.add(target)
    return out


def import_graph() -> dict[str, set[str]]:
    files = {}
    for package in PACKAGES:
        files.update(module_files(package))
    known = set(files)
    return {name: imported_modules(name, path, known) for name, path in files.items()}


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One cycle as a path ``[a, b, ..., a]``, or None (iterative depth-first search)."""
    state: dict[str, int] = {}  # 1: on the current path, 2: finished
    for start in sorted(graph):
        if start in state:
            continue
        path, iters = [start], [iter(sorted(graph[start]))]
        state[start] = 1
        while path:
            nxt = next(iters[-1], None)
            if nxt is None:
                state[path.pop()] = 2
                iters.pop()
            elif state.get(nxt) == 1:
                return [*path[path.index(nxt) :], nxt]
            elif nxt not in state:
                state[nxt] = 1
                path.append(nxt)
                iters.append(iter(sorted(graph.get(nxt, ()))))
    return None


def test_the_graph_is_read_from_the_source():
    graph = import_graph()
    assert "minigrad.tensor" in graph["minigrad.ops.core"]
    assert "minigrad.tape" in graph["minigrad.autograd"]
    assert graph.keys() >= {"minigrad", "minigrad.ops", "rnn"}


def test_find_cycle_names_the_cycle():
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": set()}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": set()}) is None


@pytest.mark.parametrize("package", PACKAGES)
def test_no_import_cycle(package):
    graph = import_graph()
    sub = {m: {t for t in ts if t.split(".")[0] == package} for m, ts in graph.items()}
    sub = {m: ts for m, ts in sub.items() if m.split(".")[0] == package}
    cycle = find_cycle(sub)
    assert cycle is None, "import cycle: " + " -> ".join(cycle)


def test_the_engine_sits_at_the_bottom():
    graph = import_graph()
    assert graph["minigrad.tape"] == set()
    assert graph["minigrad.modes"] == set()
    assert graph["minigrad.forward"] == set()
    assert graph["minigrad.size"] == set()
    assert graph["minigrad.versions"] <= {"minigrad.tape"}
    assert graph["minigrad.differentiable"] <= {"minigrad.tape", "minigrad.gradients"}
    assert graph["minigrad.engine"] <= {"minigrad.tape", "minigrad.versions", "minigrad.gradients"}
    assert graph["minigrad.autograd"] <= {
        "minigrad.tape",
        "minigrad.modes",
        "minigrad.versions",
        "minigrad.engine",
        "minigrad.forward",
        "minigrad.differentiable",
    }
    engine = [t for m, ts in graph.items() if m.startswith("minigrad") for t in ts]
    assert not [t for t in engine if t.startswith("rnn")]


def test_the_layer_table_in_docs_engine_md_names_what_each_module_imports():
    """Each row of the table under '## Layers' in docs/engine.md: `module` | job | the
    minigrad modules it imports (or 'nothing'; a remark in parentheses is not read); a
    package row (`ops/`) counts every module in it. Imports under TYPE_CHECKING never
    run, and do not count."""
    graph = import_graph()
    doc = (ROOT / "docs" / "engine.md").read_text(encoding="utf-8")
    rows = re.findall(r"^\| `(\w+)(\.py|/)` \| [^|\n]* \| ([^|\n]*) \|$", doc, re.M)
    assert len(rows) >= 15, rows
    wrong = []
    for stem, kind, imports in rows:
        own = f"minigrad.{stem}"
        members = [m for m in graph if m == own or (kind == "/" and m.startswith(own + "."))]
        assert members, own
        actual = {t.split(".")[1] for m in members for t in graph[m] if t.startswith("minigrad.")}
        actual.discard(stem)
        claimed = set(re.findall(r"`(\w+)`", re.sub(r"\([^)]*\)", "", imports)))
        if claimed != actual:
            wrong.append(f"{stem}{kind}: the table says {sorted(claimed)}, not {sorted(actual)}")
    assert not wrong, "\n".join(wrong)
