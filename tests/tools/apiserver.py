#!/usr/bin/env python3
"""apiserver.py - a small HTTP API for the tests of etl-fetch-api.

    apiserver.py --port-file FILE --log FILE [--lifetime SECONDS] [--items N]
                 [--tls CERT KEY] [--data FILE [--faults FILE]]

Listens on 127.0.0.1 at a port the system chooses, writes that port to
--port-file once it accepts connections, appends one JSON line per request
to --log ({"t", "method", "path", "headers", "body"}), and exits after
--lifetime seconds (default 300) whatever happens, so a test that dies
cannot leave it running.  Python's standard library only.

The data set is --items records (default 25) {"id":N,...} whose numbers are written in
forms a re-serializer would change (19.990, 1e2, 12345678901234567890).
Each pagination style has its route; /flaky/KEY fails on a schedule; the
/auth routes demand their scheme; /oauth/token hands out tokens that
expire or are revoked.  See route() for the list.

With --data FILE, /v1/events serves the records of that NDJSON file (read
again at each request) as the API of examples/incremental does: OAuth2
tokens of /oauth/token, those with updated_at at or after ?since=, ordered
by updated_at and id, ?per_page= (default 3) a page with a Link to the next,
and at most 5 requests a second (429 with Retry-After: 1 beyond).  With
--faults FILE, while FILE exists, its first word says what /v1/events does
instead: a status (503) to answer, or sleep:SECONDS before answering.  With --tls, it speaks
HTTPS with the certificate and key of those PEM files.
"""

import argparse
import base64
import email.utils
import gzip
import json
import os
import socket
import ssl
import sys
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

ITEMS = 25
lock = threading.Lock()
counters = {}  # /flaky keys -> requests seen
tokens = {}  # token -> [expiry (monotonic), uses left]
ntokens = 0
recent = []  # the times of the latest /v1/events requests
args = None


def item(i):
    return ('{"id":%d,"name":"item %d","price":19.990,"qty":1e2,'
            '"big":12345678901234567890,"tags":["a", "b"]}' % (i, i))


cache = {}


def items(lo, hi):
    """The records lo..hi-1 (1-based ids) as JSON array text, made once
    (the benchmark's pages should cost the server little)."""
    key = (lo, min(hi, ITEMS + 1))
    text = cache.get(key)
    if text is None:
        text = "[" + ",".join(item(i) for i in range(*key)) + "]"
        if len(cache) < 10000:
            cache[key] = text
    return text


def csv_rows(lo, hi, d=",", bad=0):
    """CSV text: a header, then the records lo..hi-1 (1-based ids): qty is
    empty for every 5th, note holds the delimiter (quoted) for even ids;
    the record with id bad (if any) lacks its last field."""
    lines = [d.join(["id", "name", "price", "qty", "note"])]
    for i in range(lo, min(hi, ITEMS + 1)):
        f = [str(i), "item %d" % i, "19.990", "" if i % 5 == 0 else str(i),
             '"x%sy"' % d if i % 2 == 0 else "z"]
        lines.append(d.join(f[:-1] if i == bad else f))
    return "\r\n".join(lines) + "\r\n"


def qint(q, name, default):
    try:
        return int(q.get(name, [default])[0])
    except ValueError:
        return default


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # headers and body go in two writes: without this, Nagle's algorithm and
    # the client's delayed ACK add 40 ms to every response
    disable_nagle_algorithm = True

    def log_message(self, fmt, *a):
        pass

    def send(self, status, body, ctype="application/json", headers=()):
        data = body.encode() if isinstance(body, str) else body
        if "gzip" in self.headers.get("Accept-Encoding", "") and self.path.startswith("/gzip"):
            data = gzip.compress(data)
            headers = list(headers) + [("Content-Encoding", "gzip")]
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(data)))
        for k, v in headers:
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(data)

    def log_request_line(self, body):
        if args.no_log:
            return
        rec = {"t": time.time(), "method": self.command, "path": self.path,
               "headers": {k.lower(): v for k, v in self.headers.items()},
               "body": body.decode("utf-8", "replace")}
        with lock, open(args.log, "a") as f:
            f.write(json.dumps(rec) + "\n")

    def do_GET(self):
        self.handle_any(b"")

    def do_POST(self):
        n = int(self.headers.get("Content-Length", "0"))
        self.handle_any(self.rfile.read(n))

    def do_PUT(self):
        self.do_POST()

    def handle_any(self, body):
        self.log_request_line(body)
        u = urllib.parse.urlsplit(self.path)
        q = urllib.parse.parse_qs(u.query, keep_blank_values=True)
        try:
            self.route(u.path, q, body)
        except (BrokenPipeError, ConnectionResetError):
            pass

    def unauthorized(self):
        self.send(401, '{"error":"unauthorized"}')

    def route(self, path, q, body):
        global ntokens
        parts = path.strip("/").split("/")
        head = parts[0]
        if head in ("items", "gzip"):
            # everything at once, or ?n= records
            self.send(200, items(1, qint(q, "n", ITEMS) + 1))
        elif head == "wrapped":
            # {"data":{"items":[...]},"request_id":...}
            self.send(200, '{"request_id":"req-7","data":{"items":%s},"page":{"n":1}}'
                      % items(1, 4))
        elif head == "single":
            self.send(200, '{"id":1,"amount":0.10}')
        elif head == "attrs":
            self.send(200, '{"data":[{"type":"t","attributes":{"id":1,"v":1.50}},'
                      '{"type":"t","attributes":{"id":2,"v":2.50}}]}')
        elif head == "empty":
            self.send(200, '{"data":[]}')
        elif head == "link":
            page, per = qint(q, "page", 1), qint(q, "per_page", 10)
            lo = (page - 1) * per + 1
            links = ['<%s?page=1&per_page=%d>; rel="first"' % (path, per)]
            if lo + per <= ITEMS:
                links.append('<http://127.0.0.1:%d%s?page=%d&per_page=%d>; rel="next"'
                             % (self.server.server_port, path, page + 1, per))
            links.append('<%s?page=9&per_page=%d>; rel="last"' % (path, per))
            self.send(200, items(lo, lo + per), headers=[("Link", ", ".join(links))])
        elif head == "loop":
            self.send(200, items(1, 3), headers=[("Link", '</loop?page=1>; rel="next"')])
        elif head == "next":
            page = qint(q, "page", 1)
            lo = (page - 1) * 10 + 1
            nxt = '"/next?page=%d"' % (page + 1) if lo + 10 <= ITEMS else "null"
            self.send(200, '{"results":%s,"next":%s}' % (items(lo, lo + 10), nxt))
        elif head == "cursor":
            # Stripe-like: data, has_more, and the cursor to send back
            after = qint(q, "starting_after", 0)
            lim = qint(q, "limit", 10)
            hi = min(after + lim, ITEMS)
            more = hi < ITEMS
            self.send(200, '{"data":%s,"has_more":%s,"last":"%d"}'
                      % (items(after + 1, hi + 1), "true" if more else "false", hi))
        elif head == "search" and self.command == "POST":
            req = json.loads(body or b"{}")
            after = int(req.get("cursor", 0))
            hi = min(after + 10, ITEMS)
            nxt = '"%d"' % hi if hi < ITEMS else "null"
            self.send(200, '{"items":%s,"next_cursor":%s}' % (items(after + 1, hi + 1), nxt))
        elif head == "hcursor":
            after = qint(q, "after", 0)
            hi = min(after + 10, ITEMS)
            h = [("X-Next-Cursor", str(hi))] if hi < ITEMS else []
            self.send(200, items(after + 1, hi + 1), headers=h)
        elif head == "page":
            page, size = qint(q, "page", 1), qint(q, "size", 10)
            lo = (page - 1) * size + 1
            self.send(200, '{"items":%s,"total":%d}' % (items(lo, lo + size), ITEMS))
        elif head == "offset":
            off, lim = qint(q, "offset", 0), qint(q, "limit", 10)
            self.send(200, '{"items":%s,"total":%d}' % (items(off + 1, off + lim + 1), ITEMS))
        elif head == "ndjson":
            page = qint(q, "page", 1)
            lo = (page - 1) * 10 + 1
            text = "".join(item(i) + "\n" for i in range(lo, min(lo + 10, ITEMS + 1)))
            h = []
            if lo + 10 <= ITEMS:
                h = [("Link", '</ndjson?page=%d>; rel="next"' % (page + 1))]
            self.send(200, text, "application/x-ndjson", h)
        elif head == "csv":
            # CSV pages: ?page=&per_page= (with a Link to the next) or
            # &size=, or ?hc=1&after= (X-Next-Cursor), or ?offset=&limit=;
            # ?d=; (or tab, |) delimits, ?bad=ID breaks a record
            d = q.get("d", [","])[0]
            bad = qint(q, "bad", 0)
            h = []
            if "hc" in q:
                lo = qint(q, "after", 0) + 1
                hi = min(lo + 10, ITEMS + 1)
                if hi <= ITEMS:
                    h = [("X-Next-Cursor", str(hi - 1))]
            elif "offset" in q:
                lo = qint(q, "offset", 0) + 1
                hi = lo + qint(q, "limit", 10)
            else:
                page = qint(q, "page", 1)
                per = qint(q, "per_page", qint(q, "size", 10))
                lo, hi = (page - 1) * per + 1, page * per + 1
                if "per_page" in q and hi <= ITEMS:
                    h = [("Link", '</csv?page=%d&per_page=%d&d=%s>; rel="next"'
                          % (page + 1, per, urllib.parse.quote(d)))]
            self.send(200, csv_rows(lo, hi, d, bad), "text/csv", h)
        elif head == "changes":
            # records changed at 00:00:01..06, those at or after ?since=;
            # ?next=PATH adds a Link to PATH (a page that fails, say)
            since = q.get("since", [""])[0]
            recs = ['{"id":%d,"updated_at":"2026-01-01T00:00:0%dZ"}' % (i, i)
                    for i in range(1, 7) if "2026-01-01T00:00:0%dZ" % i >= since]
            h = [("Link", '<%s>; rel="next"' % q["next"][0])] if "next" in q else []
            self.send(200, "[" + ",".join(recs) + "]", headers=h)
        elif head == "cust":
            # /cust/ID[?delay=MS]: one customer, after MS milliseconds; ids
            # that are not numbers are gone (404)
            time.sleep(qint(q, "delay", 0) / 1000)
            if not parts[1].isdigit():
                self.send(404, '{"error":"no such customer"}')
                return
            n = int(parts[1])
            self.send(200, '{"id":%d,"plan":"p%d","orders":[{"n":1,"total":9.90}]}'
                      % (n, n % 3))
        elif head == "redirect":
            # /redirect/PATH...: 302 to /PATH...
            self.send(302, "", headers=[("Location", "/" + "/".join(parts[1:]))])
        elif head == "bad":
            self.send(200, '{"data":[{"id":1},{"id":2,}]}')
        elif head == "badndjson":
            self.send(200, '{"id":1}\n{"id":2\n')
        elif head == "notobj":
            self.send(200, '[{"id":1},2]')
        elif head == "status":
            code = int(parts[1])
            self.send(code, "nope:\n  status %d" % code)
        elif head == "echo":
            self.send(200, json.dumps({"path": self.path, "ua": self.headers.get("User-Agent"),
                                       "accept": self.headers.get("Accept"),
                                       "encoding": self.headers.get("Accept-Encoding"),
                                       "method": self.command,
                                       "body": body.decode()}))
        elif head == "flaky":
            # /flaky/KEY?fail=500,429,drop,stall,...: the i-th request to KEY
            # fails as the i-th entry says, the later ones succeed
            with lock:
                n = counters.get(parts[1], 0)
                counters[parts[1]] = n + 1
            plan = [s for s in q.get("fail", [""])[0].split(",") if s]
            if n < len(plan):
                what = plan[n]
                if what == "drop":
                    self.close_connection = True
                    self.connection.shutdown(socket.SHUT_RDWR)
                    return
                if what == "stall":
                    time.sleep(3)
                    return
                if what == "429s":
                    self.send(429, "slow down", headers=[("Retry-After", "1")])
                    return
                if what == "429d":
                    when = email.utils.formatdate(time.time() + 2, usegmt=True)
                    self.send(429, "slow down", headers=[("Retry-After", when)])
                    return
                if what == "429long":
                    self.send(429, "slow down", headers=[("Retry-After", "3600")])
                    return
                self.send(int(what), "failing")
                return
            self.send(200, items(1, 4))
        elif head == "ratelimit":
            # ?page=N: page N of 2 (one record each), none left until ?reset=
            # seconds (default 7200), said the GitHub way or, with ?ietf=1,
            # in the IETF RateLimit header
            page, reset = qint(q, "page", 1), qint(q, "reset", 7200)
            ietf = q.get("ietf", [""])[0]
            if ietf == "sf":
                # the structured form: the second policy has nothing left
                h = [("RateLimit-Policy", '"burst";q=100;w=60, "daily";q=1000;w=86400'),
                     ("RateLimit", '"burst";r=99;t=60, "daily";r=0;t=%d' % reset)]
            elif ietf == "trio":
                h = [("RateLimit-Limit", "10"), ("RateLimit-Remaining", "0"),
                     ("RateLimit-Reset", str(reset))]
            elif ietf:
                h = [("RateLimit", "limit=10, remaining=0, reset=%d" % reset)]
            else:
                h = [("X-RateLimit-Remaining", "0"), ("X-RateLimit-Reset", str(reset))]
            self.send(200, items(page, page + 1) if page <= 2 else "[]", headers=h)
        elif head == "policy":
            # ?page=N: page N of 4 (one record each) under the quota
            # policies of RateLimit-Policy: ?q= requests in ?w= seconds, and
            # a looser one; RateLimit says there is quota left
            page, qq, w = qint(q, "page", 1), qint(q, "q", 4), qint(q, "w", 1)
            h = [("RateLimit-Policy", '"burst";q=%d;w=%d, "loose";q=1000;w=1' % (qq, w)),
                 ("RateLimit", '"burst";r=%d;t=%d' % (qq - 1, w))]
            self.send(200, items(page, page + 1) if page <= 4 else "[]", headers=h)
        elif head == "auth":
            kind = parts[1]
            h = self.headers
            ok = False
            if kind == "bearer":
                ok = h.get("Authorization") == "Bearer s3cr3t-bearer"
            elif kind == "basic":
                ok = h.get("Authorization") == "Basic " + base64.b64encode(
                    b"ann:pa55-w0rd").decode()
            elif kind == "key":
                ok = h.get("X-Api-Key") == "k3y-v4lue"
            elif kind == "query":
                ok = q.get("api_key") == ["q-s3cr3t"]
            if ok:
                self.send(200, items(1, 3))
            else:
                self.unauthorized()
        elif head == "oauth" and parts[1] == "token":
            form = urllib.parse.parse_qs(body.decode())
            cid = csec = None
            a = self.headers.get("Authorization", "")
            if a.startswith("Basic "):
                cid, _, csec = base64.b64decode(a[6:]).decode().partition(":")
            else:
                cid = form.get("client_id", [None])[0]
                csec = form.get("client_secret", [None])[0]
            if (form.get("grant_type") != ["client_credentials"] or cid != "cl-id"
                    or csec != "cl-s3cr3t"):
                self.send(401, '{"error":"invalid_client"}')
                return
            ttl = qint(q, "ttl", 3600)
            uses = qint(q, "uses", 1000000)
            with lock:
                ntokens += 1
                tok = "t0k-%d" % ntokens
                tokens[tok] = [time.monotonic() + ttl, uses]
            self.send(200, '{"access_token":"%s","token_type":"bearer","expires_in":%d}'
                      % (tok, ttl))
        elif head == "oauth" and parts[1] == "data":
            a = self.headers.get("Authorization", "")
            tok = a[7:] if a.startswith("Bearer ") else ""
            with lock:
                t = tokens.get(tok)
                ok = t is not None and t[0] > time.monotonic() and t[1] > 0
                if ok:
                    t[1] -= 1
            if not ok:
                self.unauthorized()
                return
            page = qint(q, "page", 1)
            lo = (page - 1) * 5 + 1
            self.send(200, '{"items":%s}' % items(lo, lo + 5))
        elif head == "v1" and parts[1:] == ["events"]:
            self.events(q)
        else:
            self.send(404, '{"error":"no such route"}')

    def authorized(self):
        a = self.headers.get("Authorization", "")
        tok = a[7:] if a.startswith("Bearer ") else ""
        with lock:
            t = tokens.get(tok)
            ok = t is not None and t[0] > time.monotonic() and t[1] > 0
            if ok:
                t[1] -= 1
        return ok

    def events(self, q):
        global recent
        fault = ""
        if args.faults:
            try:
                with open(args.faults) as f:
                    fault = (f.read().split() or [""])[0]
            except FileNotFoundError:
                pass
        if fault.startswith("sleep:"):
            time.sleep(float(fault[6:]))
        elif fault:
            self.send(int(fault), '{"error":"injected fault"}')
            return
        if not self.authorized():
            self.unauthorized()
            return
        now = time.monotonic()
        with lock:
            recent = [t for t in recent if t > now - 1] + [now]
            limited = len(recent) > 5
        if limited:
            self.send(429, '{"error":"rate limited"}', headers=[("Retry-After", "1")])
            return
        since = q.get("since", [""])[0]
        page, per = qint(q, "page", 1), qint(q, "per_page", 3)
        with open(args.data) as f:
            recs = [json.loads(line) for line in f if line.strip()]
        recs = sorted((r for r in recs if str(r.get("updated_at", "")) >= since),
                      key=lambda r: (str(r.get("updated_at", "")), str(r.get("id"))))
        lo = (page - 1) * per
        h = []
        if lo + per < len(recs):
            nq = urllib.parse.urlencode({"since": since, "page": page + 1, "per_page": per})
            h = [("Link", '</v1/events?%s>; rel="next"' % nq)]
        self.send(200, json.dumps({"events": recs[lo:lo + per]}), headers=h)


def main():
    global args, ITEMS
    p = argparse.ArgumentParser()
    p.add_argument("--port-file", required=True)
    p.add_argument("--log", required=True)
    p.add_argument("--lifetime", type=float, default=300)
    p.add_argument("--items", type=int, default=25)
    p.add_argument("--no-log", action="store_true", help="log nothing (benchmarks)")
    p.add_argument("--tls", nargs=2, metavar=("CERT", "KEY"))
    p.add_argument("--data", help="the records of /v1/events (NDJSON)")
    p.add_argument("--faults", help="while this file exists, /v1/events fails as it says")
    args = p.parse_args()
    ITEMS = args.items
    # a deep listen queue: --parallel opens many connections at once
    ThreadingHTTPServer.request_queue_size = 128
    srv = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    srv.daemon_threads = True
    if args.tls:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(args.tls[0], args.tls[1])
        srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
    tmp = args.port_file + ".tmp"
    with open(tmp, "w") as f:
        f.write("%d\n" % srv.server_port)
    os.rename(tmp, args.port_file)
    threading.Timer(args.lifetime, srv.shutdown).start()
    srv.serve_forever()
    return 0


if __name__ == "__main__":
    sys.exit(main())
