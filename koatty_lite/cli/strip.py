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

__all__ = ["strip_source", "docstring_lines", "reindent"]


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


def _without_docstrings(tree: ast.AST) -> str:
    """The AST dump with every docstring statement removed (a lone one becomes ``pass``)."""
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)) and node.body:
            first = node.body[0]
            if (isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant)
                    and isinstance(first.value.value, str)):
                node.body[0:1] = [] if len(node.body) > 1 else [ast.Pass()]
    return ast.dump(tree)


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


def strip_source(source: str) -> str:
    """``source`` without comments and docstrings; line N of the result is line N of ``source`` (or blank).

    A docstring that is the only statement of its body becomes ``pass`` on its first line. The result
    is checked: its syntax tree must equal the original's without docstrings, else ``source`` is
    returned unchanged (never a different program).
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
    try:
        result = reindent(result)
    except (SyntaxError, tokenize.TokenError, IndentationError):  # pragma: no cover - checked below anyway
        pass
    # Why: a docstring sharing its line with code (`def f(): "doc"`, `"doc"; x = 1`) would lose that code:
    # the comparison catches it, and every other surprise, and keeps the original.
    try:
        same = ast.dump(ast.parse(result)) == _without_docstrings(ast.parse(source))
    except SyntaxError:
        same = False
    return result if same and result.count("\n") == source.count("\n") else source
