#!/usr/bin/env bash
# Prepare this checkout on a Debian machine: system packages, a running PostgreSQL + PostGIS with a
# superuser role for the current OS user, the ror_gis database, and .venv with `pip install -e '.[test]'`.
#
# Idempotent and quick when everything is already there (no apt-get, no pip, no sudo).
# Works as root (CI) and as a normal user with sudo.
#
# Usage: scripts/bootstrap.sh [--with-browser] [--no-db] [--no-venv]
#   --with-browser  also install Debian's chromium, chromium-driver, fonts-dejavu-core (browser tests) and
#                   gdal-bin (ogrinfo/ogr2ogr: the OGC API client tests)
#                   (same as ROR_GIS_WITH_BROWSER=1)
#   --no-db         skip everything PostgreSQL (e.g. for `make lint`)
#   --no-venv       skip the Python virtualenv
# Environment:
#   ROR_GIS_DATABASE_URL  if set, used as is: no role/database is created. A local server
#                         (no host, a socket path, localhost, 127.0.0.1, ::1) is still installed and
#                         started; a remote one is left alone.
#   PYTHON                interpreter used to create .venv (default python3, must be >= 3.11)
#   VENV                  virtualenv directory (default .venv)
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
REPO=$(pwd)

WITH_BROWSER=${ROR_GIS_WITH_BROWSER:-0}
WITH_DB=1
WITH_VENV=1
for arg in "$@"; do
  case "$arg" in
    --with-browser) WITH_BROWSER=1 ;;
    --no-db) WITH_DB=0 ;;
    --no-venv) WITH_VENV=0 ;;
    -h|--help) sed -n '2,20p' "$0"; exit 0 ;;
    *) echo "bootstrap: unknown option $arg" >&2; exit 2 ;;
  esac
done
[[ "$WITH_BROWSER" == "true" || "$WITH_BROWSER" == "yes" ]] && WITH_BROWSER=1

PYTHON=${PYTHON:-python3}
VENV=${VENV:-.venv}
START=$(date +%s)
export DEBIAN_FRONTEND=noninteractive

log() { printf '[bootstrap] %s\n' "$*" >&2; }
die() { printf '[bootstrap] ERROR: %s\n' "$*" >&2; exit 1; }

# --- privileges -------------------------------------------------------------------------------------
if [[ $(id -u) -eq 0 ]]; then
  SUDO=()
else
  SUDO=(sudo)
fi
ME=$(id -un)

as_root() {
  if [[ ${#SUDO[@]} -gt 0 ]] && ! command -v sudo >/dev/null 2>&1; then
    die "need root for: $*  (sudo is not installed: run this script as root, or install sudo)"
  fi
  "${SUDO[@]}" "$@"
}

as_postgres() {
  # run from / so that postgres can always chdir there
  if [[ $(id -u) -eq 0 ]]; then
    (cd / && runuser -u postgres -- "$@")
  else
    command -v sudo >/dev/null 2>&1 || die "need sudo to run as the postgres OS user: $*"
    (cd / && sudo -u postgres -- "$@")
  fi
}

# --- apt helpers ------------------------------------------------------------------------------------
APT_UPDATED=0
apt_update_once() {
  if [[ $APT_UPDATED -eq 0 ]]; then
    log "apt-get update"
    as_root apt-get update -qq
    APT_UPDATED=1
  fi
}

pkg_installed() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'install ok installed'; }

apt_has_candidate() {
  local cand
  cand=$(apt-cache policy "$1" 2>/dev/null | awk '/Candidate:/ {print $2}')
  [[ -n "$cand" && "$cand" != "(none)" ]]
}

apt_install() {
  [[ $# -eq 0 ]] && return 0
  apt_update_once
  log "apt-get install $*"
  as_root apt-get install -y -qq --no-install-recommends "$@"
}

# --- is the database local? -------------------------------------------------------------------------
db_url_is_local() {
  # libpq URL or key=value conninfo; local = no host, a socket directory, localhost, 127.0.0.1 or ::1
  local url=$1 host
  host=$("$PYTHON" - "$url" <<'EOF'
import re, sys
from urllib.parse import urlsplit, unquote
url = sys.argv[1]
host = ""
if re.match(r"^postgres(ql)?://", url):
    parts = urlsplit(url)
    netloc = parts.netloc.rsplit("@", 1)[-1]
    host = unquote(netloc.rsplit(":", 1)[0] if not netloc.startswith("[") else netloc[1:].split("]")[0])
    m = re.search(r"(?:^|&)host=([^&]*)", parts.query)
    if m:
        host = unquote(m.group(1))
else:
    m = re.search(r"(?:^|\s)host\s*=\s*'?([^'\s]*)", url)
    host = m.group(1) if m else ""
print(host)
EOF
)
  [[ -z "$host" || "$host" == /* || "$host" == localhost || "$host" == 127.0.0.1 || "$host" == ::1 ]]
}

LOCAL_PG=$WITH_DB
if [[ $WITH_DB -eq 1 && -n "${ROR_GIS_DATABASE_URL:-}" ]]; then
  if db_url_is_local "$ROR_GIS_DATABASE_URL"; then
    log "ROR_GIS_DATABASE_URL is set (local server): using it, no role/database creation"
  else
    log "ROR_GIS_DATABASE_URL is set (remote server): the local PostgreSQL is left alone"
    LOCAL_PG=0
  fi
fi

# --- 1. system packages -----------------------------------------------------------------------------
installed_pg_versions() {
  local d
  for d in /usr/lib/postgresql/*/bin/postgres; do
    [[ -x "$d" ]] && basename "$(dirname "$(dirname "$d")")"
  done | sort -n
}

# The cluster serving the default socket (port 5432) decides the version, else the newest server.
cluster_on_default_port() {
  command -v pg_lsclusters >/dev/null 2>&1 || return 0
  pg_lsclusters --no-header 2>/dev/null | awk '$3 == 5432 {print $1, $2; exit}'
}

PG_VER=""
PG_CLUSTER=""
if [[ $LOCAL_PG -eq 1 ]]; then
  read -r PG_VER PG_CLUSTER < <(cluster_on_default_port; echo) || true
  [[ -z "$PG_VER" ]] && PG_VER=$(installed_pg_versions | tail -n1)
  if [[ -z "$PG_VER" ]]; then
    apt_update_once
    PG_VER=$(apt-cache show --no-all-versions postgresql 2>/dev/null | sed -n 's/^Depends:.*\(postgresql-[0-9][0-9]*\).*/\1/p' \
      | head -n1 | sed 's/postgresql-//')
    [[ -n "$PG_VER" ]] || die "cannot find the postgresql package in apt (check /etc/apt/sources.list)"
    log "PostgreSQL server not installed: will install postgresql ($PG_VER)"
  fi
fi

NEED=()
if [[ $LOCAL_PG -eq 1 ]]; then
  [[ -x /usr/lib/postgresql/$PG_VER/bin/postgres ]] || NEED+=(postgresql "postgresql-$PG_VER")
  pkg_installed postgresql-client || [[ -x /usr/bin/psql ]] || NEED+=(postgresql-client)
  [[ -f /usr/share/postgresql/$PG_VER/extension/pg_trgm.control ]] || NEED+=(postgresql-contrib)
  if [[ ! -f /usr/share/postgresql/$PG_VER/extension/postgis.control ]]; then
    apt_update_once
    if apt_has_candidate "postgresql-$PG_VER-postgis-3"; then
      NEED+=("postgresql-$PG_VER-postgis-3")
    else
      log "no postgresql-$PG_VER-postgis-3 in apt: falling back to the postgis meta-package"
      NEED+=(postgis)
    fi
  fi
fi
if [[ $WITH_BROWSER -eq 1 ]]; then
  for p in chromium chromium-driver fonts-dejavu-core gdal-bin; do
    pkg_installed "$p" || NEED+=("$p")
  done
fi

# python3 -m venv: on Debian it fails without python3-venv (ensurepip is split out).
VENV_OK=1
if [[ $WITH_VENV -eq 1 ]]; then
  command -v "$PYTHON" >/dev/null 2>&1 || { NEED+=(python3 python3-venv); VENV_OK=0; }
  if [[ $VENV_OK -eq 1 && ! -x "$VENV/bin/python" ]]; then
    log "creating $VENV with $PYTHON"
    if ! "$PYTHON" -m venv "$VENV" >/dev/null 2>&1; then
      rm -rf "$VENV"
      NEED+=(python3-venv)
      VENV_OK=0
    fi
  fi
fi

if [[ ${#NEED[@]} -gt 0 ]]; then
  apt_install "${NEED[@]}"
fi

# --- 2. PostgreSQL cluster running ------------------------------------------------------------------
if [[ $LOCAL_PG -eq 1 ]]; then
  [[ -z "$PG_CLUSTER" ]] && read -r PG_VER_C PG_CLUSTER < <(cluster_on_default_port; echo) && PG_VER=${PG_VER_C:-$PG_VER}
  if [[ -z "$PG_CLUSTER" ]]; then
    if pg_lsclusters --no-header 2>/dev/null | awk -v v="$PG_VER" '$1 == v && $2 == "main" {f=1} END {exit !f}'; then
      PG_CLUSTER=main
    else
      log "creating PostgreSQL cluster $PG_VER/main"
      as_root pg_createcluster "$PG_VER" main >/dev/null
      PG_CLUSTER=main
    fi
  fi
  status=$(pg_lsclusters --no-header 2>/dev/null | awk -v v="$PG_VER" -v c="$PG_CLUSTER" '$1 == v && $2 == c {print $4}')
  if [[ "$status" != online* ]]; then
    log "starting PostgreSQL cluster $PG_VER/$PG_CLUSTER"
    if [[ -d /run/systemd/system ]]; then
      as_root systemctl start "postgresql@$PG_VER-$PG_CLUSTER"
    else
      # systemd is not PID 1 (containers, CI sandboxes): bypass the systemctl redirect
      as_root pg_ctlcluster --skip-systemctl-redirect "$PG_VER" "$PG_CLUSTER" start
    fi
  fi
  port=$(pg_lsclusters --no-header 2>/dev/null | awk -v v="$PG_VER" -v c="$PG_CLUSTER" '$1 == v && $2 == c {print $3}')
  for _ in $(seq 1 60); do
    pg_isready -q -h /var/run/postgresql -p "${port:-5432}" && break
    sleep 0.5
  done
  pg_isready -q -h /var/run/postgresql -p "${port:-5432}" || die "PostgreSQL $PG_VER/$PG_CLUSTER does not answer on port ${port:-5432}"
fi

# --- 3. role and database (default URL only) --------------------------------------------------------
if [[ $LOCAL_PG -eq 1 && -z "${ROR_GIS_DATABASE_URL:-}" ]]; then
  is_super=$(psql -X -Atq -d postgres -c "SELECT rolsuper FROM pg_roles WHERE rolname = current_user" 2>/dev/null || true)
  if [[ "$is_super" != "t" && "$ME" != "postgres" ]]; then
    log "creating PostgreSQL superuser role \"$ME\" (peer authentication on the local socket)"
    as_postgres psql -X -q -v ON_ERROR_STOP=1 -v me="$ME" -d postgres <<'SQL'
SELECT format('CREATE ROLE %I LOGIN SUPERUSER', :'me')
 WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = :'me') \gexec
SELECT format('ALTER ROLE %I LOGIN SUPERUSER', :'me')
 WHERE EXISTS (SELECT 1 FROM pg_roles WHERE rolname = :'me' AND NOT (rolsuper AND rolcanlogin)) \gexec
SQL
    is_super=$(psql -X -Atq -d postgres -c "SELECT rolsuper FROM pg_roles WHERE rolname = current_user" 2>/dev/null || true)
    [[ "$is_super" == "t" ]] || die "cannot connect as role \"$ME\" on the local socket (check pg_hba.conf: peer or trust for local)"
  fi
  if [[ -z $(psql -X -Atq -d postgres -c "SELECT 1 FROM pg_database WHERE datname = 'ror_gis'") ]]; then
    log "creating database ror_gis"
    createdb ror_gis
  fi
fi

# --- 4. virtualenv ----------------------------------------------------------------------------------
if [[ $WITH_VENV -eq 1 ]]; then
  if [[ $VENV_OK -eq 0 ]]; then
    log "creating $VENV with $PYTHON"
    "$PYTHON" -m venv "$VENV" || die "$PYTHON -m venv failed even with python3-venv installed"
  fi
  "$VENV/bin/python" -c 'import sys; sys.exit(sys.version_info < (3, 11))' \
    || die "$VENV uses Python $("$VENV/bin/python" -V 2>&1); ror-gis needs >= 3.11 (rm -rf $VENV; PYTHON=python3.11 $0)"
  STAMP="$VENV/.bootstrap-stamp"
  want="$(sha256sum pyproject.toml | cut -d' ' -f1) $("$VENV/bin/python" -V 2>&1) $REPO"
  if [[ ! -f "$STAMP" || "$(cat "$STAMP")" != "$want" || ! -x "$VENV/bin/ror-gis" ]]; then
    log "pip install -e '.[test]' (pyproject.toml changed or first install)"
    export PIP_DISABLE_PIP_VERSION_CHECK=1
    "$VENV/bin/python" -m pip install -q -e '.[test]'
    printf '%s' "$want" > "$STAMP"
  fi
fi

# --- 4b. browser libraries from npm (served by the app itself, no CDN) ------------------------------
# web_map/vendor/package-lock.json pins them (with integrity hashes); `npm ci` installs them into
# web_map/vendor/node_modules, which web_map/assets.py serves under a versioned /static/ URL.
# Without them the coverage map falls back to GeoJSON (no vector tiles).
VENDOR=web_map/vendor
if [[ -f "$VENDOR/package-lock.json" ]]; then
  if ! command -v npm >/dev/null 2>&1; then
    apt_install nodejs npm
  fi
  want_js=$(sha256sum "$VENDOR/package-lock.json" | cut -d' ' -f1)
  if [[ "$(cat "$VENDOR/node_modules/.bootstrap-stamp" 2>/dev/null)" != "$want_js" ]]; then
    log "npm ci in $VENDOR (browser libraries)"
    (cd "$VENDOR" && npm ci --no-audit --no-fund --loglevel=error >/dev/null)
    printf '%s' "$want_js" > "$VENDOR/node_modules/.bootstrap-stamp"
  fi
fi

# --- 5. reference data ------------------------------------------------------------------------------
if [[ -z "${ROR_GIS_DATA_DIR:-}" && ! -f "$REPO/../shared/data/cog/communes.json" ]]; then
  log "note: ../shared/data not found beside the checkout; set ROR_GIS_DATA_DIR (or let ror-gis download)"
fi

log "ready in $(( $(date +%s) - START ))s${PG_VER:+ (PostgreSQL $PG_VER/${PG_CLUSTER:-main})}"
