"""Hand-made results.json dicts, a headless Chromium, and a small class graded for real.

The browser is one session-wide Chromium (fresh profile, no network services); tests marked `browser` skip
when /usr/bin/chromium or /usr/bin/chromedriver is missing. Screenshots go to tests/artifacts/ (gitignored).
"""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from report_cases import EXAMPLES, HOSTILE_ID, ROOT, hostile_result, rich_result, write_hostile_notebook

ARTIFACTS = ROOT / "tests" / "artifacts"
CHROMIUM, CHROMEDRIVER = Path("/usr/bin/chromium"), Path("/usr/bin/chromedriver")


@pytest.fixture
def result() -> dict:
    return rich_result()


@pytest.fixture
def hostile() -> dict:
    return hostile_result()


# ---- the browser -------------------------------------------------------------------------------------------

@pytest.fixture(scope="session")
def browser(tmp_path_factory):
    if not (CHROMIUM.exists() and CHROMEDRIVER.exists()):
        pytest.skip("needs /usr/bin/chromium and /usr/bin/chromedriver")
    webdriver = pytest.importorskip("selenium.webdriver")
    from selenium.webdriver.chrome.options import Options
    from selenium.webdriver.chrome.service import Service
    options = Options()
    options.binary_location = str(CHROMIUM)
    for argument in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                     "--disable-background-networking", "--disable-component-update", "--disable-sync",
                     "--no-first-run", f"--user-data-dir={tmp_path_factory.mktemp('chromium-profile')}"):
        options.add_argument(argument)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(str(CHROMEDRIVER)), options=options)
    driver.set_page_load_timeout(30)
    yield driver
    driver.quit()


class Page:
    """Loads a file in the shared browser and answers the questions the tests ask of it."""

    def __init__(self, driver):
        self.driver = driver

    def open(self, path: Path, *, width: int = 1100) -> list[dict]:
        """Load `path`; returns the console entries it produced."""
        self.driver.get_log("browser")                               # drop what earlier pages logged
        self.driver.set_window_size(width, 900)
        self.driver.get(path.resolve().as_uri())
        return self.driver.get_log("browser")

    def errors(self, entries: list[dict]) -> list[dict]:
        return [e for e in entries if e.get("level") in ("SEVERE", "ERROR")]

    def text(self) -> str:
        return self.driver.execute_script("return document.body.innerText")

    def js(self, script: str):
        return self.driver.execute_script(script)

    def has_alert(self) -> bool:
        from selenium.common.exceptions import NoAlertPresentException
        try:
            self.driver.switch_to.alert.dismiss()
            return True
        except NoAlertPresentException:
            return False

    def screenshot(self, name: str, *, width: int = 1100) -> Path:
        """A full-page screenshot under tests/artifacts/."""
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        self.js("document.querySelectorAll('.table-scroll').forEach(e => { e.scrollLeft = 0; }); window.scrollTo(0, 0)")
        height = self.js("return document.documentElement.scrollHeight")
        self.driver.set_window_size(width, min(int(height) + 120, 16000))
        path = ARTIFACTS / f"{name}.png"
        self.driver.save_screenshot(str(path))
        return path


@pytest.fixture
def page(browser) -> Page:
    return Page(browser)


# ---- a class graded for real ---------------------------------------------------------------------------------

@pytest.fixture(scope="session")
def graded_class(tmp_path_factory):
    """Three example submissions and one hostile notebook, graded by `grade_class` (one sandbox slot)."""
    from graders.batch import grade_class
    from graders.load import load_submissions
    from graders.suite import load_suite
    root = tmp_path_factory.mktemp("class")
    for name in ("reference", "wrong-forgot-normaliser", "wrong-kernel-attention-quadratic"):
        shutil.copytree(EXAMPLES / name, root / "in" / name)
    write_hostile_notebook(root / "in" / HOSTILE_ID)
    submissions = list(load_submissions([root / "in"], "kernel_attention"))
    results = grade_class(load_suite("kernel_attention"), submissions, root / "out", jobs=1, progress=False)
    return root / "out", {r["submission"]: r for r in results}
