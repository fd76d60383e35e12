#!/usr/bin/env bash
# `make hub`: a demo class on this machine, on 127.0.0.1. Run as root. Ctrl-C stops the hub (and every
# user's server); `bash deploy/users.sh delete deploy/students.example.csv instructor` removes the demo users.
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
. "$HERE/defaults.sh"
export FFNN_PREFIX=$PREFIX
export FFNN_HUB_STATE=${FFNN_HUB_STATE:-/var/lib/ffnn-hub}
export FFNN_HUB_PORT=${FFNN_HUB_PORT:-8000}
export FFNN_ROSTER=${FFNN_ROSTER:-$HERE/students.example.csv}
export FFNN_INSTRUCTOR=${FFNN_INSTRUCTOR:-instructor}

bash "$HERE/setup.sh"
bash "$HERE/users.sh" create "$FFNN_ROSTER" "$FFNN_INSTRUCTOR"
mkdir -p "$FFNN_HUB_STATE" && chmod 700 "$FFNN_HUB_STATE"
pwfile=$FFNN_HUB_STATE/demo-password
[ -s "$pwfile" ] || (umask 077; head -c 12 /dev/urandom | base64 | tr -d '/+=' > "$pwfile")
export FFNN_HUB_PASSWORD=$(cat "$pwfile")
students=$(tail -n +2 "$FFNN_ROSTER" | cut -d, -f1 | paste -sd' ')
cat <<EOF

  Class hub: http://127.0.0.1:$FFNN_HUB_PORT/
  Instructor login: $FFNN_INSTRUCTOR   (Nbgrader -> Formgrader; course in /home/$FFNN_INSTRUCTOR/course)
  Student logins:   $students
  Password (every demo user): $FFNN_HUB_PASSWORD

EOF
cd "$FFNN_HUB_STATE"
exec "$FFNN_PREFIX/env/bin/jupyterhub" -f "$HERE/jupyterhub_config.py"
