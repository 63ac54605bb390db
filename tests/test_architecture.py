"""docs/architecture.md stays true, and the runtime stays simple enough to read.

- The module tree lists every runtime module (koatty_lite/ except cli/) and only modules that exist.
- Each name of the "Public names by module" table exists in its module.
- Each module's imports obey the layering the doc states (imports read with ast).
- No function of the runtime is above cyclomatic complexity 15 (the McCabe number, counted below).
"""
from __future__ import annotations

import ast
import importlib
import json
import pathlib
import re
import subprocess
import sys

import pytest

from conftest import ROOT

PKG = pathlib.Path(ROOT) / "koatty_lite"
DOC = (pathlib.Path(ROOT) / "docs" / "architecture.md").read_text(encoding="utf-8")


def _module_name(path: pathlib.Path) -> str:
    """``serverless/http.py`` → ``serverless.http``; ``__init__.py`` → ``__init__``; a package → its name."""
    rel = path.relative_to(PKG).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__" and len(parts) > 1:
        parts = parts[:-1]
    return ".".join(parts)


RUNTIME = {_module_name(p): p for p in sorted(PKG.rglob("*.py")) if "cli" not in p.relative_to(PKG).parts}
CLI = {_module_name(p): p for p in sorted((PKG / "cli").glob("*.py"))}


# --- the module tree --------------------------------------------------------------------------


def _tree() -> list:
    """``[(relative path, description)]`` of the tree's module lines (``serverless/http.py``, ``cli/``)."""
    block = DOC.split("```\nkoatty_lite/\n", 1)[1].split("```", 1)[0]
    out, folder = [], ""
    for line in block.splitlines():
        m = re.match(r"^( {2}| {4})(\S+)(?:\s{2,}(.*))?$", line)
        if not m:
            continue  # a description's continuation line
        indent, name, text = m.groups()
        if len(indent) == 2:
            folder = name if name.endswith("/") else ""
            out.append((name, text or ""))
        else:
            out.append((folder + name, text or ""))
    return out


def test_the_tree_names_only_modules_that_exist():
    listed = _tree()
    assert len(listed) > 30
    missing = [name for name, _ in listed if not (PKG / name).exists()]
    assert missing == [], f"docs/architecture.md lists modules that do not exist: {missing}"


def test_every_runtime_module_is_in_the_tree():
    listed = {name for name, _ in _tree()}
    files = {p.relative_to(PKG).as_posix() for p in RUNTIME.values()}
    assert sorted(files - listed) == [], "add each new module to docs/architecture.md's tree with one line"


# --- public names -----------------------------------------------------------------------------


def _public_names() -> list:
    section = DOC.split("## Public names by module", 1)[1].split("\n## ", 1)[0]
    rows = []
    for line in section.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) != 2 or not cells[0].startswith("`"):
            continue
        module = cells[0].strip("`")
        rows.extend((module, name) for name in re.findall(r"`([^`]+)`", cells[1]))
    return rows


def test_the_public_names_table_covers_every_runtime_module():
    modules = {m for m, _ in _public_names()}
    assert sorted(set(RUNTIME) - modules - {"__main__"}) == []


@pytest.mark.parametrize("module, name", _public_names(), ids=lambda x: x)
def test_each_listed_public_name_exists(module, name):
    mod = importlib.import_module("koatty_lite" if module == "__init__" else "koatty_lite." + module)
    obj = mod
    for part in name.split("."):
        assert hasattr(obj, part), f"docs/architecture.md: {module} has no {name}"
        obj = getattr(obj, part)


# --- layering ---------------------------------------------------------------------------------


def _layer(label: str) -> set:
    line = next(x for x in DOC.splitlines() if x.startswith(f"- **{label}**"))
    return set(re.findall(r"`([^`]+)`", line.split(":", 1)[1]))


EAGER, OPTIONAL, SERVERLESS = _layer("eager core"), _layer("optional"), _layer("serverless")


def _is_type_checking(node: ast.AST) -> bool:
    return isinstance(node, ast.If) and isinstance(node.test, ast.Name) and node.test.id == "TYPE_CHECKING"


def _imports(module: str) -> tuple:
    """``(module-level, inside functions)``: the koatty_lite modules ``module`` imports, by short name
    (``errors``, ``serverless.http``, ``cli._common``); ``if TYPE_CHECKING:`` blocks are not imports."""
    path = RUNTIME.get(module) or CLI[module]
    is_pkg = path.name == "__init__.py"
    own = ("koatty_lite." + module) if module != "__init__" else "koatty_lite"
    package = own if is_pkg else own.rpartition(".")[0]
    top, inner = set(), set()

    def add(target: str, names: list, in_function: bool) -> None:
        if target != "koatty_lite" and not target.startswith("koatty_lite."):
            return
        found = {target}
        for alias in names:  # `from . import aws`: the submodule itself
            sub = pathlib.Path(ROOT, *(target + "." + alias).split("."))
            if sub.with_suffix(".py").exists() or (sub / "__init__.py").exists():
                found.add(target + "." + alias)
        short = {t[len("koatty_lite."):] if t != "koatty_lite" else "__init__" for t in found}
        (inner if in_function else top).update(short)

    def visit(node: ast.AST, in_function: bool) -> None:
        for child in ast.iter_child_nodes(node):
            if _is_type_checking(child):
                continue
            deeper = in_function or isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda))
            if isinstance(child, ast.ImportFrom):
                if child.level:
                    base = package.split(".")[:len(package.split(".")) - child.level + 1]
                    target = ".".join(base + ([child.module] if child.module else []))
                else:
                    target = child.module or ""
                add(target, [a.name for a in child.names], deeper)
            elif isinstance(child, ast.Import):
                for alias in child.names:
                    add(alias.name, [], deeper)
            visit(child, deeper)

    visit(ast.parse(path.read_text(encoding="utf-8")), False)
    top.discard(module)
    inner.discard(module)
    return top, inner - top


def test_every_runtime_module_has_one_layer():
    layers = [EAGER, OPTIONAL, SERVERLESS]
    for module in set(RUNTIME) - {"__main__"}:
        assert sum(module in layer for layer in layers) == 1, f"{module}: in no layer or several"
    assert (EAGER | OPTIONAL | SERVERLESS) <= set(RUNTIME)


def test_the_eager_core_is_what_import_koatty_lite_loads():
    code = ("import json, sys, koatty_lite; print(json.dumps(sorted(m for m in sys.modules "
            "if m.startswith('koatty_lite'))))")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    loaded = {m[len("koatty_lite."):] if m != "koatty_lite" else "__init__" for m in json.loads(out.stdout)}
    assert loaded == EAGER


@pytest.mark.parametrize("module", sorted(EAGER))
def test_rule_1_the_eager_core_imports_optional_modules_only_inside_functions(module):
    top, _ = _imports(module)
    assert top <= EAGER, f"{module} imports {sorted(top - EAGER)} at module level"


def _names_from_the_package(module: str) -> set:
    """The names ``module`` (of serverless/) imports from koatty_lite/__init__.py (``from .. import x``)."""
    tree = ast.parse(RUNTIME[module].read_text(encoding="utf-8"))
    own = "koatty_lite." + module
    level = (own if RUNTIME[module].name == "__init__.py" else own.rpartition(".")[0]).count(".") + 1  # `..`
    return {a.name for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)
            and (n.level == level and not n.module or n.level == 0 and n.module == "koatty_lite")
            for a in n.names}


@pytest.mark.parametrize("module", sorted(SERVERLESS))
def test_rule_2_serverless_imports_only_errors_from_the_core(module):
    top, inner = _imports(module)
    outside = {m for m in top | inner if m not in SERVERLESS}
    assert outside <= {"errors", "__init__"}, f"{module} imports {sorted(outside)}"
    # from the package itself only its module loader (a function that imports nothing of the core)
    assert _names_from_the_package(module) <= {"_import"}, f"{module} imports {_names_from_the_package(module)}"
    assert ("__init__" in outside) == bool(_names_from_the_package(module))


@pytest.mark.parametrize("module", sorted(set(RUNTIME) - SERVERLESS))
def test_rule_3_4_only_entry_imports_serverless_and_only_main_imports_cli(module):
    top, inner = _imports(module)
    used = top | inner
    if module not in ("entry", "kinds"):
        assert not {m for m in used if m in SERVERLESS}, f"{module} imports serverless/"
    if module != "__main__":
        assert not {m for m in used if m == "cli" or m.startswith("cli.")}, f"{module} imports cli/"


def test_rule_5_errors_is_a_leaf():
    top, inner = _imports("errors")
    assert top | inner == set()


def test_the_import_reader_sees_what_it_should():
    """The checks above could pass vacuously if _imports missed imports: pin a few known ones."""
    top, inner = _imports("entry")
    assert {"app", "errors", "log", "serverless"} <= top and "kinds" in inner
    top, inner = _imports("kinds")
    assert {"entry", "serverless"} <= top and "serverless.events" in inner
    top, inner = _imports("routes")
    assert "app" not in top and "validation" in inner  # app: under TYPE_CHECKING only
    top, inner = _imports("serverless")  # the clouds' modules: imported by name (load_platforms)
    assert "serverless.http" in inner  # off the cold path (others by name: _LAZY)
    assert "errors" in _imports("serverless.http")[0]


# --- complexity -------------------------------------------------------------------------------
#
# The McCabe number of a function: 1, plus 1 for each decision point in its own body:
#   if / elif (each `ast.If`), a conditional expression (`a if c else b`), for / async for, while,
#   each `except` clause, each `case` of a match, each `for` of a comprehension and each of its `if`s,
#   and each extra operand of a boolean operator (`a and b and c` adds 2).
# Not counted: else / finally, with, assert, return / raise / break. Nested functions and classes are
# measured on their own (a closure's body is not its parent's), lambdas count in their parent.

LIMIT = 15


def complexity(fn: ast.AST) -> int:
    n = 1
    stack = list(ast.iter_child_nodes(fn))
    while stack:
        node = stack.pop()
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            continue
        if isinstance(node, (ast.If, ast.IfExp, ast.For, ast.AsyncFor, ast.While, ast.ExceptHandler,
                             ast.match_case)):
            n += 1
        elif isinstance(node, ast.BoolOp):
            n += len(node.values) - 1
        elif isinstance(node, ast.comprehension):
            n += 1 + len(node.ifs)
        stack.extend(ast.iter_child_nodes(node))
    return n


def _functions() -> list:
    out = []
    for module, path in RUNTIME.items():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        stack = [(tree, "")]
        while stack:
            node, prefix = stack.pop()
            for child in ast.iter_child_nodes(node):
                if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                    name = prefix + child.name
                    if not isinstance(child, ast.ClassDef):
                        out.append((f"{module}:{name}", complexity(child)))
                    stack.append((child, name + "."))
                else:
                    stack.append((child, prefix))
    return out


def test_the_counter_counts_by_the_rule():
    src = '''
def f(x, items):
    if x and items or not x:          # if +1, `and`/`or`: two BoolOps of 2 operands +2
        return [i for i in items if i]  # comprehension +1, its if +1
    elif x > 1:                       # +1
        y = 1 if x else 2             # +1
    for i in items:                   # +1
        try:
            pass
        except ValueError:            # +1
            pass
    def inner():                      # measured on its own
        if x:
            pass
    while False:                      # +1
        pass
'''
    fn = ast.parse(src).body[0]
    assert complexity(fn) == 1 + 1 + 2 + 2 + 1 + 1 + 1 + 1 + 1
    assert complexity(fn.body[2]) == 2


def test_no_runtime_function_is_above_the_limit():
    over = {name: n for name, n in _functions() if n > LIMIT}
    assert over == {}, f"above cyclomatic complexity {LIMIT}: {over} (extract the rare branches)"
