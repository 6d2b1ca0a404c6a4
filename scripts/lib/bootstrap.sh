# Shared set-up for scripts/demo.sh and scripts/test.sh (sourced, not run).
# Installs what is missing: system packages (as root with apt), a virtualenv
# in .venv (or $HOMECARE_VENV), and this project into it with the given extras.
set -euo pipefail

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
VENV="${HOMECARE_VENV:-$REPO_ROOT/.venv}"

say() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

find_python() {
    local candidate
    for candidate in "${HOMECARE_PYTHON:-}" python3.13 python3.12 python3.11 python3; do
        [ -n "$candidate" ] || continue
        command -v "$candidate" >/dev/null 2>&1 || continue
        if "$candidate" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
            echo "$candidate"
            return 0
        fi
    done
    die "Python 3.11 or newer is needed (on Debian/Ubuntu: sudo apt-get install python3 python3-venv)"
}

# System packages named in scripts/system-packages.txt for the given group (demo or test).
missing_system_packages() {
    local group="$1" line name groups
    while IFS= read -r line; do
        line="${line%%#*}"
        read -r name groups <<<"$line" || true
        [ -n "${name:-}" ] || continue
        case ",${groups}," in *",$group,"*) ;; *) continue ;; esac
        dpkg-query -W -f='${Status}' "$name" 2>/dev/null | grep -q "install ok installed" || echo "$name"
    done <"$REPO_ROOT/scripts/system-packages.txt"
}

ensure_system_packages() {
    local group="$1" missing
    command -v dpkg-query >/dev/null 2>&1 || {
        say "not a Debian/Ubuntu system: install the packages in scripts/system-packages.txt by hand"
        return 0
    }
    missing="$(missing_system_packages "$group" | tr '\n' ' ')"
    [ -n "${missing// /}" ] || return 0
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
        say "installing system packages: $missing"
        DEBIAN_FRONTEND=noninteractive apt-get update -qq
        # shellcheck disable=SC2086
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $missing >/dev/null
    else
        die "missing system packages; run: sudo apt-get install -y $missing"
    fi
}

ensure_venv() {
    local extras="$1" python stamp want
    python="$(find_python)"
    if [ ! -x "$VENV/bin/python" ]; then
        say "creating virtualenv $VENV"
        "$python" -m venv "$VENV" 2>/dev/null || {
            if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
                DEBIAN_FRONTEND=noninteractive apt-get update -qq
                DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-venv >/dev/null
                rm -rf "$VENV"
                "$python" -m venv "$VENV"
            else
                die "cannot create a virtualenv; run: sudo apt-get install -y python3-venv"
            fi
        }
        "$VENV/bin/python" -m pip install -q --upgrade pip
    fi
    # Reinstall only when the dependencies or extras changed since the last install.
    stamp="$VENV/.homecare-installed"
    want="$extras $(sha256sum "$REPO_ROOT/pyproject.toml" | cut -d' ' -f1)"
    if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
        say "installing homecare[$extras] into $VENV"
        "$VENV/bin/python" -m pip install -q -e "$REPO_ROOT[$extras]"
        echo "$want" >"$stamp"
    fi
}
