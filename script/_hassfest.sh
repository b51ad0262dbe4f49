# shellcheck shell=bash
# Where script/lint finds hassfest, Home Assistant's validator, as an offline copy, and what it does
# without one. Needs REPO (the repository's folder).
#
# The copy is looked up in DELESTAGE_HASSFEST, then in ../shared/tools/hassfest beside the repository
# (from a git worktree, beside the main checkout too): a contributor's clone has neither, so:
#   - outside CI (CI unset, empty, "false" or "0"): hassfest is skipped, said in one line;
#   - on GitHub Actions: validate.yml runs the real validator;
#   - on any other CI: a missing copy is an error (the check must not vanish silently).

# Print the folder of the offline copy; without one, say so (stderr) and print nothing, failing on CI.
hassfest_folder() {
  local candidate common
  common="$(git -C "$REPO" rev-parse --path-format=absolute --git-common-dir 2>/dev/null || true)"
  for candidate in "${DELESTAGE_HASSFEST:-}" "$REPO/../shared/tools/hassfest" \
    ${common:+"$(dirname "$common")/../shared/tools/hassfest"}; do
    if [[ -n "$candidate" && -f "$candidate/hassfest.py" ]]; then
      (cd "$candidate" && pwd)
      return 0
    fi
  done
  if [[ "${GITHUB_ACTIONS:-}" == "true" ]]; then
    echo "hassfest: no offline copy on this runner; validate.yml runs the real one" >&2
  elif [[ -n "${CI:-}" && "${CI}" != "false" && "${CI}" != "0" ]]; then
    echo "hassfest: no offline copy found, and CI requires it: set DELESTAGE_HASSFEST to the folder holding hassfest.py" >&2
    return 1
  else
    echo "hassfest skipped (no offline copy found): to run it, DELESTAGE_HASSFEST=<folder holding hassfest.py> script/lint" >&2
  fi
}
