"""What browsers and proxies may keep: private pages and API answers nothing, private bytes only
with revalidation, public static files what Flask gives them."""

from __future__ import annotations

import pytest

from rse.accounts import service as accounts
from rse.feeds.publications import service as publications
from tests.conftest import PASSWORD
from tests.documents.samples import pdf_bytes, png_bytes

NO_STORE = "no-store"
REVALIDATED = "private, no-cache"


@pytest.fixture
def site(world, create_document, db):
    """A space with a PDF, an image (with its thumbnail), a post, and a member with a photo."""
    space = world.spaces["private"]
    pdf = create_document(space, world.animator, content=pdf_bytes("Plan blanc"), filename="plan.pdf",
                          title="Plan blanc", review_by="2020-01-01")
    image = create_document(space, world.animator, content=png_bytes(), filename="schema.png", title="Schéma")
    post = publications.publish(world.member, space, {"kind": "post", "body": "Réunion jeudi", "tags": ["Hygiène"]})
    accounts.set_photo(world.member, world.member, png_bytes(200, 200))
    db.session.commit()
    return world, space, pdf, image, post


def page_paths(world, space, pdf, image, post) -> dict[str, str]:
    """GET pages of a signed-in staff member, with the policy each must carry."""
    c, m = space.id, world.member.id
    pages = [
        "/", "/fil", "/espaces", f"/espaces/{c}", f"/espaces/{c}/fil", f"/espaces/{c}/faq",
        f"/espaces/{c}/documents", f"/espaces/{c}/corbeille", f"/espaces/{c}/documents/a-reviser",
        f"/documents/{pdf.id}", f"/documents/{pdf.id}/lecteur", f"/publications/{post.id}",
        f"/publications/{post.id}/historique", "/annuaire", f"/personnes/{m}", f"/personnes/{m}/fil",
        "/notifications", "/recherche?q=plan", "/recherche/suggestions?q=pl", "/mots-cles/hygiene",
        "/mots-cles/hygiene/fil", "/digest/preview", "/profil", "/profil/lettre", "/manifest.webmanifest",
        "/documents/2147483000",  # a 404 page
        "/mots-cles/",  # whatever answers there
    ]
    policies = dict.fromkeys(pages, NO_STORE)
    policies.update({
        f"/documents/{pdf.id}/versions/1/contenu": REVALIDATED,
        f"/documents/{pdf.id}/versions/1/contenu?inline=1": REVALIDATED,
        f"/documents/{image.id}/versions/1/contenu?inline=1": REVALIDATED,
        f"/documents/{image.id}/versions/1/apercu": REVALIDATED,
        f"/personnes/{m}/photo": REVALIDATED,
    })
    return policies


def api_paths(world, space, pdf, image, post) -> dict[str, str]:
    c, m = space.id, world.member.id
    answers = [
        "/api/v1/me", "/api/v1/feed", "/api/v1/communities", f"/api/v1/communities/{c}",
        f"/api/v1/communities/{c}/feed", f"/api/v1/communities/{c}/members", f"/api/v1/communities/{c}/documents",
        f"/api/v1/documents/{pdf.id}", f"/api/v1/documents/{pdf.id}/comments", f"/api/v1/publications/{post.id}",
        f"/api/v1/publications/{post.id}/comments", f"/api/v1/publications/{post.id}/likes", "/api/v1/users",
        f"/api/v1/users/{m}", f"/api/v1/users/{m}/feed", "/api/v1/notifications", "/api/v1/follows",
        "/api/v1/search?q=plan", "/api/v1/autocomplete?q=pl", "/api/v1/tags/hygiene/feed", "/api/v1/openapi.json",
        "/api/v1/documents/2147483000",  # a JSON 404
    ]
    policies = dict.fromkeys(answers, NO_STORE)
    policies.update({
        f"/api/v1/documents/{pdf.id}/versions/1/content": REVALIDATED,
        f"/api/v1/documents/{image.id}/versions/1/thumbnail": REVALIDATED,
    })
    return policies


@pytest.mark.slow
def test_every_signed_in_page_and_private_bytes_carry_their_cache_policy(site, login):
    world, *objects = site
    client = login(world.member)
    wrong, served = {}, 0
    for path, policy in page_paths(world, *objects).items():
        response = client.get(path)
        served += response.status_code == 200
        if response.headers.get("Cache-Control") != policy:
            wrong[path] = (response.status_code, response.headers.get("Cache-Control"))
    assert wrong == {}
    assert served >= 29  # the sample is of real pages, not of refusals


def test_administration_pages_are_not_stored(site, login):
    world, *_ = site
    client = login(world.admin)
    for path in ("/admin/utilisateurs", f"/admin/utilisateurs/{world.member.id}", "/admin/journal",
                 "/admin/journal/export.csv", "/admin/lettre"):
        response = client.get(path)
        assert (response.status_code, response.headers.get("Cache-Control")) == (200, NO_STORE), path


def test_every_api_answer_carries_its_cache_policy(site, api):
    world, *objects = site
    client = api(world.member)
    wrong = {}
    for path, policy in api_paths(world, *objects).items():
        response = client.get(path)
        if response.headers.get("Cache-Control") != policy:
            wrong[path] = (response.status_code, response.headers.get("Cache-Control"))
    assert wrong == {}
    unauthenticated = api(None).get("/api/v1/me")
    assert unauthenticated.status_code == 401 and unauthenticated.headers.get("Cache-Control") == NO_STORE


def test_form_posts_and_their_redirects_are_not_stored(site, login):
    world, space, *_ = site
    client = login(world.member)
    created = client.post(f"/espaces/{space.id}/dossiers", data={"name": "Comptes rendus"})
    assert created.status_code == 302 and created.headers.get("Cache-Control") == NO_STORE
    refused = client.post(f"/espaces/{space.id}/documents", data={"title": "Sans fichier"})
    assert refused.status_code == 422 and refused.headers.get("Cache-Control") == NO_STORE
    assert "Choisissez un fichier" in refused.get_data(as_text=True)


def test_the_login_page_and_anonymous_answers_are_not_stored(client, create_user):
    page = client.get("/connexion")
    assert page.status_code == 200 and 'name="password"' in page.get_data(as_text=True)
    assert page.headers.get("Cache-Control") == NO_STORE
    redirect = client.get("/espaces")
    assert redirect.status_code == 302 and redirect.headers.get("Cache-Control") == NO_STORE
    user = create_user("staff")
    signed_in = client.post("/connexion", data={"email": user.email, "password": PASSWORD})
    assert signed_in.status_code == 302 and signed_in.headers.get("Cache-Control") == NO_STORE
    assert client.get("/healthz").headers.get("Cache-Control") == NO_STORE


def test_static_files_keep_flasks_public_caching(client, login, create_user):
    for c in (client, login(create_user("staff"))):
        response = c.get("/static/css/app.css")
        assert response.status_code == 200
        cache_control = response.headers.get("Cache-Control", "")
        assert "no-store" not in cache_control and "private" not in cache_control
        response.close()


def test_the_pages_ask_for_static_files_by_fingerprint_kept_a_year(app, client, login, create_user):
    import hashlib
    import re
    from pathlib import Path

    page = login(create_user("staff")).get("/").get_data(as_text=True)
    asked = dict(re.findall(r'/static/(css/app\.css|js/app\.js|img/icons\.svg)\?v=(\w+)', page))
    assert set(asked) == {"css/app.css", "js/app.js", "img/icons.svg"}
    for filename, version in asked.items():
        content = (Path(app.static_folder) / filename).read_bytes()
        assert version == hashlib.sha256(content).hexdigest()[:12]  # a new content is a new URL
        response = client.get(f"/static/{filename}?v={version}")
        assert (response.status_code, response.headers["Cache-Control"]) == (
            200, "public, max-age=31536000, immutable")
        response.close()
    assert page.count('<use href="/static/img/icons.svg?v=') > 10


def test_every_icon_a_page_draws_is_in_the_sprite(app, site, login):
    """An icon missing from static/img/icons.svg would draw nothing, silently: each name a template
    passes to an icon macro literally, and each one the pages draw (names chosen from tables), has
    its <symbol>."""
    import re
    from pathlib import Path

    root = Path(app.root_path).parent
    symbols = set(re.findall(r'<symbol id="([\w-]+)"', (root / "static/img/icons.svg").read_text()))
    named = set()
    for template in (root / "templates").rglob("*.html"):
        named |= set(re.findall(r"icon\(\s*[\"']([\w-]+)[\"']|icon_name=[\"']([\w-]+)[\"']", template.read_text()))
    named = {name for pair in named for name in pair if name}
    world, space, *objects = site
    client = login(world.animator)
    drawn = set()
    for path in [*page_paths(world, space, *objects), f"/espaces/{space.id}/publier?type=question",
                 "/espaces/nouveau", f"/espaces/{space.id}/plans"]:
        response = client.get(path)
        if response.content_type.startswith("text/html"):
            drawn |= set(re.findall(r'icons\.svg\?v=\w+#([\w-]+)"', response.get_data(as_text=True)))
    assert len(named) > 40 and len(drawn) > 30
    assert (named | drawn) - symbols == set()


def test_a_revalidation_of_private_bytes_keeps_the_policy_and_ends_with_access(site, login, db):
    world, space, _pdf, image, _post = site
    client = login(world.partner)
    url = f"/documents/{image.id}/versions/1/apercu"
    first = client.get(url)
    assert first.status_code == 200 and first.headers.get("Cache-Control") == REVALIDATED
    again = client.get(url, headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304 and again.headers.get("Cache-Control") == REVALIDATED
    from rse.communities import service as communities

    communities.remove_member(world.animator, space, world.partner.id)
    db.session.commit()
    revoked = client.get(url, headers={"If-None-Match": first.headers["ETag"]})
    assert revoked.status_code == 404 and revoked.headers.get("Cache-Control") == NO_STORE
    assert b"RIFF" not in revoked.data  # no WEBP bytes
