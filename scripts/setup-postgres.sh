#!/usr/bin/env bash
# Prepares the local Debian PostgreSQL server for Semantik's tests: starts it, and builds
# pgvector from Debian's own source package when the server does not have it yet.
# Idempotent: a machine that already has both does nothing but check.
set -euo pipefail

PG_MAJOR="${PG_MAJOR:-$(ls /etc/postgresql 2>/dev/null | sort -n | tail -n 1)}"
if [ -z "${PG_MAJOR}" ]; then
  echo "setup-postgres: no Debian PostgreSQL cluster found under /etc/postgresql." >&2
  echo "  Install one with: apt-get install postgresql" >&2
  exit 1
fi

SUDO=""
if [ "$(id -u)" != "0" ]; then SUDO="sudo"; fi

if ! pg_isready -h 127.0.0.1 -p 5432 -q; then
  echo "setup-postgres: starting PostgreSQL ${PG_MAJOR}"
  $SUDO pg_ctlcluster --skip-systemctl-redirect "${PG_MAJOR}" main start
  for _ in $(seq 1 30); do pg_isready -h 127.0.0.1 -p 5432 -q && break; sleep 1; done
fi

has_vector() {
  [ -f "/usr/share/postgresql/${PG_MAJOR}/extension/vector.control" ]
}

if ! has_vector; then
  echo "setup-postgres: building pgvector for PostgreSQL ${PG_MAJOR} from Debian's source package"
  export DEBIAN_FRONTEND=noninteractive
  # pgvector is not packaged for bookworm's PostgreSQL 15; trixie's source package builds against it.
  mirror=$(grep -hoE 'https?://[^ ]+/debian/?$' /etc/apt/sources.list.d/*.sources /etc/apt/sources.list 2>/dev/null | head -n 1 || true)
  mirror="${mirror:-http://deb.debian.org/debian}"
  list=/etc/apt/sources.list.d/semantik-trixie-src.list
  if [ ! -f "$list" ]; then
    echo "deb-src ${mirror%/} trixie main" | $SUDO tee "$list" >/dev/null
  fi
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq "postgresql-server-dev-${PG_MAJOR}" build-essential dpkg-dev >/dev/null
  work=$(mktemp -d)
  (
    cd "$work"
    apt-get source --download-only pgvector >/dev/null
    tar xf pgvector_*.orig.tar.*
    cd "$(find . -maxdepth 1 -type d -name 'pgvector-*' | head -n 1)"
    make -s PG_CONFIG="/usr/lib/postgresql/${PG_MAJOR}/bin/pg_config" OPTFLAGS=""
    $SUDO make -s install PG_CONFIG="/usr/lib/postgresql/${PG_MAJOR}/bin/pg_config"
  )
  rm -rf "$work"
fi

has_vector || { echo "setup-postgres: pgvector install failed" >&2; exit 1; }
psql -h 127.0.0.1 -U postgres -d postgres -qtAc "SELECT 1" >/dev/null
echo "setup-postgres: PostgreSQL ${PG_MAJOR} is up with pgvector available"
