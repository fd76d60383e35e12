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
- the words inside figures in the page's language: the Chinese edition of the book runs its notebooks with
  ``NNLIB_FIGURE_CATALOG`` naming a compiled gettext catalog (``tools/i18n.py``), and ``use()`` then draws
  every text of a figure through it and adds a CJK font (``figure_language``).

Nothing here is imported by the numerical modules; ``style()`` returns the settings as a dict for
use with ``matplotlib.rc_context``.
"""

from __future__ import annotations

import gettext
import logging
import os

from cycler import cycler

__all__ = ["OKABE_ITO", "WIDTH", "DPI", "CJK_FONTS", "style", "use", "legend", "figure_language"]

# Okabe & Ito (2008), "Color Universal Design": blue, orange, bluish green, vermillion, reddish
# purple, sky blue, yellow, black. Yellow is last: too light for thin lines on white.
OKABE_ITO = ("#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#F0E442", "#000000")

WIDTH = 6.4  # inches: a single-panel figure as wide as the desktop text column
DPI = 110    # logical pixels per inch of the displayed figure (6.4 in -> 704 px)

# Fonts with Chinese glyphs, in order of preference (Debian: fonts-noto-cjk, fonts-wqy-zenhei).
CJK_FONTS = ("Noto Sans CJK SC", "Source Han Sans SC", "WenQuanYi Zen Hei", "WenQuanYi Micro Hei")


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


def figure_language(catalog: str | os.PathLike) -> None:
    """Draw the text of every figure through a compiled gettext catalog (``.mo``), with a CJK font.

    Figures are drawn by the pages' code, which is the same in every edition of the book; the words in them
    (axis labels, titles, legends, node names) are looked up when matplotlib sets a text, so the code stays
    untouched and a string missing from the catalog stays as written. Only the Chinese edition's notebook
    kernels call this (``NNLIB_FIGURE_CATALOG``): the lookup is installed on matplotlib's ``Text`` class,
    once per process.
    """
    import matplotlib as mpl
    from matplotlib import font_manager
    from matplotlib.text import Text

    if not isinstance(catalog, (str, os.PathLike)):
        raise TypeError(f"catalog must be the path of a .mo file, got {type(catalog).__name__}")
    path = os.fspath(catalog)
    if not os.path.isfile(path):
        shown = path if len(path) <= 160 else "..." + path[-157:]  # the file name is the end that matters
        raise ValueError(f"catalog (NNLIB_FIGURE_CATALOG) names {shown!r}, which is not a file (a compiled .mo catalog)")
    with open(path, "rb") as f:
        translations = gettext.GNUTranslations(f)
    cjk = _cjk_fonts(font_manager)
    if not cjk:
        raise RuntimeError(f"no CJK font for the figures' Chinese labels: install one of {', '.join(CJK_FONTS)}")
    # matplotlib (>= 3.6) falls back glyph by glyph along a list of named families (a generic family such
    # as "sans-serif" resolves to one font only): Latin letters and digits from the usual font, Chinese
    # from the CJK one.
    latin = next(f for f in mpl.rcParams["font.sans-serif"] if f not in cjk)
    mpl.rcParams["font.family"] = [latin, *cjk]
    font_log = logging.getLogger("matplotlib.font_manager")
    if not any(isinstance(f, _SingleWeightCJK) for f in font_log.filters):
        font_log.addFilter(_SingleWeightCJK())

    original = getattr(Text.set_text, "__wrapped__", Text.set_text)

    def set_text(self, s):
        if isinstance(s, str) and s:
            s = translations.gettext(s)
        return original(self, s)

    set_text.__wrapped__ = original
    Text.set_text = set_text
