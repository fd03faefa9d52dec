"""HTTP errors keep the headers that tell a client what to do instead."""

import logging


def test_api_405_names_the_allowed_methods(world, api):
    response = api(world.member).delete("/api/v1/me")
    assert response.status_code == 405
    assert response.json["error"]["code"] == "method_not_allowed"
    assert set(response.headers["Allow"].replace(" ", "").split(",")) == {"GET", "HEAD", "OPTIONS"}
    assert response.content_type == "application/json"


def test_page_405_names_the_allowed_methods(world, login):
    response = login(world.member).put("/annuaire")
    assert response.status_code == 405
    assert "Action non permise" in response.get_data(as_text=True)
    assert set(response.headers["Allow"].replace(" ", "").split(",")) == {"GET", "HEAD", "OPTIONS"}
    assert response.content_type.startswith("text/html")


def test_a_database_error_that_is_no_outage_is_still_a_500(world, login, monkeypatch, caplog, db):
    from sqlalchemy import text

    from rse.communities import service as communities

    def broken(*args, **kwargs):
        db.session.execute(text("SELECT * FROM no_such_table"))

    monkeypatch.setattr(communities, "list_communities", broken)
    client = login(world.member)
    with caplog.at_level(logging.WARNING):
        page = client.get("/")
    body = page.get_data(as_text=True)
    assert page.status_code == 500 and "Erreur inattendue" in body
    assert world.member.name in body  # the page of a signed-in member: the failed transaction was rolled back
    assert "Retry-After" not in page.headers
    assert not [r for r in caplog.records if r.getMessage().startswith("database unreachable")]
    assert [r.exc_info is not None for r in caplog.records if r.levelno >= logging.ERROR] == [True]


def test_an_unexpected_error_is_still_a_500_page_and_json(world, login, api, monkeypatch):
    from rse.api import accounts as api_accounts
    from rse.communities import service as communities

    def crash(*args, **kwargs):
        raise RuntimeError("a bug")

    monkeypatch.setattr(communities, "list_communities", crash)
    monkeypatch.setattr(api_accounts, "user_json", crash)
    page = login(world.member).get("/")
    assert page.status_code == 500 and "Une erreur inattendue est survenue" in page.get_data(as_text=True)
    answer = api(world.member).get("/api/v1/me")
    assert answer.status_code == 500 and answer.json["error"]["code"] == "internal_error"
