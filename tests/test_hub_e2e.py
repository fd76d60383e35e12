"""A term on the class's JupyterHub, end to end, in a real browser (Playwright + Debian's Chromium, 127.0.0.1),
following the instructor guide's section "A JupyterHub for the class" as a person would.

deploy/setup.sh (idempotent) provides the shared environment, the proxy, MathJax, the exchange and the hub
terminals' PATH; deploy/users.sh creates throw-away local users (an instructor and two students, random names,
each with a generated password of their own) and deletes them and the hub's state at the end; the hub runs
deploy/jupyterhub_config.py (PAM logins, one subdomain of localhost per user). Then:

1. the instructor logs in, opens File -> New -> Terminal in JupyterLab and types the guide's hub commands
   (its own code block, line by line, as written) into the terminal: first `cd ~/course` and the release;
2. student A logs in, fetches hw1 in the Assignment List, fills in every code answer (written into the
   fetched notebook through the Jupyter server of the logged-in page), opens the notebook from the Assignment
   List and types the written answer into its markdown cell, saves, validates and submits; student B submits one
   answer; students have no Formgrader (menu and server side), and one's password does not log in another;
3. the instructor types collect and autograde into the same terminal, then opens Nbgrader -> Formgrader in
   JupyterLab (a tab whose iframe must load: the instructor's server allows its own origin to frame it) and
   follows the guide's path Manual Grading -> hw -> hw -> Submission: the task's mark scheme is a box of
   typeset math, the student's typed answer follows the comment box; a score and a comment, checked in the
   gradebook;
4. the instructor types generate_feedback / release_feedback; each student fetches it in the Assignment List
   and sees the score, with the formulas typeset although the browser reaches nothing but the hub;
5. the export typed in the terminal writes the grades CSV with the right numbers and the LMS ids.
The browser reaches only the hub's own listener on 127.0.0.1 (localhost names of its port); anything else is
refused. Each typed command is followed by a line that writes its exit status into a named pipe in the
instructor's home (xterm.js draws on a canvas: its text is not in the DOM), which the test reads as it arrives.
Screenshots: _build/screenshots/hub/.
"""

from __future__ import annotations

import csv
import json
import os
import pwd
import re
import secrets
import select
import socket
import time
import sqlite3
import subprocess
import urllib.request
from pathlib import Path
from urllib.parse import urlsplit

import nbformat
import pytest
from waiting import wait_until

from _browser import CHROMIUM

ROOT = Path(__file__).resolve().parent.parent
DEPLOY = ROOT / "deploy"
GUIDE = ROOT / "book" / "appendix" / "instructor_guide.md"
PREFIX = Path("/opt/ffnn")
SHOTS = ROOT / "_build" / "screenshots" / "hub"
HW = "hw1_neurons"

pytestmark = [pytest.mark.slow, pytest.mark.browser, pytest.mark.nbgrader, pytest.mark.xdist_group("hub")]


def _run(cmd, **kw):
    proc = subprocess.run(cmd, capture_output=True, text=True, **kw)
    if proc.returncode != 0:
        raise AssertionError(f"{' '.join(map(str, cmd))} failed (rc={proc.returncode}):\n{proc.stdout[-3000:]}\n"
                             f"{proc.stderr[-5000:]}")
    return proc.stdout


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def guide_hub_commands() -> list[str]:
    """The command lines of the guide's block "A term on the hub" (the one right after that sentence)."""
    text = GUIDE.read_text(encoding="utf-8")
    start = text.index("A term on the hub")
    block = re.search(r"```bash\n(.*?)```", text[start:], re.S)
    assert block, "the guide's hub section has no bash block after 'A term on the hub'"
    return [line for line in block.group(1).splitlines() if line.strip() and not line.lstrip().startswith("#")]


class Hub:
    def __init__(self, tmp: Path):
        tag = secrets.token_hex(3)
        self.instructor, self.alice, self.bob = f"ffi{tag}", f"ffa{tag}", f"ffb{tag}"
        self.port = _free_port()
        while self.port + 1 == 65536:
            self.port = _free_port()
        self.url = f"http://localhost:{self.port}"
        self.roster = tmp / "roster.csv"
        self.roster.write_text("id,first_name,last_name,email,lms_user_id\n"
                               f"{self.alice},Alice,Liddell,alice@example.edu,2001\n"
                               f"{self.bob},Bob,Marley,bob@example.edu,2002\n")
        self.state = tmp / "hub-state"
        SHOTS.mkdir(parents=True, exist_ok=True)
        self.log = SHOTS / "hub.log"                # next to the screenshots: what the hub and servers said
        self.proc = None
        self.course = Path(f"/home/{self.instructor}/course")
        self.passwords: dict[str, str] = {}

    def server(self, user: str) -> str:
        """The base URL of a user's server (its own subdomain of localhost)."""
        return f"http://{user}.localhost:{self.port}/user/{user}"

    def env(self):
        return {**os.environ, "FFNN_HUB_STATE": str(self.state), "FFNN_HUB_PORT": str(self.port),
                "FFNN_ROSTER": str(self.roster), "FFNN_INSTRUCTOR": self.instructor}

    def read_passwords(self):
        with (self.state / "passwords.csv").open(newline="") as fh:
            self.passwords = {row["login"]: row["password"] for row in csv.DictReader(fh)}

    def start(self):
        self.proc = subprocess.Popen([str(PREFIX / "env" / "bin" / "jupyterhub"), "-f",
                                      str(DEPLOY / "jupyterhub_config.py")], cwd=self.state, env=self.env(),
                                     stdout=self.log.open("w"), stderr=subprocess.STDOUT)
        def exited():
            if self.proc.poll() is not None:
                return f"the hub exited (rc={self.proc.returncode}):\n{self.log.read_text()[-4000:]}"
            return None

        wait_until(lambda: urllib.request.urlopen(f"http://127.0.0.1:{self.port}/hub/api", timeout=2),
                   timeout=300, what="the hub to answer on /hub/api", fail_fast=exited, max_interval=0.1)

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()          # the hub stops every user's server (cleanup_servers)
            try:
                self.proc.wait(60)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

    def gradebook(self):
        return sqlite3.connect(f"file:{self.course / 'gradebook.db'}?mode=ro", uri=True)


@pytest.fixture(scope="module")
def hub(tmp_path_factory):
    if os.getuid() != 0:
        pytest.fail("the hub test needs root: deploy/setup.sh installs Debian packages and /opt/ffnn, "
                    "deploy/users.sh creates local users (run make test as root)")
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} not found: `make browser-deps` installs Debian's chromium-headless-shell (needs root)")
    _run(["bash", str(DEPLOY / "setup.sh")])
    tmp = tmp_path_factory.mktemp("hub")
    os.chmod(tmp, 0o755)
    h = Hub(tmp)
    os.chmod(h.roster, 0o644)
    try:
        _run(["bash", str(DEPLOY / "users.sh"), "create", str(h.roster), h.instructor], env=h.env())
        h.read_passwords()
        h.start()
        yield h
    finally:
        h.stop()
        _run(["bash", str(DEPLOY / "users.sh"), "delete", str(h.roster), h.instructor], env=h.env())
        for u in (h.instructor, h.alice, h.bob):
            assert subprocess.run(["id", "-u", u], capture_output=True).returncode != 0, f"user {u} left behind"
        assert not h.state.exists(), "users.sh delete left the hub's state (database, passwords) behind"


# Chromium is the session's one instance (tests/conftest.py, tests/_browser.py): a second
# sync_playwright in the same process fails while the first is open ("Sync API inside the asyncio loop").


def _context(browser, hub):
    ctx = browser.new_context(viewport={"width": 1400, "height": 900})

    def local(url):
        # The hub's own listener only: 127.0.0.1 or a localhost name (browsers resolve *.localhost to the
        # loopback address themselves), on the hub's port; anything else is refused before it leaves.
        parts = urlsplit(url)
        host = parts.hostname or ""
        return parts.scheme in ("data", "blob") or (
            parts.port == hub.port and (host in ("127.0.0.1", "localhost") or host.endswith(".localhost")))

    ctx.route("**/*", lambda route: route.continue_() if local(route.request.url) else route.abort())
    ctx.set_default_timeout(120_000)
    return ctx


def _shot(page, name):
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"))


def _login(ctx, hub, user, password=None):
    page = ctx.new_page()
    page.goto(f"{hub.url}/hub/login")
    page.fill("input[name=username]", user)
    page.fill("input[name=password]", password or hub.passwords[user])
    page.click("#login_submit")
    if password is not None:
        return page
    page.wait_for_url(f"**/user/{user}/lab**")
    page.wait_for_selector(".lm-MenuBar-itemLabel:text-is('Nbgrader')")
    return page


def _open_nbgrader_menu(page):
    page.keyboard.press("Escape")
    page.locator(".lm-MenuBar-itemLabel:text-is('Nbgrader')").click()
    page.locator(".lm-Menu-itemLabel").first.wait_for()


def _menu_items(page):
    _open_nbgrader_menu(page)
    items = page.locator(".lm-Menu-itemLabel").all_inner_texts()
    page.keyboard.press("Escape")
    page.locator(".lm-Menu").first.wait_for(state="hidden")
    return items


def _assignment_list(page):
    panel = page.locator("#nbgrader-assignment-list")
    if not panel.is_visible():
        _open_nbgrader_menu(page)
        page.locator(".lm-Menu-itemLabel:text-is('Assignment List')").click()
    panel.wait_for()
    return panel


def _api(page, user, method, path, body=None):
    """The Jupyter server of the logged-in page (its cookies and XSRF token), as the page's own JS would."""
    return page.evaluate("""async ([user, method, path, body]) => {
        const xsrf = decodeURIComponent((document.cookie.match(/_xsrf=([^;]+)/) || [])[1] || "");
        const r = await fetch(`/user/${user}/${path}`, {method, headers: {"X-XSRFToken": xsrf,
            "Content-Type": "application/json"}, body: body === null ? undefined : JSON.stringify(body)});
        return {status: r.status, text: await r.text()};
    }""", [user, method, path, body])


def _assert_own_variant(hub, user):
    """The Assignment List's Fetch gave the student their own variant (ffgrader/exchange.py), from the copy the
    release wrote for them."""
    from ffgrader import exchange, seeds, variants

    fetched = nbformat.read(f"/home/{user}/{HW}/{HW}.ipynb", as_version=4)
    [cell] = [c for c in fetched.cells if c.metadata.get("nbgrader", {}).get("grade_id") == variants.VARIANT_CELL]
    spec = variants.spec_of(hub.course / "solutions" / HW / "checks.py")
    assert cell.source == variants.render(variants.draw(seeds.course_secret(hub.course), HW, user, spec))
    key = exchange.variant_key("ffnn", HW, user)
    mine = Path("/srv/nbgrader/exchange/ffnn/outbound", HW, exchange.VARIANTS_DIR, key)
    assert (mine / f"{HW}.ipynb").read_bytes() == Path(f"/home/{user}/{HW}/{HW}.ipynb").read_bytes()


def _answer(page, user, answers: int):
    """Write the solution's first ``answers`` answer cells into the fetched notebook."""
    got = _api(page, user, "GET", f"api/contents/{HW}/{HW}.ipynb?content=1")
    assert got["status"] == 200, got
    nb = json.loads(got["text"])["content"]
    solution = nbformat.read(str(ROOT / "solutions" / HW / f"{HW}.ipynb"), as_version=4)
    by_id = {c.metadata.get("nbgrader", {}).get("grade_id"): c for c in solution.cells}
    done = 0
    for cell in nb["cells"]:
        meta = cell["metadata"].get("nbgrader", {})
        if meta.get("solution") and done < answers:
            cell["source"] = "\n".join(line for line in by_id[meta["grade_id"]].source.splitlines()
                                       if "### BEGIN SOLUTION" not in line and "### END SOLUTION" not in line)
            done += 1
    put = _api(page, user, "PUT", f"api/contents/{HW}/{HW}.ipynb", {"type": "notebook", "format": "json",
                                                                    "content": nb})
    assert put["status"] == 200, put
    return done


WRITTEN = ("Logistic: $f'(x) = \\frac{e^{-x}}{(1+e^{-x})^2} = f(x)\\,(1-f(x))$, since "
           "$\\frac{e^{-x}}{1+e^{-x}} = 1 - f(x)$.")


def _open_from_assignment_list(page, panel):
    """The fetched assignment's notebooks (a click on its name), then the notebook's name: JupyterLab opens it."""
    panel.locator("a.assignment-notebooks-link", has_text=HW).first.click()
    panel.locator(".assignment-notebooks a", has_text=HW).first.click()
    page.locator(".jp-NotebookPanel").first.wait_for()


def _type_written_answer(page, user):
    """In the open notebook, type the written answer into the cell under task_4, save."""
    cell = page.locator(".jp-MarkdownCell", has_text="Write your answer here").first
    cell.wait_for()
    cell.scroll_into_view_if_needed()
    cell.dblclick()                                   # a rendered markdown cell opens its editor
    editor = cell.locator(".cm-content")
    editor.wait_for()
    editor.click()
    page.keyboard.press("Control+a")
    page.keyboard.insert_text(WRITTEN)
    page.keyboard.press("Shift+Enter")                # render it, as a student checks the math
    typed = page.locator(".jp-MarkdownCell", has_text="since").first
    typed.locator(".jp-RenderedMarkdown mjx-container, .jp-RenderedMarkdown .MathJax").first.wait_for()
    with page.expect_response(lambda r: r.request.method == "PUT" and r.url.split("?")[0].endswith(
            f"/api/contents/{HW}/{HW}.ipynb")) as put:
        page.keyboard.press("Control+s")
    assert put.value.ok, put.value.status
    got = _api(page, user, "GET", f"api/contents/{HW}/{HW}.ipynb?content=1")
    assert got["status"] == 200, got
    cells = json.loads(got["text"])["content"]["cells"]
    assert any(c["cell_type"] == "markdown" and c["source"] == WRITTEN for c in cells), "the typed answer was not saved"


def _autograded_max():
    sol = nbformat.read(str(ROOT / "solutions" / HW / f"{HW}.ipynb"), as_version=4)
    return sum(c.metadata.nbgrader["points"] for c in sol.cells if c.cell_type == "code"
               and c.metadata.get("nbgrader", {}).get("grade") and not c.metadata.nbgrader.get("solution"))


class _Pipe:
    """A named pipe in the instructor's home that a typed line writes into (``... > ~/name``): the test sleeps in
    poll() until the shell has opened, written and closed it, instead of looking for a file at intervals."""

    def __init__(self, path: Path, owner: str):
        self.path = path
        os.mkfifo(path, 0o600)
        user = pwd.getpwnam(owner)
        os.chown(path, user.pw_uid, user.pw_gid)
        # Open before the shell does (its open for writing then returns at once); a read end opened without a
        # writer sees no hang-up until a writer has come and gone (Linux fifo semantics).
        self.fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)

    def read(self, timeout: float) -> str | None:
        """What one writer wrote, once it has closed the pipe; None if nobody wrote within ``timeout``."""
        poller = select.poll()
        poller.register(self.fd, select.POLLIN | select.POLLHUP)
        data, deadline = b"", time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0 or not poller.poll(left * 1000):
                return None
            chunk = os.read(self.fd, 4096)
            if not chunk:              # the writer closed it
                return data.decode().strip()
            data += chunk

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        # Unlinked before the read end closes: keys of a retry taken late then write a plain file instead of
        # waiting forever for a reader.
        self.path.unlink()
        os.close(self.fd)


class Terminal:
    """A terminal of the instructor's JupyterLab (File -> New -> Terminal), typed into with the keyboard."""

    def __init__(self, page, hub):
        self.page, self.hub, self.n = page, hub, 0
        page.keyboard.press("Escape")
        page.locator(".lm-MenuBar-itemLabel:text-is('File')").click()
        page.locator(".lm-Menu-itemLabel:text-is('New')").first.hover()
        page.locator(".lm-Menu-itemLabel:text-is('Terminal')").first.click()
        self.screen = page.locator(".jp-Terminal .xterm").last
        self.screen.wait_for()
        # Its tab, titled by the shell's prompt (user@host: directory), to come back to it from another tab.
        self.tab = page.locator(".lm-DockPanel-tabBar .lm-TabBar-tab", has_text=f"{hub.instructor}@").first
        page.locator(".jp-Terminal .xterm-helper-textarea").last.wait_for(state="attached")

    def _pipe(self, name: str) -> "_Pipe":
        return _Pipe(Path(f"/home/{self.hub.instructor}/{name}"), self.hub.instructor)

    def type(self, line: str, timeout: float = 900) -> int:
        """Type one command line and Enter, then a line that records its exit status; return the status. (What
        each command must have done is checked by the caller: a line lost on the way cannot pass.)"""
        self.n += 1
        # Lab keeps hidden tabs laid out: bring the terminal's tab to the front, whatever is shown now.
        self.tab.click()
        self.page.locator(".lm-DockPanel-tabBar .lm-TabBar-tab.lm-mod-current",
                          has_text=f"{self.hub.instructor}@").wait_for()
        # Right after the tab comes back, the first keys can get lost (seen after the Formgrader tab): type a
        # no-op that opens a named pipe until the shell has taken it, then the guide's line.
        with self._pipe(f".guide-ready-{self.n}") as ready:
            for _attempt in range(5):
                self.screen.click()
                self.page.wait_for_function(
                    "() => { const el = document.activeElement; return !!el && el.classList.contains("
                    "'xterm-helper-textarea') && el.closest('.jp-Terminal').offsetParent !== null; }")
                self.page.keyboard.type(f": > ~/{ready.path.name}")
                self.page.keyboard.press("Enter")
                if ready.read(timeout=30) is not None:
                    break
            else:
                raise AssertionError("the hub terminal did not take typed keys")
        with self._pipe(f".guide-step-{self.n}") as status:
            self.page.keyboard.type(line)
            self.page.keyboard.press("Enter")
            self.page.keyboard.type(f"echo $? > ~/{status.path.name}")
            self.page.keyboard.press("Enter")
            text = status.read(timeout)
        assert text is not None, f"the terminal did not finish {line!r} in {timeout} s"
        return int(text)

    def run(self, line: str, timeout: float = 900):
        rc = self.type(line, timeout)
        _shot(self.page, f"i-terminal-{self.n}")
        assert rc == 0, f"{line!r} exited with {rc} in the hub terminal (screenshot i-terminal-{self.n}.png)"


def _policy(page, user) -> str:
    """The Content-Security-Policy header of a user's server (an API answer, fetched by the page as its own JS
    does: with the XSRF token, without which JupyterHub treats a cookie-only request as not logged in)."""
    return page.evaluate("""async (user) => {
        const xsrf = decodeURIComponent((document.cookie.match(/_xsrf=([^;]+)/) || [])[1] || "");
        const r = await fetch(`/user/${user}/api/status`, {headers: {"X-XSRFToken": xsrf}});
        return r.ok ? r.headers.get("content-security-policy") : `HTTP ${r.status}`;
    }""", user)


def _formgrader_frame(page):
    """Nbgrader -> Formgrader: a tab with an iframe; its content must load (not a blocked frame)."""
    _open_nbgrader_menu(page)
    page.locator(".lm-Menu-itemLabel:text-is('Formgrader')").click()
    iframe = page.locator(".jp-MainAreaWidget iframe, .lm-DockPanel iframe").last
    iframe.wait_for()
    frame = iframe.element_handle().content_frame()
    # A frame the policy blocks shows Chromium's error page ("refused to connect"): no formgrader in it.
    frame.locator("a:text-is('Manual Grading')").first.wait_for()
    return frame


@pytest.fixture(scope="module")
def hub_browser(browser):
    """Chromium as the shared one, but resolving the hub's names too: localhost and one subdomain of it per user
    (Chromium maps them to the loopback address itself; every other name or address still resolves to nothing),
    and without WebGL, which it would run on the CPU for the terminal (``chromium_args`` says why)."""
    from _browser import chromium_args

    hub_chromium = browser.browser_type.launch(
        executable_path=CHROMIUM, headless=True,
        args=chromium_args(("127.0.0.1", "localhost", "*.localhost"), webgl=False))
    yield hub_chromium
    hub_chromium.close()


def test_a_term_on_the_hub(hub, hub_browser):
    browser = hub_browser
    try:
        _term(hub, browser)
    except BaseException:
        for i, ctx in enumerate(browser.contexts):   # what each open page showed when it failed
            for j, page in enumerate(ctx.pages):
                _shot(page, f"failure-{i}-{j}")
        raise


_Z2JH_CHECK = r"""
import importlib, json, sys, yaml
from traitlets.config import Config
values = yaml.safe_load(open(sys.argv[1]))
config = Config(values["hub"]["config"])
name = config.JupyterHub.authenticator_class
module, _, cls = name.rpartition(".")
authenticator = getattr(importlib.import_module(module), cls)
from jupyterhub.app import JupyterHub
classes = {"JupyterHub": JupyterHub, "Authenticator": authenticator, cls: authenticator}
unknown = [f"{section}.{key}" for section, keys in config.items() for key in keys
           if key not in classes[section].class_trait_names(config=True)]
a = authenticator(config=config)
for snippet in values["hub"].get("extraConfig", {}).values():
    compile(snippet, "extraConfig", "exec")
print(json.dumps({"class": name, "unknown": unknown, "issuer": a.issuer, "username_key": a.username_key,
                  "client_id": sorted(a.client_id), "allowed": sorted(a.allowed_users)}))
"""


def test_kubernetes_values_name_real_settings(hub):
    """deploy/z2jh-values.yaml is not run here (no cluster), but every setting it gives the hub must be a
    real, configurable trait of the classes it names, and the LMS login (LTI 1.3, installed in the shared
    environment) must take it: a misspelt key would be ignored by JupyterHub with only a warning."""
    out = subprocess.run([str(PREFIX / "env" / "bin" / "python"), "-c", _Z2JH_CHECK,
                          str(DEPLOY / "z2jh-values.yaml")], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr[-2000:]
    got = json.loads(out.stdout)
    assert got["class"] == "ltiauthenticator.lti13.auth.LTI13Authenticator"
    assert got["unknown"] == []
    assert got["issuer"].startswith("https://") and got["client_id"]
    # The login name is the roster id the gradebook files submissions under, not a shared display name.
    assert got["username_key"].startswith("custom_") and "instructor" in got["allowed"]


def _guide_line(commands, start: str) -> str:
    [line] = [c for c in commands if c.startswith(start)]
    return line


def _term(hub, browser):
    commands = guide_hub_commands()
    assert commands[0] == "cd ~/course", commands       # the terminal starts in the home directory
    assert len(set(hub.passwords.values())) == 3, "every user has a password of their own"

    # --- instructor: a terminal in JupyterLab, the guide's first commands
    ictx = _context(browser, hub)
    ipage = _login(ictx, hub, hub.instructor)
    terminal = Terminal(ipage, hub)
    terminal.run(commands[0])
    terminal.run(_guide_line(commands, f"nbgrader release_assignment {HW}"))
    exchange = Path("/srv/nbgrader/exchange/ffnn")
    assert (exchange / "outbound" / HW / f"{HW}.ipynb").is_file()
    assert not (exchange / "outbound" / HW / "checks.py").exists()

    # --- students: fetch, answer, validate, submit
    students = {}
    for user, answers in ((hub.alice, 1000), (hub.bob, 1)):
        ctx = _context(browser, hub)
        if user == hub.bob:                          # Alice's password is hers only
            wrong = _login(ctx, hub, user, password=hub.passwords[hub.alice])
            wrong.locator("text=Invalid username or password").wait_for()
            wrong.close()
        page = _login(ctx, hub, user)
        page.on("pageerror", lambda exc: print("page error:", exc))
        items = _menu_items(page)
        assert "Assignment List" in items and "Formgrader" not in items, items
        assert _api(page, user, "GET", "formgrader")["status"] == 404
        assert "frame-ancestors 'none'" in _policy(page, user)          # nobody may frame a student's pages
        panel = _assignment_list(page)
        panel.get_by_role("button", name="Fetch").first.click()
        panel.get_by_role("button", name="Submit").first.wait_for()
        _shot(page, f"{'a' if user == hub.alice else 'b'}-1-fetched")
        _assert_own_variant(hub, user)
        assert _answer(page, user, answers) >= 1
        if user == hub.alice:
            _open_from_assignment_list(page, panel)
            _type_written_answer(page, user)
            _shot(page, "a-1-typed")
            panel = _assignment_list(page)
            validate = panel.get_by_role("button", name="Validate").first
            if not validate.is_visible():                         # the notebooks' list is folded again
                panel.locator("a.assignment-notebooks-link", has_text=HW).first.click()
            validate.click()
            dialog = page.locator(".jp-Dialog")
            dialog.wait_for()
            page.locator(".jp-Dialog", has_not_text="Validating").wait_for()     # the kernel has run it
            text = dialog.inner_text()
            _shot(page, "a-2-validated")
            assert "Success" in text or "passes" in text, text
            dialog.get_by_role("button").last.click()
        panel.get_by_role("button", name="Submit").first.click()
        panel.get_by_text(re.compile(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}")).first.wait_for()   # the submission's time
        _shot(page, f"{'a' if user == hub.alice else 'b'}-3-submitted")
        students[user] = (ctx, page)

    # --- instructor: collect and autograde in the terminal, then the written answer in the formgrader
    terminal.run(_guide_line(commands, f"nbgrader collect {HW}"))
    for user in (hub.alice, hub.bob):
        assert (hub.course / "submitted" / user / HW / f"{HW}.ipynb").is_file(), f"{user}'s notebook not collected"
    terminal.run(_guide_line(commands, f"nbgrader autograde {HW}"))
    full = _autograded_max()
    with hub.gradebook() as db:
        auto = dict(db.execute(
            "select s.student_id, sum(g.auto_score) from grade g join submitted_notebook n on g.notebook_id = n.id "
            "join submitted_assignment s on n.assignment_id = s.id group by s.student_id"))
        [(subnb_id,)] = db.execute(
            "select n.id from submitted_notebook n join submitted_assignment s on n.assignment_id = s.id "
            "where s.student_id = ?", (hub.alice,)).fetchall()
    assert auto[hub.alice] == full and 0 < auto[hub.bob] < full, (auto, full)

    assert "Formgrader" in _menu_items(ipage)
    # The instructor's server lets its own pages (its own origin: http://<instructor>.localhost:port) frame it.
    assert _policy(ipage, hub.instructor).startswith("frame-ancestors 'self'; report-uri ")
    frame = _formgrader_frame(ipage)
    _shot(ipage, "i-0-formgrader-tab")
    # The guide's path: Manual Grading -> the assignment -> its notebook -> Submission #N (Alice's).
    frame.locator("a:text-is('Manual Grading')").first.click()
    frame.wait_for_url("**/formgrader/gradebook")
    frame.locator(f"#main-table a:text-is('{HW}')").first.click()
    frame.wait_for_url(f"**/formgrader/gradebook/{HW}")
    frame.locator(f"#main-table a:text-is('{HW}')").first.click()
    frame.wait_for_url(f"**/formgrader/gradebook/{HW}/{HW}")
    alices = frame.locator(f"#main-table a.name-hidden[href$='/formgrader/submissions/{subnb_id}']")
    assert re.fullmatch(r"Submission #\d+", alices.inner_text().strip()), alices.inner_text()
    assert frame.locator("#main-table a.name-hidden").count() == 2
    alices.click()
    score = frame.locator("input.score").last          # task_4, the written answer (the only manual grade)
    score.wait_for()
    # formgrade.js binds the inputs once it has loaded the grades and comments, and moves the focus when
    # MathJax has typeset the page: grade only after both, as a person would.
    frame.wait_for_function("() => window.formgrader && formgrader.grades && formgrader.grades.loaded"
                            " && formgrader.comments && formgrader.comments.loaded && window.MathJax && MathJax.loaded")
    task = frame.locator(".nbgrader_cell", has=frame.locator("#task_4"))
    scheme = task.locator(".ffnn-mark-scheme")
    assert scheme.is_visible()
    assert scheme.locator(".MathJax, .MathJax_CHTML, mjx-container").count() >= 4      # typeset, not raw TeX
    scheme_text = scheme.inner_text()
    assert "Mark scheme" in scheme_text and "=== " not in scheme_text and "\\frac" not in scheme_text, scheme_text
    assert scheme.locator("li").count() >= 4                                    # the rubric's rows stay a list
    # The comment box is the task cell's footer; the student's typed answer is the next cell, typeset too.
    assert task.locator("textarea.comment").count() == 1
    answer = frame.locator("xpath=//div[contains(@class,'nbgrader_cell')][.//*[@id='task_4']]"
                           "/ancestor::div[contains(@class,'cell')][1]/following-sibling::div[contains(@class,'cell')][1]")
    assert "since" in answer.inner_text() and answer.locator(".MathJax, .MathJax_CHTML, mjx-container").count() >= 2
    assert "\\frac" not in answer.inner_text()
    comment_box, answer_box = task.locator("textarea.comment").bounding_box(), answer.bounding_box()
    assert answer_box["y"] >= comment_box["y"] + comment_box["height"] - 1, (comment_box, answer_box)
    task.scroll_into_view_if_needed()
    _shot(ipage, "i-1-rubric")

    # The page saves each field on "change" (a PUT to the formgrader's API): wait for those answers.
    def saved(kind):
        return ipage.expect_response(lambda r: f"/api/{kind}/" in r.url and r.request.method == "PUT")

    score.fill("3")
    with saved("grade") as put:
        score.press("Tab")
    assert put.value.ok, put.value.status
    comment = frame.locator("textarea.comment").last
    comment.fill("Clear derivation; say why the bias shifts the threshold.")
    with saved("comment") as put:
        comment.press("Tab")
    assert put.value.ok, put.value.status
    _shot(ipage, "i-2-graded")
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{hub.course / 'gradebook.db'}") as gb:
        manual = gb.find_grade("task_4", HW, HW, hub.alice).manual_score
        comment_text = gb.find_comment("task_4", HW, HW, hub.alice).manual_comment
    assert manual == 3.0, manual
    assert comment_text == "Clear derivation; say why the bias shifts the threshold.", comment_text

    # --- feedback back to the students, typed in the terminal
    terminal.run(_guide_line(commands, f"nbgrader generate_feedback {HW}"))
    for user in (hub.alice, hub.bob):
        assert (hub.course / "feedback" / user / HW / f"{HW}.html").is_file(), f"no feedback generated for {user}"
    assert any(Path("/srv/nbgrader/exchange/ffnn/feedback").iterdir()), "no feedback released"
    expected = {hub.alice: full + 3, hub.bob: auto[hub.bob]}
    for user, (sctx, spage) in students.items():
        panel = _assignment_list(spage)
        panel.get_by_role("button", name="Fetch Feedback").first.click()
        panel.get_by_text(re.compile("view feedback", re.I)).first.wait_for()
        _shot(spage, f"{'a' if user == hub.alice else 'b'}-4-feedback")
        listing = json.loads(_api(spage, user, "GET", f"api/contents/{HW}/feedback")["text"])
        stamp = listing["content"][0]["name"]
        spage.goto(f"{hub.server(user)}/files/{HW}/feedback/{stamp}/{HW}.html")
        body = spage.locator("body").inner_text()
        _shot(spage, f"{'a' if user == hub.alice else 'b'}-5-feedback-page")
        assert "MARK SCHEME" not in body.upper() and "factorisation step" not in body     # the rubric stays ours
        assert f"Score: {expected[user]:g}" in body.replace(".0 /", " /") or f"{expected[user]:.1f}" in body, body[:600]
        # The formulas are typeset with no network (the page runs no script: they were typeset when the
        # feedback was generated), and no TeX source is left on the page.
        assert spage.locator("mjx-container").count() >= (3 if user == hub.alice else 1)
        assert "\\frac" not in body and "$f'(x)" not in body
        sctx.close()

    # --- grades for the LMS
    terminal.run(_guide_line(commands, "python -m tools.classroom export grades.csv"))
    rows = {r["student_id"]: r for r in csv.DictReader((hub.course / "grades.csv").open())
            if r["assignment"] == HW}
    assert float(rows[hub.alice]["score"]) == pytest.approx(full + 3)
    assert float(rows[hub.bob]["score"]) == pytest.approx(auto[hub.bob])
    assert rows[hub.alice]["lms_user_id"] == "2001" and rows[hub.bob]["lms_user_id"] == "2002"
    ictx.close()
    # The course directory of the instructor is not readable by the students.
    assert (hub.course.stat().st_mode & 0o077) == 0
    assert "DummyAuthenticator" not in hub.log.read_text()
