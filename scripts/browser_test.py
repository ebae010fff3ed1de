"""
Open the Coach Dyno dashboard in a real browser, as a new user, in English and in Vietnamese.

Starts Home Assistant on a free port with a fresh configuration and the demo runner, onboards it,
logs in through the login page in headless Chromium, opens the dashboard and checks every card:
no error card, nothing "unavailable", "unknown" or "NaN", numbers on every number tile, charts
drawn from statistics, the briefing and the analysis written, the plan in the calendar. Screenshots
go to browser-test-shots/. Run through scripts/browser-test, which installs what this needs.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from typing import Any
import urllib.error
import urllib.parse
import urllib.request

from playwright.sync_api import Error as PlaywrightError, Page, sync_playwright

ROOT = Path(__file__).resolve().parent.parent
SHOTS = ROOT / "browser-test-shots"
USER, PASSWORD = "runner", "runner-pass-1"
DASHBOARD = "/coach-dyno/demo-runner"
# What a card must never show, in either language.
BROKEN = (
    "unavailable",
    "unknown",
    "nan",
    "không khả dụng",
    "không xác định",
    "no statistics found",
    "không tìm thấy",
    "entity not available",
)
# Walk through shadow roots, collecting each dashboard card with its visible text.
CARDS_JS = """
() => {
  const text = (node) => {
    let out = '';
    const walk = (n) => {
      if (n.nodeType === Node.TEXT_NODE) { out += n.textContent + ' '; return; }
      if (n.nodeType !== Node.ELEMENT_NODE && n.nodeType !== Node.DOCUMENT_FRAGMENT_NODE) return;
      if (n.tagName === 'STYLE' || n.tagName === 'SCRIPT') return;
      if (n.shadowRoot) walk(n.shadowRoot);
      for (const child of n.childNodes) walk(child);
    };
    walk(node);
    return out.replace(/\\s+/g, ' ').trim();
  };
  const cards = [];
  const find = (root) => {
    for (const el of root.querySelectorAll('*')) {
      const tag = el.tagName.toLowerCase();
      if (tag.startsWith('hui-') && tag.endsWith('-card') && tag !== 'hui-card') {
        const chart = el.shadowRoot && el.shadowRoot.querySelector('statistics-chart');
        const drawn = chart && chart.shadowRoot && chart.shadowRoot.querySelector('ha-chart-base');
        const events = [];
        const findEvents = (r) => {
          for (const e of r.querySelectorAll('*')) {
            if (e.classList && e.classList.contains('fc-list-event')) events.push(e);
            if (e.shadowRoot) findEvents(e.shadowRoot);
          }
        };
        if (tag === 'hui-calendar-card') findEvents(el.shadowRoot || el);
        cards.push({tag, text: text(el), chart: !!drawn, events: events.length});
      }
      if (el.shadowRoot) find(el.shadowRoot);
    }
  };
  find(document);
  return cards;
}
"""


def free_port() -> int:
    """Return a TCP port nobody listens on."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def request(base: str, path: str, data: Any = None, token: str | None = None) -> Any:
    """Call Home Assistant's HTTP API; JSON in, JSON out (form data for the token endpoint)."""
    headers = {"Content-Type": "application/json"}
    body = None
    if isinstance(data, dict) and path == "/auth/token":
        body = urllib.parse.urlencode(data).encode()
        headers = {"Content-Type": "application/x-www-form-urlencoded"}
    elif data is not None:
        body = json.dumps(data).encode()
    if token:
        headers["Authorization"] = f"Bearer {token}"
    req = urllib.request.Request(base + path, data=body, headers=headers)  # noqa: S310 - loopback
    with urllib.request.urlopen(req, timeout=60) as response:  # noqa: S310
        raw = response.read()
    return json.loads(raw) if raw else None


def start_home_assistant(venv: Path, config: Path, port: int) -> subprocess.Popen[bytes]:
    """Lay out a fresh configuration with the demo runner, as scripts/develop does, and start."""
    source = (ROOT / "config" / "configuration.yaml").read_text(encoding="utf-8")
    (config / "configuration.yaml").write_text(
        source.replace("server_port: 8123", f"server_port: {port}"), encoding="utf-8"
    )
    for name, content in (
        ("automations.yaml", "[]"),
        ("scripts.yaml", "{}"),
        ("scenes.yaml", "{}"),
    ):
        (config / name).write_text(content + "\n", encoding="utf-8")
    (config / "custom_components").symlink_to(ROOT / "custom_components")
    subprocess.run(  # noqa: S603 - our own scripts
        [str(venv / "bin" / "python"), str(ROOT / "scripts" / "seed_demo.py"), str(config)],
        check=True,
        stdout=subprocess.DEVNULL,
    )
    log = (config / "hass.log").open("wb")
    return subprocess.Popen(  # noqa: S603 - our own virtualenv
        [str(venv / "bin" / "hass"), "--config", str(config)],
        stdout=log,
        stderr=subprocess.STDOUT,
    )


def wait_until_up(base: str, process: subprocess.Popen[bytes], timeout: float = 240) -> None:
    """Wait until the frontend answers and Coach Dyno's entry has loaded."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit("Home Assistant stopped while starting")
        try:
            urllib.request.urlopen(base + "/manifest.json", timeout=5).close()  # noqa: S310
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            time.sleep(1)
        else:
            return
    raise SystemExit("Home Assistant did not start in time")


def onboard(base: str) -> str:
    """Onboard as a new user would; return an access token."""
    client = base + "/"
    auth = request(
        base,
        "/api/onboarding/users",
        {
            "client_id": client,
            "name": "Runner",
            "username": USER,
            "password": PASSWORD,
            "language": "en",
        },
    )
    token = request(
        base,
        "/auth/token",
        {"grant_type": "authorization_code", "code": auth["auth_code"], "client_id": client},
    )["access_token"]
    for step in ("core_config", "analytics"):
        request(base, f"/api/onboarding/{step}", {}, token)
    request(
        base,
        "/api/onboarding/integration",
        {"client_id": client, "redirect_uri": base + "/?auth_callback=1"},
        token,
    )
    return str(token)


def set_coach_language(base: str, token: str, language: str) -> None:
    """Change the coach's language through the options flow, as the user would in Settings."""
    entries = request(base, "/api/config/config_entries/entry", token=token)
    entry_id = next(e["entry_id"] for e in entries if e["domain"] == "coach_dyno")
    form = request(base, "/api/config/config_entries/options/flow", {"handler": entry_id}, token)
    # Keep every option as it is (defaults and suggested values): only the language changes.
    answer = {}
    for field in form["data_schema"]:
        value = field.get("default", (field.get("description") or {}).get("suggested_value"))
        if value is not None:
            answer[field["name"]] = value
    answer["language"] = language
    result = request(
        base, f"/api/config/config_entries/options/flow/{form['flow_id']}", answer, token
    )
    if result.get("type") != "create_entry":
        raise SystemExit(f"could not switch the coach to {language}: {result}")


def log_in(page: Page, base: str) -> None:
    """Log in through Home Assistant's login page."""
    page.goto(base + "/", wait_until="networkidle", timeout=90_000)
    page.locator('input[name="username"]').fill(USER, timeout=60_000)
    page.locator('input[name="password"]').fill(PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_url(lambda url: "/auth/" not in url, timeout=60_000)


# Wait until the recorder holds Coach Dyno's four statistics (written in the background at start).
STATISTICS_JS = """
async () => {
  for (let i = 0; i < 120; i++) {
    const hass = document.querySelector('home-assistant')?.hass;
    const ids = hass ? await hass.callWS({type: 'recorder/list_statistic_ids'}) : [];
    if (ids.filter((s) => s.statistic_id.startsWith('coach_dyno:')).length >= 4) return true;
    await new Promise((resolve) => setTimeout(resolve, 1000));
  }
  return false;
}
"""


def open_dashboard(page: Page, base: str) -> list[dict[str, Any]]:
    """Open the dashboard and return its cards once the charts have their statistics."""
    if not page.evaluate(STATISTICS_JS):
        raise SystemExit("the recorder never got Coach Dyno's statistics")
    for _attempt in range(4):
        page.goto(base + DASHBOARD, wait_until="networkidle", timeout=90_000)
        page.locator("hui-tile-card").first.wait_for(timeout=120_000)
        # Charts fetch their statistics and draw after the tiles.
        page.wait_for_timeout(5000)
        cards: list[dict[str, Any]] = page.evaluate(CARDS_JS)
        charts = [card for card in cards if card["tag"] == "hui-statistics-graph-card"]
        # Just after a start the recorder may still be writing the history's statistics.
        if charts and all(card["chart"] for card in charts):
            break
        page.wait_for_timeout(5000)
    return cards


def card_problems(card: dict[str, Any], language: str) -> list[str]:
    """Return what is wrong with one card."""
    tag, text = card["tag"], card["text"]
    lowered = f" {text.lower()} ".replace(".", " ").replace(",", " ").replace(":", " ")
    where = f"{language}: {tag} '{text[:70]}'"
    problems = [f"{where}: shows '{word}'" for word in BROKEN if f" {word} " in lowered]
    if tag == "hui-error-card" or "configuration error" in lowered:
        problems.append(f"{where}: an error card")
    if tag == "hui-statistics-graph-card" and not card["chart"]:
        problems.append(f"{where}: no chart drawn")
    if tag == "hui-markdown-card" and len(text) < 20:
        problems.append(f"{where}: nearly empty")
    if tag == "hui-calendar-card" and card["events"] == 0:
        problems.append(f"{where}: no events")
    return problems


def check_dashboard(page: Page, base: str, language: str) -> list[str]:
    """Open the dashboard, screenshot it and return what is wrong with its cards."""
    cards = open_dashboard(page, base)
    SHOTS.mkdir(exist_ok=True)
    shot = SHOTS / f"dashboard-{language}.png"
    page.screenshot(path=str(shot), full_page=True)
    kinds = {card["tag"] for card in cards}
    wanted = (
        "hui-tile-card",
        "hui-markdown-card",
        "hui-statistics-graph-card",
        "hui-calendar-card",
    )
    problems = [f"{language}: no {tag}" for tag in wanted if tag not in kinds]
    for card in cards:
        problems += card_problems(card, language)
    tiles = [card for card in cards if card["tag"] == "hui-tile-card"]
    numeric = [card for card in tiles if any(ch.isdigit() for ch in card["text"])]
    # Every tile but the session, the phase, the verdict and the switch shows a number.
    if len(numeric) < len(tiles) - 4:
        problems.append(f"{language}: only {len(numeric)} of {len(tiles)} tiles show a number")
    print(
        f"{language}: {len(cards)} cards, {len(numeric)} of {len(tiles)} tiles with numbers, {shot}"
    )
    return problems


def main() -> int:
    """Run the whole check; exit 1 on any problem."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--latest", action="store_true", help="Home Assistant 2026.2.3")
    parser.add_argument("--chromium", default=shutil.which("chromium") or "/usr/bin/chromium")
    args = parser.parse_args()
    venv = ROOT / (".venv-latest" if args.latest else ".venv")
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="coach-dyno-browser-") as tmp:
        config = Path(tmp)
        process = start_home_assistant(venv, config, port)
        try:
            wait_until_up(base, process)
            token = onboard(base)
            problems: list[str] = []
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(
                    executable_path=args.chromium,
                    args=["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-sync"],
                )
                for language in ("en", "vi"):
                    if language != "en":
                        set_coach_language(base, token, language)
                    context = browser.new_context(
                        viewport={"width": 1600, "height": 1200}, locale=language
                    )
                    # The frontend's language for this browser, as the profile's picker sets it.
                    context.add_init_script(
                        f"localStorage.setItem('selectedLanguage', JSON.stringify('{language}'))"
                    )
                    page = context.new_page()
                    try:
                        log_in(page, base)
                        problems += check_dashboard(page, base, language)
                    except PlaywrightError as err:
                        SHOTS.mkdir(exist_ok=True)
                        page.screenshot(path=str(SHOTS / f"failed-{language}.png"), full_page=True)
                        problems.append(
                            f"{language}: {str(err).splitlines()[0]} (see failed-{language}.png)"
                        )
                    context.close()
                browser.close()
        finally:
            process.terminate()
            try:
                process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                process.kill()
            errors = [
                line
                for line in (config / "hass.log").read_text(errors="replace").splitlines()
                if "ERROR" in line and "coach_dyno" in line
            ]
    problems += [f"log: {line[:200]}" for line in errors]
    for problem in problems:
        print("PROBLEM", problem)
    print(
        f"browser test: {'FAILED' if problems else 'passed'} in {time.monotonic() - started:.0f} s"
    )
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
