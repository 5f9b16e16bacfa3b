"""Helpers for the browser journeys: Playwright driving Debian's Chromium.

Every page a journey opens is watched for console errors, uncaught exceptions and
Content-Security-Policy violations; the ``page`` fixture fails the test on any of them at
teardown. ``check_accessibility`` runs axe-core (installed for tests only under
``.test-tools/``, never served to users) and fails on serious or critical violations; the
fixture also fails a test that navigated to a page it never checked.
"""

from __future__ import annotations

import json
import os
import time
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM_PATH = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
AXE_PATH = ROOT / ".test-tools" / "node_modules" / "axe-core" / "axe.min.js"
AXE_INSTALL = "npm install --prefix .test-tools axe-core@4"
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
FAILING_IMPACTS = {"serious", "critical"}

DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}
TIMEOUT_MS = 10_000

# Runs in every document before the page's own scripts (through the DevTools protocol, so the
# page's CSP does not apply to it). Violations are kept on the window, as the brief for these
# journeys asks, and reported to Python at once so that none is lost when the page navigates.
CSP_LISTENER = """
window.__cspViolations = [];
window.addEventListener("securitypolicyviolation", (event) => {
  const violation = {
    directive: event.effectiveDirective || event.violatedDirective,
    blocked: event.blockedURI,
    source: event.sourceFile,
    line: event.lineNumber,
    sample: event.sample,
    page: document.location.href,
  };
  window.__cspViolations.push(violation);
  if (window.__reportCspViolation) window.__reportCspViolation(violation);
}, true);
"""


def chromium_missing_reason() -> str | None:
    if Path(CHROMIUM_PATH).exists():
        return None
    if CHROMIUM_PATH == "/usr/bin/chromium":
        return "Debian's chromium is not installed at /usr/bin/chromium: apt-get install chromium"
    return f"CHROMIUM_PATH={CHROMIUM_PATH} does not exist"


def launch_chromium(playwright):
    return playwright.chromium.launch(
        executable_path=CHROMIUM_PATH,
        headless=True,
        # No background calls home: the test machines have no internet access.
        args=[
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
        ],
    )


def fake_notifications_socket(ws) -> None:
    """Answer the notification socket in place of the server.

    pytest-django's live server speaks WSGI only, so the real socket (served by daphne in
    production, tested with WebsocketCommunicator) cannot connect; without this every page
    would log a failed handshake and retry. The fake accepts the connection and answers a
    resume request with nothing new.
    """

    def on_message(message) -> None:
        try:
            data = json.loads(message)
        except (TypeError, ValueError):
            return
        if data.get("type") == "resume":
            ws.send(json.dumps({"type": "resume", "notifications": [], "unread": 0}))

    ws.on_message(on_message)


@dataclass
class PageWatch:
    """What went wrong on one browser page, and which documents were checked by axe."""

    page: object
    console_errors: list[str] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)
    csp_violations: list[dict] = field(default_factory=list)
    navigations: list[str] = field(default_factory=list)
    checked: set[int] = field(default_factory=set)

    def attach(self) -> None:
        page = self.page
        page.on("console", self._on_console)
        page.on("pageerror", lambda error: self.page_errors.append(str(error)))
        page.on("framenavigated", self._on_navigated)

    def _on_console(self, message) -> None:
        if message.type == "error":
            location = message.location or {}
            self.console_errors.append(f"{message.text} ({location.get('url', '')})")

    def _on_navigated(self, frame) -> None:
        if frame == self.page.main_frame:
            self.navigations.append(frame.url)

    def problems(self) -> list[str]:
        found = [f"CSP violation: {v}" for v in self.csp_violations]
        found += [f"console error: {text}" for text in self.console_errors]
        found += [f"uncaught exception: {text}" for text in self.page_errors]
        unchecked = [url for index, url in enumerate(self.navigations) if index not in self.checked]
        found += [f"page never checked with check_accessibility(): {url}" for url in unchecked]
        return found


_watches: dict[int, PageWatch] = {}


def open_watched_page(browser, viewport: dict | None = None, *, real_socket: bool = False):
    """A page in a fresh context that records console errors and CSP violations.

    The notification socket is answered by ``fake_notifications_socket`` unless
    ``real_socket`` is set, for pages served by a daphne process (tests/daphne.py).
    """
    context = browser.new_context(viewport=viewport or DESKTOP, locale="en-US")
    context.add_init_script(CSP_LISTENER)
    context.expose_binding("__reportCspViolation", _record_csp_violation)
    if not real_socket:
        context.route_web_socket("**/ws/notifications/", fake_notifications_socket)
    page = context.new_page()
    return page, _watch(page)


def open_watched_tab(page):
    """Another tab in ``page``'s browser context (same cookies and storage), watched alike."""
    tab = page.context.new_page()
    return tab, _watch(tab)


def _watch(page) -> PageWatch:
    page.set_default_timeout(TIMEOUT_MS)
    watch = _watches[id(page)] = PageWatch(page)
    watch.attach()
    return watch


def _record_csp_violation(source, violation) -> None:
    watch = _watches.get(id(source["page"]))
    if watch is not None:
        watch.csp_violations.append(violation)


def forgive_console_errors(page, containing: str) -> int:
    """Drop the console errors a journey caused on purpose (cutting the network, say).

    Only errors whose text contains ``containing`` go; any other error still fails the test.
    Returns how many were dropped, so the journey can assert that the cut really happened.
    """
    watch = _watches[id(page)]
    kept = [text for text in watch.console_errors if containing not in text]
    dropped = len(watch.console_errors) - len(kept)
    watch.console_errors[:] = kept
    return dropped


def close_watched_page(page) -> None:
    """Close the page's browser context (a tab's context may already be closed)."""
    _watches.pop(id(page), None)
    page.context.close()


def sign_in(page, live_server, user, password: str | None = None) -> None:
    """Sign ``user`` in through the real allauth form and wait for the page that follows.

    A user with an authenticator app (all staff) then gets allauth's two-factor step, which
    is answered with the code the app would show.
    """
    from accounts.mfa import totp_secret
    from conftest import PASSWORD

    page.goto(f"{live_server.url}/accounts/login/")
    check_accessibility(page)
    page.get_by_label("Email").fill(user.email)
    page.get_by_label("Password").fill(password or PASSWORD)
    with page.expect_navigation():
        page.get_by_role("button", name="Sign in").click()
    assert "/accounts/login/" not in page.url, f"sign-in did not leave the form: {page.url}"
    secret = totp_secret(user)
    if secret is not None:
        assert "/accounts/2fa/authenticate/" in page.url, f"no two-factor step: {page.url}"
        check_accessibility(page)
        page.locator("input[name=code]").fill(_unused_totp_code(secret))
        with page.expect_navigation():
            page.get_by_role("button", name="Sign In").click()
        assert "/accounts/2fa/" not in page.url, f"the two-factor step failed: {page.url}"


_last_totp_step: dict[str, int] = {}


def _unused_totp_code(secret: str) -> str:
    """The current code for ``secret``, waiting for a fresh one when it was already used
    (allauth accepts each code once) or is about to expire."""
    from allauth.mfa import app_settings

    from accounts.mfa import totp_code

    period = app_settings.TOTP_PERIOD
    now = time.time()
    step = int(now) // period
    if step == _last_totp_step.get(secret) or (step + 1) * period - now < 3:
        time.sleep((step + 1) * period - now + 0.5)
        now = time.time()
        step = int(now) // period
    _last_totp_step[secret] = step
    return totp_code(secret, at=now)


@cache
def _axe_source() -> str:
    # Evaluated as a statement list; the trailing expression keeps Playwright from treating
    # the script's value as a function to call.
    return AXE_PATH.read_text(encoding="utf-8") + "\n;void 0;"


AXE_RUN = """async (tags) => {
  const results = await axe.run(document, {
    runOnly: { type: "tag", values: tags },
    resultTypes: ["violations"],
  });
  return results.violations.map((v) => ({
    id: v.id,
    impact: v.impact,
    help: v.help,
    nodes: v.nodes.map((n) => n.target.join(" ")),
  }));
}"""


def check_accessibility(page) -> list[dict]:
    """Run axe-core on the current page; fail on serious or critical WCAG 2.1 AA violations.

    axe is evaluated through the DevTools protocol rather than added as a ``<script>``, so the
    page's strict CSP neither blocks it nor reports it. Returns the minor and moderate
    violations, which do not fail the journey.
    """
    if not AXE_PATH.exists():
        pytest.skip(f"axe-core is not installed for the tests: {AXE_INSTALL}")
    page.wait_for_load_state("load")
    if not page.evaluate("() => typeof window.axe === 'object'"):
        page.evaluate(_axe_source())
    violations = page.evaluate(AXE_RUN, AXE_TAGS)
    watch = _watches.get(id(page))
    if watch is not None and watch.navigations:
        watch.checked.add(len(watch.navigations) - 1)
    failing = [v for v in violations if v["impact"] in FAILING_IMPACTS]
    if failing:
        lines = [f"axe found {len(failing)} serious or critical violation(s) on {page.url}:"]
        for v in failing:
            lines.append(f"- {v['id']} ({v['impact']}): {v['help']}")
            lines.extend(f"    {target}" for target in v["nodes"][:10])
        pytest.fail("\n".join(lines), pytrace=False)
    return [v for v in violations if v["impact"] not in FAILING_IMPACTS]


def xss_fired(page) -> bool:
    return page.evaluate("() => typeof window.__xss !== 'undefined'")
