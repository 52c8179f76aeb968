# Sourced by scripts/*.sh: Debian packages installed one at a time, only when missing, so one
# package that cannot be installed does not take the others down with it.

APT_UPDATED=false

# apt_install <package>: installs it quietly; when that fails, refreshes the package lists once
# (per script run) and tries again. Fails when apt-get is missing or refuses (not root).
apt_install() {
  local package=$1
  command -v apt-get >/dev/null || return 1
  apt-get install -y -q --no-install-recommends "$package" >/dev/null 2>&1 && return 0
  [[ $APT_UPDATED == true ]] && return 1
  APT_UPDATED=true
  apt-get update -q >/dev/null 2>&1 || return 1
  apt-get install -y -q --no-install-recommends "$package" >/dev/null 2>&1
}

# has_command <command>: on PATH, or in /usr/sbin (not on a non-root PATH).
has_command() {
  command -v "$1" >/dev/null || [[ -x "/usr/sbin/$1" ]]
}

# require_command <command> <package> <what needs it>: succeeds when the command is there or
# could be installed from the Debian package; otherwise says what is missing and what to do.
require_command() {
  local command=$1 package=$2 purpose=$3
  has_command "$command" && return 0
  echo "installing $package (for $command)" >&2
  apt_install "$package" && has_command "$command" && return 0
  echo "ERROR: '$command' is missing and the Debian package '$package' could not be installed;" \
    "$purpose needs it. Install it (apt-get install $package) and run again." >&2
  return 1
}

# Where the local Kafka and S3Proxy keep their jars and state: outside the checkout, so a
# server started from one clone keeps working when that clone is deleted, and the next clone
# finds it (and the jars) again instead of reusing a server whose folders are gone.
READUR_CACHE=${READUR_CACHE:-${XDG_CACHE_HOME:-${HOME:-/tmp}/.cache}/readur}
