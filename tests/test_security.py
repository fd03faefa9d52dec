"""Headers, cookies and CSRF that every page carries."""

from tests.conftest import PASSWORD


def test_security_headers_on_pages_and_api(client):
    for path in ("/connexion", "/api/v1/openapi.json"):
        response = client.get(path)
        csp = response.headers["Content-Security-Policy"]
        assert "default-src 'self'" in csp and "script-src 'self'" in csp and "object-src 'none'" in csp
        assert "unsafe-inline" not in csp
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["Referrer-Policy"] == "same-origin"


def test_session_cookie_is_httponly_and_samesite(create_user, client):
    user = create_user("staff")
    response = client.post("/connexion", data={"email": user.email, "password": PASSWORD})
    cookie = next(c for c in response.headers.getlist("Set-Cookie") if c.startswith("maillage_session="))
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert "Secure" not in cookie  # plain http in tests


def test_cookies_are_secure_behind_https(app):
    from rse.config import load_config

    config = load_config({"RSE_BASE_URL": "https://maillage.ght-exemple.fr", "RSE_SECRET_KEY": "k"})
    assert config["SESSION_COOKIE_SECURE"] is True and config["REMEMBER_COOKIE_SECURE"] is True


def test_hsts_behind_https(app, client):
    app.config["BASE_URL"] = "https://maillage.ght-exemple.fr"
    assert "max-age=" in client.get("/connexion").headers["Strict-Transport-Security"]


def test_forms_without_csrf_token_are_refused_and_change_nothing(app, create_user, login, db):
    user = create_user("staff")
    client = login(user)
    app.config["WTF_CSRF_ENABLED"] = True
    response = client.post("/espaces/nouveau", data={"name": "Sans jeton", "visibility": "public"})
    assert response.status_code == 400
    from rse.communities.models import Community

    assert db.session.query(Community).count() == 0


def test_login_form_is_rate_limited(client, create_user):
    statuses = [client.post("/connexion", data={"email": f"x{i}@ght-exemple.fr", "password": "wrong-password"}).status_code
                for i in range(11)]
    assert statuses[-1] == 429
    assert all(s == 401 for s in statuses[:10])


def test_api_is_exempt_from_csrf_because_it_takes_no_cookies(app, create_user, login):
    user = create_user("staff")
    client = login(user)  # a session cookie…
    app.config["WTF_CSRF_ENABLED"] = True
    response = client.get("/api/v1/me")  # …is not an API credential
    assert response.status_code == 401


def test_health_check_is_public_and_checks_each_dependency(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json == {"status": "ok", "down": [], "dependencies": {
        "database": "ok", "cache": "ok", "mail": "ok", "storage": "ok", "search": "ok"}}


def test_an_id_too_large_for_the_database_is_a_404(app, world, login, api):
    client = login(world.member)
    assert client.get(f"/espaces/{2**31}").status_code == 404
    assert client.get("/espaces/99999999999999999999").status_code == 404
    assert api(world.member).get(f"/api/v1/communities/{2**31}").status_code == 404
