# Sourced by the benchmarks and soak tests (not run): a free port on loopback, and a
# throwaway PostgreSQL cluster from Debian's postgresql package (initdb in a folder, pg_ctl
# on a free port), run as the postgres user when the script runs as root.

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

pg_bin() { ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1; }

as_postgres() { if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }

# pg_start DIR SUPERUSER: a cluster in DIR/data (its socket and log in DIR), local connections
# trusted; sets pg_port. DIR's parent must be reachable by the postgres user.
pg_start() {
  mkdir -p "$1"
  [ "$(id -u)" -eq 0 ] && chown postgres:postgres "$1"
  pg_port=$(free_port)
  as_postgres "$(pg_bin)/initdb" -D "$1/data" -U "$2" --auth=trust -E UTF8 >/dev/null
  as_postgres "$(pg_bin)/pg_ctl" -D "$1/data" -l "$1/log" -w \
    -o "-p $pg_port -k $1 -c listen_addresses=127.0.0.1" start >/dev/null
}

# pg_stop DIR [MODE]: stops the cluster in DIR if there is one (immediate unless MODE says).
pg_stop() {
  [ -d "$1/data" ] || return 0
  as_postgres "$(pg_bin)/pg_ctl" -D "$1/data" -m "${2:-immediate}" -w stop >/dev/null 2>&1 || true
}
