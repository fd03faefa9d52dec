"""Digest pages: the one-click unsubscribe without login, the preview, the frequency setting, and the
command's answers to bad input."""

from __future__ import annotations

import re
from html import unescape

from sqlalchemy import func, select

from rse.audit.models import AuditEntry
from rse.database import db
from rse.digest import service
from rse.digest.models import DigestDelivery, DigestSubscription

from .conftest import BASE, parts, publish


def _frequency(user) -> str | None:
    return db.session.scalar(select(DigestSubscription.frequency).where(DigestSubscription.user_id == user.id))


def test_the_unsubscribe_link_of_the_email_works_without_login(app, create_user, space, sink, send, client):
    member = create_user("staff")
    community, animator = space(member)
    publish(animator, community, "Dernière lettre")
    assert send().exit_code == 0
    [message] = sink.wait_for(1)
    link = re.fullmatch(r"<(.+)>", message["List-Unsubscribe"].strip())[1]
    path = link.removeprefix(BASE)
    assert link in parts(message)[0]

    page = client.get(path)  # a link scanner opening it unsubscribes nobody
    assert page.status_code == 200 and 'method="post"' in page.get_data(as_text=True)
    assert _frequency(member) is None

    app.config["WTF_CSRF_ENABLED"] = True  # as in production: the mail client sends no form token
    done = client.post(path, data={"List-Unsubscribe": "One-Click"})
    assert done.status_code == 200 and "Vous ne recevrez plus le résumé" in done.get_data(as_text=True)
    assert _frequency(member) == "never"
    entry = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "digest.unsubscribed")).one()
    assert entry.actor_id == member.id and entry.target_id == str(member.id)
    assert client.post(path).status_code == 200  # twice is harmless
    assert db.session.scalar(select(func.count()).select_from(AuditEntry).where(
        AuditEntry.action == "digest.unsubscribed")) == 1


def test_a_forged_or_altered_unsubscribe_token_is_a_404(app, create_user, client):
    member = create_user("staff")
    token = service.unsubscribe_token(member)
    assert client.get(f"/digest/desabonnement/{token}x").status_code == 404
    assert client.post(f"/digest/desabonnement/{token[:-2]}").status_code == 404
    assert client.get("/digest/desabonnement/MTIzNDU2.abc").status_code == 404
    assert _frequency(member) is None


def test_preview_asks_for_login_and_shows_the_digest_without_recording_it(create_user, space, client, login):
    member = create_user("staff")
    community, animator = space(member)
    publish(animator, community, "Aperçu visible")
    for path in ("/digest/preview", "/digest/preview/courriel"):
        anonymous = client.get(path)
        assert anonymous.status_code == 302 and "/connexion" in anonymous.headers["Location"]
    browser = login(member)
    page = browser.get("/digest/preview").get_data(as_text=True)
    assert "Aperçu de votre prochaine lettre — elle n'a pas été envoyée" in page
    assert "Votre résumé Maillage : 1 nouveauté" in page  # the subject, in the banner
    assert 'href="/profil/lettre"' in page and 'src="/digest/preview/courriel"' in page
    assert '<header class="site-header">' in page  # inside the site's own layout
    assert "Aperçu visible" in browser.get("/digest/preview/courriel").get_data(as_text=True)
    empty = login(animator)
    assert "Rien de nouveau" in empty.get("/digest/preview").get_data(as_text=True)
    nothing = empty.get("/digest/preview/courriel")  # nothing to show in a frame: back to the page that says so
    assert nothing.status_code == 302 and nothing.headers["Location"].endswith("/digest/preview")
    assert db.session.scalar(select(func.count()).select_from(DigestDelivery)) == 0


def test_preview_allows_the_emails_inline_styles_and_nothing_else(create_user, space, login):
    member = create_user("staff")
    community, animator = space(member)
    publish(animator, community, "Aperçu stylé")
    site_page = login(member).get("/digest/preview")
    assert 'style="' not in site_page.get_data(as_text=True)
    assert "unsafe-inline" not in site_page.headers["Content-Security-Policy"]  # the site's page keeps its own
    page = login(member).get("/digest/preview/courriel")
    assert 'style="' in page.get_data(as_text=True) and '<base target="_top">' in page.get_data(as_text=True)
    policy = dict(part.strip().split(" ", 1) for part in page.headers["Content-Security-Policy"].split(";"))
    assert policy["style-src"] == "'unsafe-inline'"
    assert policy["default-src"] == "'none'" and "script-src" not in policy  # so no script of any kind
    assert policy["form-action"] == "'none'" and policy["base-uri"] == "'none'"
    site = login(member).get("/profil/lettre").headers["Content-Security-Policy"]
    assert "unsafe-inline" not in site  # the rest of the site keeps its own


def test_preview_of_a_partner_shows_only_their_communities(create_user, space, login):
    partner, staff = create_user("partner"), create_user("staff")
    mine, animator_a = space(partner, name="CPOM")
    other, animator_b = space(staff, name="Direction")
    publish(animator_a, mine, "Pour le partenaire")
    publish(animator_b, other, "Hors de sa vue")
    page = login(partner).get("/digest/preview/courriel").get_data(as_text=True)
    assert "Pour le partenaire" in page and "Hors de sa vue" not in page and "Direction" not in page


def test_frequency_setting_page(create_user, login, client):
    member = create_user("staff")
    assert client.get("/profil/lettre").status_code == 302
    browser = login(member)
    page = browser.get("/profil/lettre").get_data(as_text=True)
    assert 'value="weekly" checked' in page
    saved = browser.post("/profil/lettre", data={"frequency": "daily"})
    assert saved.status_code == 302
    assert _frequency(member) == "daily"
    assert 'value="daily" checked' in browser.get("/profil/lettre").get_data(as_text=True)
    bad = browser.post("/profil/lettre", data={"frequency": "hourly"}, follow_redirects=True)
    assert "Choisissez hebdomadaire, quotidienne ou jamais." in bad.get_data(as_text=True)
    assert _frequency(member) == "daily"


def test_the_setting_is_reached_from_every_account_page(create_user, login):
    browser = login(create_user("staff"))
    for path in ("/profil/preferences", "/profil/lettre"):
        page = browser.get(path).get_data(as_text=True)
        assert 'href="/profil/lettre"' in page and "Courriels" in page, path
    assert 'href="/profil/lettre" aria-current="page"' in browser.get("/profil/lettre").get_data(as_text=True)


def test_command_refuses_bad_input_clearly(create_user, send):
    create_user("staff", email="connu@ght-exemple.fr")
    cases = {
        ("--period", "2026-W99"): "no ISO week 99",
        ("--period", "semaine 47"): "expected an ISO week such as 2026-W47",
        ("--period", "2026-02-30"): "not a date",
        ("--shard", "3/2"): "i must be between 0 and n - 1",
        ("--shard", "1-2"): "expected i/n",
        ("--user", "inconnu@ght-exemple.fr"): "no account with the address",
    }
    for args, message in cases.items():
        result = send(*args)
        assert result.exit_code == 2, (args, result.output)
        assert message in result.output, (args, result.output)
    assert db.session.scalar(select(func.count()).select_from(DigestDelivery)) == 0


def test_a_daily_period_goes_to_daily_subscribers_only(app, create_user, space, sink, send):
    from zoneinfo import ZoneInfo

    from rse.dbtypes import utcnow
    from rse.digest import periods

    daily, weekly = create_user("staff"), create_user("staff")
    community, animator = space(daily, weekly)
    db.session.add(DigestSubscription(user_id=daily.id, frequency="daily"))
    db.session.commit()
    publish(animator, community, "Du jour")
    today = periods.current("daily", utcnow(), ZoneInfo(app.config["BABEL_DEFAULT_TIMEZONE"]))
    result = send("--period", today.key)
    assert result.exit_code == 0, result.output
    assert [m["To"] for m in sink.received()] == [daily.email]


def test_weekly_digests_are_due_from_the_configured_weekday_on():
    from datetime import UTC, datetime
    from zoneinfo import ZoneInfo

    from rse.digest.sending import periods_due

    paris = ZoneInfo("Europe/Paris")
    monday, sunday = datetime(2026, 11, 23, 6, tzinfo=UTC), datetime(2026, 11, 29, 6, tzinfo=UTC)
    assert [p.key for p in periods_due(monday, weekday=0, tz=paris)] == ["2026-11-23", "2026-W48"]
    assert [p.key for p in periods_due(monday, weekday=2, tz=paris)] == ["2026-11-23"]
    assert [p.key for p in periods_due(sunday, weekday=2, tz=paris)] == ["2026-11-29", "2026-W48"]


# --- One page for everything that emails a person ----------------------------------------------------

def test_one_page_sets_the_digest_and_every_kind_of_notification_together(create_user, login):
    from rse.feeds.notifications import service as notifications

    member = create_user("staff")
    browser = login(member)
    page = browser.get("/profil/lettre").get_data(as_text=True)
    assert "Vous recevez le résumé une fois par semaine" in page
    assert page.count('type="radio"') == 3 + 9 * 3  # the frequency, then nine kinds by three modes
    assert '<th scope="col" class="email-mode-col">Dans le résumé</th>' in page
    assert '<span class="visually-hidden">Mentions : Tout de suite</span>' in page  # each radio is named
    saved = browser.post("/profil/lettre", data={"frequency": "daily", "mention": "digest", "version": "never"})
    assert saved.status_code == 302
    assert _frequency(member) == "daily"
    modes = notifications.preferences(member)
    assert (modes["mention"], modes["version"], modes["suggestion"]) == ("digest", "never", "immediate")
    page = browser.get("/profil/lettre").get_data(as_text=True)
    assert "Vos préférences de courriel sont enregistrées." in page and "chaque matin" in page
    assert 'name="frequency" value="daily" checked' in page and 'name="mention" value="digest" checked' in page


def test_a_bad_choice_saves_nothing_of_the_form_and_says_which(create_user, login):
    from rse.feeds.models import NotificationPreference

    member = create_user("staff")
    browser = login(member)
    bad = browser.post("/profil/lettre", data={"frequency": "daily", "mention": "never", "comment": "parfois"})
    assert bad.status_code == 422
    page = unescape(bad.get_data(as_text=True))
    assert "Rien n'a été enregistré." in page and "Choisissez immediate, digest ou never." in page
    assert 'id="pref-comment-error"' in page and 'name="mention" value="never" checked' in page  # as sent
    assert _frequency(member) is None
    assert db.session.scalar(select(func.count()).select_from(NotificationPreference)) == 0
    empty = browser.post("/profil/lettre", data={})
    assert empty.status_code == 422 and "Choisissez hebdomadaire, quotidienne ou jamais." in empty.get_data(as_text=True)


def test_the_page_says_when_one_unsubscribed_and_what_it_means(create_user, login, client):
    member = create_user("staff")
    token = service.unsubscribe_token(member)
    assert client.post(f"/digest/desabonnement/{token}").status_code == 200
    page = login(member).get("/profil/lettre").get_data(as_text=True)
    assert "Vous êtes désabonné du résumé depuis le" in page
    assert "Les notifications réglées sur « Dans le résumé » ne vous sont donc pas envoyées." in page
    assert 'name="frequency" value="never" checked' in page
