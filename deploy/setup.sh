#!/usr/bin/env bash
# What a class's JupyterHub needs on this machine, installed idempotently (run as root; `make hub` does):
#   1. Debian packages: python3 + python3-venv (an interpreter every user can run: the course's .venv links
#      into root's pyenv, which other users cannot read), bubblewrap (the grader's sandbox), npm;
#   2. the shared read-only environment $FFNN_PREFIX/env (deploy/requirements.txt + the course's nnlib,
#      ffgrader and tools: pyproject.toml packages all three), rebuilt only when those change;
#   3. configurable-http-proxy from npm into $FFNN_PREFIX/chp, and MathJax (the course's package.json pin) into
#      $FFNN_PREFIX/mathjax: the instructor's generate_feedback typesets the feedback's formulas with it;
#   4. per-role Jupyter configuration in $FFNN_PREFIX/etc/{student,instructor} (the hub points each user's
#      server at one with JUPYTER_CONFIG_PATH): students get the course id, the exchange and the fetch that
#      gives each their own variant, and no formgrader / create-assignment; the instructor gets everything;
#   5. nbgrader's exchange at $FFNN_EXCHANGE: 1777, writable by every user (nbgrader's requirement) with the
#      sticky bit, so nobody renames or deletes what is not theirs (deploy/exchange.sh; deploy/users.sh makes the
#      course's folder in it, owned by the instructor, before any student can);
#   6. /etc/profile.d/ffnn-course.sh: a terminal in JupyterLab on the hub is a login shell, whose /etc/profile
#      resets PATH; inside a hub server (JUPYTERHUB_USER set) this puts the shared environment back in front,
#      so `nbgrader` and `python -m tools.classroom` work there as the instructor guide writes them.
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
. "$HERE/defaults.sh"
CHP_VERSION=5.3.0

if [ "$(id -u)" != 0 ]; then
  echo "deploy/setup.sh must run as root: it installs Debian packages, creates users' shared files in $PREFIX" \
       "and the exchange $EXCHANGE. Run: sudo make hub" >&2
  exit 1
fi

# 1. Debian packages (only what is missing).
need=()
/usr/bin/python3 -c 'import venv, ensurepip' 2>/dev/null || need+=(python3 python3-venv)
command -v bwrap >/dev/null 2>&1 || need+=(bubblewrap)
command -v npm >/dev/null 2>&1 || need+=(npm)
if [ ${#need[@]} -gt 0 ]; then
  echo "setup: apt-get install ${need[*]}"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
fi

# 2. The shared environment. Its stamp records what it was built from: the requirements and the course
# package's files (its modules and the formgrader's page), listed once for the stamp and for the copy.
umask 022
# ffgrader/feedback_zh_CN.py is left out: it holds the hidden checks' messages and the environment is readable
# by every student (the grader then writes feedback on Chinese releases in English).
package_files() { (cd "$COURSE" && find nnlib ffgrader tools \( -name '*.py' -o -name '*.j2' -o -name '*.json' \) -not -path '*/__pycache__/*' -not -name 'feedback_*.py' \
                   | LC_ALL=C sort); }
want=$( (cat "$HERE/requirements.txt" "$COURSE/pyproject.toml"; cd "$COURSE" && package_files | xargs sha256sum) \
        | sha256sum | cut -c1-16)
stamp=$PREFIX/env/.ffnn-built
# Every user runs this environment but only root may write it, so no user's process can cache the modules it
# compiles: without .pyc files in the environment's own __pycache__ folders, every server, kernel and nbgrader
# command compiles each module it imports again (seconds of CPU each). A caller's PYTHONPYCACHEPREFIX would put
# them where users' processes (which do not get that variable) never look.
pyenv() { env -u PYTHONPYCACHEPREFIX -u PYTHONDONTWRITEBYTECODE "$PREFIX/env/bin/python" "$@"; }
if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  echo "setup: building the shared environment $PREFIX/env (a few minutes the first time)"
  mkdir -p "$PREFIX"
  [ -x "$PREFIX/env/bin/python" ] || /usr/bin/python3 -m venv "$PREFIX/env"
  # Byte-compiled below, once everything is installed.
  pyenv -m pip install --quiet --disable-pip-version-check --no-compile -r "$HERE/requirements.txt"
  # The course package from a clean copy of its sources (never build inside the course tree).
  src=$(mktemp -d)
  cp "$COURSE/pyproject.toml" "$src/"
  [ -f "$COURSE/README.md" ] && cp "$COURSE/README.md" "$src/"
  (cd "$COURSE" && package_files | xargs cp --parents -t "$src")
  pyenv -m pip install --quiet --disable-pip-version-check --no-deps --no-build-isolation --no-compile \
    --force-reinstall "$src"
  rm -rf "$src"
  # On every core, without the packages' own test suites (nobody imports them).
  pyenv -m compileall -q -j 0 -x '/tests/' "$PREFIX/env"
  echo "$want" > "$stamp"
fi
# An environment built before it was compiled here gets its .pyc files now; on later runs compileall only reads
# each .pyc's header (under a second).
pyenv -m compileall -q -x '/tests/' "$PREFIX/env"

# 3. The proxy, from npm.
if [ ! -x "$PREFIX/chp/node_modules/.bin/configurable-http-proxy" ]; then
  echo "setup: npm install configurable-http-proxy@$CHP_VERSION"
  mkdir -p "$PREFIX/chp"
  npm install --silent --no-audit --no-fund --prefer-offline --prefix "$PREFIX/chp" "configurable-http-proxy@$CHP_VERSION" >/dev/null
fi

MATHJAX_VERSION=$(cd "$COURSE" && /usr/bin/python3 -c 'import json; print(json.load(open("package.json"))["dependencies"]["mathjax"])')
if [ ! -f "$PREFIX/mathjax/node_modules/mathjax/package.json" ] || \
   ! grep -q "\"version\": \"$MATHJAX_VERSION\"" "$PREFIX/mathjax/node_modules/mathjax/package.json"; then
  echo "setup: npm install mathjax@$MATHJAX_VERSION"
  mkdir -p "$PREFIX/mathjax"
  # --prefer-offline: the course's own `npm ci` (make book) has put this version in npm's cache already.
  npm install --silent --no-audit --no-fund --prefer-offline --prefix "$PREFIX/mathjax" "mathjax@$MATHJAX_VERSION" >/dev/null
fi

# 4. Per-role configuration.
for role in student instructor; do
  d=$PREFIX/etc/$role
  mkdir -p "$d/labconfig"
  cat > "$d/nbgrader_config.py" <<EOF
# Written by deploy/setup.sh. The $role's nbgrader settings on the class hub.
c = get_config()  # noqa: F821
c.CourseDirectory.course_id = "$COURSE_ID"
c.Exchange.root = "$EXCHANGE"
EOF
done
# A student's fetch (the CLI and the Assignment List) gives them their own variant of an assignment that has
# variants (ffgrader/exchange.py, in the shared environment; it needs no secret). The instructor's release is set in
# the course's nbgrader_config.py.
echo 'c.ExchangeFactory.fetch_assignment = "ffgrader.exchange.FetchAssignment"' >> "$PREFIX/etc/student/nbgrader_config.py"
# The instructor's server runs in the home directory; the formgrader must use the course's own configuration
# (its root and gradebook, the feedback filters): load it from ~/course.
cat >> "$PREFIX/etc/instructor/nbgrader_config.py" <<'EOF'
import os.path
_course_config = os.path.expanduser("~/course/nbgrader_config.py")
if os.path.isfile(_course_config):
    load_subconfig(_course_config)  # noqa: F821
EOF
# Students: no formgrader, no create-assignment toolbar, no course list (the lab menu and the server side).
# Everyone: no news fetched from the internet; no JupyterLab build check on every page load (nobody can rebuild
# the read-only environment's JupyterLab anyway); no language-server support (none is installed: the server
# extension would only search for them at every start).
cat > "$PREFIX/etc/student/labconfig/page_config.json" <<'EOF'
{"buildAvailable": false, "buildCheck": false,
 "disabledExtensions": {"@jupyter/nbgrader:formgrader": true, "@jupyter/nbgrader:create-assignment": true,
                        "@jupyter/nbgrader:course-list": true,
                        "@jupyterlab/apputils-extension:announcements": true, "@jupyterlab/lsp-extension": true}}
EOF
cat > "$PREFIX/etc/student/jupyter_server_config.json" <<'EOF'
{"ServerApp": {"jpserver_extensions": {"nbgrader.server_extensions.formgrader": false,
                                       "nbgrader.server_extensions.course_list": false, "jupyter_lsp": false}}}
EOF
cat > "$PREFIX/etc/instructor/labconfig/page_config.json" <<'EOF'
{"buildAvailable": false, "buildCheck": false,
 "disabledExtensions": {"@jupyterlab/apputils-extension:announcements": true, "@jupyterlab/lsp-extension": true}}
EOF
echo '{"ServerApp": {"jpserver_extensions": {"jupyter_lsp": false}}}' > "$PREFIX/etc/instructor/jupyter_server_config.json"
# The instructor's JupyterLab shows the formgrader (Nbgrader -> Formgrader) in an iframe of a page of the same
# server. JupyterHub's default policy for every user server, frame-ancestors 'none', blocks it ("refused to
# connect"); the instructor's server allows its own origin, which on this hub is that server alone (each user
# has their own subdomain: jupyterhub_config.py). Students' servers keep 'none'. The rest of the policy (the
# hub's report-uri) stays; the formgrader's pages add their own (nonce scripts only: ffgrader/templates/formgrade).
cat > "$PREFIX/etc/instructor/jupyter_server_config.py" <<'EOF'
# Written by deploy/setup.sh: the instructor's server may be framed by its own pages (the Formgrader tab).
import os

c = get_config()  # noqa: F821
_report = os.environ.get("JUPYTERHUB_BASE_URL", "/") + "hub/security/csp-report"
c.ServerApp.tornado_settings = {"headers": {"Content-Security-Policy": f"frame-ancestors 'self'; report-uri {_report}"}}
EOF
# Everyone may read and run, nobody but root may change anything.
chmod -R a+rX,go-w "$PREFIX"

# 5. The exchange.
bash "$HERE/exchange.sh" "$EXCHANGE"
chmod 0755 "$(dirname "$EXCHANGE")"

# 6. The course's environment in hub terminals (login shells).
cat > /etc/profile.d/ffnn-course.sh <<EOF
# Written by deploy/setup.sh (the course's JupyterHub). A terminal of a hub user's server is a login shell and
# /etc/profile resets PATH: put the course's shared environment first again, in hub servers only.
if [ -n "\${JUPYTERHUB_USER:-}" ] && [ -d "$PREFIX/env/bin" ]; then
  case ":\$PATH:" in
    *":$PREFIX/env/bin:"*) ;;
    *) PATH="$PREFIX/env/bin:\$PATH"; export PATH ;;
  esac
fi
EOF
chmod 0644 /etc/profile.d/ffnn-course.sh
echo "setup: done (env $PREFIX/env, proxy $PREFIX/chp, exchange $EXCHANGE)"
