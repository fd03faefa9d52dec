"""What a signed-in page costs the app, and two of its parts (issue 14's per-request changes).

On the French demo (`flask rse demo`, SQLite, a fresh instance folder), or with --seeded on a
database of benchmarks/feeds_streams.py (its reader in 40 communities; those two pages only), a
member signed in through the login form opens their home stream and a community page, `--rounds` times each after a
warm-up, through Flask's test client (no HTTP server: the app's own work). Then:
- a template of 100 translated strings rendered in a request (the cost of one string);
- a thumbnail of a one-page PDF encoded as WEBP at libwebp effort 2 (kept) and 4 (the default).

    .venv/bin/python benchmarks/request_costs.py                 # this checkout
    .venv/bin/python benchmarks/request_costs.py --code <other checkout>   # another tree's rse
    .venv/bin/python benchmarks/request_costs.py --seeded <workdir> --size 200000 --rounds 30  # a seeded database

Prints medians and p95 in ms (µs for a string).
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
PASSWORD = "benchmark-password-2026"
MEMBER = "sophie.durand@ght-exemple.fr"


def timed(call, rounds: int, warmup: int = 10) -> list[float]:
    for _ in range(warmup):
        call()
    times = []
    for _ in range(rounds):
        start = time.perf_counter()
        call()
        times.append(time.perf_counter() - start)
    return times


def summary(times: list[float], unit: float = 1000.0) -> str:
    ordered = sorted(times)
    return f"p50 {statistics.median(ordered) * unit:.2f} / p95 {ordered[int(len(ordered) * 0.95) - 1] * unit:.2f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=200)
    parser.add_argument("--code", type=Path, default=ROOT, help="checkout whose rse package is measured")
    parser.add_argument("--seeded", type=Path, help="the --workdir of benchmarks/feeds_streams.py: its SQLite "
                                                    "database of --size activities instead of the demo")
    parser.add_argument("--size", type=int, default=200_000)
    parser.add_argument("--cache", default="", help="RSE_CACHE_URL (empty: in process; none: nothing kept)")
    args = parser.parse_args()
    sys.path.insert(0, str(args.code.resolve()))
    sys.path += [str(ROOT), str(ROOT / "benchmarks")]  # after the measured tree: its rse comes first
    for key in [key for key in os.environ if key.startswith("RSE_")]:
        del os.environ[key]  # the developer's own settings do not leak into the figures

    from flask_migrate import upgrade

    from rse import create_app
    from rse.accounts.models import User
    from rse.communities.models import Membership
    from rse.database import db

    print(f"rse from {Path(sys.modules['rse'].__file__).parent}")
    with tempfile.TemporaryDirectory() as folder:
        env = {"RSE_INSTANCE_PATH": folder, "RSE_SECRET_KEY": "benchmark", "RSE_RATELIMIT_ENABLED": "0",
               "RSE_BASE_URL": "http://127.0.0.1", "RSE_CACHE_URL": args.cache}
        member, password = MEMBER, PASSWORD
        if args.seeded:  # a database of benchmarks/feeds_streams.py, and its reader of 40 communities
            from feeds_streams import PASSWORD as password
            from feeds_streams import SECRET

            instance = args.seeded / f"sqlite-u30000-c1000-a{args.size}-s42"
            env.update({"RSE_INSTANCE_PATH": str(instance), "RSE_SECRET_KEY": SECRET,
                        "RSE_DATABASE_URL": f"sqlite:///{instance / 'rse.db'}"})
        app = create_app({"WTF_CSRF_ENABLED": False,
                          "ARGON2_PARAMS": {"time_cost": 1, "memory_cost": 1024, "parallelism": 1}}, env=env)
        with app.app_context():
            upgrade()
        if args.seeded:
            from benchmarks.seeding import generate as seed

            with app.app_context():
                member = seed.pick_heavy_reader().email
        else:
            result = app.test_cli_runner().invoke(args=["rse", "demo", "--password", password])
            assert result.exit_code == 0, result.output
        client = app.test_client()
        answer = client.post("/connexion", data={"email": member, "password": password})
        assert answer.status_code == 302, answer.status_code
        with app.app_context():
            community_id = db.session.scalar(
                db.select(Membership.community_id).join(User, User.id == Membership.user_id)
                .where(User.email == member).order_by(Membership.community_id).limit(1))

        def page(path: str):
            def get() -> None:
                response = client.get(path)
                assert response.status_code == 200, (path, response.status_code)
            return get

        for name, path in (("home stream", "/"), ("community page", f"/espaces/{community_id}")):
            print(f"{name} ({path}): {summary(timed(page(path), args.rounds))} ms")
        if args.seeded:
            return

        with app.test_request_context("/"):
            template = app.jinja_env.from_string("{{ _('Rechercher') }}" * 100)
            times = timed(template.render, args.rounds)
            print(f"one translated string in a template: {summary([t / 100 for t in times], 1e6)} µs")

    sys.path.insert(0, str(ROOT))
    from rse.documents import previews
    from tests.documents.samples import pdf_bytes

    with tempfile.NamedTemporaryFile(suffix=".pdf") as pdf:
        pdf.write(pdf_bytes("Protocole d'hygiène des mains : friction hydro-alcoolique"))
        pdf.flush()
        image = previews._render_pdf_page(pdf.name, 480)
    for method in (2, 4):
        out = io.BytesIO()

        def encode(method=method, out=out) -> None:
            out.seek(0)
            out.truncate()
            image.save(out, "WEBP", quality=previews.THUMBNAIL_QUALITY, method=method)

        times = timed(encode, max(args.rounds // 4, 20), warmup=3)
        print(f"WEBP thumbnail {image.size[0]}×{image.size[1]}, effort {method}: {summary(times)} ms, "
              f"{len(out.getvalue())} bytes")


if __name__ == "__main__":
    main()
