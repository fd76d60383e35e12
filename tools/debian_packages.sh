#!/usr/bin/env bash
# Debian packages a make target found missing (the target tests for them itself, each its own way):
#   bash tools/debian_packages.sh WHY AS_ROOT PACKAGE...
# As root they are installed quietly. Otherwise nothing is installed: the message says why (WHY, e.g. "Autograding
# needs bubblewrap") and the one command an administrator has to run, followed by "(or AS_ROOT as root)" unless
# AS_ROOT is empty (e.g. "make test": the goal that installs them when run as root); then it fails.
set -euo pipefail
why=$1 as_root=$2
shift 2
if [ "$(id -u)" = 0 ]; then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
else
  echo "$why: run 'sudo apt-get install -y $*'${as_root:+ (or $as_root as root)}." >&2
  exit 1
fi
