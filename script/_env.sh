# shellcheck shell=bash
# Shared helpers for the script/ commands: where the Python 3.14 environment lives and how to run in it.
#
# Two kinds of environment, chosen once by script/setup and recorded in .venv-kind:
#   local  - a Python >= 3.14.2 was found on PATH: a plain virtual environment in .venv/
#   rootfs - no suitable Python (Debian 12): a Debian sid root file system outside the repository
#            (DELESTAGE_ROOTFS, default /var/cache/delestage/rootfs) with a venv in /opt/venv, entered with
#            unshare + chroot and the repository bind-mounted at the same path.
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
ROOTFS="${DELESTAGE_ROOTFS:-/var/cache/delestage/rootfs}"
KIND_FILE="$REPO/.venv-kind"

log() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }

# Print the path of a Python >= 3.14.2 on PATH, or nothing.
find_python() {
  local candidate
  for candidate in python3.14 python3 python; do
    if command -v "$candidate" >/dev/null 2>&1 &&
      "$candidate" -c 'import sys; raise SystemExit(sys.version_info < (3, 14, 2))' 2>/dev/null; then
      command -v "$candidate"
      return 0
    fi
  done
}

requirements_hash() {
  cat "$REPO/requirements_test.txt" | sha256sum | cut -d' ' -f1
}

env_kind() {
  if [[ -f "$KIND_FILE" ]]; then cat "$KIND_FILE"; fi
}

# DELESTAGE_FAKETIME="@2026-12-08 00:40:00" runs the command at that time (libfaketime: the clock
# starts there and ticks; the monotonic clock stays real, asyncio needs it), e.g. to check the demo
# at night: DELESTAGE_FAKETIME="@2026-12-08 00:40:00" script/develop. Needs libfaketime in the
# environment (the rootfs has it; DELESTAGE_FAKETIME_LIB for a local one).
FAKETIME_LIB="${DELESTAGE_FAKETIME_LIB:-/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1}"
faketime_env() {
  [[ -n "${DELESTAGE_FAKETIME:-}" ]] || return 0
  printf 'LD_PRELOAD=%q FAKETIME=%q FAKETIME_DONT_FAKE_MONOTONIC=1 ' "$FAKETIME_LIB" "$DELESTAGE_FAKETIME"
}

# Run a command (relative to the repository) inside the environment, from the repository folder.
run_in_env() {
  local kind faketime
  kind="$(env_kind)"
  faketime="$(faketime_env)"
  if [[ "$kind" == "local" ]]; then
    (
      cd "$REPO"
      if [[ -n "$faketime" ]]; then
        export LD_PRELOAD="$FAKETIME_LIB" FAKETIME="$DELESTAGE_FAKETIME" FAKETIME_DONT_FAKE_MONOTONIC=1
      fi
      PATH="$REPO/.venv/bin:$PATH" "$@"
    )
  elif [[ "$kind" == "rootfs" ]]; then
    local quoted
    quoted="$(printf '%q ' "$@")"
    unshare --mount --fork bash -c "
      set -e
      mkdir -p '$ROOTFS$REPO'
      mount --bind '$REPO' '$ROOTFS$REPO'
      mount -t proc proc '$ROOTFS/proc' 2>/dev/null || true
      exec chroot '$ROOTFS' env -u PIP_FIND_LINKS PATH=/opt/venv/bin:/usr/local/bin:/usr/bin:/bin \
        HOME=/root LANG=C.UTF-8 TMPDIR=/tmp PIP_CERT=/etc/ssl/certs/ca-certificates.crt $faketime \
        bash -c 'cd \"$REPO\" && exec $quoted'"
  else
    echo "No environment yet: run script/setup" >&2
    return 1
  fi
}
