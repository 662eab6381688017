"""webdriver — a minimal W3C WebDriver client over Python's stdlib, driving
Debian's headless Chromium through chromedriver (package chromium-driver).
No npm, no selenium: just the few endpoints the dashboard test needs."""

import base64
import json
import os
import shutil
import socket
import subprocess
import tempfile
import time
import urllib.error
import urllib.request

CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                  "--no-first-run", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync",
                  "--disable-dev-shm-usage", "--hide-scrollbars"]


def find_browser():
    """(chromium, chromedriver) paths, or a reason why they are missing."""
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    driver = shutil.which("chromedriver") or (
        "/usr/lib/chromium/chromedriver" if os.path.exists("/usr/lib/chromium/chromedriver")
        else None)
    if not chromium:
        return None, "chromium is not installed (Debian package chromium)"
    if not driver:
        return None, "chromedriver is not installed (Debian package chromium-driver)"
    return (chromium, driver), None


def _free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


class WebDriverError(Exception):
    pass


class Browser:
    """One chromedriver process and one browser session."""

    def __init__(self, chromium, driver, width=1280, height=900):
        self.profile = tempfile.mkdtemp(prefix="confpool-chromium-")
        self.port = _free_port()
        self.log = open(os.path.join(self.profile, "chromedriver.log"), "wb")
        self.proc = subprocess.Popen([driver, "--port=%d" % self.port],
                                     stdout=self.log, stderr=self.log)
        self.base = "http://127.0.0.1:%d" % self.port
        deadline = time.time() + 20
        while True:
            try:
                self._call("GET", "/status")
                break
            except (OSError, WebDriverError):
                if time.time() > deadline or self.proc.poll() is not None:
                    self.quit()
                    raise WebDriverError("chromedriver did not start")
                time.sleep(0.1)
        caps = {"capabilities": {"alwaysMatch": {
            "browserName": "chrome",
            "goog:chromeOptions": {
                "binary": chromium,
                "args": CHROMIUM_FLAGS + ["--user-data-dir=" + os.path.join(self.profile, "ud"),
                                          "--window-size=%d,%d" % (width, height)]}}}}
        try:
            r = self._call("POST", "/session", caps, timeout=90)
        except Exception:
            self.quit()
            raise
        self.session = r["sessionId"]

    def _call(self, method, path, body=None, timeout=60):
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(self.base + path, data=data, method=method,
                                     headers={"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(req, timeout=timeout) as r:
                payload = json.loads(r.read() or b"{}")
        except urllib.error.HTTPError as e:
            payload = json.loads(e.read() or b"{}")
            v = payload.get("value", {})
            raise WebDriverError("%s %s: %s: %s" % (method, path, v.get("error"),
                                                    v.get("message", "")[:500]))
        return payload.get("value", payload) if path != "/session" else payload["value"]

    def _s(self, method, path, body=None):
        return self._call(method, "/session/%s%s" % (self.session, path), body)

    def get(self, url):
        self._s("POST", "/url", {"url": url})

    def js(self, script, *args):
        """Runs script (a function body; arguments in `arguments`) and
        returns its JSON-serialisable result."""
        return self._s("POST", "/execute/sync", {"script": script, "args": list(args)})

    def wait(self, script, timeout=10, what="condition", poll=0.05):
        """Polls script until it returns something truthy; returns it."""
        end = time.time() + timeout
        last = None
        while time.time() < end:
            last = self.js(script)
            if last:
                return last
            time.sleep(poll)
        raise WebDriverError("timed out after %.1fs waiting for %s (last: %r)" % (
            timeout, what, last))

    def find(self, css):
        r = self._s("POST", "/element", {"using": "css selector", "value": css})
        return next(iter(r.values()))

    def type(self, css, text):
        self._s("POST", "/element/%s/value" % self.find(css), {"text": text})

    def click(self, css):
        self._s("POST", "/element/%s/click" % self.find(css), {})

    def set_size(self, width, height):
        self._s("POST", "/window/rect", {"width": width, "height": height})

    def screenshot(self, path):
        png = base64.b64decode(self._s("GET", "/screenshot"))
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "wb") as f:
            f.write(png)
        return path

    def quit(self):
        try:
            if getattr(self, "session", None):
                self._call("DELETE", "/session/" + self.session, timeout=20)
        except Exception:  # noqa: BLE001 - best effort on the way out
            pass
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
        self.log.close()
        shutil.rmtree(self.profile, ignore_errors=True)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.quit()
