"""The course's plotting style: one look for every figure of the book.

``use()`` (called once in a page's hidden setup cell) sets matplotlib's rcParams:

- colours: the Okabe–Ito palette, distinguishable with the common colour-vision deficiencies and in
  greyscale print; lines also differ in style where the figure relies on telling them apart;
- text readable at the size the figure is shown: 11 pt labels on a figure about as wide as the
  text column (``WIDTH`` inches at ``DPI`` logical pixels per inch = the 700 px desktop column);
- sharp on high-DPI screens: the notebook output is a PNG at twice the pixel density ("retina"),
  displayed at its logical size;
- an opaque white figure background, so that the book's dark mode shows plots as a light card
  rather than black text on a dark grey box;
- labelled axes are the job of each plotting function; legends go outside the axes (``legend``);
- the words inside figures in the page's language: with ``NNLIB_FIGURE_CATALOG`` naming a compiled gettext
  catalog (``tools/i18n.py``), ``use()`` draws every text of a figure through it, with a CJK font
  (``figure_language``); with ``NNLIB_TRANSLATED_FIGURES`` naming one, a notebook shows each figure as
  drawn and adds a second picture of it with its words translated (``translated_figures``): `make book`
  executes the pages once so, for both editions (``tools/book_execute.py``).

Nothing here is imported by the numerical modules; ``style()`` returns the settings as a dict for
use with ``matplotlib.rc_context``.
"""

from __future__ import annotations

import gettext
import logging
import os

from cycler import cycler

__all__ = ["OKABE_ITO", "WIDTH", "DPI", "CJK_FONTS", "TRANSLATED_PNG", "style", "use", "legend", "figure_language",
           "translated_figures"]

# Okabe & Ito (2008), "Color Universal Design": blue, orange, bluish green, vermillion, reddish
# purple, sky blue, yellow, black. Yellow is last: too light for thin lines on white.
OKABE_ITO = ("#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#F0E442", "#000000")

WIDTH = 6.4  # inches: a single-panel figure as wide as the desktop text column
DPI = 110    # logical pixels per inch of the displayed figure (6.4 in -> 704 px)

# Fonts with Chinese glyphs, in order of preference (Debian: fonts-noto-cjk, fonts-wqy-zenhei).
CJK_FONTS = ("Noto Sans CJK SC", "Source Han Sans SC", "WenQuanYi Zen Hei", "WenQuanYi Micro Hei")

# The MIME type of a figure's translated picture (``translated_figures``): a retina PNG, base64 as for
# image/png. No renderer knows it; tools/book_execute.py takes it out of the notebook before caching.
TRANSLATED_PNG = "image/x-nnlib-translated-png"


def style() -> dict:
    """The rcParams of the course style."""
    return {
        "axes.prop_cycle": cycler(color=OKABE_ITO),
        "figure.figsize": (WIDTH, WIDTH * 0.6),
        "figure.dpi": DPI,
        "savefig.dpi": 2 * DPI,
        "figure.facecolor": "white",
        "savefig.facecolor": "white",
        "axes.facecolor": "white",
        "figure.constrained_layout.use": True,
        "font.size": 11,
        "axes.titlesize": 11,
        "axes.labelsize": 11,
        "xtick.labelsize": 10,
        "ytick.labelsize": 10,
        "legend.fontsize": 10,
        "legend.frameon": False,
        "lines.linewidth": 2.0,
        "lines.markersize": 6,
        "axes.spines.top": False,
        "axes.spines.right": False,
        "axes.grid": True,
        "grid.color": "0.88",
        "grid.linewidth": 0.8,
        "axes.axisbelow": True,
        "image.cmap": "viridis",
    }


def use() -> None:
    """Apply the course style to matplotlib, and retina PNGs to the notebook's inline output."""
    import matplotlib as mpl

    mpl.rcParams.update(style())
    catalog = os.environ.get("NNLIB_FIGURE_CATALOG")
    if catalog:
        figure_language(catalog)
    second = os.environ.get("NNLIB_TRANSLATED_FIGURES")
    try:  # only inside IPython/Jupyter; plain scripts keep matplotlib's own output settings
        from IPython import get_ipython

        shell = get_ipython()
    except ImportError:
        shell = None
    if shell is not None:
        from matplotlib_inline.backend_inline import set_matplotlib_formats

        set_matplotlib_formats("retina")
        # %matplotlib inline re-applies its own rc (a transparent figure, 72 dpi) on every figure
        # unless told that the user's settings win.
        shell.run_line_magic("config", "InlineBackend.rc = {}")
        if second:
            translated_figures(second, shell)


def legend(ax, **kwargs):
    """A legend outside the axes, to the right, so it never covers data."""
    if not callable(getattr(ax, "legend", None)):
        raise TypeError(f"ax must be a matplotlib Axes, got {type(ax).__name__}")
    kwargs.setdefault("loc", "upper left")
    kwargs.setdefault("bbox_to_anchor", (1.01, 1.0))
    kwargs.setdefault("borderaxespad", 0.0)
    return ax.legend(**kwargs)


def _cjk_fonts(font_manager) -> list[str]:
    """The installed fonts of CJK_FONTS. matplotlib's font list is cached on first use: a font installed
    after that (make browser-deps) is added from the system's font folders for this process."""
    names = {f.name for f in font_manager.fontManager.ttflist}
    if not names & set(CJK_FONTS):
        known = {f.fname for f in font_manager.fontManager.ttflist}
        for path in font_manager.findSystemFonts():
            if path not in known:
                try:
                    font_manager.fontManager.addfont(path)
                except (OSError, RuntimeError, ValueError):
                    continue  # a font file matplotlib cannot read is not one we need
        names = {f.name for f in font_manager.fontManager.ttflist}
    return [name for name in CJK_FONTS if name in names]


class _SingleWeightCJK(logging.Filter):
    """Drops matplotlib's "findfont: Failed to find font weight normal for <CJK font>, now using 500": the CJK
    font has one weight only (Debian's WenQuanYi Zen Hei is registered as 500), so every normal-weight text
    asks for it; the glyphs drawn are the font's only ones, and a warning in a notebook's stderr fails the
    book's build."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        return not (message.startswith("findfont: Failed to find font weight")
                    and any(name in message for name in CJK_FONTS))


def _translations(catalog, variable: str) -> gettext.GNUTranslations:
    if not isinstance(catalog, (str, os.PathLike)):
        raise TypeError(f"catalog must be the path of a .mo file, got {type(catalog).__name__}")
    path = os.fspath(catalog)
    if not os.path.isfile(path):
        shown = path if len(path) <= 160 else "..." + path[-157:]  # the file name is the end that matters
        raise ValueError(f"catalog ({variable}) names {shown!r}, which is not a file (a compiled .mo catalog)")
    with open(path, "rb") as f:
        return gettext.GNUTranslations(f)


def _cjk_family() -> list[str]:
    """The font family list that draws Latin letters and digits with the usual font and Chinese with a CJK
    one (matplotlib >= 3.6 falls back glyph by glyph along a list of named families; a generic family such
    as "sans-serif" resolves to one font only)."""
    import matplotlib as mpl
    from matplotlib import font_manager

    cjk = _cjk_fonts(font_manager)
    if not cjk:
        raise RuntimeError(f"no CJK font for the figures' Chinese labels: install one of {', '.join(CJK_FONTS)}")
    font_log = logging.getLogger("matplotlib.font_manager")
    if not any(isinstance(f, _SingleWeightCJK) for f in font_log.filters):
        font_log.addFilter(_SingleWeightCJK())
    latin = next(f for f in mpl.rcParams["font.sans-serif"] if f not in cjk)
    return [latin, *cjk]


def _translating(set_text, translations: gettext.GNUTranslations):
    """``Text.set_text`` that looks every non-empty string up in ``translations`` first."""

    def translated_set_text(self, s):
        if isinstance(s, str) and s:
            s = translations.gettext(s)
        return set_text(self, s)

    translated_set_text.__wrapped__ = set_text
    return translated_set_text


def figure_language(catalog: str | os.PathLike) -> None:
    """Draw the text of every figure through a compiled gettext catalog (``.mo``), with a CJK font.

    Figures are drawn by the pages' code, which is the same in every edition of the book; the words in them
    (axis labels, titles, legends, node names) are looked up when matplotlib sets a text, so the code stays
    untouched and a string missing from the catalog stays as written. ``NNLIB_FIGURE_CATALOG`` makes
    ``use()`` call this: the lookup is installed on matplotlib's ``Text`` class, once per process.
    """
    import matplotlib as mpl
    from matplotlib.text import Text

    translations = _translations(catalog, "NNLIB_FIGURE_CATALOG")
    mpl.rcParams["font.family"] = _cjk_family()
    Text.set_text = _translating(getattr(Text.set_text, "__wrapped__", Text.set_text), translations)


def translated_figures(catalog: str | os.PathLike, shell=None) -> None:
    """In a notebook: every figure shown keeps its picture (image/png) and gets a second one, its words drawn
    through the compiled gettext catalog ``catalog`` with a CJK font, as ``figure_language`` would have drawn
    them (``TRANSLATED_PNG``, with the same retina size metadata).

    One execution of a page then gives the figures of both editions of the book (``tools/book_execute.py``);
    ``NNLIB_TRANSLATED_FIGURES`` makes ``use()`` call this. The second picture is drawn right after the first,
    from the same figure: its texts are translated and given the CJK font for that drawing, then put back.
    """
    import matplotlib as mpl
    from IPython.core.formatters import BaseFormatter
    from matplotlib.figure import Figure
    from matplotlib.text import Text
    from traitlets import ObjectName, Unicode

    translations = _translations(catalog, "NNLIB_TRANSLATED_FIGURES")
    family = _cjk_family()
    if shell is None:
        from IPython import get_ipython

        shell = get_ipython()
    if shell is None:
        raise RuntimeError("translated_figures works inside IPython or Jupyter only (it adds a display format)")
    png = shell.display_formatter.formatters["image/png"]

    def translated(fig):
        original = getattr(Text.set_text, "__wrapped__", Text.set_text)
        installed = Text.set_text
        default = list(mpl.rcParams["font.family"])
        texts = [(t, t.get_text(), t.get_fontfamily()) for t in fig.findobj(Text)]
        Text.set_text = _translating(original, translations)  # also the tick labels set while drawing
        try:
            with mpl.rc_context({"font.family": family}):
                for t, s, fonts in texts:
                    t.set_text(s)
                    if list(fonts) == default:  # a text given its own font keeps it, as under figure_language
                        t.set_fontfamily(family)
                return png.lookup_by_type(Figure)(fig)
        finally:
            Text.set_text = installed
            for t, s, fonts in texts:
                original(t, s)
                t.set_fontfamily(fonts)

    class TranslatedPNG(BaseFormatter):
        format_type = Unicode(TRANSLATED_PNG)
        print_method = ObjectName("_repr_translated_png_")  # BaseFormatter's default, __repr__, would take anything
        _return_type = (bytes, str)

    formatter = TranslatedPNG(parent=shell.display_formatter)
    formatter.for_type(Figure, translated)
    shell.display_formatter.formatters[TRANSLATED_PNG] = formatter
