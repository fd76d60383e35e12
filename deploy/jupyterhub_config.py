"""JupyterHub for one class on one machine: `make hub` (demo) and tests/test_hub_e2e.py use this file.

Local Unix users (roster ids = login names, made by deploy/users.sh), each user's server started by the
LocalProcessSpawner from the shared read-only environment that deploy/setup.sh built. Every setting that
differs between a demo, a test and a real class comes from the environment:

    FFNN_PREFIX       /opt/ffnn            shared env (env/), proxy (chp/), per-role config (etc/)
    FFNN_EXCHANGE     /srv/nbgrader/exchange   nbgrader's exchange (every user's server is told)
    FFNN_HUB_STATE    /var/lib/ffnn-hub    the hub's database, cookie secret, proxy pid
    FFNN_HUB_PORT     8000                 served on 127.0.0.1 only
    FFNN_HUB_PUBLIC_URL  http://localhost:<port>   the hub's address; each user's server is <login>.<that host>
    FFNN_ROSTER       <course>/deploy/students.example.csv   who may log in (column `id`)
    FFNN_INSTRUCTOR   instructor           the one user whose server gets the formgrader

Logins: JupyterHub's PAMAuthenticator (part of JupyterHub, maintained with it): each user's own Unix password
(deploy/users.sh gives every user it creates a generated one). For a real class you may replace it by your
institution's (e.g. `ltiauthenticator` for an LMS launch, `oauthenticator` for a campus login) and keep
everything else.

One origin per user (subdomains): JupyterLab shows the formgrader in an iframe, which the instructor's server
allows only for pages of its own origin (frame-ancestors 'self', deploy/setup.sh). Were every server under one
origin (/user/<name>/ paths), a page a student serves from their own server would be "self" too and could frame
the instructor's lab and act as the instructor. `*.localhost` names reach 127.0.0.1 in browsers without any
DNS; a real class needs a wildcard DNS name and certificate (*.hub.example.edu, FFNN_HUB_PUBLIC_URL
https://hub.example.edu, with TLS in front of the proxy).
"""

import csv
import os
from pathlib import Path

c = get_config()  # noqa: F821

HERE = Path(__file__).resolve().parent
PREFIX = Path(os.environ.get("FFNN_PREFIX", "/opt/ffnn"))
STATE = Path(os.environ.get("FFNN_HUB_STATE", "/var/lib/ffnn-hub"))
PORT = int(os.environ.get("FFNN_HUB_PORT", "8000"))
ROSTER = Path(os.environ.get("FFNN_ROSTER", HERE / "students.example.csv"))
INSTRUCTOR = os.environ.get("FFNN_INSTRUCTOR", "instructor")
EXCHANGE = os.environ.get("FFNN_EXCHANGE", "/srv/nbgrader/exchange")
PUBLIC_URL = os.environ.get("FFNN_HUB_PUBLIC_URL", f"http://localhost:{PORT}")

with ROSTER.open(newline="", encoding="utf-8") as fh:
    STUDENTS = [row["id"].strip() for row in csv.DictReader(fh) if row.get("id", "").strip()]

STATE.mkdir(parents=True, exist_ok=True)
os.chmod(STATE, 0o700)

# Network: the hub, the proxy and every user's server listen on 127.0.0.1 only.
c.JupyterHub.ip = "127.0.0.1"
c.JupyterHub.port = PORT
c.JupyterHub.hub_ip = "127.0.0.1"
c.JupyterHub.subdomain_host = PUBLIC_URL
c.Spawner.ip = "127.0.0.1"
c.JupyterHub.db_url = f"sqlite:///{STATE / 'jupyterhub.sqlite'}"
c.JupyterHub.cookie_secret_file = str(STATE / "jupyterhub_cookie_secret")
c.ConfigurableHTTPProxy.command = [str(PREFIX / "chp" / "node_modules" / ".bin" / "configurable-http-proxy")]
c.ConfigurableHTTPProxy.pid_file = str(STATE / "proxy.pid")
c.ConfigurableHTTPProxy.api_url = f"http://127.0.0.1:{PORT + 1}"
c.JupyterHub.cleanup_servers = True    # stopping the hub stops every user's server

# Who may log in: the roster and the instructor (the instructor is the hub's admin).
c.JupyterHub.authenticator_class = "pam"
c.Authenticator.allowed_users = set(STUDENTS) | {INSTRUCTOR}
c.Authenticator.admin_users = {INSTRUCTOR}

# Each user's server: the shared environment, JupyterLab, the role's configuration.
c.JupyterHub.spawner_class = "localprocess"
c.Spawner.cmd = [str(PREFIX / "env" / "bin" / "jupyterhub-singleuser")]
c.Spawner.default_url = "/lab"
c.Spawner.start_timeout = 120
# Of the environment the hub was started in, users' servers get the locale only (the LocalProcessSpawner would also
# pass on PYTHONPATH, LD_LIBRARY_PATH, VIRTUAL_ENV and conda's variables): their imports come from the shared
# environment alone, compiled, and not from whatever checkout the hub's administrator had on PYTHONPATH.
c.Spawner.env_keep = ["JUPYTERHUB_SINGLEUSER_APP", "LANG", "LC_ALL"]
c.Spawner.http_timeout = 120


def _role_environment(spawner):
    """Students get the student configuration (course id, exchange, no formgrader); the instructor starts
    in the course directory, whose nbgrader_config.py the formgrader reads."""
    instructor = spawner.user.name == INSTRUCTOR
    role = "instructor" if instructor else "student"
    spawner.environment.update({
        "JUPYTER_CONFIG_PATH": str(PREFIX / "etc" / role),
        "PATH": f"{PREFIX / 'env' / 'bin'}:/usr/local/bin:/usr/bin:/bin",
        # The course's nbgrader_config.py uses the hub's exchange instead of its own local one.
        "FFNN_EXCHANGE": EXCHANGE,
        # MathJax for the feedback's formulas (ffgrader/offline_math.py), installed by deploy/setup.sh.
        "FFNN_NODE_MODULES": str(PREFIX / "mathjax" / "node_modules"),
        "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MPLBACKEND": "Agg",
    })
    if instructor:
        spawner.notebook_dir = "~/course"


c.Spawner.pre_spawn_hook = _role_environment
