"""The package's shape: the core never imports typer or rich, prints or exits; no cycles."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import embedcli

PACKAGE = Path(embedcli.__file__).parent
CORE = sorted(p for p in PACKAGE.rglob("*.py") if "cli" not in p.relative_to(PACKAGE).parts)


def _module(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def test_core_modules_never_import_typer_or_rich():
    # Import every core module in a fresh interpreter and look at what came along.
    modules = [_module(p) for p in CORE if p.name != "__main__.py"]
    code = (
        "import importlib, sys\n"
        f"for m in {modules!r}: importlib.import_module(m)\n"
        "print(sorted(n for n in sys.modules if n.split('.')[0] in ('typer', 'rich', 'click')))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]", out.stdout
    assert len(modules) > 30  # the whole core was imported, not an empty list


def test_core_never_prints_or_exits():
    offenders = []
    for path in CORE:
        if path.name == "__main__.py":
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call):
                f = node.func
                name = (
                    f.id
                    if isinstance(f, ast.Name)
                    else f.attr
                    if isinstance(f, ast.Attribute)
                    else ""
                )
                if name in ("print", "exit") or (
                    isinstance(f, ast.Attribute)
                    and name == "write"
                    and ast.unparse(f.value) in ("sys.stdout", "sys.stderr")
                ):
                    offenders.append(f"{path.relative_to(PACKAGE)}:{node.lineno}")
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                names = (
                    [a.name for a in node.names]
                    if isinstance(node, ast.Import)
                    else [node.module or ""]
                )
                if any(n.split(".")[0] in ("typer", "rich", "click") for n in names):
                    offenders.append(f"{path.relative_to(PACKAGE)}:{node.lineno} imports {names}")
    assert offenders == []


def test_no_module_imports_a_module_that_imports_it_back():
    graph = {}
    modules = {_module(p) for p in PACKAGE.rglob("*.py")}
    for path in PACKAGE.rglob("*.py"):
        deps = set()
        for node in ast.parse(path.read_text(encoding="utf-8")).body:  # module level only
            if (
                isinstance(node, ast.ImportFrom)
                and node.module
                and node.module.startswith("embedcli")
            ):
                for alias in node.names:
                    submodule = f"{node.module}.{alias.name}"
                    # `from package import submodule` needs the submodule (the package is
                    # then being initialised already), `from module import name` the module
                    deps.add(submodule if submodule in modules else node.module)
        graph[_module(path)] = deps
    cycles = []

    def visit(node, stack):
        for dep in graph.get(node, ()):
            if dep not in graph:
                continue
            if dep in stack:
                cycles.append(stack[stack.index(dep) :] + [dep])
            elif len(stack) < 12:
                visit(dep, stack + [dep])

    # The package's own __init__ re-exports the API and is left out: modules read only
    # __version__ from it, which it sets before importing anything.
    graph.pop("embedcli")
    for deps in graph.values():
        deps.discard("embedcli")
    for start in graph:
        visit(start, [start])
    assert cycles == []
