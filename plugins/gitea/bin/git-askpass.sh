#!/bin/sh
# driftcore's git askpass helper. git asks it for the user name and the password of the Gitea
# remote; the answers come from the environment driftcore's launcher gave this git process
# (the token resolved from its secret:// reference), so the token is never in argv, a remote
# URL, a credential store, a file or a log.
case "$1" in
  Username*) printf '%s\n' "${DRIFTCORE_GITEA_USERNAME:-driftcore}" ;;
  *) printf '%s\n' "${DRIFTCORE_GITEA_TOKEN:?}" ;;
esac
