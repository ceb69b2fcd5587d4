#!/usr/bin/env python3
"""A local stand-in for the AWS credential endpoints, for the credential-chain tests (stdlib only).

    aws_metadata_server.py --state DIR [--port N] [--daemon]   |   --stop DIR

It speaks, on one HTTP port of 127.0.0.1, the documented protocols:
  * STS AssumeRoleWithWebIdentity (query protocol): POST / with a form body Action=AssumeRoleWithWebIdentity,
    Version, RoleArn, RoleSessionName, WebIdentityToken -> AssumeRoleWithWebIdentityResponse XML; a wrong
    token -> 400 ErrorResponse InvalidIdentityToken; a token sent in the URL query -> 400 (it must not be).
  * ECS/EKS container credentials: GET /container/credentials with "Authorization: <token>" -> JSON
    {AccessKeyId, SecretAccessKey, Token, Expiration}; a missing or wrong token -> 401.
  * EC2 IMDSv2: PUT /latest/api/token with X-aws-ec2-metadata-token-ttl-seconds -> a session token;
    GET /latest/meta-data/iam/security-credentials/ and .../<role> need X-aws-ec2-metadata-token
    (401 without it, as IMDSv2-only instances answer); a GET of /latest/api/token is 405.
  * Redirects, for the tests of what a client does with one: /redirect/<status>/<path> (any method) answers
    <status> with "Location: <recorder>/<path>", /redirect-self/<status>/<path> with a Location on this port.
    /echo/<path> answers with the request as JSON (method, path, headers, body).
A second port (the recorder, another origin) answers every request with the same JSON and counts them; GET
/hits there gives the count (itself not counted), /big/<n> and /big-chunked/<n> send n bytes (with a
Content-Length, or chunked without one).
DIR/metadata.json holds the ports, the expected tokens and the credentials each source returns (all fake).

With --rgw-state RGW_DIR (a Ceph RGW that scripts/s3-server started there) the container and IMDS endpoints hand
out real, short-lived keys of that RGW's user instead: a new key every LIFETIME/2 seconds (--lifetime, default
60), each with "Expiration" = its creation + LIFETIME, and removed from RGW (radosgw-admin key rm) the moment it
expires, so RGW itself refuses a request signed with expired credentials (InvalidAccessKeyId). No "Token": RGW
would try to read one as an STS session. GET /_stats -> {"created", "removed", "served": [access key ids]}. The
keys are removed when the server stops.
"""

import argparse
import datetime
import json
import os
import secrets
import signal
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

ROLE = "wheelhouse-test-role"


def make_state(port, recorder_port):
    exp = (datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    return {
        "port": port,
        "endpoint": "http://127.0.0.1:%d" % port,
        "recorder_port": recorder_port,
        "recorder": "http://127.0.0.1:%d" % recorder_port,
        "web_identity_token": "eyJ-test-" + secrets.token_hex(16),
        "role_arn": "arn:aws:iam::111122223333:role/ci-deploy",
        "container_token": "container-" + secrets.token_hex(16),
        "imds_role": ROLE,
        "expiration": exp,
        "credentials": {
            "web-identity": {"AccessKeyId": "ASIAWEBIDENTITY00001", "SecretAccessKey": "wi-" + secrets.token_hex(16),
                             "SessionToken": "wi-session-" + secrets.token_hex(8)},
            "container": {"AccessKeyId": "ASIACONTAINER0000001", "SecretAccessKey": "ct-" + secrets.token_hex(16),
                          "SessionToken": "ct-session-" + secrets.token_hex(8)},
            "imds": {"AccessKeyId": "ASIAIMDS000000000001", "SecretAccessKey": "im-" + secrets.token_hex(16),
                     "SessionToken": "im-session-" + secrets.token_hex(8)},
        },
    }


def iso(t):
    return datetime.datetime.fromtimestamp(t, datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


class RgwKeys:
    """Short-lived keys of an RGW user: a new one every lifetime/2 s, each removed from RGW when it expires."""

    def __init__(self, rgw_state, lifetime):
        self.conf = os.path.join(rgw_state, "ceph.conf")
        self.uid = "wheelhouse"
        self.lifetime = lifetime
        self.lock = threading.Lock()
        self.keys = []  # dicts: ak, sk, created, expires
        self.created = 0
        self.removed = 0
        self.served = []
        self.stop = threading.Event()
        self.rotate()
        threading.Thread(target=self.run, daemon=True).start()

    def admin(self, *args):
        return subprocess.run(["radosgw-admin", "-c", self.conf, *args], capture_output=True, text=True, timeout=60)

    def rotate(self):
        ak = "ROT" + secrets.token_hex(8).upper() + "X"
        sk = secrets.token_hex(20)
        r = self.admin("key", "create", "--uid=" + self.uid, "--key-type=s3", "--access-key=" + ak,
                       "--secret-key=" + sk)
        if r.returncode != 0:
            raise RuntimeError("radosgw-admin key create failed: " + r.stderr[-500:])
        now = time.time()
        with self.lock:
            self.keys.append({"ak": ak, "sk": sk, "created": now, "expires": now + self.lifetime})
            self.created += 1

    def expire(self, everything=False):
        now = time.time()
        with self.lock:
            gone = [k for k in self.keys if everything or k["expires"] <= now]
            self.keys = [k for k in self.keys if k not in gone]
        for k in gone:
            self.admin("key", "rm", "--uid=" + self.uid, "--key-type=s3", "--access-key=" + k["ak"])
            with self.lock:
                self.removed += 1

    def run(self):
        while not self.stop.wait(0.2):
            self.expire()
            with self.lock:
                newest = self.keys[-1]["created"] if self.keys else 0
            if time.time() - newest >= self.lifetime / 2:
                self.rotate()

    def current(self):
        with self.lock:
            k = self.keys[-1]
            if k["ak"] not in self.served:
                self.served.append(k["ak"])
            return {"AccessKeyId": k["ak"], "SecretAccessKey": k["sk"], "Expiration": iso(k["expires"])}

    def stats(self):
        with self.lock:
            return {"created": self.created, "removed": self.removed, "served": list(self.served)}


def request_json(handler, body):
    return json.dumps({"method": handler.command, "path": handler.path,
                       "headers": [[k, v] for k, v in handler.headers.items()],
                       "body": body.decode("utf-8", "replace")})


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    state = None
    imds_tokens = set()
    rgw_keys = None

    def log_message(self, fmt, *args):  # quiet; the state file says what runs
        pass

    def redirect_or_echo(self):
        """The redirect and echo paths, for every method; False when the path is not one of them."""
        path = urlsplit(self.path).path
        for prefix, base in (("/redirect/", self.state["recorder"]), ("/redirect-self/", self.state["endpoint"])):
            if path.startswith(prefix):
                self.body()
                status, _, rest = path[len(prefix):].partition("/")
                query = urlsplit(self.path).query
                target = base + "/" + rest + ("?" + query if query else "")
                self.reply(int(status), "<Error><Code>Redirect</Code></Error>", "application/xml",
                           [("Location", target)])
                return True
        if path.startswith("/echo/"):
            self.reply(200, request_json(self, self.body()), "application/json")
            return True
        return False

    def reply(self, status, body, content_type="text/plain", headers=()):
        data = body.encode() if isinstance(body, str) else body
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        for k, v in headers:
            self.send_header(k, v)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)

    def body(self):
        n = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(n) if n else b""

    # ------------------------------------------------------------------ STS
    def sts_error(self, status, code, message):
        xml = ('<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><Error><Type>Sender</Type>'
               '<Code>%s</Code><Message>%s</Message></Error><RequestId>req-0001</RequestId></ErrorResponse>'
               % (code, message))
        self.reply(status, xml, "text/xml")

    def do_sts(self):
        query = parse_qs(urlsplit(self.path).query)
        if "WebIdentityToken" in query:
            return self.sts_error(400, "InvalidRequest", "the token must not travel in the URL")
        form = {k: v[0] for k, v in parse_qs(self.body().decode("utf-8"), keep_blank_values=True).items()}
        if form.get("Action") != "AssumeRoleWithWebIdentity" or form.get("Version") != "2011-06-15":
            return self.sts_error(400, "InvalidAction", "unsupported action")
        if not form.get("RoleSessionName"):
            return self.sts_error(400, "ValidationError", "RoleSessionName is required")
        if form.get("RoleArn") != self.state["role_arn"]:
            return self.sts_error(403, "AccessDenied", "Not authorized to perform sts:AssumeRoleWithWebIdentity")
        if form.get("WebIdentityToken") != self.state["web_identity_token"]:
            return self.sts_error(400, "InvalidIdentityToken", "Couldn't retrieve verification key from your identity provider")
        c = self.state["credentials"]["web-identity"]
        xml = ('<AssumeRoleWithWebIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">'
               '<AssumeRoleWithWebIdentityResult><SubjectFromWebIdentityToken>ci</SubjectFromWebIdentityToken>'
               '<AssumedRoleUser><Arn>%s/%s</Arn><AssumedRoleId>AROA:%s</AssumedRoleId></AssumedRoleUser>'
               '<Credentials><AccessKeyId>%s</AccessKeyId><SecretAccessKey>%s</SecretAccessKey>'
               '<SessionToken>%s</SessionToken><Expiration>%s</Expiration></Credentials>'
               '</AssumeRoleWithWebIdentityResult><ResponseMetadata><RequestId>req-0002</RequestId>'
               '</ResponseMetadata></AssumeRoleWithWebIdentityResponse>'
               % (self.state["role_arn"], form["RoleSessionName"], form["RoleSessionName"], c["AccessKeyId"],
                  c["SecretAccessKey"], c["SessionToken"], self.state["expiration"]))
        self.reply(200, xml, "text/xml")

    # ------------------------------------------------------------------ handlers
    def creds_json(self, source, extra=None):
        if self.rgw_keys is not None:
            doc = self.rgw_keys.current()
            if extra:
                doc.update(extra)
            return json.dumps(doc)
        c = dict(self.state["credentials"][source])
        doc = {"AccessKeyId": c["AccessKeyId"], "SecretAccessKey": c["SecretAccessKey"], "Token": c["SessionToken"],
               "Expiration": self.state["expiration"]}
        if extra:
            doc.update(extra)
        return json.dumps(doc)

    def imds_authorised(self):
        return self.headers.get("X-aws-ec2-metadata-token") in self.imds_tokens

    def do_GET(self):
        if self.redirect_or_echo():
            return
        path = urlsplit(self.path).path
        if path == "/_stats" and self.rgw_keys is not None:
            return self.reply(200, json.dumps(self.rgw_keys.stats()), "application/json")
        if path == "/container/credentials":
            if self.headers.get("Authorization") != self.state["container_token"]:
                return self.reply(401, "unauthorized")
            return self.reply(200, self.creds_json("container"), "application/json")
        if path == "/latest/api/token":
            return self.reply(405, "method not allowed")
        if path.startswith("/latest/meta-data/iam/security-credentials/"):
            if not self.imds_authorised():
                return self.reply(401, "")
            role = path[len("/latest/meta-data/iam/security-credentials/"):]
            if role == "":
                return self.reply(200, ROLE)
            if role != ROLE:
                return self.reply(404, "")
            extra = {"Code": "Success", "LastUpdated": self.state["expiration"], "Type": "AWS-HMAC"}
            return self.reply(200, self.creds_json("imds", extra), "text/plain")
        self.reply(404, "not found")

    def do_PUT(self):
        if self.redirect_or_echo():
            return
        path = urlsplit(self.path).path
        self.body()
        if path == "/latest/api/token":
            ttl = self.headers.get("X-aws-ec2-metadata-token-ttl-seconds")
            if not ttl or not ttl.isdigit() or not 1 <= int(ttl) <= 21600:
                return self.reply(400, "")
            token = "imds-" + secrets.token_hex(16)
            self.imds_tokens.add(token)
            return self.reply(200, token, "text/plain", [("X-aws-ec2-metadata-token-ttl-seconds", ttl)])
        self.reply(404, "not found")

    def do_HEAD(self):
        if not self.redirect_or_echo():
            self.reply(404, "")

    def do_DELETE(self):
        if not self.redirect_or_echo():
            self.body()
            self.reply(404, "not found")

    def do_POST(self):
        if self.redirect_or_echo():
            return
        if urlsplit(self.path).path in ("/", "/sts", "/sts/"):
            return self.do_sts()
        self.body()
        self.reply(404, "not found")


class Recorder(BaseHTTPRequestHandler):
    """Another origin: answers whatever arrives with what arrived, and counts it."""
    protocol_version = "HTTP/1.1"
    hits = 0
    lock = threading.Lock()

    def log_message(self, fmt, *args):
        pass

    def send(self, status, data, content_type="application/json", chunked=False):
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        if chunked:
            self.send_header("Transfer-Encoding", "chunked")
        else:
            self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if self.command == "HEAD":
            return
        if chunked:
            for i in range(0, len(data), 65536):
                part = data[i:i + 65536]
                self.wfile.write(b"%x\r\n%s\r\n" % (len(part), part))
            self.wfile.write(b"0\r\n\r\n")
        else:
            self.wfile.write(data)

    def handle_any(self):
        n = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(n) if n else b""
        path = urlsplit(self.path).path
        if path == "/hits":
            return self.send(200, str(Recorder.hits).encode(), "text/plain")
        with Recorder.lock:
            Recorder.hits += 1
        for prefix, chunked in (("/big/", False), ("/big-chunked/", True)):
            if path.startswith(prefix):
                return self.send(200, b"x" * int(path[len(prefix):]), "application/octet-stream", chunked)
        self.send(200, request_json(self, body).encode())

    do_GET = do_PUT = do_POST = do_HEAD = do_DELETE = handle_any


def serve(state_dir, port, rgw_state=None, lifetime=60):
    server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    recorder = ThreadingHTTPServer(("127.0.0.1", 0), Recorder)
    threading.Thread(target=recorder.serve_forever, daemon=True).start()
    state = make_state(server.server_address[1], recorder.server_address[1])
    if rgw_state:
        Handler.rgw_keys = RgwKeys(rgw_state, lifetime)
        state["rgw_keys"] = {"lifetime": lifetime}
    Handler.state = state
    path = os.path.join(state_dir, "metadata.json")
    fd = os.open(path + ".tmp", os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        json.dump(state, f, indent=2)
    os.replace(path + ".tmp", path)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    try:
        server.serve_forever()
    finally:
        if Handler.rgw_keys is not None:
            Handler.rgw_keys.stop.set()
            Handler.rgw_keys.expire(everything=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--state")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--daemon", action="store_true")
    parser.add_argument("--stop", metavar="DIR")
    parser.add_argument("--rgw-state", metavar="RGW_DIR", help="hand out rotating keys of this RGW (see above)")
    parser.add_argument("--lifetime", type=int, default=60, help="seconds each rotating key lives")
    args = parser.parse_args()
    if args.stop:
        pid_file = os.path.join(args.stop, "metadata.pid")
        try:
            pid = int(open(pid_file).read().strip())
            cmdline = open("/proc/%d/cmdline" % pid, "rb").read()
            if b"aws_metadata_server" in cmdline:
                os.kill(pid, signal.SIGTERM)
        except (OSError, ValueError):
            pass
        for name in ("metadata.pid", "metadata.json"):
            try:
                os.remove(os.path.join(args.stop, name))
            except OSError:
                pass
        return 0
    if not args.state:
        parser.error("--state DIR is required")
    os.makedirs(args.state, exist_ok=True)
    state_json = os.path.join(args.state, "metadata.json")
    if os.path.exists(state_json):
        os.remove(state_json)
    if args.daemon:
        if os.fork() > 0:
            # The parent waits until the server wrote its state (so a CTest fixture can rely on it).
            end = time.time() + 10
            while time.time() < end and not os.path.exists(state_json):
                time.sleep(0.05)
            return 0 if os.path.exists(state_json) else 1
        os.setsid()
        if os.fork() > 0:
            os._exit(0)
        with open(os.path.join(args.state, "metadata.pid"), "w") as f:
            f.write("%d\n" % os.getpid())
        devnull = os.open(os.devnull, os.O_RDWR)
        for fd in (0, 1, 2):
            os.dup2(devnull, fd)
    serve(args.state, args.port, args.rgw_state, args.lifetime)
    return 0


if __name__ == "__main__":
    sys.exit(main())
