"""Digest fixtures: the SMTP sink on loopback, the CLI, and a world whose memberships are old news."""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import update

from rse.communities.models import Membership
from rse.database import db
from rse.dbtypes import utcnow
from rse.digest import periods
from rse.feeds.publications import service as publications

BASE = "http://maillage.test"


@pytest.fixture
def sink(app, smtp_server):
    smtp_server.clear()
    app.config["MAIL_URL"] = smtp_server.url
    return smtp_server


@pytest.fixture
def week(app) -> str:
    return periods.current("weekly", utcnow(), ZoneInfo(app.config["BABEL_DEFAULT_TIMEZONE"])).key


@pytest.fixture
def send(app, week):
    """Run `flask digest send` for this week (or the given arguments); returns the CLI result."""

    def run(*args: str):
        db.session.commit()
        arguments = list(args) if any(a.startswith("--period") for a in args) else ["--period", week, *args]
        result = app.test_cli_runner().invoke(args=["digest", "send", *arguments])
        db.session.rollback()  # see what the command committed
        return result

    return run


def settle() -> None:
    """Memberships made by the fixtures are not news: move them a month back."""
    db.session.execute(update(Membership).values(created_at=utcnow() - timedelta(days=30)))
    db.session.commit()


@pytest.fixture
def space(create_user, create_community):
    """A community of `members` created by a fresh animator, memberships a month old."""

    def make(*members, sensitive: bool = False, name: str | None = None):
        owner = create_user("staff", name=f"Animateur de {name or 'espace'}")
        community = create_community(owner, visibility="private", name=name,
                                     members=[(m, "member") for m in members])
        community.sensitive = sensitive
        settle()
        return community, owner

    return make


def publish(author, community, title: str, body: str = "Texte de la publication", **data):
    publication = publications.publish(author, community, {"kind": data.pop("kind", "post"), "title": title, "body": body,
                                                    **data})
    db.session.commit()
    return publication


def parts(message) -> tuple[str, str]:
    text = message.get_body(("plain",)).get_content().replace("\r\n", "\n")
    return text, message.get_body(("html",)).get_content()
