"""The import graph of ciper/, studies/ and analysis/: no cycle, and nothing imports upward.

Imports inside functions count too: a lazy import is still a dependency. The
layers, bottom to top: ciper (the library), analysis (reports from result
tables), studies (experiment definitions, whose entry point runs a study and
then asks analysis for its report); tests and benchmarks sit on top and are
not checked.
"""

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("ciper", "studies", "analysis")
LAYER = {"ciper": 0, "analysis": 1, "studies": 2}


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def project_imports(path: Path, known: set[str]) -> set[str]:
    """Every project module that `path` imports (at any depth in the file)."""
    me = module_name(path)
    package = me if path.name == "__init__.py" else me.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, *([base] if base else [])])
            names = [base, *(f"{base}.{a.name}" for a in node.names)]
        else:
            continue
        for name in names:
            # the longest known module the name starts with (from ciper import train -> ciper.train)
            while name and name not in known:
                name = name.rpartition(".")[0]
            if name and name != me:
                found.add(name)
    return found


def graph() -> dict[str, set[str]]:
    files = [p for pkg in PACKAGES for p in (ROOT / pkg).rglob("*.py")]
    known = {module_name(p) for p in files}
    return {module_name(p): project_imports(p, known) for p in files}


def find_cycle(edges: dict[str, set[str]]) -> list[str] | None:
    state, stack = {}, []

    def visit(node):
        state[node] = "open"
        stack.append(node)
        for nxt in sorted(edges.get(node, ())):
            # a package's __init__ importing its own submodules is how packages re-export: not a cycle
            if nxt.startswith(node + "."):
                continue
            if state.get(nxt) == "open":
                return stack[stack.index(nxt) :] + [nxt]
            if nxt not in state and (cycle := visit(nxt)):
                return cycle
        state[node] = "done"
        stack.pop()
        return None

    for node in sorted(edges):
        if node not in state and (cycle := visit(node)):
            return cycle
    return None


def test_the_checker_sees_cycles():
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": set()}) is None


def test_no_import_cycle():
    assert find_cycle(graph()) is None, f"import cycle: {' -> '.join(find_cycle(graph()))}"


def test_nothing_imports_a_layer_above_it():
    upward = [(a, b) for a, deps in graph().items() for b in deps if LAYER[b.split(".")[0]] > LAYER[a.split(".")[0]]]
    assert not upward, f"upward imports: {upward}"


def test_the_checker_sees_lazy_and_relative_imports():
    edges = graph()
    assert "ciper.train" in edges["ciper.study.trainable"]  # a lazy import inside trainable()
    assert "ciper.imageset" in edges["ciper.data"]
