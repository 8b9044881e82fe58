"""The import direction of ../shared/design/architecture.md, checked on the source itself:

        alerts
       /   |   \\
returns    |    complaints
       \\   |   /
        tickets
           |
       aftersales (helpers only)

Every .py file of every app is parsed (ast), so imports inside functions, `if TYPE_CHECKING:` blocks and
`importlib.import_module("...")` calls count as much as the ones at the top of a module.
"""

import ast
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
APPS = ("aftersales", "tickets", "returns", "complaints", "alerts")

# What each package may import from the project; its own modules are always allowed.
ALLOWED: dict[str, set[str]] = {
    "aftersales": set(),
    "tickets": {"aftersales"},
    "returns": {"aftersales", "tickets"},
    "complaints": {"aftersales", "tickets"},
    "alerts": {"aftersales", "tickets", "returns", "complaints"},
}
# The Celery app finds every app's tasks, and the ASGI entry point routes to the apps' websocket consumers (as the URL
# configuration includes their URLs); that is their job, not a dependency of the helpers.
EXEMPT = {Path("aftersales/celery.py"), Path("aftersales/asgi.py")}


@dataclass(frozen=True)
class Import:
    module: str  # absolute dotted name
    line: int


def imports_of(source: str, module_name: str, *, is_package: bool = False) -> list[Import]:
    """Every module a source file imports, at any depth, relative imports resolved against `module_name`."""
    found: list[Import] = []
    package = module_name if is_package else module_name.rpartition(".")[0]
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found.extend(Import(alias.name, node.lineno) for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                parts = package.split(".")
                base = ".".join(parts[: len(parts) - (node.level - 1)])
                target = f"{base}.{node.module}" if node.module else base
            else:
                target = node.module or ""
            found.append(Import(target, node.lineno))
        elif isinstance(node, ast.Call) and node.args and isinstance(node.args[0], ast.Constant):
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ""
            if name in {"import_module", "__import__"} and isinstance(node.args[0].value, str):
                found.append(Import(node.args[0].value, node.lineno))
    return sorted(found, key=lambda imported: imported.line)


def violations_of(package: str, path: Path, source: str) -> list[str]:
    relative = path.relative_to(ROOT) if path.is_absolute() else path
    module_name = ".".join(relative.with_suffix("").parts)
    is_package = relative.name == "__init__.py"
    if is_package:
        module_name = module_name.removesuffix(".__init__")
    problems = []
    for imported in imports_of(source, module_name, is_package=is_package):
        top = imported.module.split(".")[0]
        if top in APPS and top != package and top not in ALLOWED[package]:
            problems.append(f"{relative}:{imported.line} imports {imported.module} ({package} may not import {top})")
    return problems


def source_files(package: str) -> list[Path]:
    return sorted(path for path in (ROOT / package).rglob("*.py") if path.relative_to(ROOT) not in EXEMPT)


@pytest.mark.parametrize("package", APPS)
def test_package_imports_only_the_layers_below_it(package):
    # Given every Python file of the package
    files = source_files(package)
    assert files, f"no Python files found under {package}/"

    # When their imports are read
    problems = [problem for path in files for problem in violations_of(package, path, path.read_text())]

    # Then none reaches a package above or beside it
    assert not problems, "imports against the dependency direction:\n" + "\n".join(problems)


def test_the_check_sees_imports_at_any_depth():
    # Given a tickets module that hides upward imports in a function, a relative import and import_module
    source = (
        "import json\n"
        "from . import models\n"
        "from tickets.services import ticket_create\n"
        "def build():\n"
        "    from returns.models import ReturnRequest\n"
        "    import alerts.sweep\n"
        "    return importlib.import_module('complaints.services')\n"
    )

    # When it is checked as part of tickets
    problems = violations_of("tickets", Path("tickets/views.py"), source)

    # Then each upward import is named with its file and line, and the allowed ones are not
    assert problems == [
        "tickets/views.py:5 imports returns.models (tickets may not import returns)",
        "tickets/views.py:6 imports alerts.sweep (tickets may not import alerts)",
        "tickets/views.py:7 imports complaints.services (tickets may not import complaints)",
    ]


def test_sibling_apps_may_not_import_each_other():
    source = "from complaints.models import Complaint\nfrom tickets import services\n"

    assert violations_of("returns", Path("returns/services.py"), source) == [
        "returns/services.py:1 imports complaints.models (returns may not import complaints)"
    ]


def test_relative_imports_stay_inside_their_own_package():
    # Given relative imports in a module and in a package's __init__
    module_source = "from .models import ReturnRequest\nfrom ..services import refunds\n"
    init_source = "from . import services\n"

    # Then they resolve inside returns, which is always allowed
    assert imports_of(module_source, "returns.services.refunds") == [
        Import("returns.services.models", 1),
        Import("returns.services", 2),
    ]
    assert imports_of(init_source, "returns", is_package=True) == [Import("returns", 1)]
    assert violations_of("returns", Path("returns/services/refunds.py"), module_source) == []
