"""The lineage docs an auditor reads (rules section 1), checked in a real browser.

One small build (rules section 7 with its commit, January finalized), `dbt docs generate
--static` into its target folder, that folder served over HTTP and opened in headless Chromium
driven by Selenium through Debian's chromedriver. The browser tests skip when Chromium or
chromedriver is missing, unless RATED_EVENTS_REQUIRE_BROWSER=1 (CI), which makes them fail.
The lineage tests save screenshots to their temporary folders; with
RATED_EVENTS_UPDATE_SCREENSHOT=1 the focused lineage pictures refresh the README's pictures in
docs/img instead, so an ordinary test run never changes a tracked file.
"""

from __future__ import annotations

import functools
import io
import json
import os
import shutil
import subprocess
import threading
from collections.abc import Iterator
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from dbt_runner import DBT, PROJECT_DIR
from PIL import Image
from test_balances import AS_OF, spec_section_7

INSTALL_HINT = "sudo apt-get install chromium chromium-driver"
README_IMAGES = PROJECT_DIR / "docs" / "img"
VIEWPORT = (1280, 800)
WAIT_SECONDS = 90  # the machine is shared with other builds: page loads can be slow
PROJECT = "rated_events"
FINALIZED = f"model.{PROJECT}.fct_rated_events_finalized"
MARTS = sorted(path.stem for path in (PROJECT_DIR / "models" / "marts").glob("*.sql"))


def words(text: str) -> str:
    """Whitespace-normalized text: the browser collapses runs of spaces and newlines."""
    return " ".join(text.split())


# ------------------------------------------------------------------------------- the docs site
@pytest.fixture(scope="module")
def docs_target(build_green) -> Path:
    """A built scenario warehouse and its `dbt docs generate --static` output folder."""
    run = build_green("docs", spec_section_7(), AS_OF)
    folder = run.db_path.parent
    raw = folder / "raw"
    # the same environment and vars as the build, so the catalog reads this build's warehouse
    env = {
        **os.environ,
        "RATED_EVENTS_DB": str(run.db_path),
        "DBT_LOG_PATH": str(folder / "logs"),
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
    }
    target = folder / "target"
    command = [
        str(DBT),
        "docs",
        "generate",
        "--static",
        "--project-dir",
        str(PROJECT_DIR),
        "--profiles-dir",
        str(PROJECT_DIR),
        "--target-path",
        str(target),
        "--vars",
        json.dumps({"as_of": AS_OF, "raw_data_path": str(raw)}),
    ]
    completed = subprocess.run(
        command, cwd=PROJECT_DIR, env=env, capture_output=True, text=True, check=False
    )
    assert completed.returncode == 0, (completed.stdout + completed.stderr)[-4000:]
    return target


@pytest.fixture(scope="module")
def manifest(docs_target: Path) -> dict:
    return json.loads((docs_target / "manifest.json").read_text())


@pytest.fixture(scope="module")
def catalog(docs_target: Path) -> dict:
    return json.loads((docs_target / "catalog.json").read_text())


class QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args) -> None:
        pass


@pytest.fixture(scope="module")
def docs_url(docs_target: Path) -> Iterator[str]:
    """The target folder served on 127.0.0.1 at a free port (what `dbt docs serve` does)."""
    handler = functools.partial(QuietHandler, directory=str(docs_target))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/index.html"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


# -------------------------------------------------------------------------------- the browser
# selenium is imported where used, so the tests without a browser run even where it is absent
def browser_missing(reason: str) -> None:
    message = f"{reason}: install it with `{INSTALL_HINT}`"
    if os.environ.get("RATED_EVENTS_REQUIRE_BROWSER") == "1":
        pytest.fail(f"{message} (RATED_EVENTS_REQUIRE_BROWSER=1)")
    pytest.skip(message)


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    """Headless Debian Chromium through Debian's chromedriver; nothing is downloaded."""
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    chromedriver = shutil.which("chromedriver") or (
        "/usr/bin/chromedriver" if Path("/usr/bin/chromedriver").exists() else None
    )
    if not chromium:
        browser_missing("Chromium not found")
    if not chromedriver:
        browser_missing("chromedriver not found")
    try:
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service
    except ImportError:
        pytest.fail("selenium is not installed: make setup (it is pinned in requirements.txt)")

    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for argument in (
        "--headless=new",
        "--no-sandbox",  # CI runs as root, where Chromium's sandbox refuses to start
        "--disable-dev-shm-usage",
        "--disable-gpu",
        f"--window-size={VIEWPORT[0]},{VIEWPORT[1]}",
        f"--user-data-dir={tmp_path_factory.mktemp('chromium-profile')}",
    ):
        options.add_argument(argument)
    # explicit paths and SE_OFFLINE: selenium-manager never looks for or downloads a browser
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("SE_OFFLINE", "true")
        driver = webdriver.Chrome(options=options, service=Service(executable_path=chromedriver))
    try:
        driver.set_page_load_timeout(WAIT_SECONDS)
        # the viewport itself is 1280x800, whatever the window decorations take
        driver.execute_cdp_cmd(
            "Emulation.setDeviceMetricsOverride",
            {"width": VIEWPORT[0], "height": VIEWPORT[1], "deviceScaleFactor": 1, "mobile": False},
        )
        yield driver
    finally:
        driver.quit()


def wait_for(driver, condition, what: str):
    from selenium.common.exceptions import TimeoutException
    from selenium.webdriver.support.ui import WebDriverWait

    try:
        return WebDriverWait(driver, WAIT_SECONDS, poll_frequency=0.25).until(condition)
    except TimeoutException:
        pytest.fail(f"timed out waiting for {what}; page text: {page_text(driver)[:1500]}")


def page_text(driver) -> str:
    from selenium.webdriver.common.by import By

    return driver.find_element(By.TAG_NAME, "body").text


def open_model(driver, url: str, model: str) -> None:
    """Open a model's page and wait until its title and column table are rendered."""
    from selenium.webdriver.common.by import By

    driver.get("about:blank")  # a fresh load: no element of the previous page can match below
    driver.get(f"{url}#!/model/model.{PROJECT}.{model}")

    def rendered(driver) -> bool:
        titles = driver.find_elements(By.CSS_SELECTOR, ".app-title h1, h1")
        rows = driver.find_elements(By.CSS_SELECTOR, "tr.column-row")
        return any(model in title.text for title in titles) and bool(rows)

    wait_for(driver, rendered, f"the page of {model}")


def section_text(driver, section: str) -> str:
    """Visible text of a model page's section by its anchor: details, description, columns."""
    from selenium.webdriver.common.by import By

    found = driver.find_elements(
        By.XPATH, f"//section[div[contains(@class, 'section-target') and @id='{section}']]"
    )
    if not found:
        pytest.fail(f"no section {section!r} on the page: {page_text(driver)[:1500]}")
    return found[0].text


UPSTREAM_JS = """
const graph = angular.element(document.body).injector().get('graph');
const cy = graph.graph_element;
if (graph.orientation !== 'fullscreen' || !cy) { return null; }
const node = cy.getElementById(arguments[0]);
if (node.empty() || !node.visible()) { return null; }
// what the rendered graph shows upstream: visible nodes reached along visible edges
const upstream = node.predecessors(':visible').nodes(':visible');
return {
  upstream: upstream.map(n => n.id()),
  shown: cy.nodes(':visible').length,
};
"""


# ---------------------------------------------------------------------------- the tests
def test_catalog_is_complete(manifest: dict, catalog: dict):
    """Every model has a catalog entry, and every mart's columns are the documented ones."""
    models = {key for key, node in manifest["nodes"].items() if node["resource_type"] == "model"}
    assert models - set(catalog["nodes"]) == set()
    assert not catalog.get("errors")
    for mart in MARTS:
        node = manifest["nodes"][f"model.{PROJECT}.{mart}"]
        documented = {name.lower() for name, column in node["columns"].items()}
        built = {name.lower() for name in catalog["nodes"][node["unique_id"]]["columns"]}
        assert documented == built, mart
        undescribed = [
            name for name, column in node["columns"].items() if not column["description"]
        ]
        assert undescribed == [], mart


def test_every_model_has_an_owner_and_exposures_read_public_models(manifest: dict):
    groups = {group["name"]: group for group in manifest["groups"].values()}
    assert set(groups) >= {"ingestion", "rating", "balances", "invoicing", "marts"}
    assert all(group["owner"].get("email") for group in groups.values())
    ungrouped = [
        node["name"]
        for node in manifest["nodes"].values()
        if node["resource_type"] == "model" and node["config"].get("group") not in groups
    ]
    assert ungrouped == []
    exposures = {exposure["name"]: exposure for exposure in manifest["exposures"].values()}
    assert set(exposures) >= {"invoice_export", "spend_rollups", "spend_cli", "semantic_layer"}
    for exposure in exposures.values():
        assert exposure["owner"].get("email"), exposure["name"]
        parents = [manifest["nodes"][key] for key in exposure["depends_on"]["nodes"]]
        assert parents and all(parent["access"] == "public" for parent in parents)
    assert set(exposures["invoice_export"]["depends_on"]["nodes"]) >= {
        FINALIZED,
        f"model.{PROJECT}.fct_invoices",
        f"model.{PROJECT}.fct_invoice_line_items",
    }


def test_static_docs_name_every_mart(docs_target: Path):
    """`dbt docs generate --static`: one self-contained file that holds every mart."""
    static = docs_target / "static_index.html"
    assert static.is_file()
    text = static.read_text(encoding="utf-8")
    assert len(MARTS) >= 10
    missing = [mart for mart in MARTS if f'"model.{PROJECT}.{mart}"' not in text]
    assert missing == []


def test_lineage_of_finalized_rated_events_reaches_the_raw_sources(
    browser, docs_url: str, manifest: dict, tmp_path: Path
):
    """(a) The expanded lineage graph of fct_rated_events_finalized, as the page renders it,
    leads back through staging to every raw source it reads."""
    from selenium.webdriver.common.by import By

    open_full_graph(browser, docs_url)
    shown = wait_for(
        browser,
        lambda driver: driver.execute_script(UPSTREAM_JS, FINALIZED),
        "the expanded lineage graph",
    )
    upstream = set(shown["upstream"])

    # expected sources from the manifest's parent map, independently of the page
    parents = manifest["parent_map"]
    ancestors: set[str] = set()
    frontier = [FINALIZED]
    while frontier:
        for parent in parents.get(frontier.pop(), []):
            if parent not in ancestors:
                ancestors.add(parent)
                frontier.append(parent)
    sources = {key for key in ancestors if key.startswith("source.")}
    assert f"source.{PROJECT}.usage.events" in sources
    assert upstream >= sources, sorted(sources - upstream)
    # the usage event's path: raw events -> staging -> ingestion -> rating -> balances
    assert {
        f"model.{PROJECT}.stg_usage__events",
        f"model.{PROJECT}.int_usage_events_deduplicated",
        f"model.{PROJECT}.int_rated_events_priced",
        f"model.{PROJECT}.int_rated_events_covered",
    } <= upstream
    # the graph's --select box says what is shown
    selects = [
        field.get_attribute("value") for field in browser.find_elements(By.TAG_NAME, "input")
    ]
    assert "+fct_rated_events_finalized+" in selects

    # the whole graph fitted, no hover tooltip over it
    browser.execute_script(
        "angular.element(document.body).injector().get('graph').graph_element.fit(undefined, 30);"
        "document.querySelectorAll('.tooltip').forEach(tip => tip.remove());"
    )
    # the whole graph is kept as a test artifact only: its labels are too small for the README
    screenshot = tmp_path / "docs-lineage.png"
    assert browser.save_screenshot(str(screenshot))
    assert screenshot.stat().st_size > 10_000


def test_mart_page_lists_columns_with_descriptions(
    browser, docs_url: str, manifest: dict, catalog: dict
):
    """(b) fct_invoices' page: one row per column with its warehouse type and description."""
    from selenium.webdriver.common.by import By

    open_model(browser, docs_url, "fct_invoices")
    node = manifest["nodes"][f"model.{PROJECT}.fct_invoices"]
    types = {
        name.lower(): column["type"]
        for name, column in catalog["nodes"][node["unique_id"]]["columns"].items()
    }
    rows = {}
    for row in browser.find_elements(By.CSS_SELECTOR, "tr.column-row"):
        cells = row.find_elements(By.TAG_NAME, "td")
        rows[cells[0].text.strip().lower()] = (cells[1].text.strip(), words(cells[2].text))
    assert set(rows) == set(node["columns"]), "the page's columns are the documented ones"
    for name, column in node["columns"].items():
        shown_type, shown_description = rows[name]
        assert shown_type == types[name], name
        assert shown_description == words(column["description"]), name
    # the owner comes from the group (models/_groups.yml)
    assert "Rated events maintainers" in section_text(browser, "details")


def test_drawdown_rule_is_explained_on_the_drawdown_model(browser, docs_url: str):
    """(c) int_rated_events_covered's description renders the `drawdown_clamp` docs block."""
    from selenium.webdriver.common.by import By

    open_model(browser, docs_url, "int_rated_events_covered")
    description = words(section_text(browser, "description"))
    assert "How much a segment covers of each rated event (rules section 4.9)." in description
    assert "Never more than the segment holds." in description

    # rendered Markdown, not raw text: the formula is a code span, the rule names are bold
    def shown(selector: str) -> list[str]:
        elements = browser.find_elements(By.CSS_SELECTOR, selector)
        return [words(element.text) for element in elements if element.is_displayed()]

    assert "covered = clamp(C', 0, amount) - clamp(C, 0, amount)" in shown("section code")
    assert "Until spent." in shown("section strong")
    assert "**" not in description


def test_static_docs_open_offline(browser, docs_target: Path):
    """The static file works on its own from disk (what an auditor is handed)."""
    from selenium.webdriver.common.by import By

    static = docs_target / "static_index.html"
    browser.get(f"{static.as_uri()}#!/model/model.{PROJECT}.fct_invoices")
    wait_for(
        browser,
        lambda driver: (
            any(
                "fct_invoices" in title.text
                for title in driver.find_elements(By.CSS_SELECTOR, "h1")
            )
            and driver.find_elements(By.CSS_SELECTOR, "tr.column-row")
        ),
        "the static docs page of fct_invoices",
    )


# ------------------------------------------------------------ focused lineage pictures (README)
# Each picture is one selection of the graph, small enough that its labels read at the size
# the README shows them: (file name, --select as typed in the graph, models it must show).
LINEAGE_PICTURES = (
    (
        "lineage-1-ingestion.png",
        "stg_usage__events+,+int_usage_events_ingested",
        {"stg_usage__events", "int_usage_events_deduplicated", "int_usage_events_ingested"},
    ),
    (
        "lineage-2-matching.png",
        "int_usage_events_customer_resolved+,+int_rating_targets_enumerated",
        {"int_usage_events_properties_parsed", "int_usage_events_metric_matched"},
    ),
    (
        "lineage-3-pricing.png",
        "int_rating_targets_enumerated+,+int_quantity_movements_derived",
        {"int_rating_targets_rate_chosen", "int_rating_targets_accumulated"},
    ),
    (
        "lineage-4-balances.png",
        "int_quantity_movements_tiered+,+int_rated_events",
        {"int_rated_events_priced", "int_rated_events_covered", "int_rated_events_split"},
    ),
    (
        "lineage-5-invoices.png",
        "int_rated_events+,+fct_invoices",
        {"int_rated_events_with_history", "int_balance_segment_drawdowns", "fct_invoices"},
    ),
    (
        "lineage-6-run-loop.png",
        "source:recorded+,+int_usage_events_validated",
        {"stg_recorded__event_outcomes", "int_run_settlement", "int_usage_events_validated"},
    ),
)
# 960 CSS pixels at twice the density: five steps across at a size the README shows readably
PICTURE_VIEWPORT = (960, 420)

SHOWN_JS = """
const cy = angular.element(document.body).injector().get('graph').graph_element;
if (!cy) { return null; }
return cy.nodes(':visible').map(n => n.data('name') || n.id());
"""


def open_full_graph(driver, url: str) -> None:
    """What an auditor clicks on fct_rated_events_finalized's page: the lineage launcher, then
    "expand" to the full graph."""
    from selenium.webdriver.common.by import By

    open_model(driver, url, "fct_rated_events_finalized")
    driver.find_element(By.CSS_SELECTOR, ".launcher").click()
    expand = wait_for(
        driver,
        lambda driver: next(
            (
                link
                for link in driver.find_elements(By.CSS_SELECTOR, '[ng-click="showExpanded()"]')
                if link.is_displayed()
            ),
            False,
        ),
        "the lineage graph's expand button",
    )
    expand.click()
    wait_for(driver, lambda driver: driver.execute_script(SHOWN_JS), "the expanded graph")


@pytest.mark.parametrize(("picture", "selector", "must_show"), LINEAGE_PICTURES)
def test_focused_lineage_pictures(
    browser, docs_url: str, tmp_path: Path, picture: str, selector: str, must_show: set[str]
):
    """The README's lineage pictures: a selection typed into the graph's --select box shows
    the models of one stretch of the flow (and not the whole graph), fitted at 960x420."""
    from selenium.webdriver.common.by import By

    open_full_graph(browser, docs_url)
    try:
        browser.execute_cdp_cmd(
            "Emulation.setDeviceMetricsOverride",
            {
                "width": PICTURE_VIEWPORT[0],
                "height": PICTURE_VIEWPORT[1],
                "deviceScaleFactor": 2,
                "mobile": False,
            },
        )
        field = browser.find_element(
            By.CSS_SELECTOR, 'input[ng-model="selectorService.selection.dirty.include"]'
        )
        field.clear()
        field.send_keys(selector)
        browser.find_element(By.ID, "submit-graph-selection").click()

        def selection_shown(driver):
            names = driver.execute_script(SHOWN_JS) or []
            return set(names) if must_show <= set(names) and len(names) < 40 else False

        shown = wait_for(browser, selection_shown, f"the graph of {selector!r}")
        assert len(shown) <= 12, f"{picture}: too many models to read: {sorted(shown)}"
        browser.execute_script(
            "const graph = angular.element(document.body).injector().get('graph');"
            "graph.graph_element.fit(undefined, 20);"
            "document.querySelectorAll('.tooltip').forEach(tip => tip.remove());"
        )
        # the picture is the graph's canvas only (the selection is in the README's caption)
        box = browser.execute_script(
            "const rect = angular.element(document.body).injector().get('graph')"
            ".graph_element.container().getBoundingClientRect();"
            "return [rect.left, rect.top, rect.right, rect.bottom];"
        )
        update = os.environ.get("RATED_EVENTS_UPDATE_SCREENSHOT") == "1"
        screenshot = (README_IMAGES if update else tmp_path) / picture
        Image.open(io.BytesIO(browser.get_screenshot_as_png())).crop(
            tuple(round(edge * 2) for edge in box)
        ).save(screenshot)
        assert screenshot.stat().st_size > 10_000
    finally:
        browser.execute_cdp_cmd(
            "Emulation.setDeviceMetricsOverride",
            {"width": VIEWPORT[0], "height": VIEWPORT[1], "deviceScaleFactor": 1, "mobile": False},
        )


def test_docs_open_on_the_project_overview(browser, docs_url: str):
    """The site's home page is the project's own overview (docs block __overview__), not
    dbt's generic welcome."""
    browser.get("about:blank")
    browser.get(f"{docs_url}#!/overview")
    text = wait_for(
        browser,
        lambda driver: words(page_text(driver)) if "Where to start" in page_text(driver) else False,
        "the overview page",
    )
    assert "Rated events warehouse" in text
    assert "int_usage_events_decided" in text
    assert "Welcome!" not in text
