"""The house rules of docs/architecture.md on the size of things, checked on every module.

* no module longer than `MAX_MODULE_LINES` lines;
* no function or method outside a Numba kernel longer than `MAX_FUNCTION_LINES` lines
  (decorators, signature and docstring included);
* no Numba kernel (``@njit``/``@jit``/``@vectorize``/``@guvectorize``) with more than
  `MAX_KERNEL_PARAMS` parameters: two swapped floats in a long positional list give wrong physics
  silently, so kernels take packed arrays with named indices instead.

An exception is allowed only where the module docstring names it and says why, on a line of the
form ``Layout exception (`name`): why`` (``name``: ``module``, or the function's qualified name,
e.g. ``Class.method``). An exception that no longer applies fails too, so the list stays true.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

MAX_MODULE_LINES = 800
MAX_FUNCTION_LINES = 80
MAX_KERNEL_PARAMS = 12
KERNEL_DECORATORS = ("njit", "jit", "vectorize", "guvectorize")
EXCEPTION = re.compile(r"Layout exception \(`([\w.]+)`\):\s*\S")

PACKAGE = Path(__file__).resolve().parents[1] / "src" / "shieldsim"


def _is_kernel(node: ast.FunctionDef) -> bool:
    for deco in node.decorator_list:
        target = deco.func if isinstance(deco, ast.Call) else deco
        name = target.attr if isinstance(target, ast.Attribute) else getattr(target, "id", "")
        if name in KERNEL_DECORATORS:
            return True
    return False


def _functions(tree: ast.AST, prefix: str = ""):
    """(qualified name, node) of every function and method, nested ones included."""
    for child in ast.iter_child_nodes(tree):
        if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef)):
            yield prefix + child.name, child
            yield from _functions(child, f"{prefix}{child.name}.")
        elif isinstance(child, ast.ClassDef):
            yield from _functions(child, f"{prefix}{child.name}.")


def _parameters(node: ast.FunctionDef) -> int:
    a = node.args
    return len(a.posonlyargs) + len(a.args) + len(a.kwonlyargs) + (a.vararg is not None) + (a.kwarg is not None)


def violations(source: str) -> dict[str, str]:
    """{name: what is too big} for one module's source (``name`` as an exception names it)."""
    tree = ast.parse(source)
    found = {}
    lines = len(source.splitlines())
    if lines > MAX_MODULE_LINES:
        found["module"] = f"{lines} lines (> {MAX_MODULE_LINES})"
    for name, node in _functions(tree):
        start = min([d.lineno for d in node.decorator_list] + [node.lineno])
        length = node.end_lineno - start + 1
        if _is_kernel(node):
            if _parameters(node) > MAX_KERNEL_PARAMS:
                found[name] = f"kernel with {_parameters(node)} parameters (> {MAX_KERNEL_PARAMS})"
        elif length > MAX_FUNCTION_LINES:
            found[name] = f"{length} lines (> {MAX_FUNCTION_LINES})"
    return found


def declared_exceptions(source: str) -> set[str]:
    """Names the module docstring declares as layout exceptions (with a reason)."""
    doc = ast.get_docstring(ast.parse(source)) or ""
    return set(EXCEPTION.findall(doc))


def module_report(source: str) -> tuple[dict[str, str], set[str]]:
    """(violations not declared, declared exceptions that are not violations)."""
    found, declared = violations(source), declared_exceptions(source)
    return {k: v for k, v in found.items() if k not in declared}, declared - set(found)


MODULES = sorted(PACKAGE.rglob("*.py"))


@pytest.mark.parametrize("path", MODULES, ids=[str(p.relative_to(PACKAGE)) for p in MODULES])
def test_module_keeps_the_size_rules_or_declares_why_not(path):
    undeclared, stale = module_report(path.read_text(encoding="utf-8"))
    assert not undeclared, (f"{path.relative_to(PACKAGE)}: {undeclared}; split it, or add "
                            "'Layout exception (`name`): why' to the module docstring")
    assert not stale, f"{path.relative_to(PACKAGE)}: declared layout exceptions that no longer apply: {sorted(stale)}"


def _long_function(lines: int) -> str:
    return "def f(x):\n" + "    x += 1\n" * (lines - 2) + "    return x\n"


def test_a_function_one_line_over_the_limit_is_reported_and_one_at_the_limit_is_not():
    assert violations(_long_function(MAX_FUNCTION_LINES)) == {}
    assert violations(_long_function(MAX_FUNCTION_LINES + 1)) == {"f": f"{MAX_FUNCTION_LINES + 1} lines (> 80)"}


def test_methods_and_nested_functions_are_measured_under_their_qualified_names():
    body = "".join("    " + line + "\n" for line in _long_function(90).splitlines())
    assert set(violations("class C:\n" + body)) == {"C.f"}
    assert set(violations("def outer():\n" + body)) == {"outer", "outer.f"}  # the outer one holds it


def test_kernels_are_judged_by_their_parameters_not_their_length():
    many = ", ".join(f"a{i}" for i in range(MAX_KERNEL_PARAMS + 1))
    long_kernel = "from numba import njit\n@njit(cache=True)\n" + _long_function(200)
    wide_kernel = f"import numba\n@numba.njit\ndef k({many}):\n    return a0\n"
    assert violations(long_kernel) == {}
    assert violations(wide_kernel) == {"k": "kernel with 13 parameters (> 12)"}
    assert violations(wide_kernel.replace("@numba.njit\n", "")) == {}


def test_a_long_module_needs_a_declared_reason_and_a_stale_declaration_is_reported():
    long_module = "x = 1\n" * (MAX_MODULE_LINES + 1)
    assert module_report(long_module) == ({"module": "801 lines (> 800)"}, set())
    declared = '"""Doc.\n\nLayout exception (`module`): one table that reads best whole."""\n' + long_module
    assert module_report(declared) == ({}, set())
    short = '"""Doc.\n\nLayout exception (`f`): kept whole."""\nx = 1\n'
    assert module_report(short) == ({}, {"f"})
    assert declared_exceptions('"""Layout exception (`f`):"""') == set()  # a reason is required
