"""The audit trail: recorded, browsed, filtered and exported by administrators."""

import csv
import io

from sqlalchemy import select

from rse.audit.models import AuditEntry
from tests.conftest import PASSWORD


def test_entries_for_logins_invitations_and_memberships(client, create_user, create_community, login, db):
    animator = create_user("staff")
    community = create_community(animator)
    client.post("/connexion", data={"email": animator.email, "password": "wrong-password"})
    login(animator).post(f"/espaces/{community.id}/membres", data={"email": "p@ars-exemple.fr", "role": "member"})
    actions = set(db.session.scalars(select(AuditEntry.action)))
    assert {"login.failure", "login.success", "invitation.sent", "community.created", "user.created"} <= actions


def test_admin_filters_the_log(login, create_user, client):
    admin, user = create_user("admin"), create_user("staff")
    client.post("/connexion", data={"email": user.email, "password": "wrong-password"})
    page = login(admin).get("/admin/journal?action=login.failure").get_data(as_text=True)
    assert user.email in page.split("<tbody>")[1]
    page = login(admin).get("/admin/journal?action=invitation").get_data(as_text=True)
    assert "<tbody>" not in page and "Aucune entrée ne correspond" in page


def test_csv_export(login, create_user, client):
    admin = create_user("admin")
    client.post("/connexion", data={"email": "=HYPERLINK(\"x\")@ght-exemple.fr", "password": "wrong-password"})
    response = login(admin).get("/admin/journal/export.csv?action=login")
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/csv")
    assert "attachment" in response.headers["Content-Disposition"]
    text = response.get_data(as_text=True)
    assert text.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    assert rows[0][:4] == ["id", "date_utc", "action", "action_label"]
    actors = [row[rows[0].index("actor")] for row in rows[1:]]
    assert admin.email in actors
    assert all(not a.startswith("=") for a in actors)  # no formula reaches a spreadsheet


def test_bad_filters_do_not_fail(login, create_user):
    client = login(create_user("admin"))
    response = client.get("/admin/journal?du=pas-une-date&au=2026-13-45&page=-3")
    assert response.status_code == 422 and "Date invalide" in response.get_data(as_text=True)


def test_cli_commands(runner, db):
    result = runner.invoke(args=["rse", "create-admin", "dsi@ght-exemple.fr", "--password", PASSWORD])
    assert result.exit_code == 0, result.output
    weak = runner.invoke(args=["rse", "create-admin", "x@ght-exemple.fr", "--password", "court"])
    assert weak.exit_code != 0 and "12" in weak.output
    demo = runner.invoke(args=["rse", "demo", "--password", PASSWORD])
    assert demo.exit_code == 0, demo.output
    assert "admin@ght-exemple.fr" in demo.output
    again = runner.invoke(args=["rse", "demo"])
    assert again.exit_code == 0 and "already" in again.output
