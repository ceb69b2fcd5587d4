"""What the end-to-end test scripts share: a tally of checks that goes on after a failure (so that one run shows
every broken point), loopback ports for the servers a test starts itself, and the folder MWAA unzips plugins.zip
into."""

import fcntl
import os
import shutil
import socket
import time
from pathlib import Path

# Where MWAA unzips plugins.zip.
MWAA_PLUGINS = Path("/usr/local/airflow/plugins")


class Tally:
    def __init__(self):
        self.count = 0
        self.failures = []

    def check(self, condition, message):
        """Counts a check; a false condition is recorded and printed at once. Returns the condition."""
        self.count += 1
        if not condition:
            self.failures.append(message)
            print("FAIL:", message, flush=True)
        return condition


tally = Tally()
check = tally.check
failures = tally.failures


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_port(port, seconds=10, host="127.0.0.1"):
    """True once something accepts connections on host:port, False after `seconds`."""
    end = time.time() + seconds
    while time.time() < end:
        try:
            socket.create_connection((host, port), timeout=0.5).close()
            return True
        except OSError:
            time.sleep(0.05)
    return False


class PluginsFolder:
    """The real /usr/local/airflow/plugins when it is free (serialised by a lock), else a temporary folder."""

    def __init__(self, tmp):
        self.tmp = Path(tmp)
        self.lock = None
        self.path = None
        self.real = False
        self.created_parent = False

    def __enter__(self):
        try:
            self.lock = open("/tmp/wheelhouse-e2e-airflow-plugins.lock", "w")
            fcntl.flock(self.lock, fcntl.LOCK_EX)
            if os.geteuid() == 0 and not MWAA_PLUGINS.exists():
                self.created_parent = not MWAA_PLUGINS.parent.exists()
                MWAA_PLUGINS.mkdir(parents=True)
                self.path, self.real = MWAA_PLUGINS, True
        except OSError:
            pass
        if self.path is None:
            self.path = self.tmp / "airflow-plugins"
            self.path.mkdir()
        return self

    def __exit__(self, *exc):
        shutil.rmtree(self.path, ignore_errors=True)
        if self.real and self.created_parent:
            shutil.rmtree(MWAA_PLUGINS.parent, ignore_errors=True)  # /usr/local/airflow, made by us
        if self.lock:
            self.lock.close()

def crc64nvme_header(data):
    """The x-amz-checksum-crc64nvme value S3 shows for these bytes: CRC-64/NVME (python3-crcmod, an implementation
    independent of wheelhouse's), its 8 bytes big-endian in base64."""
    import base64
    import crcmod
    crc = crcmod.mkCrcFun(0x1AD93D23594C93659, initCrc=0, rev=True, xorOut=0xFFFFFFFFFFFFFFFF)
    return base64.b64encode(crc(data).to_bytes(8, "big")).decode()
