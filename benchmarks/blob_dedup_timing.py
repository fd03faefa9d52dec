"""Upload time of new bytes against bytes that already exist in a secret space (issue 13, finding 4).

A partner uploads, through the API, (a) files nobody has stored and (b) files that a director
stored earlier in a secret space the partner cannot see. If the two medians differ, timing tells
the partner that a file exists somewhere. Rounds alternate (a) and (b); each (b) file exists in
the secret space only (a distinct file per round). Prints both medians and their ratio b/a.

    .venv/bin/python benchmarks/blob_dedup_timing.py                        # embedded defaults
    .venv/bin/python benchmarks/blob_dedup_timing.py --storage s3 --rounds 40
    .venv/bin/python benchmarks/blob_dedup_timing.py --process-inline 0     # processing left to the CLI

The app runs in process (Flask's test client: no HTTP server, so the figures are the app's own
work: parsing, hashing, storage, database, and inline processing when it is on), on SQLite.
"""

from __future__ import annotations

import argparse
import io
import os
import statistics
import sys
import tempfile
import time
from datetime import timedelta
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

PASSWORD = "benchmark-password-2026"


def make_png(seed: int, width: int, height: int) -> bytes:
    """An RGB PNG of random pixels (does not compress): a photo-like upload of ~3 bytes a pixel."""
    from PIL import Image

    rng = __import__("random").Random(seed)
    image = Image.frombytes("RGB", (width, height), rng.randbytes(width * height * 3))
    out = io.BytesIO()
    image.save(out, "PNG", compress_level=1)
    return out.getvalue()


def make_pdf(seed: int, pages: int) -> bytes:
    from tests.documents.samples import pdf_bytes

    return pdf_bytes(f"Compte rendu {seed} : négociation du CPOM, diagnostic partagé", pages=pages)


def build_app(instance: Path, storage_url: str | None, process_inline: bool):
    env = {"RSE_INSTANCE_PATH": str(instance), "RSE_SECRET_KEY": "benchmark", "RSE_RATELIMIT_ENABLED": "0",
           "RSE_PROCESS_INLINE": "1" if process_inline else "0", "RSE_BASE_URL": "http://127.0.0.1"}
    if storage_url:
        env["RSE_STORAGE_URL"] = storage_url
    app = create_app({"ARGON2_PARAMS": {"time_cost": 1, "memory_cost": 1024, "parallelism": 1}}, env=env)
    with app.app_context():
        upgrade()
    return app


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=30)
    parser.add_argument("--format", choices=["png", "pdf"], default="png")
    parser.add_argument("--width", type=int, default=1200, help="PNG width (height is 3/4 of it)")
    parser.add_argument("--pages", type=int, default=20, help="PDF pages")
    parser.add_argument("--storage", choices=["local", "s3"], default="local")
    parser.add_argument("--process-inline", type=int, choices=[0, 1], default=1)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="blob-dedup-") as workdir:
        server = None
        storage_url = None
        if args.storage == "s3":
            from tests.services import start_seaweedfs

            server = start_seaweedfs(Path(workdir) / "seaweedfs")
            if isinstance(server, str):
                sys.exit(f"SeaweedFS unavailable: {server}")
            storage_url = server.url("rse-benchmark")
        try:
            run(args, Path(workdir) / "instance", storage_url)
        finally:
            if server is not None:
                server.stop()


def run(args, instance: Path, storage_url: str | None) -> None:
    app = build_app(instance, storage_url, bool(args.process_inline))
    if args.format == "png":
        make = lambda seed: make_png(seed, args.width, args.width * 3 // 4)  # noqa: E731
        filename = "photo.png"
    else:
        make = lambda seed: make_pdf(seed, args.pages)  # noqa: E731
        filename = "compte-rendu.pdf"
    with app.app_context():
        director = accounts.create_user(email="direction@ght-exemple.fr", name="Direction", password=PASSWORD,
                                        role="staff")
        partner = accounts.create_user(email="partenaire@ars-exemple.fr", name="Partenaire", password=PASSWORD,
                                       role="partner")
        secret = communities.create_community(director, {"name": "Comité de direction", "visibility": "secret"})
        own = communities.create_community(director, {"name": "CPOM EHPAD", "visibility": "private"})
        communities.add_member(director, own, partner, "member")
        db.session.commit()
        token, _record = accounts.issue_token(partner, kind="login", name="benchmark", ttl=timedelta(hours=2))
        director_token, _record = accounts.issue_token(director, kind="login", name="benchmark",
                                                       ttl=timedelta(hours=2))
        db.session.commit()
        secret_id, own_id = secret.id, own.id

    def upload(bearer: str, community_id: int, content: bytes) -> float:
        client = app.test_client()
        started = time.perf_counter()
        response = client.post(f"/api/v1/communities/{community_id}/documents",
                               data={"file": (io.BytesIO(content), filename), "title": "Note"},
                               headers={"Authorization": f"Bearer {bearer}"}, content_type="multipart/form-data")
        elapsed = time.perf_counter() - started
        if response.status_code != 201:
            sys.exit(f"upload refused: {response.status_code} {response.get_data(as_text=True)[:300]}")
        return elapsed

    # Warm-up (imports, first connections), then the secret space's files, untimed.
    for seed in range(3):
        upload(token, own_id, make(10_000_000 + seed))
    known = [make(1_000_000 + n) for n in range(args.rounds)]
    for content in known:
        upload(director_token, secret_id, content)

    new_times, known_times = [], []
    size = len(known[0])
    for n in range(args.rounds):
        fresh = make(n)
        if n % 2:  # alternate which goes first in the round
            known_times.append(upload(token, own_id, known[n]))
            new_times.append(upload(token, own_id, fresh))
        else:
            new_times.append(upload(token, own_id, fresh))
            known_times.append(upload(token, own_id, known[n]))

    new_median, known_median = statistics.median(new_times), statistics.median(known_times)
    what = f"{args.format.upper()} " + (f"{args.width}×{args.width * 3 // 4}" if args.format == "png"
                                          else f"{args.pages} pages")
    print(f"file: {what}, {size / 1024:.0f} KiB; storage: {args.storage}; "
          f"process inline: {args.process_inline}; rounds: {args.rounds}")
    print(f"(a) new bytes:                          median {new_median * 1000:.1f} ms")
    print(f"(b) bytes existing in a secret space:   median {known_median * 1000:.1f} ms")
    print(f"ratio b/a: {known_median / new_median:.2f}")


if __name__ == "__main__":
    main()
