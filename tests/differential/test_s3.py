#!/usr/bin/env python3
"""Differential test of wheelhouse's SigV4 signer (module s3) against botocore.

Generates random requests from a seed -- S3 and other services, header signing and presigned URLs,
unicode S3 keys, query strings with duplicate names, headers with odd whitespace and repeated names,
session tokens, methods, signed and unsigned payloads -- signs each with botocore (Debian
python3-botocore: SigV4Auth, S3SigV4Auth, SigV4QueryAuth, S3SigV4QueryAuth, with a fixed timestamp)
and with probe_s3, and compares byte for byte: the request path (S3 key encoding), the canonical
request, the string to sign, the signature, and the Authorization header (header signing) or the
query parameters of the presigned URL (query signing; botocore orders them differently, so the
encoded "name=value" pairs are compared as sorted lists).

    /usr/bin/python3 test_s3.py --probe build/x/tests/differential/probe_s3 --fixtures fixtures

WHEELHOUSE_DIFF_SEED and WHEELHOUSE_DIFF_COUNT override the seed and the number of requests.

Inputs botocore treats specially and wheelhouse deliberately does not are not generated: a Date
header (botocore then signs Date instead of X-Amz-Date), a caller-set X-Amz-Content-SHA256 header on
non-S3 services (botocore takes it as the payload hash), header values with non-ASCII or control
characters (not valid in HTTP/1.1), and a form-encoded body in a presigned request (botocore moves
it into the query).
"""

import argparse
import hashlib
import json
import os
import random
import subprocess
import sys
import time
import types
import urllib.parse

from botocore.auth import S3SigV4Auth, S3SigV4QueryAuth, SigV4Auth, SigV4QueryAuth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from botocore.utils import percent_encode

METHODS = ["GET", "PUT", "POST", "DELETE", "HEAD", "PATCH", "OPTIONS"]
REGIONS = ["us-east-1", "eu-west-1", "ap-southeast-2", "us-gov-west-1", "cn-north-1", "local"]
SERVICES = ["sts", "iam", "kms", "service", "execute-api", "mwaa"]
B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
KEY_ALPHABET = (
    list("abcxyzABCXYZ0123456789")
    + list(" +~%?#&=;:,@$!'()*[]{}<>|\\^`\"-._")
    + ["/"] * 6
    + ["é", "ü", "ß", "ø", "ñ", "Ω", "Ж", "ሴ", "中", "文", "日本", "😀", "🚀", "\u00a0", "\u2003", "\ufeff"]
)
HEADER_NAMES = ["X-Amz-Meta-Name", "x-amz-meta-sha256", "Content-Type", "Range", "If-Match", "X-Custom",
                "x-custom", "X-Amz-Server-Side-Encryption", "x-amz-server-side-encryption-aws-kms-key-id",
                "X-Amz-Checksum-Sha256", "Content-MD5", "Cache-Control", "My-Header1", "X_Under", "a",
                "Z-Last", "User-Agent", "Expect", "X-Amzn-Trace-Id"]
VALUE_CHARS = list("abcXYZ0123456789-_.:;/=+,\"'()*&^%$#@!~`[]{}<>?|\\") + [" "] * 6 + ["\t"] * 2


def rand_text(rng, alphabet, lo, hi):
    return "".join(rng.choice(alphabet) for _ in range(rng.randint(lo, hi)))


def rand_key(rng):
    r = rng.random()
    if r < 0.1:
        return rng.choice(["plugins.zip", "requirements.txt", "dags/my dag.py", "a+b~c", "dags/../x", "./a",
                           "a//b", "/leading", "trailing/", "%2F", "..", "sp ace/ünï/😀.txt"])
    return rand_text(rng, KEY_ALPHABET, 1, 40)


def rand_segment(rng):
    r = rng.random()
    if r < 0.15:
        return rng.choice([".", "..", ""])
    return urllib.parse.quote(rand_text(rng, KEY_ALPHABET, 1, 10), safe="~-._!$&'()*+,;=:@")


def rand_query(rng, unique):
    params = []
    names = set()
    for _ in range(rng.choice([0, 0, 1, 2, 3, 5])):
        r = rng.random()
        if r < 0.3:
            name = rng.choice(["versionId", "uploadId", "partNumber", "prefix", "list-type", "delete",
                               "continuation-token", "uploads", "Param", "param"])
        else:
            name = rand_text(rng, KEY_ALPHABET, 1, 8)
        if unique and name in names:
            continue
        names.add(name)
        value = "" if rng.random() < 0.2 else rand_text(rng, KEY_ALPHABET, 1, 12)
        params.append((name, value))
        if not unique and rng.random() < 0.2:
            params.append((name, rand_text(rng, KEY_ALPHABET, 0, 5)))
    return params


def rand_header_value(rng):
    r = rng.random()
    if r < 0.1:
        return ""
    value = rand_text(rng, VALUE_CHARS, 1, 30)
    if r < 0.3:
        value = "  " + value + " \t "
    return value


def rand_headers(rng, host, query_mode):
    headers = [("Host" if rng.random() < 0.7 else "host", host)]
    for _ in range(rng.choice([0, 1, 2, 3, 5])):
        name = rng.choice(HEADER_NAMES)
        value = rand_header_value(rng)
        if query_mode and name.lower() == "content-type" and value == "application/x-www-form-urlencoded; charset=utf-8":
            continue
        headers.append((name, value))
    return headers


def rand_amz_date(rng):
    t = rng.randint(0, 4102444800)  # 1970 .. 2100
    return time.strftime("%Y%m%dT%H%M%SZ", time.gmtime(t))


def generate(rng):
    s3 = rng.random() < 0.6
    mode = "header" if rng.random() < 0.65 else "query"
    q = {
        "mode": mode,
        "s3": s3,
        "method": rng.choice(METHODS),
        "access_key": "AKIA" + rand_text(rng, "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", 16, 16),
        "secret": rand_text(rng, B64, 40, 40),
        "token": None if rng.random() < 0.5 else rand_text(rng, B64 + "=", 16, 300),
        "region": rng.choice(REGIONS),
        "amz_date": rand_amz_date(rng),
        "expires": rng.choice([1, 60, 900, 3600, 86400, 604800]),
    }
    body = b""
    if s3:
        q["service"] = "s3"
        bucket = rand_text(rng, "abcdefghijklmnopqrstuvwxyz0123456789-", 3, 20)
        path_style = rng.random() < 0.5
        q["bucket"] = bucket if path_style else None
        q["key"] = rand_key(rng)
        host = ("s3.%s.amazonaws.com" % q["region"]) if path_style else ("%s.s3.amazonaws.com" % bucket)
        if rng.random() < 0.2:
            host = rng.choice(["127.0.0.1:7480", "localhost:9000", "bucket.vpce-0a1b2c3d-xyz.s3.us-east-1.vpce.amazonaws.com"])
        q["host"] = host
        q["content_sha256_header"] = mode == "header"
        if mode == "header":
            unsigned = rng.random() < 0.4
            if not unsigned and rng.random() < 0.7:
                body = os.urandom(rng.randint(1, 200))
            q["unsigned"] = unsigned
            q["payload_hash"] = "UNSIGNED-PAYLOAD" if unsigned else hashlib.sha256(body).hexdigest()
        else:
            q["payload_hash"] = "UNSIGNED-PAYLOAD"
    else:
        q["service"] = rng.choice(SERVICES)
        segments = [rand_segment(rng) for _ in range(rng.randint(0, 5))]
        q["path"] = "/" + "/".join(segments) + ("/" if rng.random() < 0.2 else "")
        q["host"] = "%s.%s.amazonaws.com" % (q["service"], q["region"])
        unsigned = mode == "header" and rng.random() < 0.25
        q["unsigned"] = unsigned
        q["content_sha256_header"] = unsigned
        if mode == "header" and not unsigned and rng.random() < 0.5:
            body = os.urandom(rng.randint(1, 100))
        q["payload_hash"] = "UNSIGNED-PAYLOAD" if unsigned else hashlib.sha256(body).hexdigest()
    q["query"] = rand_query(rng, unique=(mode == "query"))
    q["headers"] = rand_headers(rng, q["host"], mode == "query")
    return q, body


def botocore_sign(q, body):
    if q["s3"]:
        key_path = percent_encode(q["key"], safe="/~")
        path = ("/%s/%s" % (q["bucket"], key_path)) if q["bucket"] is not None else "/" + key_path
    else:
        path = q["path"]
    url = "https://%s%s" % (q["host"], path)
    request = AWSRequest(method=q["method"], url=url, data=body)
    for name, value in q["headers"]:
        request.headers[name] = value
    if q["mode"] == "header":
        request.params = list(q["query"])
    else:
        request.params = dict(q["query"])
    request.context["timestamp"] = q["amz_date"]
    if q.get("unsigned"):
        if q["s3"]:
            request.context["client_config"] = types.SimpleNamespace(s3={"payload_signing_enabled": False})
        else:
            request.context["payload_signing_enabled"] = False
    creds = Credentials(q["access_key"], q["secret"], q["token"])
    if q["mode"] == "header":
        auth = (S3SigV4Auth if q["s3"] else SigV4Auth)(creds, q["service"], q["region"])
    else:
        auth = (S3SigV4QueryAuth if q["s3"] else SigV4QueryAuth)(creds, q["service"], q["region"], expires=q["expires"])
    # SigV4Auth.add_auth without its clock: the same steps with the fixed timestamp.
    auth._modify_request_before_signing(request)
    canonical_request = auth.canonical_request(request)
    string_to_sign = auth.string_to_sign(request, canonical_request)
    signature = auth.signature(string_to_sign, request)
    auth._inject_signature_to_request(request, signature)
    out = {"path": path, "cr": canonical_request, "sts": string_to_sign, "signature": signature}
    if q["mode"] == "header":
        out["auth"] = request.headers["Authorization"]
    else:
        out["query"] = sorted(urllib.parse.urlsplit(request.url).query.split("&"))
    return out


class Probe:
    def __init__(self, path):
        self.path = path

    def ask(self, queries):
        data = "".join(json.dumps(q) + "\n" for q in queries)
        proc = subprocess.run([self.path], input=data.encode(), stdout=subprocess.PIPE, check=True)
        lines = proc.stdout.decode().splitlines()
        if len(lines) != len(queries):
            sys.exit(f"probe answered {len(lines)} lines for {len(queries)} queries")
        return [json.loads(line) for line in lines]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--probe", required=True)
    parser.add_argument("--fixtures", required=False)
    args = parser.parse_args()

    seed = int(os.environ.get("WHEELHOUSE_DIFF_SEED", str(int(time.time()))))
    count = int(os.environ.get("WHEELHOUSE_DIFF_COUNT", "5000"))
    print(f"seed {seed} (WHEELHOUSE_DIFF_SEED), {count} requests (WHEELHOUSE_DIFF_COUNT)")
    rng = random.Random(seed)

    cases = [generate(rng) for _ in range(count)]
    queries = [q for q, _ in cases]
    answers = Probe(args.probe).ask(queries)

    disagreements = []
    kinds = {}
    for (q, body), ours in zip(cases, answers):
        kind = ("s3" if q["s3"] else "other") + "/" + q["mode"] + ("/token" if q["token"] else "")
        kinds[kind] = kinds.get(kind, 0) + 1
        ref = botocore_sign(q, body)
        if "error" in ours:
            disagreements.append((q, "probe error: " + ours["error"], ref))
            continue
        if q["mode"] == "query":
            ours = dict(ours)
            ours["query"] = sorted(ours.pop("query_string").split("&"))
        for field in ref:
            if ours.get(field) != ref[field]:
                disagreements.append((q, f"{field}: ours {ours.get(field)!r} botocore {ref[field]!r}", None))
                break

    print("compared by kind: " + ", ".join(f"{k} {v}" for k, v in sorted(kinds.items())))
    for q, what, _ in disagreements[:20]:
        print("DISAGREE", what)
        print("   input", json.dumps(q, ensure_ascii=False))
    print(f"{count} compared, {len(disagreements)} disagreements")
    return 1 if disagreements else 0


if __name__ == "__main__":
    sys.exit(main())
