#!/usr/bin/env bash
# Throw-away local users for a demo (or test) class on this machine. Run as root.
#   deploy/users.sh create ROSTER.csv INSTRUCTOR   # Unix users for every roster id + the instructor, each with
#                                                  # a password of their own (generated, listed in
#                                                  # $FFNN_HUB_STATE/passwords.csv, readable by root only: hand
#                                                  # each person theirs); the instructor gets ~/course (a copy of
#                                                  # this course), with the roster and every assignment in its
#                                                  # gradebook, and the course's folder in the exchange
#   deploy/users.sh delete ROSTER.csv INSTRUCTOR   # removes them, their homes, the course's exchange folder and
#                                                  # the hub's state ($FFNN_HUB_STATE: database, secrets, passwords)
# Roster ids are the login names (see the instructor guide). The hub logs them in with PAM (their Unix
# passwords). Idempotent: existing users are kept, and so are their passwords (only users made here get one).
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
  mkdir -p "$STATE" && chmod 700 "$STATE"
  passwords=$STATE/passwords.csv
  (umask 077; [ -s "$passwords" ] || echo "login,password" > "$passwords")
  for u in "$instructor" "${students[@]}"; do
    if ! id -u "$u" >/dev/null 2>&1; then
      useradd --create-home --shell /bin/bash --user-group "$u"
      # 16 random characters each (letters and digits: easy to read out and type), set as the Unix password.
      pw=$(head -c 512 /dev/urandom | tr -dc 'A-Za-z0-9' | cut -c1-16)
      echo "$u:$pw" | chpasswd
      # A stale line for this login (a user deleted by hand) is replaced.
      (umask 077; awk -F, -v u="$u" '$1 != u' "$passwords" > "$passwords.new" && mv "$passwords.new" "$passwords")
      echo "$u,$pw" >> "$passwords"
    fi
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
  echo "users: instructor $instructor (course in $home/course), students: ${students[*]}; passwords: $passwords"
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
  # The hub's database, cookie secret and the passwords of the users just deleted.
  rm -rf "${STATE:?}"
  echo "users: deleted $instructor ${students[*]} and $STATE"
  ;;
*) echo "usage: users.sh create|delete ROSTER.csv INSTRUCTOR" >&2; exit 2 ;;
esac
