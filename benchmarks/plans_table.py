"""The queries behind a plan's table and summary, for a plan of --actions actions (2,000 by default)
beside a baseline plan ten times smaller in the same database, on SQLite and on PostgreSQL.

Each database is built fresh (migrations, then a private space of 30 people, a third of them
partners, and its two plans through the plans' service; the actions themselves are inserted as
rows: owners and co-owners, dates around today, every status, one action in twenty with an
indicator and four values). A member who is neither animator nor owner reads them. Each timed call
runs in its own app context with a fresh session, as a request does; the operations and the two
plans are interleaved call by call. Prints p50 and p95 in ms of:

- `table`: service.plan_actions with the default filters (every action, by due date);
- `late`: service.plan_actions with the late filter;
- `summary`: service.summary (counts per status and objective, late, due soon, indicators);
- with `--render`, `page`: the plan's table page, GET /plans/<id> through the Flask test client,
  signed in as that member through the login form (the whole response: the request, the session,
  the queries, the permission checks and the template), as it is first opened (no filter); and
  `page CPU`, the CPU time this process spent in those GETs (less sensitive to a busy machine);

and the ratio of the large plan to the baseline. Target (issue 18): the table page of 2,000
actions in under 100 ms p95 (`page`, 2,000).

    .venv/bin/python benchmarks/plans_table.py                                  # SQLite and PostgreSQL
    .venv/bin/python benchmarks/plans_table.py --backends sqlite --runs 50
    .venv/bin/python benchmarks/plans_table.py --render --only page             # the page alone
    .venv/bin/python benchmarks/plans_table.py --workdir ~/maillage-bench/plans # keep the databases' folder
"""

from __future__ import annotations

import argparse
import os
import random
import re
import shutil
import signal
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
for _key in [key for key in os.environ if key.startswith("RSE_")]:
    del os.environ[_key]  # the developer's own settings do not leak into the figures

from benchmarks.feeds_streams import interrupted, percentile, start_cluster, stop_cluster  # noqa: E402

BACKENDS = ("sqlite", "postgresql")
PASSWORD = "benchmark-password-2026"
PEOPLE = 30
OBJECTIVES = 8
VERBS = ("Mettre en place", "Formaliser", "Auditer", "Déployer", "Former les équipes à", "Évaluer", "Réviser",
         "Sécuriser")
SUBJECTS = ("le circuit du médicament", "la prévention des chutes", "l'hébergement temporaire",
            "l'accueil de jour", "les transmissions ciblées", "la traçabilité du bionettoyage",
            "le projet d'accompagnement personnalisé", "la télémédecine", "le plan bleu",
            "les partenariats avec l'HAD")


# --- Building the data ----------------------------------------------------------------------------

def make_app(url: str, instance: Path):
    from rse import create_app

    instance.mkdir(parents=True, exist_ok=True)
    return create_app(env={"RSE_DATABASE_URL": url, "RSE_INSTANCE_PATH": str(instance), "RSE_SECRET_KEY": "benchmark",
                           "RSE_RATELIMIT_ENABLED": "0", "RSE_SEARCH_SYNC_INLINE": "0"})


def build(app, sizes: list[int], seed: int) -> dict:
    """The people, the space and one plan per size; returns the ids the measurements need."""
    from flask_migrate import upgrade

    from rse.accounts import service as accounts
    from rse.accounts.models import Role
    from rse.communities import service as communities
    from rse.communities.models import MemberRole
    from rse.database import db
    from rse.i18n import local_today
    from rse.plans import service as plans
    from rse.plans.models import Action, ActionOwner, ActionStatus, Indicator, IndicatorValue, Priority, ValueType

    rng = random.Random(seed)
    with app.app_context():
        upgrade()
        admin = accounts.create_user(email="admin@bench.example.fr", name="Admin", password=PASSWORD, role=Role.ADMIN)
        people = [accounts.create_user(
            email=f"personne{n}@{'ars' if n % 3 == 2 else 'ght'}-bench.example.fr", name=f"Personne {n:02d}",
            password=PASSWORD, role=Role.PARTNER if n % 3 == 2 else Role.STAFF, actor=admin) for n in range(PEOPLE)]
        animator, reader = people[0], people[1]
        space = communities.create_community(animator, {"name": "CPOM – banc d'essai", "visibility": "private",
                                                        "description": "Plans d'actions du banc d'essai."})
        for person in people[1:]:
            communities.add_member(animator, space, person, MemberRole.MEMBER)
        owners = [p.id for p in people[2:]]  # the reader owns nothing: what they read is what anyone reads
        today = local_today()
        ids = {"reader": reader.id, "today": today, "plans": {}}
        for size in sizes:
            plan = plans.create_plan(animator, space, {"title": f"Plan de {size} actions"})
            objectives = [plans.add_objective(animator, plan, {"title": f"Objectif {n + 1}"})
                          for n in range(OBJECTIVES)]
            statuses = [ActionStatus.DONE] * 30 + [ActionStatus.ABANDONED] * 5 + [ActionStatus.IN_PROGRESS] * 35 + \
                [ActionStatus.NOT_STARTED] * 30
            for n in range(size):
                start = today + timedelta(days=rng.randint(-540, 180))
                due = start + timedelta(days=rng.randint(14, 540))
                status = rng.choice(statuses)
                action = Action(
                    plan_id=plan.id, objective_id=objectives[n % OBJECTIVES].id, community_id=space.id,
                    title=f"{rng.choice(VERBS)} {rng.choice(SUBJECTS)} – site {n % 5 + 1} ({n + 1})",
                    description="Action du plan de suivi, décrite en quelques phrases. " * rng.randint(0, 4),
                    owner_id=rng.choice(owners), start_date=start, due_date=due, status=status,
                    progress=100 if status == ActionStatus.DONE else rng.randint(0, 95) if status != "not_started"
                    else 0,
                    priority=rng.choice([Priority.LOW, Priority.NORMAL, Priority.NORMAL, Priority.HIGH]),
                    result_note="Résultat obtenu." if status in (ActionStatus.DONE, ActionStatus.ABANDONED) else "",
                    created_by_id=animator.id)
                action.co_owner_rows = [ActionOwner(user_id=user_id) for user_id in
                                        rng.sample([o for o in owners if o != action.owner_id], rng.randint(0, 2))]
                if n % 20 == 0:
                    indicator = Indicator(name=f"Indicateur {n}", unit="%", value_type=ValueType.PERCENT,
                                          baseline=40.0, target=80.0, position=1)
                    indicator.values = [IndicatorValue(measured_on=today - timedelta(days=92 * q),
                                                       value=40.0 + 8 * (4 - q), source="Tableau de bord ANAP")
                                        for q in range(4, 0, -1)]
                    action.indicators.append(indicator)
                db.session.add(action)
            db.session.flush()
            ids["plans"][size] = plan.id
        db.session.commit()
        with db.engine.begin() as connection:  # the planner's statistics, as on a database in use
            connection.exec_driver_sql("ANALYZE")
        db.session.remove()
    return ids


# --- Measuring --------------------------------------------------------------------------------------

def operations() -> dict[str, Callable]:
    """What one timed service call does, given the reader, the plan and today."""
    from rse.plans import service as plans

    late = plans.Filters(status="late")
    return {
        "table": lambda reader, plan, today: len(plans.plan_actions(reader, plan, plans.Filters(), today)),
        "late": lambda reader, plan, today: len(plans.plan_actions(reader, plan, late, today)),
        "summary": lambda reader, plan, today: plans.summary(reader, plan, today).total,
    }


def signed_in(app, ids: dict):
    """A test client signed in as the reader through the login form (its CSRF token included)."""
    from rse.accounts.models import User
    from rse.database import db

    with app.app_context():
        email = db.session.get(User, ids["reader"]).email
        db.session.remove()
    client = app.test_client()
    form = client.get("/connexion").get_data(as_text=True)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', form)
    answer = client.post("/connexion", data={"email": email, "password": PASSWORD,
                                             "csrf_token": token.group(1) if token else ""})
    assert answer.status_code == 302, answer.get_data(as_text=True)[:300]
    return client


CPU_SPENT: dict[int, list[float]] = {}  # by plan size: the CPU seconds of this process in each timed GET


def render(client, ids: dict, size: int) -> tuple[float, int]:
    """(seconds, rows) of one GET of the plan's table page; rows are the table's body rows. The
    process's CPU time of the GET goes to CPU_SPENT: what a core of its own would take, whatever
    else runs on the machine (on PostgreSQL, without the server's share)."""
    started, cpu = time.perf_counter(), time.process_time()
    response = client.get(f"/plans/{ids['plans'][size]}")
    body = response.get_data(as_text=True)
    elapsed = time.perf_counter() - started
    CPU_SPENT.setdefault(size, []).append(time.process_time() - cpu)
    assert response.status_code == 200, response.status_code
    return elapsed, body.count('class="plan-row')


def call(app, ids: dict, size: int, operation: Callable) -> tuple[float, int]:
    """(seconds, rows) of one call, as a request: a new app context and session, the reader loaded first."""
    from rse.accounts.models import User
    from rse.database import db
    from rse.plans import service as plans

    with app.app_context():
        reader = db.session.get(User, ids["reader"])  # what Flask-Login loads before the view
        started = time.perf_counter()
        plan = plans.get_plan(reader, ids["plans"][size])
        rows = operation(reader, plan, ids["today"])
        elapsed = time.perf_counter() - started
        db.session.remove()
    return elapsed, rows


def measure(app, ids: dict, sizes: list[int], runs: int, warmup: int,
            names: list[str]) -> dict[tuple[int, str], list[float]]:
    client = signed_in(app, ids) if "page" in names else None
    ops: dict[str, Callable] = {name: operation for name, operation in operations().items() if name in names}
    if client is not None:
        ops["page"] = lambda size: render(client, ids, size)

    def once(name: str, size: int) -> tuple[float, int]:
        return ops[name](size) if name == "page" else call(app, ids, size, ops[name])

    for _ in range(warmup):
        for size in sizes:
            for name in ops:
                once(name, size)
    CPU_SPENT.clear()
    timings: dict[tuple[int, str], list[float]] = {(size, name): [] for size in sizes for name in ops}
    rows: dict[tuple[int, str], int] = {}
    for _ in range(runs):
        for size in sizes:
            for name in ops:
                seconds, count = once(name, size)
                timings[size, name].append(seconds * 1000)
                rows[size, name] = count
    for (size, name), count in rows.items():
        print(f"  {size:>6,} actions, {name:8}: {count} rows", flush=True)
    if client is not None:
        for size in sizes:
            timings[size, "page CPU"] = [seconds * 1000 for seconds in CPU_SPENT[size]]
    return timings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--actions", type=int, default=2000, help="actions of the measured plan")
    parser.add_argument("--baseline", type=int, default=200, help="actions of the baseline plan beside it")
    parser.add_argument("--backends", default=",".join(BACKENDS), type=lambda v: v.split(","))
    parser.add_argument("--runs", type=int, default=100, help="timed calls of each operation and plan")
    parser.add_argument("--warmup", type=int, default=10)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--render", action="store_true", help="time the table page too (`page`)")
    parser.add_argument("--only", default=None, type=lambda v: v.split(","),
                        help="the operations to time, comma-separated (table,late,summary,page)")
    parser.add_argument("--workdir", default=None,
                        help="where the databases are built (a temporary folder, removed after, by default)")
    args = parser.parse_args()
    args.names = args.only or [*operations(), *(["page"] if args.render else [])]
    if "page" in args.names:
        args.render = True
    signal.signal(signal.SIGTERM, interrupted)

    sizes = [args.baseline, args.actions]
    workdir = Path(args.workdir).expanduser().resolve() if args.workdir else Path(tempfile.mkdtemp(prefix="plans-"))
    workdir.mkdir(parents=True, exist_ok=True)
    workdir.chmod(0o755)  # PostgreSQL's cluster runs as its own user
    cluster = start_cluster(workdir) if "postgresql" in args.backends else None
    results = {}
    try:
        for backend in args.backends:
            name = f"plans_{args.actions}_{args.seed}"
            if backend == "sqlite":
                (workdir / f"{name}.db").unlink(missing_ok=True)
                url = f"sqlite:///{workdir / name}.db"
            else:
                url = cluster.create_database(name)
            app = make_app(url, workdir / f"instance-{backend}")
            began = time.perf_counter()
            ids = build(app, sizes, args.seed)
            print(f"{backend}: built plans of {sizes[0]:,} and {sizes[1]:,} actions in "
                  f"{time.perf_counter() - began:.1f} s", flush=True)
            results[backend] = measure(app, ids, sizes, args.runs, args.warmup, args.names)
            with app.app_context():
                from rse.database import db

                db.engine.dispose()
        report(results, sizes, args)
    finally:
        if cluster is not None:
            stop_cluster(cluster)
        if not args.workdir:
            shutil.rmtree(workdir, ignore_errors=True)


def report(results: dict, sizes: list[int], args) -> None:
    small, large = sizes
    print(f"\n{args.runs} calls of each operation and plan, interleaved (ms); load average now "
          f"{os.getloadavg()[0]:.2f}\n")
    print(f"| database | operation | p50 ({large:,}) | p95 ({large:,}) | p50 ({small:,}) | p95 ({small:,}) | "
          f"p50 ratio | p95 ratio |")
    print("|---|---|---|---|---|---|---|---|")
    for backend, timings in results.items():
        for name in [*args.names, *(["page CPU"] if "page" in args.names else [])]:
            big, base = timings[large, name], timings[small, name]
            b50, b95, s50, s95 = (percentile(big, 0.5), percentile(big, 0.95), percentile(base, 0.5),
                                  percentile(base, 0.95))
            print(f"| {backend} | {name} | {b50:.1f} | **{b95:.1f}** | {s50:.1f} | {s95:.1f} | "
                  f"{b50 / s50:.1f} | {b95 / s95:.1f} |")
    shown = "page" if "page" in args.names else args.names[0]
    print(f"\n(size ratio {large / small:.0f}; median of all calls: "
          f"{statistics.median(v for t in results.values() for v in t[large, shown]):.1f} ms for {shown})")


if __name__ == "__main__":
    main()
