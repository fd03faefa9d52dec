"""Time to export an action plan of --actions actions as XLSX and as PDF (and to import it).

In process, on SQLite: a space with an animator and five members, then the plan imported from an
XLSX table of --actions rows (eight objectives, titles of realistic length, one in three long
enough to wrap, owners and co-owners, dates, a tenth closed with a result), which is timed once;
then each export is written --runs times through rse.plans.export, as the animator. Prints the
median and the file's size.

    .venv/bin/python benchmarks/plans_export.py                       # 2,000 actions, median of 3
    .venv/bin/python benchmarks/plans_export.py --actions 200 --runs 5
"""

from __future__ import annotations

import argparse
import io
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
for _key in [key for key in os.environ if key.startswith("RSE_")]:
    del os.environ[_key]  # the developer's own settings do not leak into the figures

from flask_migrate import upgrade  # noqa: E402

from rse import create_app  # noqa: E402
from rse.accounts import service as accounts  # noqa: E402
from rse.communities import service as communities  # noqa: E402
from rse.database import db  # noqa: E402
from rse.plans import exchange, export  # noqa: E402
from rse.plans import service as plans  # noqa: E402

TITLES = (
    "Ouvrir des places d'hébergement temporaire",
    "Mettre en place une astreinte infirmière de nuit mutualisée entre les établissements du territoire, "
    "avec un protocole commun d’appel au SAMU",
    "Former les équipes à la prévention des chutes — « bientraitance »",
)
PASSWORD = "benchmark-password-1234"


def table(actions: int, people: list[str]) -> bytes:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.append(["Objectif", "Action", "Description", "Responsable", "Co-responsables", "Début", "Échéance",
                  "Statut", "Avancement", "Priorité", "Résultat"])
    for n in range(actions):
        closed = n % 10 == 0
        sheet.append([f"Objectif {n % 8 + 1} : améliorer le parcours de la personne âgée", f"{TITLES[n % 3]} ({n})",
                      "Suivi en comité de pilotage" if n % 2 else "", people[n % len(people)],
                      "; ".join(people[(n + 1) % len(people):(n + 1) % len(people) + 2]),
                      f"{1 + n % 28:02d}/01/2026", f"{1 + n % 28:02d}/{1 + n % 12:02d}/2027",
                      "Réalisée" if closed else ("En cours" if n % 3 else "À faire"), 100 if closed else n % 90,
                      ("Basse", "Normale", "Haute")[n % 3], "Fait et présenté au comité" if closed else ""])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--actions", type=int, default=2000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as instance:
        app = create_app({"ARGON2_PARAMS": {"time_cost": 1, "memory_cost": 1024, "parallelism": 1}},
                         env={"RSE_INSTANCE_PATH": instance, "RSE_SECRET_KEY": "benchmark",
                              "RSE_DATABASE_URL": f"sqlite:///{instance}/rse.db"})
        with app.app_context():
            upgrade()
        with app.test_request_context():
            animator = accounts.create_user(email="animation@ght-exemple.fr", name="Élodie Marchand",
                                            password=PASSWORD, role="staff")
            space = communities.create_community(animator, {"name": "CPOM EHPAD", "visibility": "private"})
            people = []
            for n in range(5):
                person = accounts.create_user(email=f"membre{n}@ght-exemple.fr", name=f"Membre {n}",
                                              password=PASSWORD, role="partner" if n % 2 else "staff")
                communities.add_member(animator, space, person, "member")
                people.append(person.email)
            plan = plans.create_plan(animator, space, {"title": "Plan d'actions CPOM 2026-2030"})
            db.session.commit()
            began = time.perf_counter()
            preview = exchange.read_workbook(animator, plan, io.BytesIO(table(args.actions, people)))
            read = time.perf_counter() - began
            exchange.import_rows(animator, plan, preview)
            db.session.commit()
            print(f"import: {args.actions} rows, read and checked in {read:.2f} s, "
                  f"created in {time.perf_counter() - began - read:.2f} s")
            for name, write in (("XLSX", export.to_xlsx), ("PDF", export.to_pdf)):
                times, size = [], 0
                for _run in range(args.runs):
                    db.session.expire_all()  # each run reads the plan from the database again
                    began = time.perf_counter()
                    size = len(write(animator, plan))
                    times.append(time.perf_counter() - began)
                print(f"{name}: {args.actions} actions, median {statistics.median(times):.2f} s of {args.runs} runs "
                      f"({', '.join(f'{t:.2f}' for t in times)}), {size / 1024:.0f} KiB")


if __name__ == "__main__":
    main()
