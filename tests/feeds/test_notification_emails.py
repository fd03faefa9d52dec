"""Notification emails: who gets one, when (per-kind preferences), and what it carries, over the
file backend and a real SMTP server on loopback."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from rse.database import db
from rse.feeds.models import Notification
from rse.feeds.notifications import service as notifications
from rse.feeds.social import answers, comments, suggestions

BASE = "http://maillage.test"


@pytest.fixture(params=["file", "smtp"])
def delivered(request, app, outbox):
    """A function returning the emails that left, on the file backend or over SMTP."""
    if request.param == "file":
        return outbox
    sink = request.getfixturevalue("smtp_server")
    sink.clear()
    app.config["MAIL_URL"] = sink.url
    return sink.received


def _parts(mail) -> tuple[str, str]:
    text = mail.get_body(("plain",)).get_content().replace("\r\n", "\n")
    return text, mail.get_body(("html",)).get_content()


def _notices(user, kind=None) -> list[Notification]:
    query = select(Notification).where(Notification.user_id == user.id)
    if kind:
        query = query.where(Notification.kind == kind)
    return list(db.session.scalars(query))


def _handle(user) -> str:
    return user.email.split("@")[0]


# --- Suggestions --------------------------------------------------------------------------------

def test_a_suggestion_to_a_person_sends_one_email_with_both_parts(world, delivered, publish):
    post = publish(world.animator, world.spaces["public"], body="Calendrier des formations", kind="announcement",
                    title="Calendrier des formations")
    suggestions.suggest(world.member, post, users=[world.outsider.id], message="La session de mai est ouverte")
    db.session.commit()
    [mail] = delivered()
    assert mail["To"] == world.outsider.email
    assert mail["Subject"] == "Membre vous propose : Calendrier des formations"
    text, html = _parts(mail)
    link, preferences = f"{BASE}/publications/{post.id}", f"{BASE}/notifications/preferences"
    assert "Bonjour Agent extérieur," in text
    assert "Membre vous propose, dans l'espace Espace public :\n\n    Calendrier des formations\n" in text
    assert "La session de mai est ouverte" in text and link in text and preferences in text
    assert "Une proposition de Membre" in html and "La session de mai est ouverte" in html
    assert f'href="{link}"' in html and f'href="{preferences}"' in html
    assert 'lang="fr"' in html and "Ouvrir dans Maillage" in html
    assert _notices(world.outsider, "suggestion")[0].email_id is not None


def test_a_suggestion_to_a_community_emails_each_member_who_may_read(world, outbox, publish):
    post = publish(world.animator, world.spaces["private"], body="Astreintes de juillet")
    suggestions.suggest(world.member, post, communities=[world.spaces["private"].id])
    db.session.commit()
    # The sender hears nothing; the deactivated and expired members neither.
    assert sorted(m["To"] for m in outbox()) == sorted([world.animator.email, world.partner.email])


# --- Mentions -----------------------------------------------------------------------------------

def test_a_mention_of_someone_who_may_read_notifies_and_emails(world, delivered, publish):
    post = publish(world.animator, world.spaces["private"], body=f"Bonjour @{_handle(world.member)}, ton avis ?",
                    kind="question", title="Horaires du standard")
    assert post.mentions == {_handle(world.member): world.member.id}
    assert [n.publication_id for n in _notices(world.member, "mention")] == [post.id]
    [mail] = delivered()
    assert mail["To"] == world.member.email
    assert mail["Subject"] == "Animatrice vous a mentionné : Horaires du standard"
    text, html = _parts(mail)
    assert "Animatrice vous a mentionné dans l'espace Espace private :\n\n    Horaires du standard\n" in text
    assert f"{BASE}/publications/{post.id}" in text and "Animatrice vous a mentionné" in html


@pytest.mark.parametrize("excerpts", [True, False])
def test_a_mention_in_an_untitled_post_nests_no_quote_and_names_the_space_once(app, world, delivered, publish,
                                                                               excerpts):
    app.config["MAIL_EXCERPTS"] = excerpts
    publish(world.animator, world.spaces["private"],
            body=f"Fin janvier, fiches objectifs : mars. Signature : juin. @{_handle(world.member)} tu valides ?")
    [mail] = delivered()
    named = "Fin janvier, fiches objectifs : mars. Signature…" if excerpts else "Message dans l'espace Espace private"
    assert mail["Subject"] == f"Animatrice vous a mentionné : {named}"
    text, html = _parts(mail)
    assert f"Animatrice vous a mentionné dans l'espace Espace private :\n\n    {named}\n" in text
    for part in (text, html.replace("&#39;", "'")):
        assert "«" not in part and named in part


def test_a_mention_of_someone_who_may_not_read_gives_nothing_at_all(world, delivered, publish):
    post = publish(world.animator, world.spaces["private"], body=f"Voir avec @{_handle(world.stranger)} demain")
    assert post.mentions == {}
    assert _notices(world.stranger) == [] and db.session.scalars(select(Notification)).all() == []
    assert delivered() == []


def test_a_mention_in_a_comment_names_the_comment(world, outbox, publish):
    post = publish(world.member, world.spaces["public"], body="Planning du bloc")
    comment = comments.add_comment(world.animator, post, f"@{_handle(world.partner)} peux-tu confirmer ?")
    db.session.commit()
    [mail] = outbox()
    assert mail["To"] == world.partner.email
    text, _html = _parts(mail)
    assert f"{BASE}/publications/{post.id}#commentaire-{comment.id}" in text


# --- Preferences --------------------------------------------------------------------------------

def test_never_keeps_the_notification_but_sends_no_email(world, outbox, publish):
    notifications.set_preferences(world.outsider, {"suggestion": "never"})
    post = publish(world.animator, world.spaces["public"], body="Note de service")
    suggestions.suggest(world.member, post, users=[world.outsider.id])
    db.session.commit()
    [notice] = _notices(world.outsider, "suggestion")
    assert notice.email_id is None and outbox() == []


def test_digest_sends_no_immediate_email(world, outbox, publish):
    notifications.set_preferences(world.member, {"mention": "digest"})
    db.session.commit()
    publish(world.animator, world.spaces["public"], body=f"Merci @{_handle(world.member)}")
    [notice] = _notices(world.member, "mention")
    assert notice.email_id is None and outbox() == []


def test_immediate_comments_and_answers_are_emailed_with_their_own_heading(world, outbox, publish):
    notifications.set_preferences(world.member, {"comment": "immediate"})
    db.session.commit()
    question = publish(world.member, world.spaces["public"], body="Où trouver le formulaire ?", kind="question",
                        title="Où trouver le formulaire ?")
    comment = comments.add_comment(world.animator, question, "Dans l'intranet, rubrique RH.")
    db.session.commit()
    [mail] = outbox()
    assert mail["Subject"] == "Nouveau commentaire de Animatrice : Où trouver le formulaire ?"
    text, html = _parts(mail)
    assert "Animatrice a commenté, dans l'espace Espace public :\n\n    Où trouver le formulaire ?\n" in text
    assert "Nouveau commentaire de Animatrice" in html

    answers.accept_answer(world.animator, comment)  # the animator accepts: the asker hears of it
    db.session.commit()
    answer_mails = [m for m in outbox() if m["Subject"].startswith("Une bonne réponse")]
    assert [m["To"] for m in answer_mails] == [world.member.email]
    text, html = _parts(answer_mails[0])
    assert ("Animatrice a choisi la bonne réponse à cette question de l'espace Espace public :\n\n"
            "    Où trouver le formulaire ?\n") in text
    assert "Une question a reçu sa bonne réponse" in html


# --- What an email may carry --------------------------------------------------------------------

def test_a_sensitive_communitys_email_carries_no_message_and_no_excerpt(app, world, create_community, outbox, publish):
    app.config["MAIL_EXCERPTS"] = True
    sensitive = create_community(world.animator, visibility="private", name="Dossiers patients", sensitive=True,
                                 members=[(world.member, "member")])
    post = publish(world.animator, sensitive, body="Antécédents du patient de la chambre 12", kind="announcement",
                    title="Revue de dossier")
    suggestions.suggest(world.animator, post, users=[world.member.id], message="Diagnostic à confirmer")
    db.session.commit()
    [mail] = outbox()
    text, html = _parts(mail)
    for part in (mail["Subject"], text, html):
        assert "Antécédents" not in part and "chambre 12" not in part and "Diagnostic" not in part
    assert "Extrait" not in text and "Son message" not in text
    assert "Revue de dossier" in text and f"{BASE}/publications/{post.id}" in text and "Dossiers patients" in text


@pytest.mark.parametrize("excerpts", [True, False])
def test_an_ordinary_community_carries_the_excerpt_only_when_enabled(app, world, outbox, excerpts, publish):
    app.config["MAIL_EXCERPTS"] = excerpts
    post = publish(world.animator, world.spaces["public"], body="Le **planning** des gardes de mars est en ligne",
                    kind="announcement", title="Gardes de mars")
    suggestions.suggest(world.animator, post, users=[world.member.id], message="Vérifie tes dates")
    db.session.commit()
    [mail] = outbox()
    text, html = _parts(mail)
    assert "Vérifie tes dates" in text and "Vérifie tes dates" in html
    excerpt = "Le planning des gardes de mars est en ligne"
    assert (excerpt in text) is excerpts and (excerpt in html) is excerpts
    assert ("Extrait :" in text) is excerpts and "<strong>" not in html
