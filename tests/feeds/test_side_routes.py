"""Side routes of the feeds say nothing of what the reader may not read: follow buttons and their
flash messages, tag spellings, suggestion errors (issue 13, findings 1, 2 and 5).

Each test looks at what the answer *says*, and compares a hidden id with a missing one.
"""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from rse.database import db
from rse.feeds.models import Follow
from rse.feeds.publications import service as publications
from rse.feeds.social import follows, suggestions

HX = {"HX-Request": "true"}
SECRET_TITLE = "Plan social confidentiel"
SECRET_NAME = "Personne Cachée"
SECRET_TAG = "ProjetFusionSecret"


@pytest.fixture
def secrets(world, create_user, create_document, create_community):
    """A document, a person and a tag that only the members of the secret community know."""
    hidden_person = create_user("partner", name=SECRET_NAME)
    lonely = create_community(world.animator, visibility="secret", name="Cercle restreint",
                              members=[(hidden_person, "member")])
    document = create_document(world.spaces["secret"], world.animator, title=SECRET_TITLE, tags=[SECRET_TAG])
    publications.publish(world.animator, world.spaces["secret"], {"kind": "post", "body": "Texte", "tags": [SECRET_TAG]})
    db.session.commit()
    return {"document": document, "person": hidden_person, "community": lonely}


# Headers that differ between two answers for reasons of their own: the signed session cookie (its
# flash messages are read on the next page instead) and the length of a body that names the id asked.
_OWN_HEADERS = {"Set-Cookie", "Content-Length"}
_CSRF = re.compile(r"[\w-]{20,}\.[\w-]{6}\.[\w-]{20,}")  # a signed CSRF token: new on each page


def _body_and_next_page(client, response) -> str:
    """The answer, and the page its redirect leads to (where a flash message is shown)."""
    text = response.get_data(as_text=True) + "".join(
        f"{k}: {v}\n" for k, v in response.headers.items() if k not in _OWN_HEADERS)
    if response.status_code in (301, 302, 303):
        text += client.get(response.headers["Location"]).get_data(as_text=True)
    return text


# Who may not see what: staff see every active person, partners only those they share a space with.
BLIND = [("outsider", "document"), ("stranger", "document"), ("stranger", "person"), ("partner", "person")]


@pytest.mark.parametrize(("who", "target"), BLIND)
@pytest.mark.parametrize("htmx", [False, True], ids=["page", "htmx"])
def test_unfollow_names_nothing_hidden_and_a_hidden_id_answers_as_a_missing_one(
        world, secrets, login, who, target, htmx):
    client = login(getattr(world, who))
    hidden = secrets[target].id
    answers = []
    for key in (hidden, 999_999):
        response = client.post("/suivre", headers=HX if htmx else {}, data={
            "target": target, "key": str(key), "action": "unfollow", "next": "/"})
        assert response.status_code in (200, 302)
        text = _body_and_next_page(client, response)
        assert (SECRET_TITLE if target == "document" else SECRET_NAME) not in text
        answers.append(_CSRF.sub("CSRF", text.replace(f'value="{key}"', 'value="ID"')))
    assert answers[0] == answers[1]


def test_unfollow_still_ends_a_follow_of_what_one_can_no_longer_read(world, secrets, login):
    """One stops following what one no longer sees, without learning its name."""
    document = secrets["document"]
    follows.follow(world.member, "document", document.id)
    db.session.commit()
    from rse.communities import service as communities

    communities.remove_member(world.animator, world.spaces["secret"], world.member.id)
    db.session.commit()
    client = login(world.member)
    response = client.post("/suivre", data={"target": "document", "key": str(document.id), "action": "unfollow"})
    assert SECRET_TITLE not in _body_and_next_page(client, response)
    assert db.session.scalar(select(Follow).where(Follow.user_id == world.member.id)) is None


def test_a_readable_item_is_still_named(world, secrets, login):
    client = login(world.member)
    response = client.post("/suivre", data={"target": "document", "key": str(secrets["document"].id),
                                            "action": "follow", "next": "/"}, follow_redirects=True)
    assert f"Vous suivez désormais « {SECRET_TITLE} »" in response.get_data(as_text=True)


@pytest.mark.parametrize("who", ["outsider", "stranger", "member", "partner"])
def test_a_tag_is_spelled_as_the_reader_may_see_it(world, secrets, login, api, who):
    reader = getattr(world, who)
    may_read = who in ("member", "partner")  # the members of the secret space
    page = login(reader).get("/mots-cles/projetfusionsecret").get_data(as_text=True)
    feed = api(reader).get("/api/v1/tags/projetfusionsecret/feed").json
    button = login(reader).post("/suivre", headers=HX, data={
        "target": "tag", "key": "projetfusionsecret", "action": "follow"}).get_data(as_text=True)
    for text in (page, str(feed), button):
        assert (SECRET_TAG in text) is may_read, text[:300]
    assert feed["tag"] == (SECRET_TAG if may_read else "projetfusionsecret")


def test_a_suggestion_error_counts_only_the_members_the_sender_may_list(world, create_user, create_community):
    """Suggesting a private space's item to a community the sender is not in: refused, without
    saying how many of its members cannot read it."""
    colleague = create_user("staff")
    elsewhere = create_community(world.outsider, visibility="private", name="Cadres de santé",
                                 members=[(colleague, "member"), (create_user("staff"), "member")])
    post = publications.publish(world.member, world.spaces["public"], {"kind": "post", "body": "À lire"})
    partner_only = create_community(world.animator, visibility="public", name="Avec l'agence",
                                    members=[(world.stranger, "member")])
    db.session.commit()
    with pytest.raises(Exception) as refused:
        suggestions.suggest(world.admin, post, communities=[partner_only.id])
    assert "1 membre de « Avec l'agence »" in str(refused.value.fields["communities"])  # a reader of it: counted
    private_post = publications.publish(world.member, world.spaces["private"], {"kind": "post", "body": "Interne"})
    db.session.commit()
    with pytest.raises(Exception) as refused:
        suggestions.suggest(world.member, private_post, communities=[elsewhere.id])
    message = str(refused.value.fields["communities"])
    assert refused.value.code == "recipient_cannot_read"
    assert "Des membres de « Cadres de santé »" in message
    assert not any(ch.isdigit() for ch in message)
