"""Headless Chromium for browser tests, through the DevTools protocol over a pipe.

Standard library only: Chromium is started with ``--remote-debugging-pipe`` and reads
NUL-terminated JSON commands on its file descriptor 3 and writes responses and events on
descriptor 4; no websocket, selenium or playwright. One page (tab) per ``Browser``.

    import browser as harness
    from browser import Browser

    browser = harness.browser  # the fixture (module scope); assigned, not imported, so ruff sees no F811

    def test_player(browser: Browser, tmp_path: Path) -> None:
        browser.offline()
        browser.open(tmp_path / "layer.html")
        browser.hover("#cell-0-0")
        assert browser.evaluate("document.querySelector('#cell-0-0').className") == "cell hot"
        assert browser.external_requests() == [] and browser.errors == []

Every wait is bounded (``timeout``, 20 s by default) and raises ``BrowserError`` naming
what it waited for. The browser runs in its own process group, which is killed on
``close()`` (a ``with`` block, the fixture's teardown, or garbage collection at the latest);
Chromium also shuts itself down when the pipe closes, i.e. when this process dies.
Install a browser with ``tools/install_browser.sh`` or point ``CONVARITH_CHROMIUM`` at one.
"""

from __future__ import annotations

import base64
import contextlib
import fcntl
import json
import os
import re
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import weakref
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any

import pytest

DEFAULT_TIMEOUT = 20.0
WINDOW = (1200, 900)  # CSS pixels at device scale factor 1, so that screenshot pixels are CSS pixels
INSTALL_HINT = "run tools/install_browser.sh (Debian: apt-get install chromium) or set CONVARITH_CHROMIUM"

# Chromium reads descriptor 3 and writes 4, and subprocess keeps descriptors' numbers. The
# trampoline moves our pipe ends there, then becomes the browser (same pid, so the same
# group). Python rather than sh: dash cannot name descriptors above 9, and preexec_fn
# would run the interpreter's at-fork hooks in the child.
_TRAMPOLINE = (
    "import os, sys\n"
    "for high, low in ((int(sys.argv[1]), 3), (int(sys.argv[2]), 4)):\n"
    "    os.dup2(high, low)\n"
    "    os.close(high)\n"
    "os.execv(sys.argv[3], sys.argv[3:])\n"
)

# key -> (event.key, event.code, windowsVirtualKeyCode, text typed)
_KEYS: dict[str, tuple[str, str, int, str]] = {
    "ArrowLeft": ("ArrowLeft", "ArrowLeft", 37, ""),
    "ArrowRight": ("ArrowRight", "ArrowRight", 39, ""),
    "ArrowUp": ("ArrowUp", "ArrowUp", 38, ""),
    "ArrowDown": ("ArrowDown", "ArrowDown", 40, ""),
    "Home": ("Home", "Home", 36, ""),
    "End": ("End", "End", 35, ""),
    "PageUp": ("PageUp", "PageUp", 33, ""),
    "PageDown": ("PageDown", "PageDown", 34, ""),
    "Space": (" ", "Space", 32, " "),
    " ": (" ", "Space", 32, " "),
    "Enter": ("Enter", "Enter", 13, "\r"),
    "Escape": ("Escape", "Escape", 27, ""),
    "Tab": ("Tab", "Tab", 9, ""),
    "Backspace": ("Backspace", "Backspace", 8, ""),
}

# CDP's returnByValue cannot carry these in JSON; it names them instead.
_UNSERIALIZABLE: dict[str, float] = {"NaN": float("nan"), "Infinity": float("inf"), "-Infinity": float("-inf")}
_UNSERIALIZABLE["-0"] = -0.0


class BrowserError(RuntimeError):
    """The browser could not start, died, answered with a protocol error, or a wait timed out."""


class JSError(BrowserError):
    """JavaScript evaluated by ``Browser.evaluate`` threw; ``text`` is the browser's description."""

    def __init__(self, text: str) -> None:
        super().__init__(f"JavaScript exception: {text}")
        self.text = text


@dataclass(frozen=True)
class ConsoleMessage:
    """One ``console.*`` call: ``type`` is log, info, warning, error, debug, assert, ..."""

    type: str
    text: str


def find_chromium() -> str | None:
    """The browser to drive: ``$CONVARITH_CHROMIUM``, else chromium / chromium-browser / google-chrome on PATH."""
    configured = os.environ.get("CONVARITH_CHROMIUM")
    if configured:
        return configured if os.access(configured, os.X_OK) else shutil.which(configured)
    for name in ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable"):
        found = shutil.which(name)
        if found:
            return found
    return None


def chromium_version(executable: str | None = None) -> str:
    """``chromium --version``, e.g. 'Chromium 120.0.6099.224 built on Debian ...'."""
    exe = executable or find_chromium()
    if exe is None:
        raise BrowserError(f"no chromium found: {INSTALL_HINT}")
    done = subprocess.run([exe, "--version"], capture_output=True, text=True, timeout=DEFAULT_TIMEOUT, check=False)
    return done.stdout.strip()


def _kill_group(proc: subprocess.Popen[bytes]) -> None:
    """SIGKILL the browser's process group, then reap the leader.

    The leader is reaped only afterwards: until then its pid (the group id) cannot be
    reused, so the signal reaches our browser's processes and nobody else's.
    """
    if proc.returncode is None:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(proc.pid, signal.SIGKILL)
        with contextlib.suppress(subprocess.TimeoutExpired):  # a SIGKILLed process stuck in the kernel
            proc.wait(timeout=10)


def _exit_state(pid: int, within: float) -> str:
    """'exited with N' or 'was killed by signal N' once the process has ended, without reaping it.

    A process closes its descriptors before it becomes waitable, so the end of the pipe
    comes first; and unreaped, its pid (our group id) stays ours for ``_kill_group``.
    """
    deadline = time.monotonic() + within
    while True:
        try:
            info = os.waitid(os.P_PID, pid, os.WEXITED | os.WNOHANG | os.WNOWAIT)
        except ChildProcessError:
            return ""
        if info is not None:
            how = "exited with" if info.si_code == os.CLD_EXITED else "was killed by signal"
            return f"{how} {info.si_status}"
        if time.monotonic() >= deadline:
            return ""
        time.sleep(0.01)


def _cleanup(proc: subprocess.Popen[bytes], fds: list[int], profile: str, stderr: Any) -> None:
    _kill_group(proc)
    for fd in fds:
        with contextlib.suppress(OSError):
            os.close(fd)
    stderr.close()
    shutil.rmtree(profile, ignore_errors=True)


def _high_fd(fd: int) -> int:
    """A close-on-exec copy at 10 or above (then closes ``fd``): the trampoline's 3 and 4 cannot collide with it."""
    high = fcntl.fcntl(fd, fcntl.F_DUPFD_CLOEXEC, 10)
    os.close(fd)
    return high


def _as_url(target: str | os.PathLike[str]) -> str:
    if isinstance(target, str) and re.match(r"^[a-zA-Z][a-zA-Z0-9+.-]+:", target):
        return target  # http:, file:, data:, about:, ...
    path = Path(target).resolve()
    if not path.is_file():
        raise FileNotFoundError(f"no page at {path}")
    return path.as_uri()


def _remote_text(obj: dict[str, Any]) -> str:
    """A console argument as the console would print it."""
    if "value" in obj:
        value = obj["value"]
        return value if isinstance(value, str) else json.dumps(value)
    if "unserializableValue" in obj:
        return str(obj["unserializableValue"])
    return str(obj.get("description", obj.get("type", "?")))


def _exception_text(details: dict[str, Any]) -> str:
    """'Uncaught Error: boom' with its stack, from Runtime exceptionDetails."""
    text = str(details.get("text") or "exception")
    if details.get("exception"):
        text = f"{text} {_remote_text(details['exception'])}"
    if details.get("url") and "\n    at " not in text:  # no stack to say where
        text += f" ({details['url']}:{details.get('lineNumber', 0) + 1})"
    return text


class Browser:
    """One headless Chromium with one page; use as a context manager (or call ``close()``).

    ``console``, ``errors`` and ``requests`` describe the current page: ``open()`` empties them.
    ``errors`` holds uncaught exceptions and unhandled rejections, ``console.error``/``assert``
    calls, and the browser's own error log entries (e.g. 'Failed to load resource').
    """

    def __init__(
        self,
        executable: str | None = None,
        *,
        timeout: float = DEFAULT_TIMEOUT,
        window: tuple[int, int] = WINDOW,
        extra_args: tuple[str, ...] = (),
    ) -> None:
        exe = executable or find_chromium()
        if exe is None:
            raise BrowserError(f"no chromium found: {INSTALL_HINT}")
        self.timeout = timeout
        self.window = window
        self._console: list[ConsoleMessage] = []
        self._errors: list[str] = []
        self._requests: list[str] = []
        self._next_id = 0
        self._responses: dict[int, dict[str, Any]] = {}
        self._buffer = b""
        self._session = ""
        self._loads: set[str] = set()  # loaderIds whose 'load' lifecycle event has arrived
        self._gone = ""  # why the page or browser went away, once it has

        self._profile = tempfile.mkdtemp(prefix="convarith-chromium-")
        self._stderr = tempfile.TemporaryFile()  # noqa: SIM115  (lives as long as the browser; closed by _cleanup)
        to_browser_r, to_browser_w = (_high_fd(fd) for fd in os.pipe())
        from_browser_r, from_browser_w = (_high_fd(fd) for fd in os.pipe())
        args = [
            "--headless=new",
            "--remote-debugging-pipe",
            f"--user-data-dir={self._profile}",
            f"--window-size={window[0]},{window[1]}",
            "--force-device-scale-factor=1",
            "--disable-gpu",
            "--disable-dev-shm-usage",  # containers give /dev/shm 64 MB; the renderer would crash
            "--no-first-run",
            "--no-default-browser-check",
            "--disable-extensions",
            "--disable-component-extensions-with-background-pages",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-default-apps",
            "--disable-sync",
            "--disable-breakpad",
            "--password-store=basic",  # no keyring/D-Bus prompts
            "--mute-audio",
            *(["--no-sandbox"] if os.geteuid() == 0 else []),  # Chromium refuses to run as root sandboxed
            *extra_args,
            "about:blank",
        ]
        try:
            self._proc = subprocess.Popen(
                [sys.executable, "-I", "-S", "-c", _TRAMPOLINE, str(to_browser_r), str(from_browser_w), exe, *args],
                stdin=subprocess.DEVNULL,
                stdout=self._stderr,
                stderr=self._stderr,
                pass_fds=(to_browser_r, from_browser_w),
                start_new_session=True,  # its own group: killed as one, and Ctrl-C reaches only us
            )
        except BaseException:
            for fd in (to_browser_r, to_browser_w, from_browser_r, from_browser_w):
                os.close(fd)
            self._stderr.close()
            shutil.rmtree(self._profile, ignore_errors=True)
            raise
        os.close(to_browser_r)
        os.close(from_browser_w)
        self._write_fd = to_browser_w
        self._read_fd = from_browser_r
        self._finalizer = weakref.finalize(
            self, _cleanup, self._proc, [to_browser_w, from_browser_r], self._profile, self._stderr
        )
        try:
            self._start_page()
        except BaseException:
            self.close()
            raise

    # -- lifecycle -------------------------------------------------------------------------

    def _start_page(self) -> None:
        try:
            target = self.send("Target.createTarget", {"url": "about:blank"}, session=False)
        except BrowserError as exc:
            raise BrowserError(f"chromium did not start: {exc}") from None
        attached = self.send("Target.attachToTarget", {"targetId": target["targetId"], "flatten": True}, session=False)
        self._session = attached["sessionId"]
        for method in ("Page.enable", "Runtime.enable", "Log.enable", "Network.enable"):
            self.send(method)
        self.send("Page.setLifecycleEventsEnabled", {"enabled": True})
        width, height = self.window
        self.send(
            "Emulation.setDeviceMetricsOverride",
            {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": False},
        )
        self.send("Emulation.setFocusEmulationEnabled", {"enabled": True})  # keys and :focus as in a focused window

    def close(self) -> None:
        """Kill the browser (its whole process group) and delete its profile; idempotent."""
        self._finalizer()

    def __enter__(self) -> Browser:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    @property
    def pid(self) -> int:
        return self._proc.pid

    def stderr_tail(self, lines: int = 30) -> str:
        """The last lines chromium wrote to stdout/stderr (kept out of the test output)."""
        if self._stderr.closed:
            return ""
        self._stderr.seek(0)
        text = self._stderr.read().decode("utf-8", "replace")
        return "\n".join(text.splitlines()[-lines:])

    @property
    def console(self) -> list[ConsoleMessage]:
        """The current page's console calls so far."""
        self._drain()
        return self._console

    @property
    def errors(self) -> list[str]:
        """The current page's uncaught exceptions, console.error/assert calls and error log entries so far."""
        self._drain()
        return self._errors

    @property
    def requests(self) -> list[str]:
        """The URLs the current page requested so far, itself included (file:, data: and http: alike)."""
        self._drain()
        return self._requests

    # -- protocol --------------------------------------------------------------------------

    def send(
        self, method: str, params: dict[str, Any] | None = None, *, session: bool = True, timeout: float | None = None
    ) -> dict[str, Any]:
        """One DevTools command (to the page unless ``session=False``); its result, or ``BrowserError``."""
        if not self._finalizer.alive:
            raise BrowserError("the browser is closed")
        self._next_id += 1
        ident = self._next_id
        message: dict[str, Any] = {"id": ident, "method": method, "params": params or {}}
        if session:
            message["sessionId"] = self._session
        data = json.dumps(message).encode() + b"\0"
        try:
            while data:
                data = data[os.write(self._write_fd, data) :]
        except BrokenPipeError:
            raise self._died(f"sending {method}") from None
        response = self._wait(lambda: self._responses.pop(ident, None), f"the answer to {method}", timeout)
        if "error" in response:
            error = response["error"]
            raise BrowserError(f"{method} failed: {error.get('message')} {error.get('data', '')}".rstrip())
        result: dict[str, Any] = response.get("result", {})
        return result

    def _died(self, doing: str) -> BrowserError:
        state = _exit_state(self._proc.pid, within=2.0) or "closed the pipe"
        return BrowserError(f"chromium {state} while {doing}; its output:\n{self.stderr_tail()}")

    def _wait(self, ready: Any, what: str, timeout: float | None) -> Any:
        """Read messages until ``ready()`` returns something other than None; bounded."""
        deadline = time.monotonic() + (self.timeout if timeout is None else timeout)
        while True:
            found = ready()
            if found is not None:
                return found
            if self._gone:
                raise BrowserError(f"{self._gone} while waiting for {what}")
            left = deadline - time.monotonic()
            if left <= 0:
                limit = self.timeout if timeout is None else timeout
                raise BrowserError(f"timed out after {limit:g} s waiting for {what}")
            self._pump(left)

    def _pump(self, wait: float) -> None:
        """Read what has arrived (waiting at most ``wait`` seconds for something) and dispatch it."""
        readable, _, _ = select.select([self._read_fd], [], [], max(wait, 0.0))
        if not readable:
            return
        chunk = os.read(self._read_fd, 1 << 20)
        if not chunk:
            raise self._died("reading")
        self._buffer += chunk
        *messages, self._buffer = self._buffer.split(b"\0")
        for raw in messages:
            self._dispatch(json.loads(raw))

    def _drain(self) -> None:
        """Dispatch the events that have already arrived."""
        while self._finalizer.alive and select.select([self._read_fd], [], [], 0)[0]:
            self._pump(0)

    def _dispatch(self, message: dict[str, Any]) -> None:
        if "id" in message:
            self._responses[message["id"]] = message
            return
        if message.get("sessionId", self._session) != self._session:
            return
        method = message.get("method")
        params: dict[str, Any] = message.get("params", {})
        if method == "Runtime.consoleAPICalled":
            entry = ConsoleMessage(params["type"], " ".join(_remote_text(a) for a in params.get("args", [])))
            self._console.append(entry)
            if entry.type in ("error", "assert"):
                self._errors.append(f"console.{entry.type}: {entry.text}")
        elif method == "Runtime.exceptionThrown":
            self._errors.append(_exception_text(params["exceptionDetails"]))
        elif method == "Log.entryAdded" and params["entry"]["level"] == "error":
            entry_ = params["entry"]
            self._errors.append(f"{entry_['text']}" + (f" ({entry_['url']})" if entry_.get("url") else ""))
        elif method == "Network.requestWillBeSent":
            self._requests.append(params["request"]["url"])
        elif method == "Page.lifecycleEvent" and params["name"] == "load":
            self._loads.add(params["loaderId"])
        elif method == "Inspector.targetCrashed":
            self._gone = "the page crashed"
        elif method == "Target.detachedFromTarget" and params.get("sessionId") == self._session:
            self._gone = "the page was detached"

    # -- page ------------------------------------------------------------------------------

    def open(self, target: str | os.PathLike[str], *, timeout: float | None = None) -> None:
        """Navigate to a file path or URL and wait for its load event; empties console, errors, requests."""
        url = _as_url(target)
        self._drain()
        self._console.clear()
        self._errors.clear()
        self._requests.clear()
        navigated = self.send("Page.navigate", {"url": url}, timeout=timeout)
        if navigated.get("errorText"):
            raise BrowserError(f"could not open {url}: {navigated['errorText']}")
        loader = navigated.get("loaderId")
        if loader:  # absent for a same-document navigation (#fragment): nothing to load
            self._wait(lambda: True if loader in self._loads else None, f"the load event of {url}", timeout)
            self._loads.discard(loader)

    def evaluate(self, js: str, *, timeout: float | None = None) -> Any:
        """The value of a JavaScript expression (promises awaited), as JSON-compatible Python.

        ``undefined`` is None, NaN/Infinity/-0 are floats; a throw raises ``JSError``.
        """
        result = self.send(
            "Runtime.evaluate",
            {"expression": js, "returnByValue": True, "awaitPromise": True, "userGesture": True},
            timeout=timeout,
        )
        if "exceptionDetails" in result:
            raise JSError(_exception_text(result["exceptionDetails"]))
        remote = result["result"]
        if "unserializableValue" in remote:
            raw = remote["unserializableValue"]
            return int(raw[:-1]) if raw.endswith("n") else _UNSERIALIZABLE[raw]
        return remote.get("value")

    def wait_for(self, js: str, *, timeout: float | None = None, interval: float = 0.05) -> Any:
        """Poll a JavaScript expression until it is truthy; its value, or ``BrowserError`` at the timeout."""
        limit = self.timeout if timeout is None else timeout
        deadline = time.monotonic() + limit
        while True:
            value = self.evaluate(js, timeout=max(deadline - time.monotonic(), 0.1))
            if value:
                return value
            if time.monotonic() >= deadline:
                raise BrowserError(f"timed out after {limit:g} s waiting for {js!r} (last value {value!r})")
            time.sleep(interval)

    def _centre(self, selector: str) -> tuple[float, float]:
        """Scroll the element into view; its centre in viewport CSS pixels, checked to be hittable there."""
        box = self.evaluate(
            f"""(() => {{
            const el = document.querySelector({json.dumps(selector)});
            if (!el) return {{missing: true}};
            el.scrollIntoView({{block: "center", inline: "center"}});
            const r = el.getBoundingClientRect();
            const x = r.left + r.width / 2, y = r.top + r.height / 2;
            const hit = document.elementFromPoint(x, y);
            return {{x, y, w: r.width, h: r.height,
                     covered: hit && !el.contains(hit) ? hit.outerHTML.slice(0, 80) : null}};
            }})()"""
        )
        if box.get("missing"):
            raise BrowserError(f"no element matches {selector!r}")
        if box["w"] <= 0 or box["h"] <= 0:
            raise BrowserError(f"{selector!r} has no area ({box['w']}x{box['h']}): nothing to point at")
        if box["covered"]:
            raise BrowserError(f"{selector!r} is covered at its centre by {box['covered']}")
        return float(box["x"]), float(box["y"])

    def hover(self, selector: str) -> None:
        """Move the real mouse to the element's centre (mouseover/enter/move listeners and :hover follow)."""
        x, y = self._centre(selector)
        self.send("Input.dispatchMouseEvent", {"type": "mouseMoved", "x": x, "y": y, "button": "none"})

    def click(self, selector: str) -> None:
        """Move to the element's centre and press and release the left button there."""
        x, y = self._centre(selector)
        self.send("Input.dispatchMouseEvent", {"type": "mouseMoved", "x": x, "y": y, "button": "none"})
        for kind in ("mousePressed", "mouseReleased"):
            self.send(
                "Input.dispatchMouseEvent",
                {
                    "type": kind,
                    "x": x,
                    "y": y,
                    "button": "left",
                    "buttons": 1 if kind == "mousePressed" else 0,
                    "clickCount": 1,
                },
            )

    def press(self, key: str) -> None:
        """Press and release a key on the focused element: ArrowLeft/Right/Up/Down, Home, End,
        PageUp/Down, Space, Enter, Escape, Tab, Backspace, or one printable character."""
        if key in _KEYS:
            name, code, keycode, text = _KEYS[key]
        elif len(key) == 1 and key.isprintable():
            upper = key.upper()
            name, text = key, key
            code = f"Key{upper}" if upper.isalpha() and upper.isascii() else (f"Digit{key}" if key.isdigit() else "")
            keycode = ord(upper) if upper.isascii() and upper.isalnum() else 0
        else:
            raise ValueError(f"press: unknown key {key!r}; known: {', '.join(_KEYS)} or one printable character")
        common = {"key": name, "code": code, "windowsVirtualKeyCode": keycode, "nativeVirtualKeyCode": keycode}
        down = {"type": "keyDown", "text": text, "unmodifiedText": text} if text else {"type": "rawKeyDown"}
        self.send("Input.dispatchKeyEvent", {**down, **common})
        self.send("Input.dispatchKeyEvent", {"type": "keyUp", **common})

    def screenshot(self, path: str | os.PathLike[str], selector: str | None = None, *, full_page: bool = False) -> Path:
        """Write a PNG of the viewport, the whole document (``full_page``) or one element; atomically."""
        params: dict[str, Any] = {"format": "png"}
        if selector is not None:
            self._centre(selector)  # scrolls it into view, and fails clearly if it is missing
            box = self.evaluate(
                f"""(() => {{
                const r = document.querySelector({json.dumps(selector)}).getBoundingClientRect();
                const x = Math.floor(r.left + scrollX), y = Math.floor(r.top + scrollY);
                return {{x, y, w: Math.ceil(r.right + scrollX) - x, h: Math.ceil(r.bottom + scrollY) - y}};
                }})()"""
            )
            params["clip"] = {"x": box["x"], "y": box["y"], "width": box["w"], "height": box["h"], "scale": 1}
            # only when needed: it resizes the view for the capture, which can move the layout
            params["captureBeyondViewport"] = box["w"] > self.window[0] or box["h"] > self.window[1]
        elif full_page:
            size = self.evaluate(
                "({w: Math.max(innerWidth, document.documentElement.scrollWidth),"
                " h: Math.max(innerHeight, document.documentElement.scrollHeight)})"
            )
            params["clip"] = {"x": 0, "y": 0, "width": size["w"], "height": size["h"], "scale": 1}
            params["captureBeyondViewport"] = True
        png = base64.b64decode(self.send("Page.captureScreenshot", params)["data"])
        out = Path(path)
        partial = out.with_name(f".{out.name}.{os.getpid()}.partial")
        partial.write_bytes(png)
        os.replace(partial, out)
        return out

    def offline(self, enabled: bool = True) -> None:
        """Cut the page off the network (``enabled=False``: reconnect it); file: pages still load.

        Requests are recorded either way (``requests``, ``external_requests()``); offline, the
        ones that need a network fail with net::ERR_INTERNET_DISCONNECTED in ``errors``.
        """
        self.send(
            "Network.emulateNetworkConditions",
            {"offline": enabled, "latency": 0, "downloadThroughput": -1, "uploadThroughput": -1},
        )

    def external_requests(self) -> list[str]:
        """The requests of the current page that would need a network (not file:, data:, blob:, about:)."""
        self._drain()
        return [url for url in self.requests if not url.startswith(("file:", "data:", "blob:", "about:"))]


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """One headless Chromium per test module; the module's tests skip when there is none."""
    executable = find_chromium()
    if executable is None:
        configured = os.environ.get("CONVARITH_CHROMIUM")
        where = f"CONVARITH_CHROMIUM={configured} is not an executable" if configured else "none on PATH"
        reason = f"no chromium ({where}): {INSTALL_HINT}"
        print(reason)
        pytest.skip(reason)
    with Browser(executable) as started:
        yield started
