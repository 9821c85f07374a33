"""The search page in a real headless Chromium (Debian's chromium and chromium-driver), through Selenium.

Type a query without diacritics, see highlighted results and the did-you-mean
link, click a facet, go to page 2, open a related article, and look at the
page at phone width. A screenshot of each step goes to tests/screenshots/
(gitignored). Skipped, with the reason, where Chromium or Selenium is missing.
"""

from __future__ import annotations

import os
import shutil
import unicodedata
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import pytest

from tests.conftest import ROOT
from tests.server_corpus import build
from tests.test_server_process import serving

CHROMEDRIVER = Path(os.environ.get("VNSEARCH_CHROMEDRIVER", "/usr/bin/chromedriver"))
CHROMIUM = Path(os.environ.get("VNSEARCH_CHROMIUM", "/usr/lib/chromium/chromium"))
SHOTS = ROOT / "tests" / "screenshots"

webdriver = pytest.importorskip("selenium.webdriver", reason="selenium is not installed (pip install -e '.[test]')")
if not CHROMEDRIVER.exists() or not CHROMIUM.exists():
    pytest.skip(f"headless Chromium not found ({CHROMIUM}, {CHROMEDRIVER}): "
                "apt-get install chromium chromium-driver", allow_module_level=True)

from selenium.common.exceptions import NoAlertPresentException  # noqa: E402
from selenium.webdriver.chrome.service import Service  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.common.keys import Keys  # noqa: E402
from selenium.webdriver.remote.webdriver import WebDriver  # noqa: E402
from selenium.webdriver.support import expected_conditions as EC  # noqa: E402
from selenium.webdriver.support.ui import WebDriverWait  # noqa: E402


@pytest.fixture(scope="module")
def base(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    index = build(tmp_path_factory.mktemp("browser") / "ix")
    with serving(index) as (url, _):
        yield url


@pytest.fixture(scope="module")
def browser() -> Iterator[WebDriver]:
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for arg in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
                "--window-size=1100,900", "--lang=vi"):
        options.add_argument(arg)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(str(CHROMEDRIVER)), options=options)
    driver.set_page_load_timeout(60)
    SHOTS.mkdir(exist_ok=True)
    yield driver
    driver.quit()


def shot(driver: WebDriver, name: str) -> None:
    """A full-page screenshot (the window stretched to the page's height)."""
    width = driver.execute_script("return window.innerWidth")
    height = driver.execute_script("return document.documentElement.scrollHeight")
    driver.set_window_size(width, min(max(height, 600), 4000))
    driver.save_screenshot(str(SHOTS / f"{name}.png"))


def no_alert(driver: WebDriver) -> None:
    with pytest.raises(NoAlertPresentException):
        driver.switch_to.alert  # noqa: B018


def fold(text: str) -> str:
    """Lower case without diacritics: what a query typed without them matches."""
    text = unicodedata.normalize("NFD", text.lower().replace("đ", "d"))
    return "".join(c for c in text if not unicodedata.combining(c))


def params(driver: WebDriver) -> dict[str, list[str]]:
    return parse_qs(urlparse(driver.current_url).query)


def wait_for(driver: WebDriver, css: str) -> None:
    WebDriverWait(driver, 60).until(EC.presence_of_element_located((By.CSS_SELECTOR, css)))


def test_search_facet_page_related(browser: WebDriver, base: str) -> None:
    browser.set_window_size(1100, 900)
    browser.get(base + "/")
    box = browser.switch_to.active_element  # the box has the focus: type at once
    assert box.get_attribute("id") == "q"
    box.send_keys("nguoi dan", Keys.RETURN)
    wait_for(browser, "ol.hits")
    shot(browser, "01-results")
    marks = browser.find_elements(By.CSS_SELECTOR, ".hit mark")
    assert marks and all(fold(m.text) in ("nguoi", "dan", "nguoi dan") for m in marks)
    # The stylesheet applied (CSP allows 'self' styles): highlights have a background.
    hit_mark = browser.find_element(By.CSS_SELECTOR, ".snippet mark")
    assert hit_mark.value_of_css_property("background-color") not in ("rgba(0, 0, 0, 0)", "transparent")
    suggestion = browser.find_element(By.ID, "did-you-mean")
    assert suggestion.text == "người dân"

    month = next(a for a in browser.find_elements(By.CSS_SELECTOR, '[data-facet="month"] a')
                 if int(a.find_element(By.XPATH, "following-sibling::span").text) > 10)
    chosen = month.text
    month.click()
    wait_for(browser, "ol.hits")
    shot(browser, "02-facet")
    assert params(browser)["since"] == [chosen] == params(browser)["until"]
    dates = [t.get_attribute("datetime") or "" for t in browser.find_elements(By.CSS_SELECTOR, ".hit time")]
    assert dates and all(d.startswith(chosen) for d in dates)

    browser.find_element(By.CSS_SELECTOR, 'a[rel="next"]').click()
    wait_for(browser, 'ol.hits[start="11"]')
    shot(browser, "03-page-2")
    assert params(browser)["page"] == ["2"] and params(browser)["since"] == [chosen]

    first = browser.find_element(By.CSS_SELECTOR, ".hit a.related")
    first.click()
    wait_for(browser, "h1.page-title")
    shot(browser, "04-related")
    related = browser.find_elements(By.CSS_SELECTOR, ".hit h2 a")
    assert related
    title = related[0].text
    related[0].click()
    wait_for(browser, "article.article h1")
    shot(browser, "05-article")
    assert browser.find_element(By.CSS_SELECTOR, "article h1").text == title
    assert browser.find_elements(By.CSS_SELECTOR, "#related .hit")
    no_alert(browser)


def test_did_you_mean_link_and_keyboard(browser: WebDriver, base: str) -> None:
    browser.set_window_size(1100, 900)
    browser.get(base + "/?q=thi+truong")
    wait_for(browser, "#did-you-mean")
    browser.find_element(By.ID, "did-you-mean").click()
    wait_for(browser, "ol.hits")
    assert params(browser)["q"] == ["thị trường"]
    assert browser.find_element(By.ID, "q").get_attribute("value") == "thị trường"
    # From the keyboard alone: Tab from the box reaches the button, then the results' links.
    browser.find_element(By.ID, "q").send_keys(Keys.TAB)
    assert browser.switch_to.active_element.tag_name == "button"


def test_hostile_articles_stay_text(browser: WebDriver, base: str) -> None:
    browser.set_window_size(1100, 900)
    browser.get(base + "/?q=tri+tue+nhan+tao")
    wait_for(browser, "ol.hits")
    no_alert(browser)
    titles = [a.text for a in browser.find_elements(By.CSS_SELECTOR, ".hit h2 a")]
    assert any(t.startswith("<script>alert('x')</script>") for t in titles)
    assert not browser.find_elements(By.CSS_SELECTOR, "main script, main img, main iframe, main b")
    shot(browser, "06-hostile")
    browser.get(base + "/a/hostile-markup")
    wait_for(browser, "article.article h1")
    no_alert(browser)
    assert not browser.find_elements(By.CSS_SELECTOR, "main iframe, main img")
    log = browser.get_log("browser")  # type: ignore[attr-defined]  # Chrome's driver has it
    violations = [e for e in log if "Content Security Policy" in e.get("message", "")]
    assert not violations, violations


def test_phone_width(browser: WebDriver, base: str) -> None:
    browser.set_window_size(390, 844)
    browser.get(base + "/?q=cong+nghe")
    wait_for(browser, "ol.hits")
    overflow = browser.execute_script("return document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 1, f"the page is {overflow}px wider than a phone"
    box = browser.find_element(By.ID, "q")
    assert box.size["width"] >= 200
    shot(browser, "07-phone")
    browser.set_window_size(1100, 900)


def test_readme_screenshot(browser: WebDriver, base: str) -> None:
    """docs/serve.png, when asked for (VNSEARCH_DOCS_SHOT=1): the page as the README shows it."""
    if not os.environ.get("VNSEARCH_DOCS_SHOT"):
        pytest.skip("set VNSEARCH_DOCS_SHOT=1 to refresh docs/serve.png")
    browser.set_window_size(1000, 760)
    browser.get(base + "/?q=thi+truong")
    wait_for(browser, "ol.hits")
    target = ROOT / "docs" / "serve.png"
    target.parent.mkdir(exist_ok=True)
    browser.save_screenshot(str(target))
    shutil.copy(target, SHOTS / "readme.png")
