"""Nothing a student writes runs in a browser: the real formgrader and the feedback pages, opened in Chromium.

One hostile class (built once): the fixture assignment with an honest victim and three hostile
students, graded with the real `nbgrader autograde` and given feedback with the real `nbgrader
generate_feedback`:
- ``att_markup``: a Markdown answer with every vector of tests/attacks/markup.py (event handlers, script,
  iframe srcdoc, SVG, mutation-XSS shapes, javascript:/data: links, meta refresh, base, forms, stylesheets,
  style overlays, remote and relative images, a fake mark-scheme box, fake score fields, DOM clobbering), each
  carrying the issue's attack: write a file through the contents API with the page's XSRF cookie, list
  gradebook.db and solutions/, send the listing out;
- ``att_math``: the same through TeX (\\href, \\style, \\bbox, \\class, \\cssId, \\require, \\unicode,
  \\mmlToken, HTML in \\text);
- ``att_forged``: its autograded notebook rewritten by hand after grading (nothing our grading produces, but
  the formgrader shows whatever is in autograded/): every output type (HTML, SVG, JavaScript, Markdown, LaTeX,
  widget views, images that are not images, output metadata), notebook and cell metadata, raw HTML cells,
  attachments of every type.
A Jupyter server with nbgrader's formgrader serves the course on 127.0.0.1; Chromium (Playwright, Debian's)
opens each submission as the instructor, and each feedback page (served from 127.0.0.1 without any header, so
that only the page's own defences count). Asserted: no dialog, no request but the page's own (a route refuses
anything else, and a listener of the test counts connections), the sentinel global untouched, no contents-API
request, no file written into the course directory, no event-handler attribute or script without the page's
nonce in the DOM, no CSP violation (the sanitizer left the policy nothing to block), the fake mark scheme and
fake score fields absent; and the honest parts still work under the policy: the math is typeset, the rubric is
a box, a grade typed into the page is saved.
Controls, so that the corpus cannot pass by being broken: the live payloads do run in a page that shows the
markup as nbconvert renders it without sanitizing, and the same attack script, run by the test in the
formgrader page, does write a file and list the gradebook.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import secrets
import socket
import subprocess
import sys
import threading
import urllib.request
from pathlib import Path

import nbformat
import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from attacks import markup
from waiting import wait_until
from attacks.course import load, make_course, run_nbgrader, submit, tree_bytes
from tools.static_site import serve

pytestmark = [pytest.mark.slow, pytest.mark.browser, pytest.mark.nbgrader, pytest.mark.xdist_group("untrusted")]

BIN = Path(sys.executable).parent
HW = "fx"
CONFIG = "c.SandboxedGrading.cell_timeout = 5\nc.SandboxedGrading.check_timeout = 5"
HOSTILE = ("att_markup", "att_math", "att_forged")
STUDENTS = ("victim",) + HOSTILE
GRADED_IDS = ["test_1", "test_2", "test_3", "task_4"]
VICTIM_ANSWER = "Because $2x = x + x$ is linear: $f(a+b) = 2(a+b) = f(a) + f(b)$."
# What a formgrader page itself loads: the page, nbgrader's static files, the MathJax the server ships, and
# nbgrader's grade/comment API.
OWN_PREFIXES = ("/formgrader/static/", "/static/jupyter_server_mathjax/", "/formgrader/api/")

DOM_REPORT = """() => {
  const out = {onattrs: [], bad_urls: [], scripts_without_nonce: [], foreign: [], inputs_in_cells: 0,
               ids_in_cells: [], styled_in_cells: [], scheme_boxes: [], score_ids: [], math: 0,
               html: document.documentElement.outerHTML.length};
  const bad = /^(javascript|vbscript|data:text|data:image\\/svg)/i;
  for (const el of document.querySelectorAll("*")) {
    for (const a of el.attributes) {
      const name = a.name.toLowerCase(), value = a.value.replace(/\\s+/g, "").toLowerCase();
      if (name.startsWith("on")) out.onattrs.push(el.tagName + " " + a.name);
      if (["href", "src", "srcset", "action", "formaction", "poster", "data", "xlink:href", "background"].includes(name)
          && (bad.test(value) || value.includes(":" + EXFIL + "/"))) out.bad_urls.push(el.tagName + " " + a.name + "=" + a.value.slice(0, 80));
    }
  }
  for (const s of document.querySelectorAll("script")) {
    if (!/^math\\//.test(s.type || "") && !s.nonce) out.scripts_without_nonce.push((s.src || s.textContent).slice(0, 80));
  }
  const cells = document.querySelector("#notebook-container") || document.body;
  for (const el of cells.querySelectorAll("iframe,object,embed,form,svg,math,style,link,meta,base,video,audio,frame,marquee")) {
    if (!el.closest(".MJX_Assistive_MathML")) out.foreign.push(el.tagName);   // MathJax's own hidden MathML
  }
  for (const box of document.querySelectorAll(".text_cell_render")) {
    out.inputs_in_cells += box.querySelectorAll("input,textarea,button,select").length;
    for (const el of box.querySelectorAll("[id]")) out.ids_in_cells.push(el.id);
    for (const el of box.querySelectorAll("[style]")) {   // MathJax's own markup styles itself
      if (!el.closest(".MathJax, .MathJax_Display, .MathJax_Preview, .MJX_Assistive_MathML, mjx-container"))
        out.styled_in_cells.push(el.tagName + " " + el.getAttribute("style").slice(0, 60));
    }
  }
  for (const el of document.querySelectorAll(".ffnn-mark-scheme")) out.scheme_boxes.push(el.innerText);
  for (const el of document.querySelectorAll("input.score")) out.score_ids.push(el.id);
  out.math = document.querySelectorAll(".MathJax, .MathJax_Display, .MathJax_CHTML").length;
  return out;
}"""

INIT = f"""
window.{markup.SENTINEL} = "untouched";
window.__ffnn_csp = [];
document.addEventListener("securitypolicyviolation", e => window.__ffnn_csp.push(e.violatedDirective + " " + e.blockedURI));
"""


# ------------------------------------------------------------------------------------- the hostile class

class Listener:
    """A TCP listener of the test on 127.0.0.1 that counts connections (exfiltration would arrive here)."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.sock.settimeout(0.2)
        self.port = self.sock.getsockname()[1]
        self.reached, self._stop = [], threading.Event()
        self._thread = threading.Thread(target=self._accept, daemon=True)
        self._thread.start()

    def _accept(self):
        while not self._stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except OSError:
                continue
            self.reached.append(conn.recv(2000))
            conn.close()

    def close(self):
        self._stop.set()
        self._thread.join(timeout=5)
        self.sock.close()


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class FormgraderServer:
    """`jupyter server` in the course directory (nbgrader's formgrader reads the course's nbgrader_config.py)."""

    def __init__(self, course: Path, tmp: Path):
        self.token = secrets.token_hex(16)
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        home = tmp / "home"
        home.mkdir()
        env = {**os.environ, "HOME": str(home), "JUPYTER_CONFIG_DIR": str(home / ".jupyter"),
               "JUPYTER_RUNTIME_DIR": str(tmp / "runtime"), "JUPYTER_DATA_DIR": str(home / "data"),
               "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}", "OPENBLAS_NUM_THREADS": "1"}
        self.log = tmp / "server.log"
        self.proc = subprocess.Popen(
            [str(BIN / "jupyter"), "server", "--no-browser", "--ServerApp.ip=127.0.0.1",
             f"--ServerApp.port={self.port}", "--ServerApp.port_retries=0", f"--IdentityProvider.token={self.token}",
             f"--ServerApp.root_dir={course}"] + (["--allow-root"] if os.getuid() == 0 else []),
            cwd=course, env=env, stdout=self.log.open("w"), stderr=subprocess.STDOUT)
        try:
            wait_until(lambda: urllib.request.urlopen(f"{self.url}/api/status?token={self.token}", timeout=5),
                       timeout=180, what="the jupyter server to answer",
                       fail_fast=lambda: self.proc.poll() is not None and f"it exited:\n{self.log.read_text()[-4000:]}")
        except TimeoutError:
            self.stop()
            raise AssertionError(f"jupyter server did not answer:\n{self.log.read_text()[-4000:]}") from None

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


def _hostile_class(tmp: Path, exfil_port: int) -> Path:
    course = make_course(tmp / "course", HW, extra_config=CONFIG)
    solution = load(course / "solutions" / HW / f"{HW}.ipynb")

    def with_answer(text):
        nb = nbformat.from_dict(json.loads(nbformat.writes(solution)))
        nb.cells.append(nbformat.v4.new_markdown_cell(text))
        return nb

    submit(course, "victim", HW, with_answer(VICTIM_ANSWER))
    submit(course, "att_markup", HW, with_answer(markup.markdown_answer(exfil_port)))
    submit(course, "att_math", HW, with_answer(markup.tex_answer(exfil_port)))
    submit(course, "att_forged", HW, with_answer("An honest-looking answer."))
    run_nbgrader(course, "autograde", HW)
    forged = course / "autograded" / "att_forged" / HW / f"{HW}.ipynb"
    raw = json.loads(forged.read_text())
    forged.chmod(0o644)
    forged.write_text(json.dumps(markup.forge_notebook(raw, exfil_port)))
    run_nbgrader(course, "generate_feedback", HW, "--force")
    return course


def _submission_ids(course):
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gb:
        return {s: gb.find_submission_notebook(HW, HW, s).id for s in STUDENTS}


class Visit:
    """One page in the browser context: what it requested, which dialogs it opened, what the console said."""

    def __init__(self, context, allowed_origin: str, exfil_port: int):
        self.page = context.new_page()
        self.requests, self.dialogs, self.errors = [], [], []
        self.page.on("request", lambda r: self.requests.append((r.method, r.url)))
        self.page.on("dialog", lambda d: (self.dialogs.append(d.message), d.dismiss()))
        self.page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)
        self.page.on("pageerror", lambda e: self.errors.append(f"uncaught: {e}"))
        self.page.add_init_script(INIT)
        self.exfil_port = exfil_port

    def report(self):
        dom = self.page.evaluate(DOM_REPORT.replace("EXFIL", str(self.exfil_port)))
        dom["sentinel"] = self.page.evaluate(f"() => window.{markup.SENTINEL}")
        dom["hits"] = self.page.evaluate(f"() => window.{markup.HITS} || []")
        dom["csp"] = self.page.evaluate("() => window.__ffnn_csp")
        return {"dom": dom, "requests": list(self.requests), "dialogs": list(self.dialogs), "errors": list(self.errors)}


# Module scope: built once (only this module uses it) and with the module's Chromium.
@pytest.fixture(scope="module")
def hostile(tmp_path_factory, browser):  # noqa: F811
    tmp = tmp_path_factory.mktemp("untrusted-html")
    exfil = Listener()
    course = _hostile_class(tmp, exfil.port)
    ids = _submission_ids(course)
    stack = contextlib.ExitStack()
    static_url = stack.enter_context(serve(course / "feedback"))
    server = FormgraderServer(course, tmp)
    refused = []
    context = _context(browser, (server.url, static_url), refused)
    out = {"course": course, "ids": ids, "server": server, "static_url": static_url, "exfil": exfil,
           "refused": refused, "context": context, "browser": browser, "pages": {}, "feedback": {}}
    try:
        control = _context(browser, (server.url,), [])
        out["control"] = _attack_works_when_its_script_runs(control, server, course, exfil.port)
        control.close()
        login = context.new_page()
        login.goto(f"{server.url}/formgrader?token={server.token}")
        login.wait_for_load_state("networkidle")
        login.close()
        before = tree_bytes(course)
        # Connections from here on would come from the students' pages (the control above, run by the test
        # itself, may have let Chromium open one to the listener before the route refused its request).
        reached_before = len(exfil.reached)
        for student in STUDENTS:
            visit = Visit(context, server.url, exfil.port)
            visit.page.goto(f"{server.url}/formgrader/submissions/{ids[student]}/")
            try:
                _settle_formgrader(visit.page)
            except Exception as exc:
                raise AssertionError(f"{student}'s page did not settle: {visit.report()}") from exc
            out["pages"][student] = visit.report()
            out["pages"][student]["visit"] = visit
        for student in STUDENTS:
            visit = Visit(context, static_url, exfil.port)
            visit.page.goto(f"{static_url}/{student}/{HW}/{HW}.html")
            visit.page.wait_for_load_state("networkidle")
            out["feedback"][student] = visit.report()
            out["feedback"][student]["text"] = visit.page.locator("body").inner_text()
            visit.page.close()
        out["after"] = tree_bytes(course)
        out["reached"] = exfil.reached[reached_before:]
        out["before"] = before
        yield out
    finally:
        context.close()
        server.stop()
        stack.close()
        exfil.close()


def _context(browser, origins, refused):  # noqa: F811
    """A browser context that reaches only ``origins`` (the test's own servers on 127.0.0.1); anything else is
    refused before it leaves the browser and recorded in ``refused``."""
    def route(r):
        url = r.request.url
        if url.startswith(tuple(o + "/" for o in origins)) or url.startswith(("data:", "blob:", "about:")):
            r.continue_()
        else:
            refused.append(url)
            r.abort()

    context = browser.new_context(viewport={"width": 1300, "height": 900})
    context.route("**/*", route)
    context.set_default_timeout(int(os.environ.get("FFNN_PAGE_TIMEOUT_MS", 120_000)))
    return context


def _settle_formgrader(page):
    """Until nbgrader's scripts have loaded the grades and comments, MathJax has typeset, and the network is quiet."""
    page.wait_for_function("() => window.formgrader && formgrader.grades && formgrader.grades.loaded"
                           " && formgrader.comments && formgrader.comments.loaded && window.MathJax && MathJax.Hub")
    page.evaluate("() => new Promise(done => MathJax.Hub.Queue(() => done(true)))")
    page.wait_for_load_state("networkidle")


def _attack_works_when_its_script_runs(context, server, course, exfil_port):
    """The issue's attack, run by the test itself in a formgrader page: it writes a file and sends a listing with
    gradebook.db and the solutions out (the browser refuses to deliver it). The file is removed again before
    the course is snapshot."""
    page = context.new_page()
    page.goto(f"{server.url}/formgrader?token={server.token}")
    page.wait_for_load_state("networkidle")
    with page.expect_request(lambda r: f":{exfil_port}/exfil/control" in r.url) as sent:
        page.evaluate(markup.strike_js("control", exfil_port))
    written = course / f"{markup.PWNED_PREFIX}control.txt"
    try:
        wait_until(written.exists, timeout=60, what="the control's file")
    except TimeoutError:
        pass                                     # "wrote" below says so
    listing = sent.value.post_data or ""
    result = {"wrote": written.exists() and written.read_text() == "pwned by control",
              "listed_gradebook": "gradebook.db" in listing, "listed_solutions": '"fx"' in listing}
    written.unlink(missing_ok=True)
    page.close()
    return result


# ----------------------------------------------------------------------------------------- the assertions

def test_control_the_attack_works_if_its_script_ever_runs(hostile):
    assert hostile["control"] == {"wrote": True, "listed_gradebook": True, "listed_solutions": True}


def test_control_the_live_payloads_run_in_an_unsanitized_page(hostile, tmp_path):
    """The same Markdown rendered by nbconvert without sanitizing, in a plain page: every payload marked live runs."""
    from nbconvert.exporters import HTMLExporter

    port = hostile["exfil"].port
    live = [v for v in markup.MARKUP if v.live]
    body = HTMLExporter().markdown2html({"cell": {}}, markup.markdown_answer(port, live))
    (tmp_path / "raw.html").write_text(f"<!DOCTYPE html><html><head><meta charset='utf-8'></head><body>{body}</body></html>")
    names = {v.name for v in live}
    with serve(tmp_path) as url:
        context = _context(hostile["browser"], (url,), [])
        try:
            visit = Visit(context, url, port)
            visit.page.goto(f"{url}/raw.html")
            try:
                visit.page.wait_for_function(f"() => new Set(window.{markup.HITS} || []).size >= {len(names)}",
                                             timeout=30_000)
            except PlaywrightTimeout:
                pass                             # the assertion below names the payloads that did not run
            report = visit.report()
        finally:
            context.close()
    assert set(report["dom"]["hits"]) == names
    assert report["dom"]["sentinel"].startswith("pwned:") and report["dialogs"]


@pytest.mark.parametrize("student", HOSTILE)
def test_nothing_student_written_runs_in_the_formgrader(hostile, student):
    page = hostile["pages"][student]
    dom = page["dom"]
    assert page["dialogs"] == []
    assert dom["sentinel"] == "untouched" and dom["hits"] == []
    assert dom["onattrs"] == [] and dom["bad_urls"] == [] and dom["scripts_without_nonce"] == []
    assert dom["foreign"] == [], dom["foreign"]
    assert dom["csp"] == [], dom["csp"]          # the sanitizer left the policy nothing to block
    assert not [e for e in page["errors"] if "Content Security Policy" in e], page["errors"]


@pytest.mark.parametrize("student", HOSTILE)
def test_a_hostile_formgrader_page_requests_only_its_own_files(hostile, student):
    server = hostile["server"].url
    page_path = f"/formgrader/submissions/{hostile['ids'][student]}/"
    for method, url in hostile["pages"][student]["requests"]:
        if url == "about:blank":            # MathJax probing for fonts
            continue
        assert url.startswith(server + "/"), url
        path = url[len(server):]
        assert path.split("?")[0] == page_path or path.startswith(OWN_PREFIXES), (method, url)
        assert "/api/contents" not in path, url


def test_no_request_left_the_pages_and_nothing_reached_the_listener(hostile):
    assert hostile["refused"] == [], hostile["refused"]
    assert hostile["reached"] == []


def test_no_file_in_the_course_directory_changed(hostile):
    assert hostile["after"] == hostile["before"]
    assert not list(hostile["course"].rglob(f"{markup.PWNED_PREFIX}*"))


@pytest.mark.parametrize("student", HOSTILE)
def test_fake_rubric_and_fake_score_fields_do_not_reach_the_page(hostile, student):
    dom = hostile["pages"][student]["dom"]
    assert dom["score_ids"] == GRADED_IDS
    assert dom["inputs_in_cells"] == 0
    assert len(dom["scheme_boxes"]) == 1 and "fixture-rubric-line" in dom["scheme_boxes"][0]
    assert not any("FAKE-RUBRIC" in box for box in dom["scheme_boxes"])
    assert all(i.startswith(("user-content-", "MathJax")) for i in dom["ids_in_cells"]), dom["ids_in_cells"]


def test_the_students_math_is_typeset_with_links_and_styles_refused(hostile):
    dom = hostile["pages"]["att_math"]["dom"]
    assert dom["math"] >= len(markup.TEX)        # MathJax did read every formula of the student's TeX
    page = hostile["pages"]["att_math"]["visit"].page
    selector = ", ".join(f".text_cell_render {q}" for q in (
        ".MathJax [href]", ".MathJax_Display [href]", ".MJX_Assistive_MathML [href]", '[style*="url("]',
        '[style*="fixed"]', ".score", "#task_4", "[class~=score]"))
    found = page.evaluate("s => [...document.querySelectorAll(s)].map(e => e.outerHTML.slice(0, 120))", selector)
    assert found == []


def test_the_honest_page_works_under_the_policy(hostile):
    """The victim's page: typeset math in the rubric box and the answer, no CSP violation, and a grade typed into
    the page is saved (nbgrader's own scripts and their API calls are within the policy)."""
    report = hostile["pages"]["victim"]
    dom = report["dom"]
    assert dom["csp"] == [] and report["dialogs"] == [] and dom["scripts_without_nonce"] == []
    assert dom["math"] >= 3
    page = report["visit"].page
    score = page.locator("input.score#task_4")
    score.fill("1")
    with page.expect_response(lambda r: "/api/grade/" in r.url and r.request.method == "PUT") as put:
        score.press("Tab")
    assert put.value.ok
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{hostile['course'] / 'gradebook.db'}") as gb:
        assert gb.find_grade("task_4", HW, HW, "victim").manual_score == 1.0


@pytest.mark.parametrize("student", STUDENTS)
def test_feedback_pages_run_nothing_and_request_nothing(hostile, student):
    fb = hostile["feedback"][student]
    url = f"{hostile['static_url']}/{student}/{HW}/{HW}.html"
    assert [u for _, u in fb["requests"]] == [url]
    dom = fb["dom"]
    assert fb["dialogs"] == [] and dom["sentinel"] == "untouched" and dom["hits"] == []
    assert dom["onattrs"] == [] and dom["bad_urls"] == [] and dom["foreign"] == [] and dom["inputs_in_cells"] == 0
    assert dom["csp"] == []
    assert all(i.startswith(("user-content-", "MathJax")) for i in dom["ids_in_cells"]), dom["ids_in_cells"]
    assert dom["styled_in_cells"] == [], dom["styled_in_cells"]
    assert "Score:" in fb["text"]
    page = (hostile["course"] / "feedback" / student / HW / f"{HW}.html").read_text()
    head = page[:page.index("</head>")]
    assert "<script" not in page
    [policy] = re.findall(r"<meta [^>]*http-equiv=\"Content-Security-Policy\"[^>]*>", head)
    assert "default-src 'none'; script-src 'none';" in policy
    assert head.index("Content-Security-Policy") < head.find("<style")
