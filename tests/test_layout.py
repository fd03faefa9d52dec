"""The frame of every page (templates/base.html): what the header's menus and the footer offer to whom."""

import re

import pytest
from flask import url_for

ADMIN_PAGES = ("/admin/utilisateurs", "/admin/journal", "/admin/lettre")


def _between(html: str, start: str, end: str) -> str:
    """The part of `html` from the first `start` to the next `end` (both regular expressions)."""
    opening = re.search(start, html)
    assert opening, f"{start!r} not in the page"
    closing = re.compile(end).search(html, opening.end())
    assert closing, f"{end!r} not after {start!r}"
    return html[opening.start():closing.end()]


def _frame(client, path: str = "/") -> dict[str, str]:
    response = client.get(path)
    assert response.status_code == 200, path
    html = response.get_data(as_text=True)
    return {"nav": _between(html, r'<nav class="main-nav"', r"</nav>"),
            "account": _between(html, r'<details class="dropdown user-menu"', r"</details>"),
            "footer": _between(html, r'<footer class="site-footer">', r"</footer>")}


def test_administration_is_in_the_administrators_account_menu_not_in_the_main_navigation(login, world):
    frame = _frame(login(world.admin))
    assert "Administration" not in frame["nav"]  # the same header, and room for the search box, as everyone
    administration = _between(frame["account"], r'id="menu-administration"', r"</ul>")
    assert ">Administration</p>" in administration
    for path in ADMIN_PAGES:
        assert f'href="{path}"' in administration


@pytest.mark.parametrize("who", ["animator", "member", "outsider", "partner", "stranger"])
def test_nobody_else_is_offered_the_administration(login, world, who):
    frame = _frame(login(getattr(world, who)))
    assert "Administration" not in frame["nav"] + frame["account"]
    assert "/admin/" not in frame["nav"] + frame["account"]


def test_the_current_administration_page_is_marked_in_the_menu(login, world):
    account = _frame(login(world.admin), "/admin/journal")["account"]
    assert re.search(r'href="/admin/journal" aria-current="page"', account)
    assert not re.search(r'href="/admin/utilisateurs" aria-current', account)


@pytest.mark.parametrize("who", ["admin", "member", "partner"])
def test_api_tokens_and_documentation_are_in_the_developers_settings_only(app, login, world, who):
    """Not in everyone's account menu and footer: in the settings, where GitHub and GitLab keep them."""
    client = login(getattr(world, who))
    frame = _frame(client)
    assert "/profil/jetons" not in frame["account"] and "Jetons d'API" not in frame["account"]
    assert "OpenAPI" not in frame["footer"] and "/api/" not in frame["footer"]
    assert "Maillage · réseau social et espace documentaire du groupement hospitalier" in frame["footer"]

    settings = _between(client.get("/profil/preferences").get_data(as_text=True), r'<nav class="settings-nav"',
                        r"</nav>")
    assert re.search(r'href="/profil/jetons">.*Développeurs</a>', settings)
    tokens = client.get("/profil/jetons").get_data(as_text=True)
    assert re.search(r'aria-current="page">.*Développeurs</a>', tokens)
    with app.test_request_context():
        documentation = url_for("api.openapi")
    assert f'href="{documentation}"' in tokens and "Documentation de l'API" in tokens


def test_signed_out_pages_have_neither_menu(client):
    html = client.get("/connexion").get_data(as_text=True)
    assert 'class="dropdown user-menu"' not in html and 'class="main-nav"' not in html
    assert "OpenAPI" not in html
