# The class deployment's settings, in one place (sourced by setup.sh, users.sh and hub.sh). Each can be
# overridden from the environment; deploy/jupyterhub_config.py reads the same variables with the same defaults.
COURSE=$(dirname "$HERE")
PREFIX=${FFNN_PREFIX:-/opt/ffnn}                      # shared env (env/), proxy (chp/), per-role config (etc/)
EXCHANGE=${FFNN_EXCHANGE:-/srv/nbgrader/exchange}     # nbgrader's exchange
COURSE_ID=${FFNN_COURSE_ID:-ffnn}                     # nbgrader's course id (the same in nbgrader_config.py)
STATE=${FFNN_HUB_STATE:-/var/lib/ffnn-hub}             # the hub's database, cookie secret, the users' passwords
