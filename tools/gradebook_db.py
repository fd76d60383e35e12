"""Where the course's gradebook is: the one home of the course's nbgrader configuration and database URL.

``tools.classroom`` (every command's ``--db``) and ``tools.regrade`` open the gradebook through here, so a
PostgreSQL ``db_url`` in ``nbgrader_config.py`` or on the command line reaches every command alike.
"""

from __future__ import annotations

from pathlib import Path


def course_config(course: Path):
    """The course's nbgrader configuration (its nbgrader_config.py, as nbgrader itself loads it)."""
    from traitlets.config import Config
    from traitlets.config.loader import PyFileConfigLoader

    course = Path(course).resolve()
    if not (course / "nbgrader_config.py").is_file():
        return Config()
    return PyFileConfigLoader("nbgrader_config.py", path=str(course)).load_config()


def db_url(course: Path, db: str | None = None) -> str:
    """``db`` if given, else the course's configured ``CourseDirectory.db_url``, else its gradebook.db."""
    if db:
        return check_db_url(db)
    configured = course_config(course).get("CourseDirectory", {}).get("db_url")
    return configured or f"sqlite:///{Path(course).resolve() / 'gradebook.db'}"


def check_db_url(url: str) -> str:
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    try:
        parsed = make_url(url)
    except (ArgumentError, ValueError, TypeError):
        raise ValueError(f"--db {url!r} is not a database URL like sqlite:////path/gradebook.db or "
                         "postgresql+psycopg://user@host:5432/ffnn") from None
    if parsed.get_backend_name() not in ("sqlite", "postgresql"):
        raise ValueError(f"--db {url!r}: the course's gradebook runs on sqlite or postgresql, not "
                         f"{parsed.get_backend_name()}")
    return url


def gradebook(course: Path, db: str | None = None):
    """The course's nbgrader Gradebook (a new one is stamped in this process, as nbgrader_config.py has it:
    ffgrader.nbgrader_speed.use_alembic_head)."""
    from nbgrader.api import Gradebook
    from sqlalchemy.exc import OperationalError

    from ffgrader.nbgrader_speed import use_alembic_head

    use_alembic_head()
    url = db_url(course, db)
    try:
        return Gradebook(url)
    except OperationalError as exc:  # a server that is not running, a wrong host, port, user or password
        reason = " ".join(str(exc.orig or exc).split())  # the driver's message, on one line
        raise RuntimeError(f"the gradebook database {shown(url)} cannot be reached: {reason}") from None


def shown(url: str) -> str:
    """A database URL without its password (for messages and logs)."""
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


def registered_assignment(gb, name: str, then: str = ""):
    """``gb``'s assignment ``name``, or a ValueError that says how to register it (and ``then``: what the
    command needs next, e.g. autograding it)."""
    from nbgrader.api import MissingEntry

    try:
        return gb.find_assignment(name)
    except MissingEntry:
        raise ValueError(f"assignment {name!r} is not in the gradebook {gb.engine.url.render_as_string(hide_password=True)}: register it (python -m "
                         f"tools.classroom register){then}") from None
