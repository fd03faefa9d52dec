"""Browser tests: the app served over real HTTP, driven by a headless Chromium through Playwright.

- `live_server`: the `app` fixture's app (so: each database backend) on 127.0.0.1 and a free port.
- `browser`: one Chromium for the whole session (Debian's /usr/bin/chromium; never `playwright install`).
- `open_page`: a new browser context and page (its own cookies: a new person), watched for console
  errors, uncaught script errors, failed requests and HTTP errors, all closed after the test.
- `step`: a context manager that names a stage of a walk; when something in it fails, the page's
  screenshot and HTML go to test-artifacts/ and the assertion message says where.
- `accessibility`: axe-core (tests/e2e/vendor) checks every page the tests open, at 1280 and 390 px
  wide, against WCAG 2.0/2.1 A and AA: the page as each `step` leaves it, then, when the test ends,
  every other page its tabs loaded by GET. One violation fails the test and names the rule, the
  elements, the page and the width.
"""

from __future__ import annotations

import hashlib
import re
import shutil
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from urllib.parse import urlsplit

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
    visited: list[str] = field(default_factory=list)  # path?query of each page loaded by GET, in order


@pytest.fixture
def open_page(request, browser, live_server, accessibility):
    """open_page(label) -> WatchedPage: a fresh context (no cookies) whose page is watched; when the
    test has passed, the pages it loaded and no step checked are checked for accessibility."""
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
        page.on("request", lambda req: watched.visited.append(_address(req.url))
                if req.method == "GET" and req.is_navigation_request() and req.frame == page.main_frame
                and req.url.startswith(live_server.url + "/") else None)
        opened.append(watched)
        return watched

    yield make
    failures = []
    try:
        if _passed(request):  # a failed test has said what matters; a second report would bury it
            for watched in opened:
                failures += accessibility.revisit(watched)
    finally:
        for watched in opened:
            watched.context.close()
    if failures:
        raise AssertionError("\n\n".join(failures))


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
def step(request, browser, accessibility):
    """with step(watched, "stage"): … — a failure inside saves the page and names the files; the
    page as a passed step leaves it (htmx swaps included) is checked for accessibility."""
    from playwright.sync_api import Error as PlaywrightError

    @contextmanager
    def run(watched: WatchedPage, stage: str):
        try:
            yield
        except (AssertionError, PlaywrightError) as exc:
            paths = save_artifacts(request, watched, stage)
            raise AssertionError(f"[{watched.label}: {stage}] at {watched.page.url}\n{exc}\n"
                                 f"Page saved: {paths}") from exc
        failures = accessibility.check(watched, stage)
        if failures:
            raise AssertionError("\n\n".join(failures))

    return run


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    """Keeps each phase's report on the test item, for the fixtures' teardown to read."""
    report = yield
    setattr(item, f"report_{report.when}", report)
    return report


def _passed(request) -> bool:
    report = getattr(request.node, "report_call", None)
    return report is not None and report.passed


# --- Accessibility: axe-core on every page --------------------------------------------------------

AXE_SOURCE = Path(__file__).resolve().parent / "vendor" / "axe.min.js"
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
# Added to the WCAG rules: the landmarks a screen reader lists must be told apart (two <nav>
# without distinct names, two <main>, two page footers). They are axe's "best practice" rules.
AXE_EXTRA_RULES = ["landmark-unique", "landmark-no-duplicate-main", "landmark-no-duplicate-banner",
                   "landmark-no-duplicate-contentinfo"]
AXE_VIEWPORTS = {1280: 900, 390: 844}  # width: height, a desktop and a phone
AXE_NODES_SHOWN = 3

_AXE_RUN = """async ([tags, extra, shown]) => {
  const rules = Object.fromEntries(extra.map(id => [id, {enabled: true}]));
  const result = await axe.run(document, {runOnly: {type: 'tag', values: tags}, rules, resultTypes: ['violations']});
  return result.violations.map(v => ({id: v.id, impact: v.impact, help: v.help, helpUrl: v.helpUrl,
    count: v.nodes.length,
    nodes: v.nodes.slice(0, shown).map(n => ({target: n.target.map(String).join(' >>> '), html: n.html,
                                           summary: n.failureSummary}))}));
}"""

# A resize may start transitions (the header, the menu): the colours are read once they are over.
_SETTLE = """() => new Promise(resolve => requestAnimationFrame(() => requestAnimationFrame(() => {
  const running = document.getAnimations().filter(a => a.playState === 'running'
    && Number.isFinite(a.effect?.getComputedTiming().endTime)).map(a => a.finished.catch(() => null));
  Promise.race([Promise.all(running), new Promise(r => setTimeout(r, 1000))]).then(resolve);
})))"""


@dataclass
class AxeTotals:
    """What the checks cost over the session (shown in the terminal summary)."""

    pages: int = 0
    runs: int = 0
    seconds: float = 0.0


AXE_TOTALS = AxeTotals()


@cache
def _axe_source() -> str:
    return AXE_SOURCE.read_text(encoding="utf-8")


def _address(url: str) -> str:
    """The part of a URL that names a page of the app: path and query, no fragment."""
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def _digest(html: str) -> str:
    """The page's content, less what differs on each load (the CSRF token)."""
    html = re.sub(r'(name="csrf_token"[^>]*?value=")[^"]*', r"\1", html)
    return hashlib.sha256(html.encode()).hexdigest()


class Accessibility:
    """axe-core over the pages of one test: each page state once, at each width of AXE_VIEWPORTS."""

    def __init__(self, request, origin: str):
        self.request = request
        self.origin = origin
        self.states: set[tuple[str, str]] = set()  # (address, digest) checked
        self.addresses: set[str] = set()

    def violations(self, page) -> list[dict]:
        """axe-core's WCAG 2.0/2.1 A and AA violations on `page` as it is now (a page.evaluate is
        not subject to the page's CSP, as an injected <script> would be). axe goes into every frame:
        the page's axe reads an <iframe>'s content only through the frame's own."""
        from playwright.sync_api import Error as PlaywrightError

        try:
            return self._run(page)
        except PlaywrightError as exc:
            if "context was destroyed" not in str(exc):
                raise
            return self._run(page)  # the page went on to another (a redirect by script): once more

    @staticmethod
    def _run(page) -> list[dict]:
        page.wait_for_load_state("load")
        for frame in page.frames:
            if not frame.is_detached() and not frame.evaluate("typeof window.axe === 'object'"):
                frame.evaluate(_axe_source())
        return page.evaluate(_AXE_RUN, [AXE_TAGS, AXE_EXTRA_RULES, AXE_NODES_SHOWN])

    def check(self, watched: WatchedPage, stage: str) -> list[str]:
        """Checks the page of `watched` as it is, at each width (the viewport is restored); returns
        one message per width with violations, after saving the page at that width."""
        page = watched.page
        if page.is_closed() or not page.url.startswith(self.origin + "/"):
            return []
        page.wait_for_load_state("load")
        if page.evaluate("document.contentType") != "text/html":  # a PDF, the OpenAPI JSON
            return []
        address = _address(page.url)
        state = (address, _digest(page.content()))
        if state in self.states:
            return []
        self.states.add(state)
        self.addresses.add(address)
        AXE_TOTALS.pages += 1
        started = time.monotonic()
        original = dict(page.viewport_size)
        failures = []
        try:
            for width in sorted(AXE_VIEWPORTS, key=lambda w: w != original["width"]):  # no resize first
                if page.viewport_size["width"] != width:
                    page.set_viewport_size({"width": width, "height": AXE_VIEWPORTS[width]})
                    page.evaluate(_SETTLE)
                found = self.violations(page)
                AXE_TOTALS.runs += 1
                if found:
                    saved = save_artifacts(self.request, watched, f"{stage}-axe-{width}px")
                    failures.append(self.describe(found, watched, stage, page.url, width, saved))
        finally:
            if not page.is_closed() and page.viewport_size != original:
                page.set_viewport_size(original)
            AXE_TOTALS.seconds += time.monotonic() - started
        return failures

    def revisit(self, watched: WatchedPage) -> list[str]:
        """Loads again, in the same tab, each page it loaded by GET that no step checked."""
        from playwright.sync_api import Error as PlaywrightError

        failures = []
        for address in dict.fromkeys(watched.visited):
            if address in self.addresses or watched.page.is_closed():
                continue
            self.addresses.add(address)
            try:
                watched.page.goto(self.origin + address)
            except PlaywrightError as exc:
                if "Download is starting" in str(exc):  # a file (an export), not a page
                    continue
                raise
            failures += self.check(watched, f"revisit {address}")
        return failures

    @staticmethod
    def describe(found: list[dict], watched: WatchedPage, stage: str, url: str, width: int, saved: str) -> str:
        count = sum(v["count"] for v in found)
        lines = [f"[{watched.label}: {stage}] axe-core: {len(found)} accessibility rule(s) broken by {count} "
                 f"element(s) (WCAG 2.1 A/AA) at {url}, {width} px wide:"]
        for violation in found:
            lines.append(f"- {violation['id']} ({violation['impact']}): {violation['help']} "
                         f"— {violation['count']} element(s); see {violation['helpUrl']}")
            for node in violation["nodes"]:
                lines.append(f"    at {node['target']}")
                lines.append(f"       {node['html'][:300]}")
                summary = " ".join(node["summary"].split())
                lines.append(f"       {summary[:400]}")
            if violation["count"] > len(violation["nodes"]):
                lines.append(f"    … and {violation['count'] - len(violation['nodes'])} more")
        lines.append(f"Page saved at that width: {saved}")
        lines.append("Fix the template or static/css/app.css; a rule is turned off only with a comment in "
                     "tests/e2e/conftest.py that proves a false positive.")
        return "\n".join(lines)


@pytest.fixture
def accessibility(request, live_server) -> Accessibility:
    """The axe-core checks of one test (used by `step` and `open_page`; call .check or .revisit
    directly only to test the checker itself)."""
    return Accessibility(request, live_server.url)


def pytest_terminal_summary(terminalreporter):
    if AXE_TOTALS.runs:
        terminalreporter.write_line(
            f"axe-core: {AXE_TOTALS.pages} page states checked, {AXE_TOTALS.runs} runs, "
            f"{AXE_TOTALS.seconds:.1f} s in all")


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
