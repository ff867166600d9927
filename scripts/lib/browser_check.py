"""The web console (/console/) and the API docs (/docs/) in real headless Chromium,
against a live ragd stack through nginx. Run by scripts/browser-check.sh, which installs
Chromium, chromedriver and selenium and mints the tokens; see there for the settings.

Each check prints `ok - ...` or `FAIL - ...`; the last line is `N passed, N failed`.
Every step leaves a screenshot in the artifacts directory. A step that fails is recorded
(with a screenshot named ...-FAIL.png) and the run goes on with the next step.
"""
import base64
import json
import os
import re
import ssl
import sys
import time
import traceback
import urllib.error
import urllib.parse
import urllib.request

from selenium import webdriver
from selenium.common.exceptions import NoAlertPresentException, StaleElementReferenceException, TimeoutException
from selenium.webdriver.chrome.options import Options
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import Select, WebDriverWait

BASE = os.environ["RAGD_BROWSER_BASE_URL"].rstrip("/")
ORIGIN = "{0.scheme}://{0.netloc}".format(urllib.parse.urlsplit(BASE))
HOST = urllib.parse.urlsplit(BASE).hostname
TOKEN = os.environ["RAGD_BROWSER_TOKEN"]
TOKEN_READONLY = os.environ.get("RAGD_BROWSER_TOKEN_READONLY", "")
TOKEN_LIMITED = os.environ.get("RAGD_BROWSER_TOKEN_LIMITED", "") or TOKEN
ARTIFACTS = os.environ["RAGD_BROWSER_ARTIFACTS"]
WORK = os.environ["RAGD_BROWSER_WORK"]  # a scratch directory for the files to upload
REAL_FILE = os.environ.get("RAGD_BROWSER_REAL_FILE", "/usr/share/doc/base-passwd/users-and-groups.html")
NO_EXTENSION_FILE = "/usr/share/common-licenses/GPL-3"  # base-files: no extension, so 415
WAIT = float(os.environ.get("RAGD_BROWSER_WAIT", "20"))

XSS_TITLE = "<img src=x onerror=alert(1)>"
ZH_TITLE = "长城简介"
ZH_TEXT = """# 长城简介

长城是中国古代修建的军事防御工程，东起山海关，西至嘉峪关，全长两万多公里。

明朝时期对长城进行了大规模的修缮，今天人们看到的大部分城墙都建于明代。

长城上的烽火台用来传递军情：白天燃烟，夜间举火，一站接一站地把消息送到远方。
"""
CONTEXT = ssl.create_default_context()
CONTEXT.check_hostname = False
CONTEXT.verify_mode = ssl.CERT_NONE  # the stack's self-signed certificate, on loopback


# ---- results -------------------------------------------------------------------------

class Results:
    def __init__(self):
        self.passed = 0
        self.failed = 0
        self.shots = 0

    def check(self, description, condition, detail=""):
        if condition:
            self.passed += 1
            print("ok   - " + description, flush=True)
        else:
            self.failed += 1
            print("FAIL - " + description + (": " + str(detail) if detail else ""), flush=True)
        return condition


results = Results()


# ---- the API, directly (fixtures and ground truth) ----------------------------------

def api(method, path, token=TOKEN, body=None, content_type="application/json"):
    """(status, headers, parsed JSON or text) of one request through nginx."""
    data = None
    headers = {"Accept": "application/json"}
    if token:
        headers["Authorization"] = "Bearer " + token
    if body is not None:
        data = body if isinstance(body, bytes) else json.dumps(body).encode()
        headers["Content-Type"] = content_type
    request = urllib.request.Request(BASE + path, data=data, method=method, headers=headers)
    try:
        with urllib.request.urlopen(request, context=CONTEXT, timeout=30) as response:
            status, head, raw = response.status, response.headers, response.read()
    except urllib.error.HTTPError as error:
        status, head, raw = error.code, error.headers, error.read()
    text = raw.decode("utf-8", "replace")
    try:
        return status, head, json.loads(text) if text else None
    except ValueError:
        return status, head, text


def all_documents():
    found, cursor = [], None
    while True:
        status, _, body = api("GET", "/v1/documents?limit=100" + ("&cursor=" + cursor if cursor else ""))
        assert status == 200, (status, body)
        found += body["data"]
        cursor = body["next_cursor"]
        if not cursor:
            return found


# ---- the browser ---------------------------------------------------------------------

def start_browser():
    options = Options()
    options.binary_location = os.environ.get("RAGD_BROWSER_CHROMIUM", "/usr/bin/chromium")
    for flag in (
        "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
        "--ignore-certificate-errors", "--window-size=1280,900", "--lang=en-US",
        "--no-first-run", "--no-default-browser-check", "--disable-extensions",
        "--disable-background-networking", "--disable-component-update", "--disable-sync",
        "--disable-default-apps", "--metrics-recording-only", "--mute-audio",
        # Any host but the stack's resolves to nothing: the pages must work without it.
        "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE " + HOST,
    ):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"performance": "ALL", "browser": "ALL"})
    service = Service(executable_path=os.environ.get("RAGD_BROWSER_CHROMEDRIVER", "/usr/bin/chromedriver"))
    driver = webdriver.Chrome(options=options, service=service)
    driver.set_page_load_timeout(60)
    return driver


class Page:
    """The driver plus what the checks need: waits, the network and console logs."""

    def __init__(self, driver):
        self.d = driver
        self.requests = []   # every URL the pages asked for
        self.console = []    # browser console messages

    def drain_logs(self):
        for entry in self.d.get_log("performance"):
            message = json.loads(entry["message"])["message"]
            if message["method"] == "Network.requestWillBeSent":
                self.requests.append(message["params"]["request"]["url"])
            elif message["method"] == "Network.webSocketCreated":
                self.requests.append(message["params"]["url"])
        self.console += [e["message"] for e in self.d.get_log("browser")]

    def wait(self, condition, what, timeout=WAIT):
        try:
            # The console re-renders lists by replacing them: an element found a moment
            # ago may be gone, and the condition is then simply tried again.
            return WebDriverWait(self.d, timeout, poll_frequency=0.1,
                                 ignored_exceptions=(StaleElementReferenceException,)).until(lambda d: condition())
        except TimeoutException:
            raise AssertionError("timed out waiting for " + what) from None

    def by_id(self, element_id):
        return self.d.find_element(By.ID, element_id)

    def css(self, selector):
        return self.d.find_elements(By.CSS_SELECTOR, selector)

    def text(self, element_id):
        return self.by_id(element_id).text

    def goto_panel(self, name):
        self.d.find_element(By.CSS_SELECTOR, 'nav a[data-panel="%s"]' % name).click()
        self.wait(lambda: self.by_id("panel-" + name).is_displayed(), "the %s panel" % name)

    def click_title(self, title):
        """Click the document titled `title` in the list (found afresh until it works)."""
        def attempt():
            for button in self.css("#doc-list .doc-title"):
                if button.text == title:
                    button.click()
                    return True
            return False
        self.wait(attempt, "the document %r in the list" % title)

    def set_token(self, token, remember=False):
        field = self.by_id("token-input")
        field.clear()
        field.send_keys(token)
        box = self.by_id("token-remember")
        if box.is_selected() != remember:
            box.click()
        self.d.find_element(By.CSS_SELECTOR, "#token-form button[type=submit]").click()

    def no_alert(self):
        try:
            alert = self.d.switch_to.alert
        except NoAlertPresentException:
            return True
        text = alert.text
        alert.dismiss()
        raise AssertionError("a JavaScript dialog opened: " + text)

    def shot(self, name, full=True):
        """A screenshot of the whole page (or only the window), as NN-name.png."""
        results.shots += 1
        path = os.path.join(ARTIFACTS, "%02d-%s.png" % (results.shots, name))
        if not full:  # a modal dialog: its backdrop covers the window only
            self.d.save_screenshot(path)
            return path
        metrics = self.d.execute_cdp_cmd("Page.getLayoutMetrics", {})
        width = max(metrics["cssContentSize"]["width"], metrics["cssLayoutViewport"]["clientWidth"])
        height = min(max(metrics["cssContentSize"]["height"], metrics["cssLayoutViewport"]["clientHeight"]), 5000)
        clip = {"x": 0, "y": 0, "width": width, "height": height, "scale": 1}
        shot = self.d.execute_cdp_cmd("Page.captureScreenshot",
                                      {"format": "png", "captureBeyondViewport": True, "clip": clip})
        with open(path, "wb") as f:
            f.write(base64.b64decode(shot["data"]))
        return path


def step(page, name, shot=True):
    """Decorator: run a step, screenshot it, record an exception as a failure."""
    def wrap(function):
        started = time.monotonic()
        try:
            function()
            if shot:
                page.shot(name)
        except Exception as error:  # noqa: BLE001 - any failure of a step is reported
            results.check("%s: step completed" % name, False, "%s: %s" % (type(error).__name__, error))
            if not isinstance(error, AssertionError):
                traceback.print_exc()
            try:
                page.no_alert()
                page.shot(name + "-FAIL")
            except Exception:  # noqa: BLE001 - the screenshot is best effort
                pass
        finally:
            page.drain_logs()
            print("     (%s: %.1f s)" % (name, time.monotonic() - started), flush=True)
        return function
    return wrap


# ---- the steps -----------------------------------------------------------------------

def run(page):
    d = page.d
    state = {}

    @step(page, "headers", shot=False)
    def _():
        for path, trusted_types in (("/console/", True), ("/docs/", False)):
            status, headers, _ = api("GET", path, token=None)
            csp = headers.get("Content-Security-Policy", "")
            results.check(path + " is served by nginx (200)", status == 200, status)
            results.check(path + " CSP: default-src 'none', scripts and styles from 'self' only, no framing",
                          "default-src 'none'" in csp and "script-src 'self';" in csp and "style-src 'self';" in csp
                          and "frame-ancestors 'none'" in csp and "base-uri 'none'" in csp and "unsafe" not in csp, csp)
            results.check(path + " CSP Trusted Types: " + ("required" if trusted_types else "not set (Swagger UI)"),
                          ("require-trusted-types-for 'script'" in csp) == trusted_types, csp)
            results.check(path + " nosniff, no-referrer, DENY",
                          headers.get("X-Content-Type-Options") == "nosniff" and
                          headers.get("Referrer-Policy") == "no-referrer" and headers.get("X-Frame-Options") == "DENY")
        status, headers, _ = api("GET", "/console/js/main.js", token=None)
        results.check("module scripts are served as text/javascript",
                      headers.get("Content-Type", "").startswith("text/javascript"), headers.get("Content-Type"))
        _, headers, _ = api("GET", "/health", token=None)
        results.check("API responses carry no page CSP", headers.get("Content-Security-Policy") is None)
        # The console's own files: no inline script or style, no HTML sinks.
        _, _, html = api("GET", "/console/", token=None)
        results.check("index.html has no inline script, style or event handler attribute",
                      not re.search(r"<script(?![^>]*\bsrc=)[^>]*>|<style|\sstyle=|\son[a-z]+=", html, re.I))
        sinks = []
        for module in ("main", "api", "dom", "token", "uploads", "documents", "search", "ask", "passage"):
            _, _, source = api("GET", "/console/js/%s.js" % module, token=None)
            if re.search(r"innerHTML|outerHTML|insertAdjacentHTML|document\.write|\beval\(|new Function", source):
                sinks.append(module)
        results.check("no HTML-parsing sink or eval in the console's scripts", not sinks, sinks)

    @step(page, "open-401")
    def _():
        d.get(BASE + "/console/")
        page.wait(lambda: d.find_element(By.TAG_NAME, "body").get_attribute("data-ready") == "true", "the console to load")
        results.check("console asks for a token first", "No token yet" in page.text("token-status"))
        page.set_token("not-a-valid-token")
        page.wait(lambda: "Not signed in" in page.text("documents-msg"), "the 401 message")
        results.check("a bad token shows a readable 401 message with the request id",
                      "Request id" in page.text("documents-msg"), page.text("documents-msg"))

    @step(page, "token")
    def _():
        page.set_token(TOKEN)
        page.wait(lambda: "Tenant" in page.text("token-status"), "the token status")
        page.wait(lambda: page.text("documents-msg") == "" or "No documents" in page.text("documents-msg"),
                  "the document list")
        stored = d.execute_script("return [sessionStorage.getItem('ragd.console.token'),"
                                  " localStorage.getItem('ragd.console.token'), document.cookie, location.href]")
        results.check("token kept in sessionStorage, not localStorage, no cookie, not in the URL",
                      stored[0] == TOKEN and stored[1] is None and stored[2] == "" and TOKEN not in stored[3])
        results.check("the token field is a password field and is cleared",
                      page.by_id("token-input").get_attribute("type") == "password" and
                      page.by_id("token-input").get_attribute("value") == "")

    @step(page, "upload")
    def _():
        zh_path = os.path.join(WORK, ZH_TITLE + ".md")
        with open(zh_path, "w", encoding="utf-8") as f:
            f.write(ZH_TEXT)
        real = REAL_FILE if os.path.isfile(REAL_FILE) else None
        results.check("a real Debian document is at hand (%s)" % REAL_FILE, real is not None)
        big_path = os.path.join(WORK, "too-big.txt")  # sparse: refused by size before any byte is sent
        with open(big_path, "wb") as f:
            f.truncate(50 * 1024 * 1024 + 1)
        files = [p for p in (real, zh_path, NO_EXTENSION_FILE, big_path) if p]
        page.by_id("file-input").send_keys("\n".join(files))
        page.wait(lambda: len(page.css("#upload-list li")) == len(files) and
                  all(li.get_attribute("data-state") in ("done", "error") for li in page.css("#upload-list li")),
                  "every upload to finish")
        rows = {li.find_element(By.CLASS_NAME, "upload-name").text: li for li in page.css("#upload-list li")}
        for path in files[:-2]:
            row = rows[os.path.basename(path)]
            results.check("upload of %s succeeded with a full progress bar" % os.path.basename(path),
                          row.get_attribute("data-state") == "done" and
                          row.find_element(By.TAG_NAME, "progress").get_attribute("value") == "100", row.text)
        bad = rows[os.path.basename(NO_EXTENSION_FILE)]
        results.check("a file of unknown type shows the 415 message",
                      bad.get_attribute("data-state") == "error" and "Unsupported file type" in bad.text, bad.text)
        big = rows["too-big.txt"]
        results.check("a file over 50 MiB is refused with the 413 message",
                      big.get_attribute("data-state") == "error" and "Too large" in big.text and "50 MiB" in big.text, big.text)
        state["docs"] = {doc["title"]: doc for doc in all_documents()}
        results.check("the API holds both uploaded documents", ZH_TITLE in state["docs"] and len(state["docs"]) == len(files) - 2,
                      list(state["docs"]))

    @step(page, "list")
    def _():
        page.wait(lambda: len(page.css("#doc-list li")) == len(state["docs"]), "the list to show the uploads")
        shown = [b.text for b in page.css("#doc-list .doc-title")]
        results.check("the list shows every document's title (Chinese included)", sorted(shown) == sorted(state["docs"]), shown)

    @step(page, "document")
    def _():
        doc = state["docs"][ZH_TITLE]
        page.click_title(ZH_TITLE)
        page.wait(lambda: len(page.css("#doc-chunks li")) == doc["chunks"], "the chunks")
        chunk_text = page.css("#doc-chunks li .passage-text")[0].text
        results.check("the document's chunks show its Chinese text", "烽火台用来传递军情" in chunk_text, chunk_text[:80])
        results.check("the detail heading is the title and has focus",
                      page.text("doc-detail-title") == ZH_TITLE and
                      d.switch_to.active_element.get_attribute("id") == "doc-detail-title")

    @step(page, "search")
    def _():
        page.goto_panel("search")
        field = page.by_id("search-query")
        field.send_keys("Which group owns the mailboxes in /var/mail?")
        page.by_id("search-topk").clear()
        page.by_id("search-topk").send_keys("5")
        d.find_element(By.CSS_SELECTOR, "#search-form button[type=submit]").click()
        page.wait(lambda: len(page.css("#search-results li")) > 0, "search results")
        first = page.css("#search-results li")[0]
        results.check("hybrid search ranks the Debian document first",
                      first.find_element(By.CLASS_NAME, "result-title").text.startswith("Users and Groups"), first.text[:120])
        scores = first.find_element(By.CLASS_NAME, "scores").text
        results.check("a result shows its score and each leg's rank",
                      re.search(r"score \d\.\d{4} · vector (rank \d+|: not ranked) · keyword rank \d+", scores), scores)
        results.check("the search shows its request id and timings",
                      "Request id" in page.text("search-meta") and "server:" in page.text("search-meta"), page.text("search-meta"))

    @step(page, "search-chinese")
    def _():
        Select(page.by_id("search-mode")).select_by_value("keyword")
        field = page.by_id("search-query")
        field.clear()
        field.send_keys("烽火台怎样传递军情", Keys.ENTER)  # the keyboard submits the form
        page.wait(lambda: "mode keyword" in page.text("search-meta"), "the keyword search")
        first = page.css("#search-results li")[0]
        results.check("a Chinese keyword query finds the Chinese passage first",
                      first.find_element(By.CLASS_NAME, "result-title").text == ZH_TITLE and
                      "烽火台" in first.find_element(By.CLASS_NAME, "passage-text").text, first.text[:120])

    @step(page, "ask")
    def _():
        page.goto_panel("ask")
        page.by_id("ask-question").send_keys("长城上的烽火台怎样传递军情？")
        page.by_id("ask-submit").click()
        page.wait(lambda: page.by_id("answer").get_attribute("data-state") in ("done", "error", "broken"),
                  "the answer to finish")
        answer = page.by_id("answer")
        results.check("the answer finished", answer.get_attribute("data-state") == "done", page.text("ask-msg"))
        results.check("the answer arrived as a stream of several deltas",
                      int(answer.get_attribute("data-deltas")) >= 2, answer.get_attribute("data-deltas"))
        results.check("the answer has text and a numbered citation button",
                      len(answer.text) > 10 and len(page.css("#answer button.cite")) >= 1, answer.text)
        results.check("the sources are listed with the cited one marked", len(page.css("#sources li.cited")) >= 1)
        meta = page.text("ask-meta")
        results.check("the answer shows its request id, timings and mode",
                      "Request id" in meta and "generate" in meta and re.search(r"mode (llm|extractive)", meta), meta)

    @step(page, "citation")
    def _():
        cite = page.css("#answer button.cite")[0]
        source = d.execute_script("return arguments[0].getAttribute('aria-label')", cite)
        cite.click()
        dialog = page.by_id("passage-dialog")
        page.wait(lambda: dialog.get_attribute("data-state") == "full", "the whole passage")
        results.check("the citation opens its passage (the whole chunk)",
                      "烽火台用来传递军情" in page.text("passage-text") and ZH_TITLE in page.text("passage-title"),
                      (source, page.text("passage-text")[:80]))
        page.shot("citation-passage", full=False)
        dialog.send_keys(Keys.ESCAPE)
        page.wait(lambda: not dialog.is_displayed(), "Escape to close the dialog")

    @step(page, "xss-title")
    def _():
        page.goto_panel("documents")
        page_html = ("<html><head><title>&lt;img src=x onerror=alert(1)&gt;</title></head><body>"
                     "<p>&lt;script&gt;alert(2)&lt;/script&gt; stays text.</p></body></html>")
        # A drop of a file made in the page: the drag-and-drop path of the upload.
        d.execute_script("""
            const file = new File([arguments[0]], arguments[1], {type: "text/html"});
            const data = new DataTransfer();
            data.items.add(file);
            const zone = document.getElementById("drop-zone");
            for (const type of ["dragenter", "dragover", "drop"]) {
                zone.dispatchEvent(new DragEvent(type, {bubbles: true, cancelable: true, dataTransfer: data}));
            }""", page_html, '"><svg onload=alert(1)>.html')
        page.wait(lambda: any(b.text == XSS_TITLE for b in page.css("#doc-list .doc-title")), "the XSS title in the list")
        page.click_title(XSS_TITLE)
        page.wait(lambda: page.text("doc-detail-title") == XSS_TITLE, "the detail of the XSS document")
        page.wait(lambda: "<script>alert(2)</script>" in page.text("doc-chunks"), "its text")
        page.no_alert()
        results.check("no alert ran", True)
        results.check("the literal title is shown as text, no element made from it",
                      not page.css("main img, main svg, #upload-list img, #upload-list svg"))
        page.drain_logs()
        results.check("nothing tried to load the injected image (/console/x)",
                      not [u for u in page.requests if u.split("?")[0].endswith("/x")], page.requests[-5:])

    @step(page, "pages")
    def _():
        # Enough documents for two pages of 10 (tiny ones, through the API).
        for n in range(10 - len(state["docs"]) + 2):
            status, _, body = api("POST", "/v1/documents",
                                  body={"title": "Filler %02d" % n, "text": "Filler document number %d." % n})
            assert status == 201, (status, body)
        total = len(all_documents())
        Select(page.by_id("page-size")).select_by_visible_text("10")
        page.wait(lambda: len(page.css("#doc-list li")) == 10 and page.by_id("doc-next").is_enabled(), "page 1 of 10")
        first_page = [b.text for b in page.css("#doc-list .doc-title")]
        page.by_id("doc-next").click()
        page.wait(lambda: page.text("doc-page") == "Page 2", "page 2")
        second_page = [b.text for b in page.css("#doc-list .doc-title")]
        results.check("pagination: page 2 holds the rest, no title twice, Older disabled at the end",
                      len(second_page) == total - 10 and not set(first_page) & set(second_page) and
                      not page.by_id("doc-next").is_enabled(), (first_page, second_page))
        page.by_id("doc-prev").click()
        page.wait(lambda: page.text("doc-page") == "Page 1", "back to page 1")
        results.check("pagination: Newer goes back to page 1",
                      [b.text for b in page.css("#doc-list .doc-title")] == first_page)
        Select(page.by_id("page-size")).select_by_visible_text("20")
        page.wait(lambda: len(page.css("#doc-list li")) == total, "all documents on one page")

    @step(page, "delete")
    def _():
        doc = state["docs"][ZH_TITLE]
        row = page.css('#doc-list li[data-id="%s"]' % doc["id"])[0]
        row.find_element(By.CSS_SELECTOR, "button.danger").click()
        dialog = page.by_id("confirm-dialog")
        page.wait(dialog.is_displayed, "the confirmation")
        results.check("the confirmation names the document", ZH_TITLE in page.text("confirm-text"))
        page.by_id("confirm-cancel").click()
        results.check("Cancel keeps the document", api("GET", "/v1/documents/" + doc["id"])[0] == 200)
        row = page.css('#doc-list li[data-id="%s"]' % doc["id"])[0]
        row.find_element(By.CSS_SELECTOR, "button.danger").click()
        page.wait(dialog.is_displayed, "the confirmation again")
        page.shot("delete-confirm", full=False)
        page.by_id("confirm-ok").click()
        page.wait(lambda: "Deleted" in page.text("documents-msg"), "the deletion")
        results.check("the document left the list", not page.css('#doc-list li[data-id="%s"]' % doc["id"]))
        results.check("the API no longer has it (404)", api("GET", "/v1/documents/" + doc["id"])[0] == 404)

    @step(page, "forbidden-403")
    def _():
        if not TOKEN_READONLY:
            print("skip - 403 (no read-only token: set RAGD_BROWSER_ENV_FILE to mint one)")
            return
        page.set_token(TOKEN_READONLY)
        page.wait(lambda: "documents:read" in page.text("token-status") and "write" not in page.text("token-status"),
                  "the read-only token")
        d.execute_script("""
            const data = new DataTransfer();
            data.items.add(new File(["Read-only tokens cannot write."], "forbidden.txt", {type: "text/plain"}));
            document.getElementById("drop-zone").dispatchEvent(
                new DragEvent("drop", {bubbles: true, cancelable: true, dataTransfer: data}));""")
        page.wait(lambda: any("Not allowed" in li.text for li in page.css("#upload-list li[data-state=error]")),
                  "the 403 message")
        results.check("an upload without documents:write shows the 403 message", True)

    @step(page, "rate-limit-429")
    def _():
        page.set_token(TOKEN_LIMITED)
        page.wait(lambda: "Tenant" in page.text("token-status"), "the rate-limited token")
        for attempt in range(5):
            exhaust(TOKEN_LIMITED)
            page.by_id("doc-refresh").click()
            try:
                page.wait(lambda: "Rate limit reached" in page.text("documents-msg"), "the 429 message", timeout=3)
                break
            except AssertionError:
                print("     (the budget refilled before the click; attempt %d)" % (attempt + 1))
        message = page.text("documents-msg")
        results.check("a 429 shows a readable message with Retry-After",
                      re.search(r"Rate limit reached.*Try again in \d+ s\.", message), message)

    @step(page, "phone")
    def _():
        page.set_token(TOKEN)
        # A phone's screen: 390 CSS pixels wide, touch, overlay scroll bars.
        d.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                          {"width": 390, "height": 844, "deviceScaleFactor": 1, "mobile": True})
        d.get(BASE + "/console/#search")
        page.wait(lambda: d.find_element(By.TAG_NAME, "body").get_attribute("data-ready") == "true", "the console")
        page.wait(lambda: page.by_id("panel-search").is_displayed(), "the search panel")
        page.by_id("search-query").clear()
        page.by_id("search-query").send_keys("Debian 用户和组", Keys.ENTER)
        page.wait(lambda: "results" in page.text("search-meta") or page.text("search-msg") != "", "a search")
        overflow = d.execute_script("""
            const width = document.documentElement.clientWidth;
            const wide = [...document.querySelectorAll("body *")]
              .filter(e => !e.closest(".visually-hidden, dialog:not([open])"))
              .filter(e => e.getBoundingClientRect().right > width + 1)
              .map(e => e.tagName + "#" + e.id + "." + e.className);
            return [document.documentElement.scrollWidth - width, wide];""")
        results.check("at phone width (390 px) nothing overflows sideways", overflow[0] <= 0 and not overflow[1], overflow)
        results.check("token kept across a reload of the tab (sessionStorage)", "Tenant" in page.text("token-status"))
        unlabelled = d.execute_script("""
            return [...document.querySelectorAll('input, select, textarea, button')]
              .filter(e => e.type !== 'hidden' && !(e.labels && e.labels.length) && !e.getAttribute('aria-label')
                           && !e.textContent.trim())
              .map(e => e.id || e.outerHTML.slice(0, 60));""")
        results.check("every control has a label or text", not unlabelled, unlabelled)

    @step(page, "docs")
    def _():
        d.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})
        status, _, spec = api("GET", "/openapi.json", token=None)
        results.check("/openapi.json is served (200, JSON)", status == 200 and isinstance(spec, dict), status)
        d.get(BASE + "/docs")
        page.wait(lambda: len(page.css(".opblock")) > 0 or page.css(".errors-wrapper, .loading-container .errors"),
                  "Swagger UI to render the operations", timeout=40)
        paths = list((spec or {}).get("paths", {})) if isinstance(spec, dict) else []
        shown = [e.text.replace("\u200b", "") for e in page.css(".opblock-summary-path")]
        results.check("Swagger UI shows the operations of /openapi.json (%d paths)" % len(paths),
                      paths and len(shown) > 0 and all(p in shown for p in paths), (paths[:5], shown[:5]))
        for control in page.css(".opblock-summary-control")[:3]:  # open a few: schemas, examples
            control.click()
        page.wait(lambda: len(page.css(".opblock-body")) >= min(3, len(shown)), "the operations to open")
        results.check("/docs redirected to /docs/ (a relative redirect)",
                      d.current_url.split("#")[0] == BASE + "/docs/", d.current_url)

    # Everything the pages did, checked once at the end.
    page.drain_logs()
    foreign = [u for u in page.requests if not (u.startswith(ORIGIN + "/") or u.split(":")[0] in ("data", "blob", "about"))]
    results.check("no request to another origin (%d requests seen)" % len(page.requests), not foreign, foreign[:10])
    violations = [m for m in page.console if re.search(r"Content Security Policy|Trusted Type|Refused to|Uncaught", m)]
    results.check("no CSP or Trusted Types violation, no uncaught error in the console", not violations, violations[:5])


def exhaust(token):
    """Spend the token's rate-limit budget so that the next request is refused.

    The limiter (GCRA) admits one request every 60/limit s once the burst is spent. So:
    requests until the first 429, then on until one is admitted again: a slot opened and
    was taken just now, and the next opens a whole 60/limit s later, the window in which
    the browser's request must arrive to be refused.
    """
    status, headers, _ = api("GET", "/v1/documents?limit=1", token=token)
    limit = int(headers.get("RateLimit-Limit") or 100)
    assert limit <= 300, "RATE_LIMIT_PER_MINUTE %d leaves too short a window for the test" % limit
    refused = False
    for _ in range(limit + 500):
        if status == 429:
            refused = True
        elif refused:
            return
        status, _, _ = api("GET", "/v1/documents?limit=1", token=token)
    raise AssertionError("the rate limit never refused and re-admitted within %d requests" % (limit + 500))


def cleanup():
    """Delete what the run created (its tenant is its own)."""
    try:
        for doc in all_documents():
            api("DELETE", "/v1/documents/" + doc["id"])
    except Exception as error:  # noqa: BLE001 - cleanup must not hide the results
        print("note: cleanup failed: %s" % error)


def main():
    os.makedirs(ARTIFACTS, exist_ok=True)
    print("browser-check: %s, screenshots in %s" % (BASE, ARTIFACTS), flush=True)
    driver = start_browser()
    print("browser-check: %s %s" % (driver.capabilities.get("browserName"), driver.capabilities.get("browserVersion")))
    try:
        run(Page(driver))
    finally:
        driver.quit()
        cleanup()
    print("browser-check: %d screenshots" % results.shots)
    print("%d passed, %d failed" % (results.passed, results.failed))
    return 1 if results.failed else 0


if __name__ == "__main__":
    sys.exit(main())
