"""Every import-linter contract of pyproject.toml is kept: the feature packages' layers, what search
may know, and that views and API handlers do not query the database. The contracts are counted from
the configuration, not repeated here, so a contract added there is checked here too."""

import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_every_import_contract_is_kept():
    contracts = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]["contracts"]
    lint = Path(sys.executable).parent / "lint-imports"
    result = subprocess.run([str(lint), "--no-cache"], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"{len(contracts)} kept, 0 broken" in result.stdout
    assert any("rse.database" in contract.get("forbidden_modules", ()) for contract in contracts)
