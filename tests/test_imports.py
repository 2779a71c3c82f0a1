"""The import graph of ciper/, studies/ and analysis/: no cycle, and nothing imports upward.

Imports inside functions count too: a lazy import is still a dependency. The
packages, bottom to top: ciper (the library), analysis (reports from result
tables), studies (experiment definitions, whose entry point runs a study and
then asks analysis for its report); tests and benchmarks sit on top and are
not checked. Inside ciper every module has a place in CIPER_LAYERS and imports
only from its own layer or those below.
"""

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("ciper", "studies", "analysis")
LAYER = {"ciper": 0, "analysis": 1, "studies": 2}
# ciper's modules, bottom to top (names without "ciper."; "study" is the package ciper.study)
CIPER_LAYERS = [
    ("records", "rotations", "choices", "metrics", "validation", "drawing", "kernels"),  # names, rules, plain helpers
    ("", "config"),  # the package itself re-exports the config
    ("device", "options", "checkpoint"),  # how a run executes, its command-line options, its checkpoints
    ("imageset",),
    ("flatworld", "raycast", "world", "worldcache", "folders", "imagefolder", "labelled", "turntable"),
    ("datasets", "data"),  # the registry of datasets; splits and time pairs
    ("augment", "commutativity"),
    ("encoders", "heads", "losses", "controls"),
    ("model",),
    ("train",),
    ("quaternion_probe", "probes"),
    ("reference",),
    ("run", "__main__"),  # train, evaluate, write: `python -m ciper`
    ("study",),  # studies on Ray Tune
]


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


def ciper_layer(module: str) -> int | None:
    """The CIPER_LAYERS index of a ciper module (ciper.study.* share the package's); None if unplaced."""
    name = module.removeprefix("ciper").removeprefix(".")
    name = "study" if name.split(".")[0] == "study" else name
    return next((i for i, layer in enumerate(CIPER_LAYERS) if name in layer), None)


def upward_in_ciper(edges: dict[str, set[str]]) -> list[tuple[str, str]]:
    inside = lambda m: m == "ciper" or m.startswith("ciper.")
    return [
        (a, b) for a, deps in edges.items() if inside(a) for b in deps if inside(b) and ciper_layer(b) > ciper_layer(a)
    ]


def test_every_ciper_module_has_a_layer():
    unplaced = sorted(m for m in graph() if m.split(".")[0] == "ciper" and ciper_layer(m) is None)
    assert not unplaced, f"give these modules a place in CIPER_LAYERS: {unplaced}"


def test_nothing_in_ciper_imports_a_layer_above_it():
    upward = upward_in_ciper(graph())
    assert not upward, f"upward imports inside ciper (see CIPER_LAYERS): {upward}"


def test_the_layer_check_sees_an_upward_import():
    assert upward_in_ciper({"ciper.train": {"ciper.probes", "ciper.model"}, "ciper.model": set()}) == [
        ("ciper.train", "ciper.probes")
    ]
    assert ciper_layer("ciper.study.trainable") == ciper_layer("ciper.study") == len(CIPER_LAYERS) - 1


def test_the_checker_sees_lazy_and_relative_imports():
    edges = graph()
    assert "ciper.train" in edges["ciper.study.trainable"]  # a lazy import inside trainable()
    assert "ciper.imageset" in edges["ciper.data"]
