#!/usr/bin/python3
"""A deliberately vulnerable web service for the aisec-rt demo.

The kind of code an assistant writes when asked for "a quick host lookup and
file viewer endpoint". Python standard library only. NEVER expose it: it runs
shell commands and reads files named by the request.

  GET /health              safe
  GET /lookup?host=NAME    command injection (CWE-78): NAME goes into a shell
  GET /file?name=NAME      path traversal (CWE-22): NAME is joined to files/
  GET /user?name=NAME      SQL injection (CWE-89): NAME is pasted into SQL
                           (needs PostgreSQL: AISEC_DEMO_DSN, a libpq conninfo)
"""
import http.server
import os
import sys
import urllib.parse

BASE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "files")
DB = None


def connect_db():
    """Open the one database connection (before any request, like a pool)."""
    global DB
    dsn = os.environ.get("AISEC_DEMO_DSN")
    if not dsn:
        return
    import psycopg2
    DB = psycopg2.connect(dsn)
    DB.autocommit = True
    with DB.cursor() as cur:
        cur.execute("CREATE TABLE IF NOT EXISTS users (id int PRIMARY KEY, name text, secret text)")
        cur.execute("INSERT INTO users VALUES (1, 'alice', 'alice-token'), (2, 'bob', 'bob-token') "
                    "ON CONFLICT DO NOTHING")


class Handler(http.server.BaseHTTPRequestHandler):
    def reply(self, code, body):
        data = body.encode()
        self.send_response(code)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        url = urllib.parse.urlparse(self.path)
        q = urllib.parse.parse_qs(url.query)
        if url.path == "/health":
            return self.reply(200, "ok\n")
        if url.path == "/lookup":
            host = q.get("host", [""])[0]
            # Vulnerable: the request reaches a shell unquoted.
            out = os.popen("getent hosts " + host).read()
            return self.reply(200, out or "not found\n")
        if url.path == "/file":
            name = q.get("name", [""])[0]
            # Vulnerable: no check that the path stays inside BASE.
            try:
                with open(os.path.join(BASE, name)) as f:
                    return self.reply(200, f.read())
            except OSError as e:
                return self.reply(404, str(e) + "\n")
        if url.path == "/user":
            if DB is None:
                return self.reply(503, "no database configured\n")
            name = q.get("name", [""])[0]
            try:
                with DB.cursor() as cur:
                    # Vulnerable: the request is pasted into the SQL text.
                    cur.execute("SELECT id, name FROM users WHERE name = '" + name + "'")
                    rows = cur.fetchall()
                return self.reply(200, "".join("%s %s\n" % r for r in rows) or "no such user\n")
            except Exception as e:
                return self.reply(500, "database error: %s\n" % str(e).splitlines()[0])
        return self.reply(404, "no such endpoint\n")

    def log_message(self, fmt, *args):
        pass


if __name__ == "__main__":
    port = int(sys.argv[1]) if len(sys.argv) > 1 else 8080
    connect_db()
    http.server.HTTPServer(("127.0.0.1", port), Handler).serve_forever()
