"""Browser tests: the app served over real HTTP, driven by a headless Chromium through Playwright.

- `live_server`: the `app` fixture's app (so: each database backend) on 127.0.0.1 and a free port.
- `browser`: one Chromium for the whole session (Debian's /usr/bin/chromium; never `playwright install`).
- `open_page`: a new browser context and page (its own cookies: a new person), watched for console
  errors, uncaught script errors, failed requests and HTTP errors, all closed after the test.
- `step`: a context manager that names a stage of a walk; when something in it fails, the page's
  screenshot and HTML go to test-artifacts/ and the assertion message says where.
"""

from __future__ import annotations

import re
import shutil
import threading
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from flask import got_request_exception
from werkzeug.serving import WSGIRequestHandler, make_server

from tests.services import unavailable

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"]
TIMEOUT_MS = 5_000  # a step that takes longer than this is broken, not slow


# --- The app over HTTP -----------------------------------------------------------------------

class _QuietHandler(WSGIRequestHandler):
    """Requests are not logged one by one (errors still are, through `live_server.errors`)."""

    def log_request(self, code="-", size="-"):
        pass


@dataclass
class LiveServer:
    url: str
    errors: list[BaseException] = field(default_factory=list)


@pytest.fixture
def live_server(app):
    """Serve `app` on http://127.0.0.1:<free port> in a daemon thread, for one test."""
    server = make_server("127.0.0.1", 0, app, threaded=True, request_handler=_QuietHandler)
    live = LiveServer(url=f"http://127.0.0.1:{server.server_port}")

    def record(sender, exception, **extra):
        live.errors.append(exception)

    got_request_exception.connect(record, app)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05},
                              name="live-server", daemon=True)
    thread.start()
    try:
        yield live
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
        got_request_exception.disconnect(record, app)


# --- The browser ------------------------------------------------------------------------------

@pytest.fixture(scope="session")
def browser():
    executable = shutil.which("chromium") or ("/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else None)
    if executable is None:
        unavailable("Chromium not found (Debian package chromium)")
    try:
        from playwright.sync_api import Error as PlaywrightError
        from playwright.sync_api import sync_playwright
    except ImportError:
        unavailable("the playwright Python package is not installed")
    playwright = sync_playwright().start()
    try:
        browser = playwright.chromium.launch(executable_path=executable, headless=True, args=CHROMIUM_ARGS)
    except PlaywrightError as exc:
        playwright.stop()
        unavailable(f"Chromium did not start: {exc}")
    try:
        yield browser
    finally:
        browser.close()
        playwright.stop()


@dataclass
class WatchedPage:
    """A page in its own context, and everything that went wrong in it."""

    label: str
    context: object
    page: object
    problems: list[str] = field(default_factory=list)


@pytest.fixture
def open_page(browser, live_server):
    """open_page(label) -> WatchedPage: a fresh context (no cookies) whose page is watched."""
    opened: list[WatchedPage] = []

    def make(label: str) -> WatchedPage:
        context = browser.new_context(base_url=live_server.url, locale="fr-FR", timezone_id="Europe/Paris",
                                      viewport={"width": 1280, "height": 900})
        context.set_default_timeout(TIMEOUT_MS)
        context.set_default_navigation_timeout(TIMEOUT_MS)
        # A CSP refusal is a console error in Chromium already; this names the directive too.
        context.add_init_script("document.addEventListener('securitypolicyviolation', function (e) {"
                                " console.error('CSP violation: ' + e.violatedDirective + ' blocked '"
                                " + (e.blockedURI || 'inline') + ' in ' + e.sourceFile + ':' + e.lineNumber); });")
        page = context.new_page()
        watched = WatchedPage(label, context, page)
        problems = watched.problems
        page.on("console", lambda msg: problems.append(f"console {msg.type}: {msg.text} ({msg.location.get('url')})")
                if msg.type == "error" else None)
        page.on("pageerror", lambda exc: problems.append(f"script error: {exc}"))
        # ERR_ABORTED: a subresource still loading when the page navigates on (a click, a redirect)
        # is cancelled by the browser; that says nothing about the app. A refusal (CSP included) is
        # another error, and a console error besides.
        page.on("requestfailed", lambda req: problems.append(f"request failed: {req.method} {req.url}: {req.failure}")
                if req.failure != "net::ERR_ABORTED" else None)
        page.on("response", lambda res: problems.append(f"HTTP {res.status}: {res.request.method} {res.url}")
                if res.status >= 400 else None)
        opened.append(watched)
        return watched

    yield make
    for watched in opened:
        watched.context.close()


# --- Evidence on failure ------------------------------------------------------------------------

def save_artifacts(request, watched: WatchedPage, stage: str) -> str:
    """Screenshot and HTML of the page now, under test-artifacts/; returns the paths for a message."""
    ARTIFACTS.mkdir(exist_ok=True)
    stem = re.sub(r"[^A-Za-z0-9_.-]+", "-", f"{request.node.name}-{watched.label}-{stage}").strip("-")
    shot, html = ARTIFACTS / f"{stem}.png", ARTIFACTS / f"{stem}.html"
    saved = []
    try:
        watched.page.screenshot(path=str(shot), full_page=True, timeout=TIMEOUT_MS)
        saved.append(str(shot))
    except Exception as exc:  # the evidence must never hide the failure itself
        saved.append(f"(no screenshot: {exc})")
    try:
        html.write_text(watched.page.content(), encoding="utf-8")
        saved.append(str(html))
    except Exception as exc:
        saved.append(f"(no HTML: {exc})")
    return " and ".join(saved)


@pytest.fixture
def step(request, browser):
    """with step(watched, "stage"): … — a failure inside saves the page and names the files."""
    from playwright.sync_api import Error as PlaywrightError

    @contextmanager
    def run(watched: WatchedPage, stage: str):
        try:
            yield
        except (AssertionError, PlaywrightError) as exc:
            paths = save_artifacts(request, watched, stage)
            raise AssertionError(f"[{watched.label}: {stage}] at {watched.page.url}\n{exc}\n"
                                 f"Page saved: {paths}") from exc

    return run


def sign_in(tab, live_server, step, user, name: str):
    """Sign `user` in through the login form in `tab`; the home page is then shown."""
    from playwright.sync_api import expect

    from tests.conftest import PASSWORD

    page = tab.page
    with step(tab, f"login-{name}"):
        page.goto("/connexion")
        page.get_by_label("Adresse électronique").fill(user.email)
        page.get_by_label("Mot de passe", exact=True).fill(PASSWORD)
        page.get_by_role("button", name="Se connecter").click()
        expect(page).to_have_url(f"{live_server.url}/")
    return page
