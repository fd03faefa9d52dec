"""The layering holds, checked by import-linter: packages import one way (accounts <- communities <-
documents, feeds <- search, digest <- api), search knows no feature, and views and API handlers
reach the database only through services."""

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
