#!/usr/bin/env bash
# nbgrader's exchange, laid out so that students can hand in files and nothing else reaches the instructor's tools
# by name or by link. Run as root (deploy/setup.sh and deploy/users.sh call it; tests/test_exchange_files.py too):
#
#   deploy/exchange.sh ROOT                        the exchange root: 1777. nbgrader requires it writable by every
#                                                  user; the sticky bit keeps anyone from renaming or deleting what
#                                                  is not theirs (a student could otherwise move the course's folder
#                                                  away and put their own in its place).
#   deploy/exchange.sh ROOT COURSE_ID INSTRUCTOR   the course's folder, made and owned by the instructor before any
#                                                  student can take the name:
#       ROOT/COURSE_ID            0755  only the instructor writes here
#       ROOT/COURSE_ID/outbound   0755  released assignments (read by students)
#       ROOT/COURSE_ID/inbound    3733  students create their submission folders; nobody else can list them,
#                                       and the sticky bit keeps one student from renaming or deleting another's
#                                       (setgid: nbgrader's rule that submissions get the instructor's group)
#       ROOT/COURSE_ID/feedback   0711  released feedback, found only by its hash
#
# A student still owns their own submission folder until it is collected and can put anything in it (links,
# FIFOs, huge files): the course's collect and autograde take regular files only (ffgrader/submissions.py).
# With the kernel setting fs.protected_symlinks=1 (most distributions' default), a link planted directly in
# inbound/ (sticky and world-writable) is not even followed by the instructor; this script says so if it is off.
set -euo pipefail
root=${1:?usage: exchange.sh ROOT [COURSE_ID INSTRUCTOR]}
course_id=${2:-}
instructor=${3:-}
[ "$(id -u)" = 0 ] || { echo "deploy/exchange.sh must run as root" >&2; exit 1; }

if [ -L "$root" ]; then echo "exchange: $root is a symbolic link; refusing" >&2; exit 1; fi
mkdir -p "$root"
chown root:root "$root"
chmod 1777 "$root"

if [ -n "$course_id" ]; then
  [ -n "$instructor" ] || { echo "usage: exchange.sh ROOT COURSE_ID INSTRUCTOR" >&2; exit 2; }
  group=$(id -gn "$instructor")
  course=$root/$course_id
  for d in "$course" "$course/outbound" "$course/inbound" "$course/feedback"; do
    if [ -L "$d" ] || { [ -e "$d" ] && [ ! -d "$d" ]; }; then
      echo "exchange: $d is not a folder (a link or a file): remove it and run this again" >&2; exit 1
    fi
    if [ -d "$d" ] && [ "$(stat -c %U "$d")" != "$instructor" ]; then
      echo "exchange: $d exists and belongs to $(stat -c %U "$d"), not to $instructor: remove it (and look at" \
           "who made it) and run this again" >&2; exit 1
    fi
  done
  install -d -o "$instructor" -g "$group" -m 0755 "$course" "$course/outbound"
  install -d -o "$instructor" -g "$group" -m 3733 "$course/inbound"
  install -d -o "$instructor" -g "$group" -m 0711 "$course/feedback"
fi

if [ "$(cat /proc/sys/fs/protected_symlinks 2>/dev/null || echo 1)" != 1 ]; then
  echo "exchange: note: fs.protected_symlinks is 0 on this machine; 'sysctl -w fs.protected_symlinks=1' (and the" \
       "same in /etc/sysctl.d/) makes the kernel refuse links planted in inbound/ as well" >&2
fi
