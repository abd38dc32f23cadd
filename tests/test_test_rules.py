"""Rules for the tests themselves, read from their source with ``ast`` (nothing is imported):

- every ``pytest.raises`` names the message that matters (``match=``): an error of the right
  type with the wrong message is a failure, not a pass;
- no test checks that a frozen dataclass refuses an assignment (Python does that, not us);
- collecting the suite does no work: no test module reads data files, loads inputs or runs an
  analysis at import time (at module level, in a class body, a decorator or a default), not
  even through a helper it defines or imports from ``tests/``. Such work goes into a fixture.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

TESTS = Path(__file__).resolve().parent
FILES = sorted(TESTS.glob("*.py"))

# Calls that read files, fetch, build or run an analysis: work that belongs in a fixture.
HEAVY = re.compile(r"^(read_|load_|fetch_|build_|write_|export_|run_|prepare_|rank_)\w*$"
                   r"|^(list_profiles|report_html|map_html|excel_bytes|ranking_csv|"
                   r"ranking_table)$")


def _tree(path: Path) -> ast.Module:
    return ast.parse(path.read_text(encoding="utf-8"), filename=str(path))


def _name(func: ast.expr) -> str:
    """The called name: ``f`` for ``f(...)``, ``m.f(...)`` and ``a.b.f(...)``."""
    if isinstance(func, ast.Attribute):
        return func.attr
    return func.id if isinstance(func, ast.Name) else ""


def _is_raises(call: ast.Call) -> bool:
    return isinstance(call.func, ast.Attribute) and call.func.attr == "raises" and (
        isinstance(call.func.value, ast.Name) and call.func.value.id == "pytest")


# -- pytest.raises -------------------------------------------------------------------------

def raises_without_match(tree: ast.Module) -> list[int]:
    """Lines of ``pytest.raises(...)`` calls that give no ``match=``."""
    return sorted(node.lineno for node in ast.walk(tree)
                  if isinstance(node, ast.Call) and _is_raises(node)
                  and not any(k.arg == "match" for k in node.keywords))


def frozen_checks(tree: ast.Module) -> list[int]:
    """Lines of ``with pytest.raises(FrozenInstanceError | AttributeError)`` whose body only
    assigns to an attribute: a check that a frozen dataclass is frozen."""
    lines = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.With):
            continue
        for item in node.items:
            call = item.context_expr
            if not (isinstance(call, ast.Call) and _is_raises(call) and call.args):
                continue
            kind = _name(call.args[0])
            assigns = all(isinstance(s, (ast.Assign, ast.AugAssign)) and all(
                isinstance(t, ast.Attribute)
                for t in (s.targets if isinstance(s, ast.Assign) else [s.target]))
                for s in node.body)
            if kind == "FrozenInstanceError" or (kind == "AttributeError" and assigns):
                lines.append(node.lineno)
    return lines


# -- work at import time -------------------------------------------------------------------

def _import_time_nodes(tree: ast.Module) -> Iterator[ast.AST]:
    """The parts of a module that run when it is imported: statements at module level and in
    class bodies, and the decorators and defaults of functions (not their bodies)."""
    todo: list[ast.stmt] = list(tree.body)
    while todo:
        node = todo.pop()
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            yield from node.decorator_list
            yield from node.args.defaults
            yield from (d for d in node.args.kw_defaults if d is not None)
        elif isinstance(node, ast.ClassDef):
            yield from node.decorator_list
            yield from node.bases
            todo.extend(node.body)
        elif isinstance(node, ast.If) and _is_main_guard(node.test):
            todo.extend(node.orelse)        # the body runs as a script, not on import
        else:
            yield node


def _is_main_guard(test: ast.expr) -> bool:
    return ast.unparse(test) in ("__name__ == '__main__'", "'__main__' == __name__")


def _calls(nodes: Iterator[ast.AST] | list[ast.AST]) -> Iterator[ast.Call]:
    for node in nodes:
        for sub in ast.walk(node):
            # a lambda's body runs later, when the lambda is called
            if isinstance(sub, ast.Call) and not _inside_lambda(node, sub):
                yield sub


def _inside_lambda(root: ast.AST, target: ast.AST) -> bool:
    for lam in ast.walk(root):
        if isinstance(lam, ast.Lambda) and any(n is target for n in ast.walk(lam.body)):
            return True
    return False


def _functions(tree: ast.Module) -> dict[str, ast.FunctionDef | ast.AsyncFunctionDef]:
    return {n.name: n for n in tree.body if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))}


def _helpers(tree: ast.Module) -> dict[str, ast.FunctionDef | ast.AsyncFunctionDef]:
    """Functions the module imports from helper modules in ``tests/``."""
    found = {}
    for node in tree.body:
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            path = TESTS / f"{node.module}.py"
            if path.is_file():
                functions = _functions(_tree(path))
                found.update({a.asname or a.name: functions[a.name] for a in node.names
                              if a.name in functions})
    return found


def import_time_work(tree: ast.Module) -> list[tuple[int, str]]:
    """(line, call) for each heavy call made while importing the module, directly or through a
    function of the module (or of a helper module in ``tests/``) that is called then."""
    functions = {**_helpers(tree), **_functions(tree)}
    found: list[tuple[int, str]] = []
    seen: set[str] = set()

    def visit(calls: Iterator[ast.Call], line: int | None) -> None:
        for call in calls:
            name = _name(call.func)
            where = line if line is not None else call.lineno
            if HEAVY.match(name):
                found.append((where, ast.unparse(call)[:80]))
            elif name in functions and name not in seen:
                seen.add(name)
                visit(_calls(functions[name].body), where)

    visit(_calls(_import_time_nodes(tree)), None)
    return found


# -- the rules on the suite ------------------------------------------------------------------

@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_every_pytest_raises_pins_its_message(path: Path) -> None:
    lines = raises_without_match(_tree(path))
    assert not lines, (f"{path.name}: pytest.raises without match= on line(s) {lines}; "
                       "pin the message that matters")


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_no_test_checks_that_a_frozen_dataclass_is_frozen(path: Path) -> None:
    lines = frozen_checks(_tree(path))
    assert not lines, (f"{path.name}: line(s) {lines} test that a frozen dataclass refuses "
                       "an assignment; test a behaviour of ours instead")


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_no_test_module_does_work_at_import_time(path: Path) -> None:
    work = import_time_work(_tree(path))
    assert not work, (f"{path.name} reads data or runs an analysis when it is imported "
                      f"(collected, not run): {work}; move it into a fixture")


# -- the rules catch what they are meant to catch -------------------------------------------

def _parse(source: str) -> ast.Module:
    return ast.parse(source)


def test_a_raises_without_match_is_found() -> None:
    tree = _parse("import pytest\n"
                  "def test_a():\n"
                  "    with pytest.raises(ValueError):\n"
                  "        int('x')\n"
                  "    with pytest.raises(ValueError, match='invalid'):\n"
                  "        int('x')\n"
                  "    pytest.raises(KeyError, {}.__getitem__, 1)\n")
    assert raises_without_match(tree) == [3, 7]


def test_frozen_checks_are_found_and_other_attribute_errors_are_not() -> None:
    tree = _parse("import dataclasses, pytest\n"
                  "def test_a(s):\n"
                  "    with pytest.raises(dataclasses.FrozenInstanceError, match=''):\n"
                  "        s.x = 1\n"
                  "    with pytest.raises(AttributeError, match='score'):\n"
                  "        s.score = s.score\n"
                  "    with pytest.raises(AttributeError, match='nope'):\n"
                  "        s.nope()\n")
    assert frozen_checks(tree) == [3, 5]


def test_work_at_import_time_is_found_through_helpers_but_not_in_functions() -> None:
    tree = _parse("import pytest\n"
                  "from geo.inputs import list_profiles, load_inputs\n"
                  "SETTINGS = list_profiles()['Bred prevention']\n"
                  "def _catalogue():\n"
                  "    return read_catalogue('katalog.csv')\n"
                  "CAT = _catalogue()\n"
                  "class TestX:\n"
                  "    INPUTS = load_inputs()\n"
                  "@pytest.mark.parametrize('p', sorted(read_settings(x) for x in []))\n"
                  "def test_a(p, q=run_analysis(1, 2)):\n"
                  "    load_inputs()\n"
                  "LATER = lambda: read_areas('x')\n"
                  "@pytest.fixture(scope='module')\n"
                  "def inputs():\n"
                  "    return load_inputs()\n"
                  "if __name__ == '__main__':\n"
                  "    run_analysis(load_inputs())\n")
    lines = [line for line, _ in import_time_work(tree)]
    assert sorted(lines) == [3, 6, 8, 9, 10]
