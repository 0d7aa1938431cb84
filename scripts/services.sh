#!/usr/bin/env bash
# Make sure what the tests talk to is running on loopback: PostgreSQL (127.0.0.1:5432), Redis
# (127.0.0.1:6379) and a Chromium for the sidebar-app tests. Starts what is installed but stopped;
# installs what is missing where apt-get is available (Debian/Ubuntu as root); otherwise fails
# with a message saying what to provide. Tests never skip because a service is missing.
set -euo pipefail

have() { command -v "$1" >/dev/null 2>&1; }
apt_install() {
  if have apt-get && [ "$(id -u)" = 0 ]; then
    echo "   installing $* with apt-get"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q "$@" >/dev/null
  else
    echo "error: $* is needed by the tests; install it (or set REPLYASSIST_TEST_PG_URL / REPLYASSIST_TEST_REDIS_URL" \
         "to servers you run yourself)" >&2
    exit 1
  fi
}
port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
wait_port() {
  for _ in $(seq 1 50); do port_open "$1" && return 0; sleep 0.2; done
  echo "error: nothing answers on 127.0.0.1:$1 after starting $2" >&2
  exit 1
}

if [ -z "${REPLYASSIST_TEST_PG_URL:-}" ] && ! port_open 5432; then
  echo "== starting PostgreSQL"
  have pg_ctlcluster || apt_install postgresql
  pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | sort -V | tail -1)" main start
  wait_port 5432 PostgreSQL
fi

if [ -z "${REPLYASSIST_TEST_REDIS_URL:-}" ] && ! port_open 6379; then
  echo "== starting Redis"
  have redis-server || apt_install redis-server
  mkdir -p /tmp/replyassist-redis
  redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no \
    --dir /tmp/replyassist-redis --logfile /tmp/replyassist-redis/redis.log
  wait_port 6379 Redis
fi
have redis-server || apt_install redis-server   # fault tests start their own instances

if [ -z "${REPLYASSIST_CHROMIUM:-}" ] && ! have chromium; then
  echo "== installing Chromium (sidebar-app tests)"
  apt_install chromium
fi
