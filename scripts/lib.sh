# Shared by scripts/dev and scripts/test (sourced, not run): the virtualenv, its packages,
# the translations and Debian packages.
# shellcheck shell=bash

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="$ROOT/.venv"
cd "$ROOT" || exit 1

say() { printf '==> %s\n' "$*"; }
warn() { printf '!!! %s\n' "$*" >&2; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

# True when this Python is 3.11 or newer.
python_ok() { "$1" -c 'import sys; sys.exit(sys.version_info < (3, 11))' >/dev/null 2>&1; }

find_python() {
    local candidate
    for candidate in python3.11 python3.12 python3.13 python3.14 python3; do
        if command -v "$candidate" >/dev/null 2>&1 && python_ok "$candidate"; then
            command -v "$candidate"
            return 0
        fi
    done
    return 1
}

# Root, or passwordless sudo, and apt-get: then missing Debian packages can be installed.
SUDO=()
can_install_debian_packages() {
    command -v apt-get >/dev/null 2>&1 || return 1
    if [[ $EUID -eq 0 ]]; then
        SUDO=()
    elif command -v sudo >/dev/null 2>&1 && sudo -n true >/dev/null 2>&1; then
        SUDO=(sudo -n)
    else
        return 1
    fi
}

APT_UPDATED=0
# apt_install PACKAGE...: quiet when it works, apt's own words when it does not.
apt_install() {
    local log status=0
    log="$(mktemp)"
    if [[ $APT_UPDATED -eq 0 ]]; then
        say "apt-get update"
        "${SUDO[@]}" apt-get update >"$log" 2>&1 || status=$?
        ((status)) || APT_UPDATED=1
    fi
    if ((status == 0)); then
        say "apt-get install $*"
        "${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive \
            apt-get install -y --no-install-recommends "$@" >"$log" 2>&1 || status=$?
    fi
    ((status == 0)) || tail -n 15 "$log" >&2
    rm -f "$log"
    return "$status"
}

# Creates .venv with Python 3.11+ unless a usable one is there, and puts it first on PATH.
ensure_venv() {
    if [[ -x $VENV/bin/python ]] && python_ok "$VENV/bin/python"; then
        activate_venv
        return 0
    fi
    local python version
    python="$(find_python)" || die "Python 3.11 or newer is needed (python3.11 or python3 on PATH).
       On Debian 12 / Ubuntu 22.04+: apt-get install python3 python3-venv"
    version="$("$python" -c 'import sys; print("%d.%d" % sys.version_info[:2])')"
    if [[ -e $VENV ]]; then
        say "replacing .venv (not a working Python 3.11+ environment)"
        rm -rf "$VENV"
    fi
    say "creating .venv with $python (Python $version)"
    if ! "$python" -m venv "$VENV" >/dev/null 2>&1; then
        rm -rf "$VENV"
        # Debian and Ubuntu ship venv's pip bootstrap in a separate package.
        if can_install_debian_packages && apt_install "python$version-venv" \
                && "$python" -m venv "$VENV"; then
            :
        else
            rm -rf "$VENV"
            die "could not create .venv: install the venv module (apt-get install python$version-venv) and retry"
        fi
    fi
    activate_venv
}

activate_venv() {
    export VIRTUAL_ENV="$VENV"
    export PATH="$VENV/bin:$PATH"
    unset PYTHONHOME
}

# install_requirements FILE [OTHER FILES IT INCLUDES...]: pip install -r FILE, skipped when
# neither the files nor the interpreter changed since the last successful install.
install_requirements() {
    local file="$1" stamp digest
    stamp="$VENV/.maillage-${file%.txt}.sha256"
    digest="$({ "$VENV/bin/python" -VV; cat "$@"; } | sha256sum | cut -d' ' -f1)"
    if [[ -f $stamp && "$(cat "$stamp")" == "$digest" ]]; then
        say "Python packages up to date ($file)"
        return 0
    fi
    say "installing Python packages from $file (a few minutes the first time)"
    "$VENV/bin/python" -m pip install --disable-pip-version-check --quiet -r "$file"
    printf '%s\n' "$digest" >"$stamp"
}

compile_translations() {
    [[ -d $ROOT/translations ]] || return 0
    compgen -G "$ROOT/translations/*/LC_MESSAGES/*.po" >/dev/null || return 0
    say "compiling translations"
    "$VENV/bin/pybabel" --quiet compile --use-fuzzy --directory "$ROOT/translations"
}
