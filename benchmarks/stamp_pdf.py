"""Time to stamp the controlled-document footer on a 10-page and a 100-page PDF (issue 17).

The PDFs are text protocols made with fpdf2 as the demo's are (A4, a heading and paragraphs on
every page, every fifth page in landscape): a footer is drawn once per page size and merged onto
every page. Prints, for each size, the median of the runs, the input and output sizes.

    .venv/bin/python benchmarks/stamp_pdf.py
    .venv/bin/python benchmarks/stamp_pdf.py --runs 9 --pages 10 100 300

The app is created only for the localized words of the line (no database is touched).
"""

from __future__ import annotations

import argparse
import io
import os
import statistics
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

for _key in [key for key in os.environ if key.startswith("RSE_")]:
    del os.environ[_key]  # the developer's own settings do not leak into the figures

from rse import create_app  # noqa: E402
from rse.documents.stamping import Stamp, stamp_pdf  # noqa: E402

PARAGRAPH = ("Avant et après tout contact avec le patient ou son environnement, réaliser une friction "
             "hydro-alcoolique des mains : 3 mL de produit, 30 secondes, jusqu'à séchage complet. ")


def make_pdf(pages: int) -> bytes:
    from fpdf import FPDF

    pdf = FPDF(format="A4")
    pdf.core_fonts_encoding = "windows-1252"
    pdf.set_auto_page_break(False)
    for number in range(1, pages + 1):
        pdf.add_page(orientation="landscape" if number % 5 == 0 else "portrait")
        pdf.set_font("helvetica", "B", 14)
        pdf.multi_cell(0, 8, f"Protocole HYG-PRO-012 – page {number}", new_x="LMARGIN", new_y="NEXT")
        pdf.set_font("helvetica", "", 10)
        for _ in range(6):
            pdf.multi_cell(0, 5, PARAGRAPH * 3, new_x="LMARGIN", new_y="NEXT")
            pdf.ln(2)
    return bytes(pdf.output())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--pages", type=int, nargs="+", default=[10, 100])
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as instance:
        app = create_app(env={"RSE_INSTANCE_PATH": instance, "RSE_SECRET_KEY": "benchmark",
                              "RSE_DATABASE_URL": f"sqlite:///{instance}/rse.db"})
        stamp = Stamp(code="HYG-PRO-012", version=3, effective=date(2026, 12, 7),
                      notice="Document non maîtrisé une fois imprimé")
        with app.test_request_context():
            for pages in args.pages:
                source = make_pdf(pages)
                times, out = [], b""
                for _ in range(args.runs):
                    started = time.perf_counter()
                    out = stamp_pdf(io.BytesIO(source), stamp)
                    times.append(time.perf_counter() - started)
                print(f"{pages:>4} pages: median {statistics.median(times) * 1000:7.1f} ms over {args.runs} runs "
                      f"(min {min(times) * 1000:.1f}, max {max(times) * 1000:.1f}); "
                      f"{len(source) // 1024} KiB in, {len(out) // 1024} KiB out")


if __name__ == "__main__":
    main()
