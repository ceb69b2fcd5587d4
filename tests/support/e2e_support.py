"""What the end-to-end test scripts share: a tally of checks that goes on after a failure (so that one run shows
every broken point), and loopback ports for the servers a test starts itself."""

import socket
import time


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



def crc64nvme_header(data):
    """The x-amz-checksum-crc64nvme value S3 shows for these bytes: CRC-64/NVME (python3-crcmod, an implementation
    independent of wheelhouse's), its 8 bytes big-endian in base64."""
    import base64
    import crcmod
    crc = crcmod.mkCrcFun(0x1AD93D23594C93659, initCrc=0, rev=True, xorOut=0xFFFFFFFFFFFFFFFF)
    return base64.b64encode(crc(data).to_bytes(8, "big")).decode()
