"""An author's successive changes to one wiki page make one card in the streams, page after page."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from rse.database import db
from rse.feeds.activity import EDIT_RUN
from rse.feeds.models import Activity, Verb
from rse.feeds.publications import service as publications
from rse.feeds.streams import service as streams


def _edit(author, page, body):
    publications.update_publication(author, page, {"body": body})
    db.session.commit()


def _cards(page):
    return [(item.item.id, item.activity.verb, item.run.changes if item.run else 1) for item in page.items]


def _age(page, hours: float):
    """Make every change of the page so many hours older (as if made earlier)."""
    for activity in db.session.scalars(select(Activity).where(Activity.publication_id == page.id)):
        activity.created_at -= timedelta(hours=hours)
    db.session.commit()


def test_creating_then_editing_a_page_at_once_shows_one_card(world, publish, login):
    wiki = publish(world.animator, world.spaces["public"], kind="wiki", title="Fiche réflexe", body="Texte")
    _edit(world.animator, wiki, "Texte corrigé")
    _edit(world.animator, wiki, "Texte corrigé deux fois")
    page = streams.home(world.member)
    assert _cards(page) == [(wiki.id, Verb.EDITED, 3)]
    assert page.items[0].run.created and page.items[0].run.edits == 2
    html = login(world.member).get("/").get_data(as_text=True)
    assert "Animatrice</a> a créé cette page wiki puis l'a modifiée 2 fois (version 3)" in html
    assert html.count("Fiche réflexe</a></h3>") == 1


def test_successive_edits_without_the_creation_say_how_many(world, publish, login):
    wiki = publish(world.animator, world.spaces["public"], kind="wiki", title="Fiche réflexe", body="Texte")
    _age(wiki, EDIT_RUN.total_seconds() / 3600 + 1)
    _edit(world.member, wiki, "Deux")
    _edit(world.member, wiki, "Trois")
    assert _cards(streams.home(world.member)) == [(wiki.id, Verb.EDITED, 2), (wiki.id, Verb.PUBLISHED, 1)]
    html = login(world.member).get(f"/espaces/{world.spaces['public'].id}").get_data(as_text=True)
    assert "Membre</a> a modifié cette page wiki 2 fois (version 3)" in html
    assert "Animatrice</a> a créé une page wiki" in html


def test_another_author_or_a_later_day_starts_a_new_card(world, publish):
    wiki = publish(world.animator, world.spaces["public"], kind="wiki", title="Fiche", body="Un")
    _edit(world.member, wiki, "Deux")        # someone else: a card of its own
    _edit(world.animator, wiki, "Trois")     # the first author again, after someone else: a new card
    _age(wiki, EDIT_RUN.total_seconds() / 3600 + 1)
    _edit(world.animator, wiki, "Quatre")    # the same author, but later than the run allows
    cards = _cards(streams.home(world.member))
    assert cards == [(wiki.id, Verb.EDITED, 1)] * 3 + [(wiki.id, Verb.PUBLISHED, 1)]


def test_a_page_boundary_inside_a_run_neither_repeats_nor_loses_a_card(world, publish):
    public = world.spaces["public"]
    before = publish(world.animator, public, body="Avant").id
    wiki = publish(world.animator, public, kind="wiki", title="Fiche", body="v1")
    for n in range(2, 6):
        _edit(world.animator, wiki, f"v{n}")
    after = publish(world.animator, public, body="Après").id
    for limit in (1, 2, 3):
        seen, cursor = [], None
        while True:
            page = streams.home(world.member, cursor=cursor, limit=limit)
            seen.extend(_cards(page))
            cursor = page.next_cursor
            if cursor is None:
                break
        assert seen == [(after, Verb.PUBLISHED, 1), (wiki.id, Verb.EDITED, 5), (before, Verb.PUBLISHED, 1)], limit


def test_a_cursor_taken_inside_a_run_does_not_show_its_older_changes(world, publish):
    public = world.spaces["public"]
    wiki = publish(world.animator, public, kind="wiki", title="Fiche", body="v1")
    _edit(world.animator, wiki, "v2")
    older = [a.id for a in db.session.scalars(
        select(Activity).where(Activity.publication_id == wiki.id).order_by(Activity.id))]
    # A cursor just below the run's newest change (as a page that ended there would give).
    cursor = streams.encode_cursor(older[-1])
    assert _cards(streams.home(world.member, cursor=cursor)) == []


def test_runs_fold_in_the_person_and_community_streams_and_nothing_leaks(world, publish):
    secret = world.spaces["secret"]
    wiki = publish(world.animator, secret, kind="wiki", title="Fiche", body="v1")
    _edit(world.animator, wiki, "v2")
    assert _cards(streams.community(world.member, secret)) == [(wiki.id, Verb.EDITED, 2)]
    assert _cards(streams.person(world.member, world.animator)) == [(wiki.id, Verb.EDITED, 2)]
    assert _cards(streams.person(world.outsider, world.animator)) == []
    assert _cards(streams.home(world.stranger)) == []
