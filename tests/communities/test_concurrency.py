"""Races: the same invitation submitted twice at once creates one account, once."""

import re
import threading

from sqlalchemy import func, select

from rse.accounts.models import User
from tests.conftest import PASSWORD


def test_double_submit_of_an_invitation_creates_one_account(app, api, create_user, create_community, outbox, db):
    animator = create_user("staff")
    community = create_community(animator)
    api(animator).post("/api/v1/invitations", json={"email": "double@ars-exemple.fr", "community_id": community.id})
    token = re.search(r"/invitations/(inv_[\w-]+)", outbox()[0].get_body(("plain",)).get_content()).group(1)
    barrier = threading.Barrier(4)
    statuses = []

    def accept():
        client = app.test_client()
        barrier.wait()
        response = client.post(f"/api/v1/invitations/{token}/accept", json={"name": "Double", "password": PASSWORD})
        statuses.append((response.status_code, (response.json.get("error") or {}).get("code")))

    threads = [threading.Thread(target=accept) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sorted(s for s, _ in statuses) == [201, 409, 409, 409], statuses
    assert db.session.scalar(select(func.count(User.id)).where(User.email == "double@ars-exemple.fr")) == 1
