#!/usr/bin/env bash
# `make hub`: a demo class on this machine, on 127.0.0.1. Run as root. Ctrl-C stops the hub (and every
# user's server); `bash deploy/users.sh delete deploy/students.example.csv instructor` removes the demo users
# and the hub's state (/var/lib/ffnn-hub).
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
. "$HERE/defaults.sh"
export FFNN_PREFIX=$PREFIX
export FFNN_EXCHANGE=$EXCHANGE
export FFNN_HUB_STATE=$STATE
export FFNN_HUB_PORT=${FFNN_HUB_PORT:-8000}
export FFNN_ROSTER=${FFNN_ROSTER:-$HERE/students.example.csv}
export FFNN_INSTRUCTOR=${FFNN_INSTRUCTOR:-instructor}

bash "$HERE/setup.sh"
bash "$HERE/users.sh" create "$FFNN_ROSTER" "$FFNN_INSTRUCTOR"
students=$(tail -n +2 "$FFNN_ROSTER" | cut -d, -f1 | paste -sd' ')
cat <<EOT

  Class hub: http://localhost:$FFNN_HUB_PORT/
  Instructor login: $FFNN_INSTRUCTOR   (Nbgrader -> Formgrader; course in /home/$FFNN_INSTRUCTOR/course)
  Student logins:   $students
  Passwords (one per person, hand each their own): $STATE/passwords.csv (readable by root only)

EOT
cd "$STATE"
exec "$FFNN_PREFIX/env/bin/jupyterhub" -f "$HERE/jupyterhub_config.py"
