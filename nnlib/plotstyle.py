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
- labelled axes are the job of each plotting function; legends go outside the axes (``legend``).

Nothing here is imported by the numerical modules; ``style()`` returns the settings as a dict for
use with ``matplotlib.rc_context``.
"""

from __future__ import annotations

from cycler import cycler

__all__ = ["OKABE_ITO", "WIDTH", "DPI", "style", "use", "legend"]

# Okabe & Ito (2008), "Color Universal Design": blue, orange, bluish green, vermillion, reddish
# purple, sky blue, yellow, black. Yellow is last: too light for thin lines on white.
OKABE_ITO = ("#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#F0E442", "#000000")

WIDTH = 6.4  # inches: a single-panel figure as wide as the desktop text column
DPI = 110    # logical pixels per inch of the displayed figure (6.4 in -> 704 px)


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
    kwargs.setdefault("loc", "upper left")
    kwargs.setdefault("bbox_to_anchor", (1.01, 1.0))
    kwargs.setdefault("borderaxespad", 0.0)
    return ax.legend(**kwargs)
