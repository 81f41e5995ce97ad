"""The apps depend one way (docs/architecture.md): no module of an app imports a higher app, and no
app reaches another app's model through ``_meta`` to hide the dependency."""

import ast
from pathlib import Path

import pytest
from django.conf import settings

LAYERS = ["core", "customers", "renewals", "documents", "notifications", "campaigns", "analytics", "demo"]
ROOT = Path(settings.BASE_DIR)


def _modules(app: str):
    for path in sorted((ROOT / app).rglob("*.py")):
        if "migrations" not in path.parts:
            yield path


def _imported_top_names(path: Path):
    tree = ast.parse(path.read_text(), filename=str(path))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name.split(".")[0]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            yield node.lineno, node.module.split(".")[0]


@pytest.mark.parametrize("app", LAYERS[:-1])
def test_no_app_imports_a_higher_app_or_config(app):
    higher = set(LAYERS[LAYERS.index(app) + 1 :]) | {"config"}
    offending = [
        f"{path.relative_to(ROOT)}:{line} imports {name}"
        for path in _modules(app)
        for line, name in _imported_top_names(path)
        if name in higher
    ]
    assert offending == []


@pytest.mark.parametrize("app", LAYERS[:-1])  # demo imports every app openly (its reset walks them)
def test_no_app_reaches_a_related_model_through_meta(app):
    offending = [
        f"{path.relative_to(ROOT)}:{number}"
        for path in _modules(app)
        for number, line in enumerate(path.read_text().splitlines(), 1)
        if "related_model" in line and "_meta" in line
    ]
    assert offending == []
