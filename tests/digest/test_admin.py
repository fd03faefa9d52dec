"""/admin/lettre: when the next digests leave and to how many people, said in French, even with nothing sent yet."""

from __future__ import annotations

import html
import re
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from rse.database import db
from rse.digest import schedule
from rse.digest.models import DigestDelivery, DigestSubscription
from rse.errors import PermissionDenied

PARIS = ZoneInfo("Europe/Paris")


def _paris(*args) -> datetime:
    return datetime(*args, tzinfo=PARIS).astimezone(UTC)


@pytest.mark.parametrize(("now", "sent_this_week", "next_run", "weekly_at"), [
    # Monday before the hour: today's run sends the week's digest.
    (_paris(2026, 12, 7, 6, 0), False, _paris(2026, 12, 7, 7), _paris(2026, 12, 7, 7)),
    # Wednesday, nothing sent this week (the scheduler was down): tomorrow's run sends it.
    (_paris(2026, 12, 9, 10, 0), False, _paris(2026, 12, 10, 7), _paris(2026, 12, 10, 7)),
    # Wednesday, this week's went out on Monday: next Monday.
    (_paris(2026, 12, 9, 10, 0), True, _paris(2026, 12, 10, 7), _paris(2026, 12, 14, 7)),
    # Sunday evening after this week's: Monday morning.
    (_paris(2026, 12, 13, 20, 0), True, _paris(2026, 12, 14, 7), _paris(2026, 12, 14, 7)),
])
def test_the_next_weekly_send_is_the_first_run_from_the_weekday_on_unless_the_week_went_out(
        create_user, now, sent_this_week, next_run, weekly_at):
    admin = create_user("admin")
    if sent_this_week:
        db.session.add(DigestDelivery(user_id=admin.id, period="2026-W50", status="sent"))
        db.session.flush()
    found = schedule.next_sends(admin, now, PARIS, hour=7, weekday=0)
    assert (found.next_run, found.weekly_at) == (next_run, weekly_at)


def test_the_people_counted_are_the_active_subscribers_of_each_frequency(create_user):
    admin = create_user("admin")
    weekly = [create_user("staff"), create_user("partner")]
    daily = create_user("staff")
    stopped = create_user("staff")
    create_user("staff", deactivated=True)
    create_user("partner", expired=True)
    db.session.add_all([DigestSubscription(user_id=daily.id, frequency="daily"),
                        DigestSubscription(user_id=stopped.id, frequency="never"),
                        DigestSubscription(user_id=weekly[0].id, frequency="weekly")])
    db.session.commit()
    found = schedule.next_sends(admin, _paris(2026, 12, 7, 6), PARIS, hour=7, weekday=0)
    assert (found.weekly_people, found.daily_people) == (3, 1)  # the admin and the two weekly ones
    with pytest.raises(PermissionDenied):
        schedule.next_sends(weekly[0], _paris(2026, 12, 7, 6), PARIS, hour=7, weekday=0)


def test_with_nothing_sent_the_page_says_what_will_happen_and_when(app, create_user, login):
    admin = create_user("admin")
    create_user("staff")
    daily = create_user("staff")
    db.session.add(DigestSubscription(user_id=daily.id, frequency="daily"))
    db.session.commit()
    app.config["DIGEST_HOUR"] = 7
    response = login(admin).get("/admin/lettre")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    text = html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page))).replace("\u202f", " ").replace("\xa0", " ")
    assert re.search(r"Le prochain résumé hebdomadaire partira (lundi|mardi|mercredi|jeudi|vendredi|samedi|dimanche) "
                     r"\d{1,2} \w+ vers 7 h à 2 personnes\.", text), text
    assert re.search(r"Le résumé quotidien part chaque jour ; le prochain \w+ \d{1,2} \w+ vers 7 h, à 1 personne\.", text)
    assert "Aucun résumé n'est parti ces huit dernières semaines" in text
    # The command is only in the note for the IT team, folded away.
    before_note, _sep, note = page.partition('<details class="it-note">')
    assert "flask digest send" not in before_note and "flask digest send" in note.split("</details>")[0]


def test_the_page_is_for_administrators_only(create_user, login, client):
    for role in ("staff", "partner"):
        response = login(create_user(role)).get("/admin/lettre")
        assert response.status_code == 403 and "Le prochain résumé" not in response.get_data(as_text=True)
    assert client.get("/admin/lettre").status_code in (302, 401)


def test_the_hour_stays_local_across_the_change_to_winter_time(create_user):
    admin = create_user("admin")
    db.session.add(DigestDelivery(user_id=admin.id, period="2026-W43", status="sent"))
    db.session.flush()
    # Saturday 24 October 2026 at noon, summer time (UTC+2); Paris goes back to UTC+1 on Sunday the 25th.
    found = schedule.next_sends(admin, _paris(2026, 10, 24, 12, 0), PARIS, hour=7, weekday=0)
    assert found.next_run == datetime(2026, 10, 25, 6, 0, tzinfo=UTC)  # 7 h in Paris, in winter time
    assert found.weekly_at == datetime(2026, 10, 26, 6, 0, tzinfo=UTC)
