"""Time to write the register of controlled documents as XLSX and as PDF, for --rows documents.

The export functions alone, in process (no HTTP, no database read: the rows are made up, with
titles of realistic length, one in three long enough to wrap, accents, a reading campaign on
most rows and some reviews overdue). Each format is written --runs times; prints the median and
the file's size.

    .venv/bin/python benchmarks/register_export.py                  # 1,000 rows, median of 3
    .venv/bin/python benchmarks/register_export.py --rows 150 --runs 5
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
for _key in [key for key in os.environ if key.startswith("RSE_")]:
    del os.environ[_key]  # the developer's own settings do not leak into the figures

from rse import create_app  # noqa: E402
from rse.documents.register_export import RegisterExport, RegisterRow, to_pdf, to_xlsx  # noqa: E402

TITLES = (
    "Hygiène des mains : friction hydro-alcoolique",
    "Prévention du risque infectieux lors de la pose et de l’entretien d’un cathéter veineux périphérique",
    "Bionettoyage des chambres en secteur protégé — « précautions complémentaires contact »",
)
STATES = ("En vigueur", "En approbation", "Révision dépassée", "En vérification", "Brouillon")


def register(rows: int) -> RegisterExport:
    start = date(2024, 1, 1)
    return RegisterExport(
        title="Registre des documents maîtrisés — tout le groupement",
        generated_at=datetime.now(UTC), generated_by="Élodie Marchand",
        filters=["État : tous", "Espaces : tous ceux que vous pouvez lire"],
        rows=[RegisterRow(
            code=f"HYG-PRO-{n:04d}", title=TITLES[n % 3], kind="Protocole", state=STATES[n % 5],
            version=n % 7 + 1, effective=start + timedelta(days=n % 700),
            next_review=start + timedelta(days=n % 700 + 730), overdue=n % 5 == 2,
            reading_done=n % 97, reading_total=0 if n % 4 == 0 else 120,
            space=f"Hygiène — site {n % 5 + 1}", url=f"https://maillage.example/documents/{n}",
        ) for n in range(rows)],
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as instance:
        app = create_app({}, env={"RSE_INSTANCE_PATH": instance, "RSE_SECRET_KEY": "benchmark",
                                  "RSE_DATABASE_URL": f"sqlite:///{instance}/rse.db"})
        export = register(args.rows)
        with app.test_request_context():
            for name, write in (("XLSX", to_xlsx), ("PDF", to_pdf)):
                times, size = [], 0
                for _run in range(args.runs):
                    began = time.perf_counter()
                    size = len(write(export))
                    times.append(time.perf_counter() - began)
                print(f"{name}: {args.rows} rows, median {statistics.median(times):.2f} s of {args.runs} runs "
                      f"({', '.join(f'{t:.2f}' for t in times)}), {size / 1024:.0f} KiB")


if __name__ == "__main__":
    main()
