"""Fail at once, with the commands to start them, when PostgreSQL or Redis cannot be reached."""

import os
import sys
import urllib.parse

import psycopg2
import redis

START = {
    "PostgreSQL": "pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start",
    "Redis": 'redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" --appendonly no '
    "--dir /var/lib/redis --logfile /var/log/redis/ci.log",
}


def main() -> int:
    failures = []
    url = os.environ["DATABASE_URL"]
    parts = urllib.parse.urlparse(url)
    try:
        psycopg2.connect(
            host=parts.hostname,
            port=parts.port or 5432,
            user=parts.username,
            password=parts.password,
            dbname="postgres",
            connect_timeout=3,
        ).close()
    except psycopg2.OperationalError as error:
        failures.append(("PostgreSQL", url, error))
    try:
        redis.Redis.from_url(os.environ["REDIS_URL"], socket_connect_timeout=3).ping()
    except redis.RedisError as error:
        failures.append(("Redis", os.environ["REDIS_URL"], error))
    for name, where, error in failures:
        print(f"{name} cannot be reached at {where}: {error}".strip(), file=sys.stderr)
        print(f"  start it with: {START[name]}", file=sys.stderr)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
