#!/usr/bin/env bash
# Throw-away local users for a demo (or test) class on this machine. Run as root.
#   deploy/users.sh create ROSTER.csv INSTRUCTOR   # Unix users for every roster id + the instructor; the
#                                                  # instructor gets ~/course (a copy of this course), with the
#                                                  # roster and every assignment in its gradebook, and the
#                                                  # course's folder in the exchange (deploy/exchange.sh)
#   deploy/users.sh delete ROSTER.csv INSTRUCTOR   # removes them, their homes and the course's exchange folder
# Roster ids are the login names (see the instructor guide). Idempotent: existing users are kept.
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
. "$HERE/defaults.sh"
cmd=${1:?usage: users.sh create|delete ROSTER.csv INSTRUCTOR}
roster=${2:?roster csv}
instructor=${3:?instructor login}
[ "$(id -u)" = 0 ] || { echo "deploy/users.sh must run as root (useradd/userdel)" >&2; exit 1; }
mapfile -t students < <(tail -n +2 "$roster" | cut -d, -f1 | sed '/^$/d')

case "$cmd" in
create)
  for u in "$instructor" "${students[@]}"; do
    id -u "$u" >/dev/null 2>&1 || useradd --create-home --shell /bin/bash --user-group "$u"
    chmod 700 "/home/$u"
  done
  # The course's folder in the exchange belongs to the instructor from the start: no student can take its name.
  bash "$HERE/exchange.sh" "$EXCHANGE" "$COURSE_ID" "$instructor"
  home=/home/$instructor
  if [ ! -d "$home/course" ]; then
    mkdir "$home/course"
    # The files of this work tree that git knows or would add (not .venv, not _build, not private data).
    git -C "$COURSE" ls-files -z --cached --others --exclude-standard \
      | tar -C "$COURSE" --null --ignore-failed-read -T - -cf - 2>/dev/null | tar -C "$home/course" -xf -
    cp "$roster" "$home/course/students.csv"
    chown -R "$instructor:" "$home/course"
    chmod 700 "$home/course"
  fi
  runuser -u "$instructor" -- env -i HOME="$home" PATH="$PREFIX/env/bin:/usr/bin:/bin" OPENBLAS_NUM_THREADS=1 \
    bash -c 'cd ~/course && python -m tools.classroom roster students.csv >/dev/null && python -m tools.classroom register >/dev/null'
  echo "users: instructor $instructor (course in $home/course), students: ${students[*]}"
  ;;
delete)
  for u in "$instructor" "${students[@]}"; do
    if id -u "$u" >/dev/null 2>&1; then
      # Left-over processes of this throw-away user (normally none: the hub stops its servers), by pid.
      ps -o pid= -u "$u" | xargs -r kill -KILL 2>/dev/null || true
      userdel --remove "$u" 2>/dev/null || userdel "$u"
    fi
    rm -rf "/home/$u"
  done
  rm -rf "${EXCHANGE:?}/$COURSE_ID"
  echo "users: deleted $instructor ${students[*]}"
  ;;
*) echo "usage: users.sh create|delete ROSTER.csv INSTRUCTOR" >&2; exit 2 ;;
esac
