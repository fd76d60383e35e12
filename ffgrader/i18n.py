"""The language of the messages a student reads: visible tests (their kernel) and the grader's feedback.

Every message is written once, in English, where it is raised (``ffgrader.visible_tests``, ``ffgrader.checks``,
the checks of ``solutions/<hw>/checks.py``). Translation happens here, at one place, on the finished text:
the catalog (``catalog_zh_CN.py``, compiled from the gettext catalogs
``locales/zh_CN/LC_MESSAGES/homework/*.po`` by ``python -m tools.homework_i18n compile``) maps each message
*template* — the f-string of the source with its ``{expression}`` placeholders, as ``tools.homework_i18n``
extracts it — to its translation. ``translate`` matches the message against the templates, puts the captured
values (translated in turn: ``got {describe(out)}`` holds another message) into the translated template, and
keeps anything it does not know in English. It never fails: a message is shown, in some language.

The language is data, not a verdict: the grader takes it from the submitted notebook's metadata
(``{"ffnn": {"lang": "zh_CN"}}``, written by the Chinese release), which the student controls, so an unknown
or forged value is English and nothing else depends on it. In the student's kernel the visible tests take it
from ``FFNN_LANG``, else from the metadata of the notebook the kernel runs (``JPY_SESSION_NAME``, set by
Jupyter Server; an English release has none: English), else, when the notebook cannot be read, from the
locale variables (``LANGUAGE``, ``LC_ALL``, ``LC_MESSAGES``, ``LANG``).

Only the standard library is used: this module is part of the students' wheel and loads inside the sandbox.
"""

from __future__ import annotations

import functools
import json
import os
import re

__all__ = ["LANGUAGES", "DEFAULT", "Translator", "normalize", "notebook_language", "kernel_language", "translate",
           "template_regex", "placeholders", "feedback_translator", "feedback_prose", "blocks", "translate_markdown",
           "strip_markup", "MARK_SCHEME"]

DEFAULT = "en"
LANGUAGES = ("en", "zh_CN")
METADATA_KEY = "ffnn"
_PLACEHOLDER = re.compile(r"\{[^{}]*\}")
_MAX_DEPTH = 4
_MAX_CHARS = 5000  # longer texts stay English (the grader keeps 5000 characters of a message)
# A captured value longer than this is data, never a message (it bounds the work a crafted answer can cause).
_MAX_VALUE = 400
_JOINTS = re.compile(r" \(|; |\. ")


def normalize(value) -> str:
    """``value`` as one of LANGUAGES ('zh', 'zh-CN', 'zh_CN.UTF-8' -> 'zh_CN'); anything else is English."""
    if not isinstance(value, str) or len(value) > 40:
        return DEFAULT
    code = value.split(".", 1)[0].split("@", 1)[0].replace("-", "_").strip().lower()
    if code in ("zh", "zh_cn", "zh_hans", "zh_hans_cn"):
        return "zh_CN"
    return DEFAULT


def notebook_language(metadata) -> str:
    """The language a notebook's metadata asks for (``metadata.ffnn.lang``); English when absent or unknown."""
    try:
        value = metadata.get(METADATA_KEY, {}).get("lang")
    except AttributeError:
        return DEFAULT
    return normalize(value)


def kernel_language(environ=None) -> str:
    """The language of the visible tests in a student's kernel (see the module's docstring)."""
    env = os.environ if environ is None else environ
    if env.get("FFNN_LANG"):
        return normalize(env["FFNN_LANG"])
    session = env.get("JPY_SESSION_NAME", "")
    if session.endswith(".ipynb"):
        # An absolute path, or one relative to the server's root; the kernel runs in the notebook's folder.
        for path in (session, os.path.basename(session)):
            try:
                with open(path, encoding="utf-8") as f:
                    nb = json.load(f)
            except (OSError, ValueError):
                continue
            # the notebook decides (an English release has no language: English, whatever the locale)
            return notebook_language(nb.get("metadata", {}) if isinstance(nb, dict) else {})
    for var in ("LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG"):
        if env.get(var):
            return normalize(env[var].split(":", 1)[0])
    return DEFAULT


def placeholders(template: str) -> list[str]:
    """The ``{...}`` placeholders of a template, in order."""
    return _PLACEHOLDER.findall(template)


# What some placeholders can render to (by the expression's text), so that a template does not match a text
# it did not write ("the {t.__name__} {text}" is not "the bias input is 1"); any other placeholder is any text.
_TYPE_NAMES = r"(bool|int|float|str|list|tuple|dict)"
_NUMBER = r"([-+]?(?:[0-9.]+(?:e[-+]?[0-9]+)?|inf|nan))"


def _group(name: str) -> str:
    expr = name[1:-1]
    if expr.startswith("t.__name__"):
        return _TYPE_NAMES
    if expr.endswith("__name__") or expr.endswith(".dtype") or expr.endswith(".dtype)"):
        return r"([\w.]+)"
    if expr.endswith("shape") or expr.endswith(".shape)"):
        return r"(\([0-9, ]*\))"
    if re.search(r":\.?[0-9]*[gef]$", expr):
        return _NUMBER
    return "(.*?)"


def template_regex(template: str) -> re.Pattern:
    """A regex matching the texts the template renders to: each run of adjacent placeholders is one group."""
    parts = _PLACEHOLDER.split(template)
    names = _PLACEHOLDER.findall(template)
    pattern = re.escape(parts[0])
    for i, literal in enumerate(parts[1:]):
        if i == 0 or parts[i] != "":  # the first of a run of adjacent placeholders: one group for the run
            run_alone = literal != "" or i + 1 == len(names)
            pattern += _group(names[i]) if run_alone and (i == 0 or parts[i] != "") else "(.*?)"
        pattern += re.escape(literal)
    return re.compile(pattern, re.S)


class Translator:
    """Translates finished messages with a catalog ``{template: translation}`` (see the module's docstring)."""

    def __init__(self, messages: dict):
        self.exact = {k: v for k, v in messages.items() if not placeholders(k)}
        templates = [(template_regex(k), k, v) for k, v in messages.items() if placeholders(k)]
        # Most literal text first: "got {v}, expected {e} (abs error ...)" before a bare "{what} is ...".
        templates.sort(key=lambda t: (-len(_PLACEHOLDER.sub("", t[1])), t[1]))
        self.templates = templates

    def fragment(self, text: str, depth: int = 0) -> str:
        if not text or depth > _MAX_DEPTH:
            return text
        if text in self.exact:
            return self.exact[text]
        bracketed = text.startswith("[")
        for regex, msgid, msgstr in self.templates:
            if bracketed and not msgid.startswith("["):
                continue  # "[part] message": only a template of the whole line, else part and message apart
            m = regex.fullmatch(text)
            if m is not None:
                return self._fill(msgid, msgstr, m.groups(), depth)
        return text

    def _run(self, text: str, depth: int) -> str:
        """A value captured for adjacent placeholders (``{where}{shown}``): one message, or one followed by
        another (``index (0, 2)`` + `` (where x[0, 2] = 1.5)``)."""
        # Split first (a template ending in a placeholder would take it all), only where the pieces that
        # follow a value start: " (where ...)", " (3 of 6 entries wrong...)", "; max abs error", ". 2 entries".
        if len(text) <= _MAX_VALUE:
            for m in _JOINTS.finditer(text, 1):
                tail = self.fragment(text[m.start():], depth)
                if tail != text[m.start():]:
                    return self._run(text[:m.start()], depth) + tail
        return self.fragment(text, depth)

    def _fill(self, msgid: str, msgstr: str, groups, depth: int) -> str:
        names = placeholders(msgid)
        literals = _PLACEHOLDER.split(msgid)
        values, g = {}, iter(groups)
        for i, name in enumerate(names):
            if i == 0 or literals[i] != "":
                adjacent = i + 1 < len(names) and literals[i + 1] == ""
                value = next(g)
                if len(value) > _MAX_VALUE:  # data (a long repr, the student's exception text), not a message
                    values[name] = value
                else:
                    values[name] = self._run(value, depth + 1) if adjacent else self.fragment(value, depth + 1)
            else:
                values[name] = ""  # adjacent placeholders share one group, carried by the first of the run
        return _PLACEHOLDER.sub(lambda m: values.get(m.group(0), m.group(0)), msgstr)

    def translate(self, text) -> str:
        """``text`` translated: as a whole, else line by line (``[part] message``, ``Hint: ...``)."""
        if not isinstance(text, str) or len(text) > _MAX_CHARS:
            return text
        whole = self.fragment(text)
        if whole != text:
            return whole
        return "\n".join(self._line(line) for line in text.split("\n"))

    def _line(self, line: str) -> str:
        whole = self.fragment(line)
        split = _split_part(line) if whole == line else None
        if split is None:
            return whole
        part, rest = split
        return f"[{self.fragment(part, 1)}] {self.fragment(rest, 1)}"


# --- the notebooks' prose ------------------------------------------------------------------------------------

# nbgrader's mark-scheme region (written with \s: this file is published, and the publisher refuses any file
# that holds the literal markers).
MARK_SCHEME = re.compile(r"=== BEGIN MARK\sSCHEME ===.*?=== END MARK\sSCHEME ===", re.S)


def strip_markup(text: str) -> str:
    """``text`` without math, code spans, link targets and ``{...}``: what a reader reads as words."""
    return re.sub(r"\$\$.*?\$\$|\$[^$]*\$|`[^`]*`|\]\([^)]*\)|\{[^{}]*\}", " ", text, flags=re.S)


def blocks(markdown: str) -> list[tuple[str, bool]]:
    """A markdown cell cut into blocks ``(text, translatable)`` whose concatenation is the cell: its paragraphs
    (blank-line separated; translatable when they hold an English word of 3 letters or more outside math, code
    and link targets), the blank lines between them, and a mark scheme (for instructors: never translated)."""
    out, pos = [], 0
    for m in MARK_SCHEME.finditer(markdown):
        out += _paragraphs(markdown[pos:m.start()])
        out.append((m.group(0), False))
        pos = m.end()
    out += _paragraphs(markdown[pos:])
    return out


def _paragraphs(text: str) -> list[tuple[str, bool]]:
    out = []
    for piece in re.split(r"(\n[ \t]*\n+|^\s+|\s+$)", text):
        if piece:
            out.append((piece, bool(piece.strip()) and re.search(r"[A-Za-z]{3,}", strip_markup(piece)) is not None))
    return out


def translate_markdown(markdown: str, prose: dict) -> tuple[str, list[str]]:
    """A markdown cell with each translatable paragraph replaced from ``prose`` (English -> translation), and
    the paragraphs ``prose`` does not translate (left in English)."""
    new, missing = [], []
    for text, translatable in blocks(markdown):
        if translatable and prose.get(text):
            new.append(prose[text])
        else:
            if translatable:
                missing.append(text)
            new.append(text)
    return "".join(new), missing


@functools.lru_cache(maxsize=None)
def feedback_prose(lang: str) -> dict:
    """The grader's table of the notebooks' paragraphs in ``lang`` (``feedback_zh_CN.PROSE``); {} for English."""
    lang = lang if lang in LANGUAGES else normalize(lang)
    if lang == "zh_CN":
        try:
            from .feedback_zh_CN import PROSE
        except ImportError:  # an installation without the instructor's catalog (the hub's shared one)
            return {}
        return PROSE
    return {}


def _split_part(text: str):
    """'[part] rest' -> ('part', 'rest') (brackets inside the part are balanced), else None."""
    if not text.startswith("["):
        return None
    depth = 0
    for i, ch in enumerate(text):
        if ch == "[":
            depth += 1
        elif ch == "]":
            depth -= 1
            if depth == 0:
                return (text[1:i], text[i + 2:]) if text[i + 1:i + 2] == " " else None
    return None


@functools.lru_cache(maxsize=None)
def _students_translator(lang: str) -> Translator | None:
    """The translator of the visible tests' messages (``catalog_zh_CN.py``, shipped in the students' wheel)."""
    if lang == "zh_CN":
        from .catalog_zh_CN import MESSAGES

        return Translator(MESSAGES)
    return None


@functools.lru_cache(maxsize=None)
def feedback_translator(lang: str) -> Translator | None:
    """The grader's translator: every message of the visible tests and of the checks (``feedback_zh_CN.py``,
    which stays on the instructor's side); None for English."""
    lang = lang if lang in LANGUAGES else normalize(lang)
    if lang == "zh_CN":
        try:
            from .feedback_zh_CN import MESSAGES
        except ImportError:  # an installation without the instructor's catalog: feedback in English
            return None
        return Translator(MESSAGES)
    return None


def translate(text, lang: str, translator: Translator | None = None) -> str:
    """``text`` (a message of the visible tests or of the grader) in ``lang``, with ``translator`` (default: the
    catalog of the visible tests' messages); English where no template fits, and for an unknown language."""
    lang = lang if lang in LANGUAGES else normalize(lang)
    if lang == DEFAULT:
        return text
    translator = translator or _students_translator(lang)
    return translator.translate(text) if translator is not None else text
