#!/usr/bin/python3
"""A deliberately vulnerable web service for the aisec-rt demo and tests.

The kind of code an assistant writes when asked for "a small user directory
with a host lookup, a file viewer and a URL preview". Flask and psycopg2 from
Debian's packages. NEVER expose it: it runs shell commands, reads files and
fetches URLs named by the request, and pastes requests into SQL.

Safe endpoints:      /health, /users/<id> (bind parameters), /files (fixed list)
Vulnerable ones:     /user?name=     SQL injection (CWE-89)
                     /lookup?host=   command injection (CWE-78)
                     /file?name=     path traversal (CWE-22)
                     /fetch?url=     server-side request forgery (CWE-918)
Configuration: AISEC_DEMO_DSN (libpq conninfo), AISEC_DEMO_PORT (default 8080).
"""
import os
import urllib.request

import psycopg2
from flask import Flask, request

BASE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "files")
app = Flask(__name__)
db = psycopg2.connect(os.environ["AISEC_DEMO_DSN"])
db.autocommit = True
with db.cursor() as cur:
    cur.execute("CREATE TABLE IF NOT EXISTS users (id int PRIMARY KEY, name text, token text)")
    cur.execute("INSERT INTO users VALUES (1, 'alice', 'alice-token'), (2, 'bob', 'bob-token') "
                "ON CONFLICT DO NOTHING")


@app.get("/health")
def health():
    return "ok\n"


@app.get("/users/<int:uid>")
def user_by_id(uid):
    with db.cursor() as cur:
        cur.execute("SELECT id, name FROM users WHERE id = %s", (uid,))
        row = cur.fetchone()
    return ("%s %s\n" % row) if row else ("no such user\n", 404)


@app.get("/user")
def user_by_name():
    name = request.args.get("name", "")
    with db.cursor() as cur:
        try:
            cur.execute("SELECT id, name FROM users WHERE name = '" + name + "'")
            rows = cur.fetchall()
        except psycopg2.Error as e:
            return "database error: %s\n" % str(e).splitlines()[0], 500
    return "".join("%s %s\n" % r for r in rows) or "no such user\n"


@app.get("/lookup")
def lookup():
    host = request.args.get("host", "")
    out = os.popen("getent hosts " + host).read()
    return out or "not found\n"


@app.get("/files")
def files():
    return "".join(n + "\n" for n in sorted(os.listdir(BASE)))


@app.get("/file")
def read_file():
    name = request.args.get("name", "")
    try:
        with open(os.path.join(BASE, name)) as f:
            return f.read()
    except OSError as e:
        return str(e) + "\n", 404


@app.get("/fetch")
def fetch():
    url = request.args.get("url", "")
    try:
        with urllib.request.urlopen(url, timeout=3) as r:
            return r.read(2000)
    except Exception as e:
        return "fetch failed: %s\n" % e, 502


if __name__ == "__main__":
    app.run(host="127.0.0.1", port=int(os.environ.get("AISEC_DEMO_PORT", "8080")))
