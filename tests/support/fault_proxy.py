#!/usr/bin/env python3
"""A fault-injecting HTTP/1.1 reverse proxy for tests (Python 3 asyncio, stdlib only).

    fault_proxy.py --listen 127.0.0.1:PORT --upstream 127.0.0.1:PORT [--fault SPEC]
                   [--daemon --pid-file F --log F]

Clients talk plain HTTP/1.1 (keep-alive) to the proxy; the proxy forwards each request to the upstream
on a fresh connection and relays the answer, unless a fault applies.

A fault SPEC is a comma-separated list of:
    reset            close the client connection with a TCP RST instead of answering
    stall            read the request, never answer (the client must time out)
    stall-body       send the headers and half of the body, then never send more
    truncate         send the headers (with the full Content-Length) and half of the body, then close
    reset-body       send the headers and half of the body, then close with a TCP RST (reset mid-body)
    bad-length=D     a wrong Content-Length: the header says the body's length + D (D may be negative); the
                     whole body is sent, then the connection is closed (the client sees a short body, or
                     bytes past the end it was told)
    drip=BPS         send the answer (head and body) at BPS bytes per second, in small steady pieces
    upload-drip=BPS  read the request body from the client at BPS bytes per second, shared by all connections
                     (one slow uplink), and pass each piece on to the upstream as it comes (the upstream sees the
                     request start at once); the answer is relayed as it streams
    add-header=N:V   add the header "N: V" to the answer (e.g. a checksum a server would report)
    status=N         answer N (e.g. 500, 503, 429) without asking the upstream
    retry-after=S    with status=N: add "Retry-After: S"
    latency=MS       wait MS milliseconds before answering (applies even after `times` is used up)
    connect-latency=MS  wait MS milliseconds after accepting a connection, before reading its first request
                     (a connection set-up round trip; only from --fault or the control endpoint, which
                     apply to connections accepted afterwards: a path-given SPEC comes too late for that)
    times=N          the fault (other than latency) applies to the first N requests, then requests pass
    id=WORD          only makes the spec unique, so that its `times` counter is its own
    match=TEXT       the fault applies only to requests whose target (path and query) contains TEXT
                     (e.g. match=partNumber=2 to fail one part of an S3 multipart upload); others pass
    suffix=TEXT      ... only to requests whose path (without the query) ends with TEXT (".whl" is not
                     ".whl.metadata")
    method=NAME      ... only to requests with this method (GET, PUT, ...)

Where the SPEC comes from, first match wins:
    1. the path: "/_fault/<SPEC>/<rest>" forwards "/<rest>" (parallel-safe: each test uses its own path)
    2. the control endpoint: "PUT /_control/fault" with the SPEC as body ("" clears it)
    3. the --fault option
Counters are per (SPEC, rest of path). "GET /_control/stats" returns {"connections": N, "requests": N};
"POST /_control/reset" zeroes the counters and the stats.
--log-requests FILE appends one JSON line per proxied request: {"method", "target", "headers": {name: value}} with the
request's x-amz-checksum-*, x-amz-sdk-checksum-algorithm, x-amz-content-sha256 and content-md5 headers (never
Authorization or a token).
"""

import argparse
import asyncio
import json
import os
import socket
import struct
import sys
from urllib.parse import unquote


class Fault:
    def __init__(self, spec):
        self.spec = spec
        self.kind = None
        self.status = None
        self.retry_after = None
        self.latency_ms = 0
        self.connect_latency_ms = 0
        self.times = None
        self.match = None
        self.suffix = None
        self.method = None
        self.delta = 0
        self.drip = None
        self.upload_drip = None
        self.add_headers = []
        for part in filter(None, (p.strip() for p in spec.split(","))):
            key, _, value = part.partition("=")
            if key in ("reset", "stall", "stall-body", "truncate", "reset-body"):
                self.kind = key
            elif key == "bad-length":
                self.kind = key
                self.delta = int(value)
            elif key == "drip":
                self.drip = int(value)
                if self.drip <= 0:
                    raise ValueError("drip needs a positive rate")
            elif key == "upload-drip":
                self.upload_drip = int(value)
                if self.upload_drip <= 0:
                    raise ValueError("upload-drip needs a positive rate")
            elif key == "add-header":
                name, sep, header_value = value.partition(":")
                if not sep or not name:
                    raise ValueError("add-header needs NAME:VALUE")
                self.add_headers.append((name.strip(), header_value.strip()))
            elif key == "suffix":
                self.suffix = value
            elif key == "method":
                self.method = value.upper()
            elif key == "status":
                self.kind = "status"
                self.status = int(value)
            elif key == "retry-after":
                self.retry_after = value
            elif key == "latency":
                self.latency_ms = int(value)
            elif key == "connect-latency":
                self.connect_latency_ms = int(value)
            elif key == "times":
                self.times = int(value)
            elif key == "id":
                pass
            elif key == "match":
                self.match = value
            else:
                raise ValueError(f"unknown fault '{part}'")


REASONS = {200: "OK", 400: "Bad Request", 404: "Not Found", 408: "Request Timeout", 429: "Too Many Requests",
           500: "Internal Server Error", 502: "Bad Gateway", 503: "Service Unavailable", 504: "Gateway Timeout"}
HOP_BY_HOP = {"connection", "keep-alive", "proxy-connection", "transfer-encoding", "te", "trailer", "upgrade"}


LOGGED = ("x-amz-checksum-", "x-amz-sdk-checksum-algorithm", "x-amz-content-sha256", "content-md5")


class Proxy:
    def __init__(self, upstream, default_spec, log=None):
        self.upstream_host, port = upstream.rsplit(":", 1)
        self.upstream_port = int(port)
        self.default_spec = default_spec or ""
        self.log = log
        self.uplink = asyncio.Lock()  # upload-drip: the pieces of every connection pass one at a time
        self.counters = {}
        self.connections = 0
        self.requests = 0

    async def read_head(self, reader):
        try:
            head = await reader.readuntil(b"\r\n\r\n")
        except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, ConnectionError):
            return None
        lines = head.decode("latin-1").split("\r\n")
        method, target, version = (lines[0].split(" ", 2) + ["", ""])[:3]
        headers = []
        for line in lines[1:]:
            if not line:
                continue
            name, _, value = line.partition(":")
            headers.append((name.strip(), value.strip()))
        return method, target, version, headers

    @staticmethod
    def header(headers, name):
        for k, v in headers:
            if k.lower() == name:
                return v
        return None

    def pick_fault(self, method, target, count=True):
        spec = self.default_spec
        rest = target
        if target.startswith("/_fault/"):
            spec_part, _, tail = target[len("/_fault/"):].partition("/")
            spec = unquote(spec_part)
            rest = "/" + tail
        if not spec:
            return None, rest
        fault = Fault(spec)
        if fault.match is not None and fault.match not in rest:
            return None, rest
        if fault.suffix is not None and not rest.partition("?")[0].endswith(fault.suffix):
            return None, rest
        if fault.method is not None and fault.method != method:
            return None, rest
        key = (spec, rest)
        used = self.counters.get(key, 0)
        if count:
            self.counters[key] = used + 1
        if fault.times is not None and used >= fault.times:
            fault.kind = None  # exhausted: only latency and drip remain
        return fault, rest

    async def send_upstream(self, method, rest, headers, body):
        """Opens a connection to the upstream and sends the request (HTTP/1.0, one request per connection)."""
        reader, writer = await asyncio.open_connection(self.upstream_host, self.upstream_port)
        lines = [f"{method} {rest} HTTP/1.0"]
        for k, v in headers:
            if k.lower() not in HOP_BY_HOP:
                lines.append(f"{k}: {v}")
        # An HTTP/1.0 request without a length has a body up to the close: say there is none (Swift would
        # otherwise wait for one, e.g. on a DELETE, until the connection ends).
        if method not in ("GET", "HEAD") and self.header(headers, "content-length") is None:
            lines.append("Content-Length: 0")
        lines.append("Connection: close")
        writer.write(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body)
        await writer.drain()
        return reader, writer

    async def fetch_upstream(self, method, rest, headers, body):
        reader, writer = await self.send_upstream(method, rest, headers, body)
        try:
            raw = await reader.read()
        finally:
            writer.close()
        head, _, payload = raw.partition(b"\r\n\r\n")
        head_lines = head.decode("latin-1").split("\r\n")
        if any(l.lower().startswith("transfer-encoding:") and "chunked" in l.lower() for l in head_lines[1:]):
            payload = self.dechunk(payload)  # some servers answer HTTP/1.0 requests chunked anyway (RGW)
        status_line = head_lines[0]
        parts = status_line.split(" ", 2)
        status = int(parts[1])
        reason = parts[2] if len(parts) > 2 else REASONS.get(status, "")
        resp_headers = []
        for line in head_lines[1:]:
            name, _, value = line.partition(":")
            if name.strip().lower() not in HOP_BY_HOP:
                resp_headers.append((name.strip(), value.strip()))
        return status, reason, resp_headers, payload

    async def send_upstream_dripped(self, method, rest, headers, client, length, rate, sock=None):
        """Opens the upstream connection, sends the head, then passes the client's body on at `rate` B/s."""
        reader, writer = await self.send_upstream(method, rest, headers, b"")
        # A small receive buffer, so that the kernel does not take megabytes of the body at full speed first.
        if sock is not None:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 64 * 1024)
        step = max(1, min(64 * 1024, rate // 10))
        left = length
        while left > 0:
            data = await client.read(min(step, left))
            if not data:
                raise ConnectionError("the client stopped sending its body")
            left -= len(data)
            # One rate for all of this proxy's connections: parallel parts share the uplink.
            async with self.uplink:
                await asyncio.sleep(len(data) / rate)
            writer.write(data)
            await writer.drain()
        return reader, writer

    async def relay_upstream(self, method, rest, headers, body, writer, extra_headers=(), opened=None):
        """Forwards one request and streams the answer back. Returns False when the client connection cannot
        be reused (the answer's end was not known, so it ended with the upstream's close). Raises OSError only
        before anything was sent to the client."""
        reader, uw = opened if opened else await self.send_upstream(method, rest, headers, body)
        try:
            try:
                head = await reader.readuntil(b"\r\n\r\n")
            except (asyncio.IncompleteReadError, asyncio.LimitOverrunError) as e:
                raise OSError(f"bad answer from upstream: {e}") from e
            head_lines = head.decode("latin-1").rstrip("\r\n").split("\r\n")
            parts = head_lines[0].split(" ", 2)
            status = int(parts[1])
            reason = parts[2] if len(parts) > 2 else REASONS.get(status, "")
            resp_headers = []
            chunked = False
            length = None
            for line in head_lines[1:]:
                name, _, value = line.partition(":")
                name, value = name.strip(), value.strip()
                if name.lower() == "transfer-encoding" and "chunked" in value.lower():
                    chunked = True
                if name.lower() == "content-length":
                    length = int(value)
                if name.lower() not in HOP_BY_HOP:
                    resp_headers.append((name, value))
            resp_headers += list(extra_headers)
            no_body = method == "HEAD" or status in (204, 304) or 100 <= status < 200
            if chunked or (length is None and not no_body):
                payload = await reader.read()
                if chunked:
                    payload = self.dechunk(payload)
                resp_headers = [(k, v) for k, v in resp_headers if k.lower() != "content-length"]
                resp_headers.append(("Content-Length", str(len(payload))))
                writer.write(self.encode_head(status, reason, resp_headers) + payload)
                await writer.drain()
                return True
            writer.write(self.encode_head(status, reason, resp_headers))
            remaining = 0 if no_body else length
            while remaining > 0:
                data = await reader.read(min(remaining, 1 << 18))
                if not data:
                    return False  # the upstream ended early: so does this answer
                remaining -= len(data)
                writer.write(data)
                await writer.drain()
            await writer.drain()
            return True
        finally:
            uw.close()

    @staticmethod
    def dechunk(data):
        out = bytearray()
        pos = 0
        while pos < len(data):
            eol = data.find(b"\r\n", pos)
            if eol < 0:
                break
            size = int(data[pos:eol].split(b";")[0].strip() or b"0", 16)
            if size == 0:
                break
            out += data[eol + 2:eol + 2 + size]
            pos = eol + 2 + size + 2
        return bytes(out)

    @staticmethod
    def encode_head(status, reason, headers):
        lines = [f"HTTP/1.1 {status} {reason}"] + [f"{k}: {v}" for k, v in headers]
        return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")

    async def control(self, method, target, body, writer):
        if target == "/_control/fault" and method in ("PUT", "POST"):
            spec = body.decode("utf-8").strip()
            Fault(spec)  # validate
            self.default_spec = spec
            self.counters.clear()
            payload = b"ok\n"
        elif target == "/_control/stats":
            payload = json.dumps({"connections": self.connections, "requests": self.requests}).encode() + b"\n"
        elif target == "/_control/reset" and method in ("PUT", "POST"):
            self.counters.clear()
            self.connections = 0
            self.requests = 0
            payload = b"ok\n"
        else:
            writer.write(self.encode_head(404, "Not Found", [("Content-Length", "0")]))
            return
        writer.write(self.encode_head(200, "OK", [("Content-Type", "text/plain"),
                                                  ("Content-Length", str(len(payload)))]) + payload)

    async def handle(self, reader, writer):
        self.connections += 1
        sock = writer.get_extra_info("socket")
        try:
            if self.default_spec:
                connect_latency = Fault(self.default_spec).connect_latency_ms
                if connect_latency:
                    await asyncio.sleep(connect_latency / 1000.0)
            while True:
                head = await self.read_head(reader)
                if head is None:
                    return
                method, target, version, headers = head
                length = int(self.header(headers, "content-length") or 0)
                peek = None
                if not target.startswith("/_control/"):
                    try:
                        peek, _ = self.pick_fault(method, target, count=False)
                    except ValueError:
                        peek = None
                dripped_upload = bool(peek and peek.upload_drip and length)
                body = b"" if dripped_upload else (await reader.readexactly(length) if length else b"")
                if target.startswith("/_control/"):
                    try:
                        await self.control(method, target, body, writer)
                    except ValueError as e:
                        msg = (str(e) + "\n").encode()
                        writer.write(self.encode_head(400, "Bad Request", [("Content-Length", str(len(msg)))]) + msg)
                    await writer.drain()
                    continue
                self.requests += 1
                try:
                    fault, rest = self.pick_fault(method, target)
                except ValueError as e:
                    msg = (str(e) + "\n").encode()
                    writer.write(self.encode_head(400, "Bad Request", [("Content-Length", str(len(msg)))]) + msg)
                    await writer.drain()
                    continue
                if self.log:
                    logged = {k.lower(): v for k, v in headers if k.lower().startswith(LOGGED)}
                    with open(self.log, "a", encoding="utf-8") as f:
                        f.write(json.dumps({"method": method, "target": rest, "headers": logged}) + "\n")
                kind = fault.kind if fault else None
                if fault and fault.latency_ms:
                    await asyncio.sleep(fault.latency_ms / 1000.0)
                if dripped_upload:
                    try:
                        opened = await self.send_upstream_dripped(method, rest, headers, reader, length,
                                                                  fault.upload_drip, sock)
                        keep = await self.relay_upstream(method, rest, headers, b"", writer, fault.add_headers,
                                                         opened)
                    except OSError as e:
                        msg = f"upstream unreachable: {e}\n".encode()
                        writer.write(self.encode_head(502, "Bad Gateway", [("Content-Length", str(len(msg)))]) + msg)
                        await writer.drain()
                        return
                    if not keep or (self.header(headers, "connection") or "").lower() == "close":
                        return
                    continue
                if kind == "reset":
                    # SO_LINGER with a zero timeout turns close() into a RST.
                    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                    writer.transport.abort()
                    return
                if kind == "stall":
                    await reader.read()  # until the client gives up
                    return
                if kind == "status":
                    msg = f"injected {fault.status}\n".encode()
                    hdrs = [("Content-Type", "text/plain"), ("Content-Length", str(len(msg)))]
                    if fault.retry_after is not None:
                        hdrs.append(("Retry-After", fault.retry_after))
                    writer.write(self.encode_head(fault.status, REASONS.get(fault.status, "Error"), hdrs) + msg)
                    await writer.drain()
                    continue
                if kind is None and not (fault and fault.drip):
                    # No fault on the answer itself: relay it as it streams in, so that the proxy adds latency
                    # without also capping the bandwidth (large wheels, multipart parts).
                    try:
                        keep = await self.relay_upstream(method, rest, headers, body, writer,
                                                         fault.add_headers if fault else ())
                    except OSError as e:
                        msg = f"upstream unreachable: {e}\n".encode()
                        writer.write(self.encode_head(502, "Bad Gateway", [("Content-Length", str(len(msg)))]) + msg)
                        await writer.drain()
                        continue
                    if not keep or (self.header(headers, "connection") or "").lower() == "close" or \
                            version == "HTTP/1.0":
                        return
                    continue
                try:
                    status, reason, resp_headers, payload = await self.fetch_upstream(method, rest, headers, body)
                except OSError as e:
                    msg = f"upstream unreachable: {e}\n".encode()
                    writer.write(self.encode_head(502, "Bad Gateway", [("Content-Length", str(len(msg)))]) + msg)
                    await writer.drain()
                    continue
                if method != "HEAD" and status not in (204, 304) and not 100 <= status < 200:
                    resp_headers = [(k, v) for k, v in resp_headers if k.lower() != "content-length"]
                    resp_headers.append(("Content-Length", str(len(payload))))
                resp_headers += fault.add_headers
                if kind == "bad-length":
                    resp_headers = [(k, v) for k, v in resp_headers if k.lower() != "content-length"]
                    resp_headers.append(("Content-Length", str(max(0, len(payload) + fault.delta))))
                    writer.write(self.encode_head(status, reason, resp_headers) + payload)
                    await writer.drain()
                    writer.close()
                    return
                if kind == "reset-body":
                    writer.write(self.encode_head(status, reason, resp_headers) + payload[: len(payload) // 2])
                    await writer.drain()
                    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                    writer.transport.abort()
                    return
                if fault and fault.drip:
                    data = self.encode_head(status, reason, resp_headers) + payload
                    step = max(1, fault.drip // 20)
                    for pos in range(0, len(data), step):
                        writer.write(data[pos:pos + step])
                        await writer.drain()
                        await asyncio.sleep(step / fault.drip)
                    if (self.header(headers, "connection") or "").lower() == "close" or version == "HTTP/1.0":
                        return
                    continue
                if kind in ("truncate", "stall-body"):
                    writer.write(self.encode_head(status, reason, resp_headers) + payload[: len(payload) // 2])
                    await writer.drain()
                    if kind == "truncate":
                        writer.close()
                        return
                    await reader.read()
                    return
                writer.write(self.encode_head(status, reason, resp_headers) + payload)
                await writer.drain()
                if (self.header(headers, "connection") or "").lower() == "close" or version == "HTTP/1.0":
                    return
        except (ConnectionError, asyncio.IncompleteReadError):
            return
        finally:
            if not writer.transport.is_closing():
                writer.close()


async def serve(args):
    proxy = Proxy(args.upstream, args.fault, args.log_requests)
    host, port = args.listen.rsplit(":", 1)
    server = await asyncio.start_server(proxy.handle, host, int(port), reuse_address=True, limit=1 << 20)
    async with server:
        await server.serve_forever()


def daemonize(pid_file, log_file):
    if os.fork() > 0:
        os._exit(0)
    os.setsid()
    if os.fork() > 0:
        os._exit(0)
    with open(pid_file, "w", encoding="ascii") as f:
        f.write(f"{os.getpid()}\n")
    log = os.open(log_file or os.devnull, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    devnull = os.open(os.devnull, os.O_RDONLY)
    os.dup2(devnull, 0)
    os.dup2(log, 1)
    os.dup2(log, 2)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--listen", required=True, help="HOST:PORT")
    parser.add_argument("--upstream", required=True, help="HOST:PORT of a plain-HTTP server")
    parser.add_argument("--fault", default="", help="default fault SPEC")
    parser.add_argument("--daemon", action="store_true")
    parser.add_argument("--pid-file")
    parser.add_argument("--log", help="with --daemon: where stdout and stderr go")
    parser.add_argument("--log-requests", metavar="FILE", help="append one JSON line per request (see above)")
    parser.add_argument("--state-tag", help="ignored: lets a launcher recognise its process by command line")
    args = parser.parse_args()
    Fault(args.fault)
    if args.daemon:
        if not args.pid_file:
            parser.error("--daemon needs --pid-file")
        daemonize(args.pid_file, args.log)
    try:
        asyncio.run(serve(args))
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
