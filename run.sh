#!/usr/bin/env bash
# One entry point for a fresh machine: sets up .venv (once), then runs a task.
#   ./run.sh grade submissions/   set up, then grade the bundled uploads into graded/
#   ./run.sh test [pytest args]   set up, then ruff, mypy and the whole test suite
#   ./run.sh lint                 set up, then ruff and mypy only (what pre-commit runs)
#   ./run.sh <cmd> ...            set up, then run any command inside the venv
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
venv="$here/.venv"
py="${PYTHON:-python3}"

setup() {
    # bubblewrap gives each notebook kernel its own OS sandbox; without it the grader
    # still runs (rlimits and process-group kill) but warns loudly in every report.
    if ! command -v bwrap >/dev/null 2>&1; then
        if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
            echo "run.sh: installing bubblewrap (Debian package) ..." >&2
            (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq bubblewrap) >&2 \
                || echo "run.sh: could not install bubblewrap; kernels will run without an OS sandbox" >&2
        else
            echo "run.sh: bubblewrap (bwrap) not found; install it for the OS sandbox (apt-get install bubblewrap)" >&2
        fi
    fi
    # Chromium and its driver let the browser tests render the pages (without them they skip).
    if ! command -v chromedriver >/dev/null 2>&1 && [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
        echo "run.sh: installing chromium and chromium-driver (Debian packages) for the browser tests ..." >&2
        (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver) >/dev/null 2>&1 \
            || echo "run.sh: could not install chromium; the browser tests will skip" >&2
    fi
    stamp="$venv/.installed"
    if [ ! -f "$stamp" ] || [ "$here/pyproject.toml" -nt "$stamp" ] || [ "$here/run.sh" -nt "$stamp" ]; then
        echo "run.sh: setting up $venv ..." >&2
        [ -x "$venv/bin/python" ] || "$py" -m venv "$venv"
        # Install the CPU build of torch first, pinned, so nothing pulls the CUDA build.
        "$venv/bin/python" -m pip install -qq "torch==2.13.0" >&2
        "$venv/bin/python" -m pip install -qq -e "$here[test,dask,lint]" >&2
        touch "$stamp"
    fi
}

task="${1:-}"
[ -n "$task" ] || { sed -n '2,7p' "$0"; exit 2; }
shift
setup
export PATH="$venv/bin:$PATH"
case "$task" in
    # ruff and mypy read their settings (and mypy its files) from pyproject.toml.
    lint)  cd "$here" && "$venv/bin/ruff" check . && exec "$venv/bin/mypy" ;;
    test)  cd "$here" && "$venv/bin/ruff" check . && "$venv/bin/mypy" \
               && exec "$venv/bin/python" -m pytest "$@" ;;
    grade) exec "$venv/bin/grade" "$@" ;;
    *)     exec "$task" "$@" ;;
esac
