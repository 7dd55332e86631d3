"""The layout the README promises: layers, no cycles, small modules, one public API."""

import importlib
import pkgutil
import subprocess
import sys
from pathlib import Path

import pytest

import opsanalysis as oa

PACKAGE = Path(oa.__file__).parent
MAX_LINES = 500


def _modules() -> list[str]:
    return [
        m.name
        for m in pkgutil.walk_packages([str(PACKAGE)], prefix="opsanalysis.")
        if not m.ispkg and not m.name.endswith("__main__")
    ]


def test_import_contracts_hold():
    """import-linter (pyproject [tool.importlinter]): report > metrics > stats > data, and no
    import cycles between modules at any depth."""
    lint = Path(sys.executable).parent / "lint-imports"
    done = subprocess.run(
        [str(lint), "--config", str(PACKAGE.parent / "pyproject.toml")],
        capture_output=True,
        text=True,
        cwd=PACKAGE.parent,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "2 kept, 0 broken" in done.stdout


def test_every_layer_is_a_folder():
    assert {p.name for p in PACKAGE.iterdir() if (p / "__init__.py").exists()} == {
        "data",
        "stats",
        "metrics",
        "report",
    }
    top = {p.name for p in PACKAGE.glob("*.py")}
    assert top == {"__init__.py", "__main__.py", "cli.py", "exceptions.py"}


@pytest.mark.parametrize("path", sorted(PACKAGE.rglob("*.py")), ids=lambda p: p.name)
def test_no_module_is_a_drawer(path):
    lines = len(path.read_text(encoding="utf-8").splitlines())
    assert lines <= MAX_LINES, f"{path.relative_to(PACKAGE)} has {lines} lines; split it"


def test_all_lists_exactly_what_the_package_re_exports():
    exported = set(oa.__all__) - {"plotting", "reports"}  # module aliases
    owners: dict[str, str] = {}
    for name in _modules():
        module = importlib.import_module(name)
        assert hasattr(module, "__all__"), f"{name} declares no __all__"
        for public in module.__all__:
            assert public in exported, f"{name}.{public} is in __all__ but not oa.{public}"
            assert public not in owners, f"{public} is exported by {owners[public]} and {name}"
            owners[public] = name
            assert getattr(oa, public) is getattr(module, public)
    assert exported == set(owners), f"re-exported from no module: {exported - set(owners)}"
    assert oa.plotting.__name__ == "opsanalysis.report.plotting"
    assert oa.reports.render is oa.render


def test_importing_the_package_loads_no_plotting_or_notebook_library():
    code = (
        "import sys, opsanalysis as oa; oa.kpi_overview; "
        "print(sorted({m.split('.')[0] for m in sys.modules} "
        "& {'matplotlib', 'seaborn', 'nbformat', 'papermill', 'nbconvert'}))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_the_report_command_process_loads_no_analysis_library():
    """`opsanalysis report` renders through a kernel; its own process needs the source and the
    renderer only, and `import opsanalysis` alone loads no engine at all."""
    heavy = "{'scipy', 'statsmodels', 'matplotlib', 'seaborn'}"
    code = (
        "import sys, opsanalysis; bare = sorted({m.split('.')[0] for m in sys.modules} & "
        "{'ibis', 'duckdb', 'pandas'}); import opsanalysis.report.render; "
        f"print(bare, sorted({{m.split('.')[0] for m in sys.modules}} & {heavy}))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[] []"
