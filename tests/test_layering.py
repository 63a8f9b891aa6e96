"""The shape of the code: imports flow one way, no private names cross modules,
and only the builder writes triples."""

from __future__ import annotations

import ast
from pathlib import Path

from nhsgraph import resources

SRC = resources.package_dir()
MODULES = sorted(SRC.rglob("*.py"))


def module_name(path: Path) -> str:
    parts = path.relative_to(SRC.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def runtime_nodes(tree: ast.AST) -> list[ast.AST]:
    """Every node except those under ``if TYPE_CHECKING:`` (imports for annotations only)."""
    out: list[ast.AST] = []
    stack = [tree]
    while stack:
        node = stack.pop()
        if isinstance(node, ast.If) and getattr(node.test, "id", None) == "TYPE_CHECKING":
            continue
        out.append(node)
        stack.extend(ast.iter_child_nodes(node))
    return out


def imports(path: Path) -> list[tuple[str, list[str], int]]:
    """(module, names, line) of every run-time ``from nhsgraph... import`` and ``import nhsgraph...``."""
    found = []
    for node in runtime_nodes(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("nhsgraph"):
            found.append((node.module, [a.name for a in node.names], node.lineno))
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.startswith("nhsgraph"):
                    found.append((alias.name, [], node.lineno))
    return found


def test_the_guard_sees_every_module():
    assert len(MODULES) >= 30


def test_no_module_imports_a_private_name_of_another():
    offences = []
    for path in MODULES:
        for module, names, line in imports(path):
            for name in names:
                if name.startswith("_") and not name.startswith("__"):
                    offences.append(f"{path.relative_to(SRC)}:{line} imports {module}.{name}")
    assert offences == []


def test_imports_have_no_cycles():
    graph: dict[str, set[str]] = {}
    names = {module_name(p) for p in MODULES}
    for path in MODULES:
        deps = set()
        for module, imported, _ in imports(path):
            deps.add(module)
            deps.update(f"{module}.{n}" for n in imported if f"{module}.{n}" in names)
        graph[module_name(path)] = {d for d in deps if d in names} - {module_name(path)}

    def visit(node: str, stack: list[str], done: set[str]) -> None:
        if node in stack:
            raise AssertionError("import cycle: " + " -> ".join(stack[stack.index(node):] + [node]))
        if node in done:
            return
        for dep in sorted(graph.get(node, ())):
            # a package's __init__ importing its own modules is not a cycle with them
            if not dep.startswith(node + "."):
                visit(dep, stack + [node], done)
        done.add(node)

    done: set[str] = set()
    for node in sorted(graph):
        visit(node, [], done)


def test_only_the_builder_writes_triples():
    """Ingest modules go through GraphBuilder's public methods: no ``_add``, ``_dated``,
    ``_cite`` or direct ``triples`` access outside build.py."""
    offences = []
    for path in sorted((SRC / "ingest").glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Attribute) and (
                    node.attr in ("triples", "_add", "_dated", "_cite", "_single")):
                offences.append(f"{path.name}:{node.lineno} uses .{node.attr}")
    assert offences == []
