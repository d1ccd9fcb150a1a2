"""The restricted expression engine of processes and decision tables.

BPMN conditions, script tasks and DMN cells are text stored in files an administrator may edit; they
are never handed to Python's `eval` or `exec`. Expressions are evaluated by simpleeval (names from the
task's data, a short list of functions, no attribute access to dunders, no imports, bounded powers and
string lengths); a script is a sequence of `name = expression` lines and nothing else.
"""

import ast
import copy
from datetime import date

from simpleeval import EvalWithCompoundTypes, InvalidExpression
from SpiffWorkflow.bpmn.script_engine import BasePythonScriptEngineEnvironment, PythonScriptEngine


class ExpressionError(ValueError):
    """A stored expression that is not allowed or cannot be evaluated."""


def _years_since(value) -> int:
    """Whole years from an ISO date (or date) to today: an applicant's age from a birth date."""
    born = value if isinstance(value, date) else date.fromisoformat(str(value)[:10])
    today = date.today()
    return today.year - born.year - ((today.month, today.day) < (born.month, born.day))


FUNCTIONS = {
    "len": len, "str": str, "int": int, "float": float, "bool": bool, "abs": abs, "min": min, "max": max,
    "round": round, "lower": lambda s: str(s).lower(), "startswith": lambda s, p: str(s).startswith(str(p)),
    "years_since": _years_since,
}
CONSTANTS = {"true": True, "false": False, "True": True, "False": False, "None": None, "null": None}


def evaluate(expression: str, names: dict):
    """The value of one expression over `names`; ExpressionError for anything not allowed."""
    evaluator = EvalWithCompoundTypes(names={**CONSTANTS, **names}, functions=FUNCTIONS)
    try:
        return evaluator.eval(expression.strip())
    except (InvalidExpression, SyntaxError, TypeError, ValueError, KeyError, ZeroDivisionError, AttributeError) as exc:
        raise ExpressionError(f"{expression!r}: {exc}") from exc


def script_parse(script: str) -> list[tuple[str, str]]:
    """A script's `name = expression` lines as (name, expression source); ExpressionError otherwise."""
    try:
        tree = ast.parse(script)
    except SyntaxError as exc:
        raise ExpressionError(f"script does not parse: {exc}") from exc
    assignments = []
    for statement in tree.body:
        if (not isinstance(statement, ast.Assign) or len(statement.targets) != 1
                or not isinstance(statement.targets[0], ast.Name) or statement.targets[0].id.startswith("_")):
            raise ExpressionError(f"only `name = expression` lines are allowed in scripts: {ast.unparse(statement)!r}")
        assignments.append((statement.targets[0].id, ast.unparse(statement.value)))
    return assignments


class RestrictedEnvironment(BasePythonScriptEngineEnvironment):
    """SpiffWorkflow's script environment, with simpleeval in place of eval/exec."""

    def evaluate(self, expression, context, external_context=None):
        return evaluate(expression, {**(external_context or {}), **context})

    def execute(self, script, context, external_context=None):
        for name, source in script_parse(script):
            context[name] = copy.deepcopy(evaluate(source, {**(external_context or {}), **context}))
        return True

    def call_service(self, context, **kwargs):
        raise ExpressionError("service tasks are not available in processes")


class RestrictedScriptEngine(PythonScriptEngine):
    def __init__(self):
        super().__init__(environment=RestrictedEnvironment())

    def validate(self, expression):
        # DMN cells are checked for parsing (the DMN engine adds "==" when a cell is a bare value).
        ast.parse(expression)
