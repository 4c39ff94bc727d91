#!/usr/bin/python3
"""One-off maintenance script (never imported by the service).

Its SQL injection finding is real in the code, but the service never loads
this file: aisec-rt leaves it "unobserved", which is the point.
"""
import sys

import psycopg2


def rename(conn, old, new):
    conn.cursor().execute("UPDATE users SET name = '" + new + "' WHERE name = '" + old + "'")


if __name__ == "__main__":
    rename(psycopg2.connect(sys.argv[1]), sys.argv[2], sys.argv[3])
