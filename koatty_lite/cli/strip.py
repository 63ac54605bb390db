"""Docstrings and comments out of koatty_lite's own source, every line kept where it was.

`package` ships the runtime this way by default (`--keep-docstrings` ships it as written): about a
third fewer bytes zipped, and the bytecode is compiled from the shipped text, so a traceback names the
same file, line and code as the repository's. Indentation is one space per block level (a traceback
shows each line without its indentation). Never applied to the app (OpenAPI reads its docstrings).
"""
from __future__ import annotations

import ast
import io
import tokenize

__all__ = ["strip_source", "strip_unread", "docstring_lines", "reindent"]


def _docstrings(tree: ast.AST) -> list:
    """[(first line, last line, only statement of its body)] of every module/class/function docstring."""
    out = []
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)) and node.body:
            first = node.body[0]
            if (isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant)
                    and isinstance(first.value.value, str)):
                out.append((first.lineno, first.end_lineno, len(node.body) == 1))
    return out


def docstring_lines(source: str) -> set:
    """The line numbers the docstrings of ``source`` occupy (what ``strip_source`` blanks)."""
    return {n for a, b, _ in _docstrings(ast.parse(source)) for n in range(a, b + 1)}


def _without_docstrings(tree: ast.AST) -> ast.AST:
    """``tree`` with every docstring statement removed (a lone one becomes ``pass``)."""
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)) and node.body:
            first = node.body[0]
            if (isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant)
                    and isinstance(first.value.value, str)):
                node.body[0:1] = [] if len(node.body) > 1 else [ast.Pass()]
    return tree


def reindent(source: str) -> str:
    """``source`` with one space per block level and no leading blanks on continuation lines; the lines
    inside a multi-line string are untouched. Line N stays line N."""
    keep = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, (ast.Constant, ast.JoinedStr)) and getattr(node, "end_lineno", None) != node.lineno:
            keep.update(range(node.lineno + 1, node.end_lineno + 1))
    starts, depth, new_line = {}, 0, True
    for tok in tokenize.generate_tokens(io.StringIO(source).readline):
        if tok.type == tokenize.INDENT:
            depth += 1
        elif tok.type == tokenize.DEDENT:
            depth -= 1
        elif tok.type == tokenize.NEWLINE:
            new_line = True
        elif tok.type not in (tokenize.NL, tokenize.COMMENT, tokenize.ENCODING) and new_line:
            starts[tok.start[0]] = depth
            new_line = False
    lines = source.splitlines(keepends=True)
    for row, line in enumerate(lines, 1):
        if row not in keep:
            lines[row - 1] = " " * starts.get(row, 0) + line.lstrip(" \t")
    return "".join(lines)


_FUNCS = (ast.FunctionDef, ast.AsyncFunctionDef)


def _is_future_annotations(node: ast.AST) -> bool:
    return (isinstance(node, ast.ImportFrom) and node.module == "__future__" and len(node.names) == 1
            and node.names[0].name == "annotations" and node.names[0].asname is None)


def _is_type_checking(node: ast.AST) -> bool:
    """``if TYPE_CHECKING:`` holding only imports (names for annotations, never bound at run time)."""
    return (isinstance(node, ast.If) and isinstance(node.test, ast.Name) and node.test.id == "TYPE_CHECKING"
            and not node.orelse and all(isinstance(n, (ast.Import, ast.ImportFrom)) for n in node.body))


def _is_type_checking_flag(node: ast.AST) -> bool:
    """``TYPE_CHECKING = False``."""
    return (isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name)
            and node.targets[0].id == "TYPE_CHECKING" and isinstance(node.value, ast.Constant)
            and node.value.value is False)


def _unread_statements(tree: ast.Module) -> list:
    """The module-level statements only tools read: ``from __future__ import annotations`` (no annotation
    is left to postpone), ``if TYPE_CHECKING:`` imports, and ``TYPE_CHECKING = False`` when that is all
    that reads it."""
    out = [n for n in tree.body if _is_future_annotations(n) or _is_type_checking(n)]
    flags = [n for n in tree.body if _is_type_checking_flag(n)]
    uses = sum(1 for n in ast.walk(tree) if isinstance(n, ast.Name) and n.id == "TYPE_CHECKING")
    if len(flags) == 1 and uses == 1 + sum(1 for n in out if isinstance(n, ast.If)):
        out += flags
    return out


def _binds_property(tree: ast.AST) -> bool:
    """True when the module defines its own ``property`` (then ``property(doc=...)`` is not the builtin's)."""
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) and node.name == "property":
            return True
        if isinstance(node, ast.Name) and node.id == "property" and not isinstance(node.ctx, ast.Load):
            return True
        if isinstance(node, ast.alias) and (node.asname or node.name) == "property":
            return True
        if isinstance(node, ast.arg) and node.arg == "property":
            return True
    return False


def _property_doc(node: ast.AST, builtin: bool):
    """The ``doc=`` keyword of a ``property(...)`` call (a docstring by another name), else None."""
    if builtin and isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "property":
        for kw in node.keywords:
            if kw.arg == "doc" and isinstance(kw.value, ast.Constant) and isinstance(kw.value.value, str):
                return kw
    return None


def _unread_edits(tree: ast.Module, lines: list, stringify: bool) -> tuple:
    """([(line, start byte, end byte, replacement)], kept) dropping what nothing reads at run time: each
    argument's and return's annotation (``b: int = 3`` -> ``b=3``), the one of ``x: T = v`` outside a class
    body (``x = v``), and a ``property(...)``'s ``doc=``. A class body's ``x: T`` keeps its annotation (the
    DI and validation read class annotations): with ``stringify`` (``from __future__ import annotations``
    goes), as the very string that import made of it. ``kept``: the keys (``_key``) of those left as
    written because they span lines."""
    edits, kept = [], set()
    builtin = not _binds_property(tree)

    def one_line(*nodes):
        return len({n.lineno for n in nodes} | {n.end_lineno for n in nodes}) == 1

    def visit(node, in_class):
        for child in ast.iter_child_nodes(node):
            if isinstance(child, _FUNCS):
                a = child.args
                positional = a.posonlyargs + a.args
                defaults = dict(zip(map(id, positional[len(positional) - len(a.defaults):]), a.defaults))
                defaults.update((id(arg), d) for arg, d in zip(a.kwonlyargs, a.kw_defaults) if d is not None)
                for arg in positional + a.kwonlyargs + [a.vararg, a.kwarg]:
                    if arg is None or arg.annotation is None:
                        continue
                    if not one_line(arg):
                        kept.add(_key("arg", arg))
                        continue
                    start, default = arg.col_offset + len(arg.arg.encode()), defaults.get(id(arg))
                    if default is not None and default.lineno == arg.lineno:
                        edits.append((arg.lineno, start, default.col_offset, b"="))
                    else:
                        edits.append((arg.lineno, start, arg.end_col_offset, b""))
                ret = child.returns
                if ret is not None:
                    line = lines[ret.lineno - 1]
                    arrow = line.rfind(b"->", 0, ret.col_offset)
                    if not one_line(ret) or arrow < 0 or line[arrow + 2:ret.col_offset].strip():
                        kept.add(_key("ret", child))
                    else:
                        edits.append((ret.lineno, len(line[:arrow].rstrip()), ret.end_col_offset, b""))
            elif isinstance(child, ast.AnnAssign):
                ann = child.annotation
                if not one_line(child.target, ann):
                    kept.add(_key("ann", child))
                elif child.value is not None and not in_class:
                    edits.append((ann.lineno, child.target.end_col_offset, ann.end_col_offset, b""))
                elif stringify:
                    edits.append((ann.lineno, ann.col_offset, ann.end_col_offset, repr(ast.unparse(ann)).encode()))
            doc = _property_doc(child, builtin)
            if doc is not None:
                before = [n for n in child.args + child.keywords if n is not doc]
                last = max(before, key=lambda n: (n.end_lineno, n.end_col_offset)) if before else None
                if last is None or not one_line(last, doc):
                    kept.add(_key("doc", doc))
                else:
                    edits.append((doc.lineno, last.end_col_offset, doc.end_col_offset, b""))
            visit(child, isinstance(child, ast.ClassDef) or (in_class and not isinstance(child, _FUNCS)))

    visit(tree, False)
    return edits, kept


def _key(kind: str, node: ast.AST) -> tuple:
    """Where a node is, to find it again in another parse of the same source."""
    return kind, node.lineno, node.col_offset


def _without_unread(tree: ast.Module, kept: set, stringify: bool, statements: bool) -> ast.Module:
    """``tree`` as ``strip_unread`` leaves it (for the check): less the module-level statements when
    ``statements``, and never what ``kept`` names."""
    drop = set(map(id, _unread_statements(tree))) if statements else set()
    builtin = not _binds_property(tree)

    def visit(node, in_class):
        for field, value in ast.iter_fields(node):
            if isinstance(value, list):
                out = []
                for child in value:
                    if id(child) in drop:
                        continue
                    if isinstance(child, ast.AnnAssign) and _key("ann", child) not in kept:
                        if child.value is not None and not in_class:
                            child = ast.Assign(targets=[child.target], value=child.value, type_comment=None)
                        elif stringify:
                            child.annotation = ast.Constant(value=ast.unparse(child.annotation))
                    out.append(child)
                setattr(node, field, out)
        for child in ast.iter_child_nodes(node):
            if isinstance(child, _FUNCS):
                for arg in ast.walk(child.args):
                    if isinstance(arg, ast.arg) and _key("arg", arg) not in kept:
                        arg.annotation = None
                if _key("ret", child) not in kept:
                    child.returns = None
            doc = _property_doc(child, builtin)
            if doc is not None and _key("doc", doc) not in kept:
                child.keywords.remove(doc)
            visit(child, isinstance(child, ast.ClassDef) or (in_class and not isinstance(child, _FUNCS)))
        return node

    return visit(tree, False)


def strip_unread(source: str) -> str:
    """``source`` without what nothing reads at run time (``_unread_edits``, ``_unread_statements``):
    annotations, ``from __future__ import annotations``, ``if TYPE_CHECKING:`` imports, property docs.
    Line N stays line N (a dropped statement leaves blank lines). An annotation that spans lines stays,
    and then so do the module's ``from __future__ import annotations`` and ``TYPE_CHECKING`` imports.
    Checked like ``strip_source``: its syntax tree must be the original's less exactly those, else
    ``source`` comes back unchanged."""
    tree = ast.parse(source)
    lines = [line.encode("utf-8") for line in source.splitlines(keepends=True)]
    postponed = any(_is_future_annotations(n) for n in tree.body)
    edits, kept = _unread_edits(tree, lines, postponed)
    statements = not any(k[0] != "doc" for k in kept)  # why: a kept annotation may need them
    if postponed and not statements:
        edits, kept = _unread_edits(tree, lines, False)
    for row, start, end, text in sorted(edits, reverse=True):
        lines[row - 1] = lines[row - 1][:start] + text + lines[row - 1][end:]
    for node in _unread_statements(tree) if statements else ():
        for row in range(node.lineno, node.end_lineno + 1):
            lines[row - 1] = b"\n"
    result = b"".join(lines).decode("utf-8")
    try:
        want = _without_unread(ast.parse(source), kept, postponed and statements, statements)
        same = ast.dump(ast.parse(result)) == ast.dump(want)
    except SyntaxError:
        same = False
    return result if same and result.count("\n") == source.count("\n") else source


def strip_source(source: str, unread: bool = True) -> str:
    """``source`` without comments and docstrings (and, with ``unread``, what ``strip_unread`` drops:
    annotations and the like); line N of the result is line N of ``source`` (or blank).

    A docstring that is the only statement of its body becomes ``pass`` on its first line. The result
    is checked: its syntax tree must equal the original's without docstrings (and what strip_unread drops),
    else ``source`` is returned unchanged (never a different program).
    """
    tree = ast.parse(source)
    lines = source.splitlines(keepends=True)
    spans = _docstrings(tree)
    for tok in tokenize.generate_tokens(io.StringIO(source).readline):
        if tok.type == tokenize.COMMENT:
            row, col = tok.start
            line = lines[row - 1]
            end = line[len(line.rstrip("\r\n")):]
            lines[row - 1] = line[:col].rstrip() + end
    for a, b, only in spans:
        first = lines[a - 1]
        indent = first[:len(first) - len(first.lstrip())]
        for i in range(a - 1, b):
            lines[i] = "\n"
        if only:
            lines[a - 1] = indent + "pass\n"
    result = "".join(lines)
    # Why: a docstring sharing its line with code (`def f(): "doc"`, `"doc"; x = 1`) would lose that code:
    # each step is checked (this one against the original without docstrings, strip_unread against its
    # input, reindent against its input), which catches that and every other surprise, and keeps the original.
    try:
        same = ast.dump(ast.parse(result)) == ast.dump(_without_docstrings(ast.parse(source)))
    except SyntaxError:
        same = False
    if not same:
        return source
    bare = strip_unread(result) if unread else result
    try:
        result = reindent(bare)
        same = ast.dump(ast.parse(result)) == ast.dump(ast.parse(bare))
    except (SyntaxError, tokenize.TokenError, IndentationError):  # pragma: no cover - checked anyway
        same = False
    return result if same and result.count("\n") == source.count("\n") else source
