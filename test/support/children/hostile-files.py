"""A hostile pod's process that attacks the agent through its own /etc/conjur/ssl (issue 10).

Python because it needs inotify's IN_OPEN, which Node's fs.watch does not report.

  grow DIR BYTES     make client.pem.tmp a directory (Conjur's write never lands, so the agent
                     waits the whole inject timeout), then grow client.pem to a sparse BYTES the
                     moment anyone opens it (between the reader's stat and its read) and shrink it
                     back when they close it; with no opener for 5 ms, flip its size anyway (the
                     polling attacker). On SIGTERM prints {"opens": n, "grows": n} and exits.
  watch-opens DIR NAME
                     prints "open" each time anything opens DIR/NAME for reading or writing
                     (an O_PATH lookup is not an open). On SIGTERM exits.

Both print "ready" once their watch is in place.
"""
import ctypes
import json
import os
import select
import signal
import struct
import sys

IN_ACCESS = 0x1
IN_CLOSE_NOWRITE = 0x10
IN_OPEN = 0x20
EVENT = struct.Struct("iIII")

libc = ctypes.CDLL(None, use_errno=True)


def watch(directory, mask):
    fd = libc.inotify_init1(os.O_NONBLOCK)
    if fd < 0 or libc.inotify_add_watch(fd, directory.encode(), mask) < 0:
        raise OSError(ctypes.get_errno(), "inotify")
    return fd


def events(fd):
    try:
        data = os.read(fd, 65536)
    except BlockingIOError:
        return
    offset = 0
    while offset < len(data):
        _wd, mask, _cookie, length = EVENT.unpack_from(data, offset)
        name = data[offset + EVENT.size : offset + EVENT.size + length].rstrip(b"\0").decode()
        offset += EVENT.size + length
        yield mask, name


class Stop(Exception):
    pass


def on_term(_signum, _frame):
    raise Stop()


def grow(directory, big):
    os.makedirs(os.path.join(directory, "client.pem.tmp"), exist_ok=True)
    small = b"-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n"
    fd = os.open(os.path.join(directory, "client.pem"), os.O_RDWR | os.O_CREAT, 0o644)
    os.write(fd, small)
    notify = watch(directory, IN_OPEN | IN_CLOSE_NOWRITE)
    stats = {"opens": 0, "grows": 0}
    is_big = False
    print("ready", flush=True)
    try:
        while True:
            ready, _, _ = select.select([notify], [], [], 0.005)
            if not ready:
                is_big = not is_big
                os.ftruncate(fd, big if is_big else len(small))
                stats["grows"] += is_big
                continue
            for mask, name in events(notify):
                if name != "client.pem":
                    continue
                if mask & IN_OPEN:
                    stats["opens"] += 1
                    stats["grows"] += 1
                    is_big = True
                    os.ftruncate(fd, big)
                elif mask & IN_CLOSE_NOWRITE:
                    is_big = False
                    os.ftruncate(fd, len(small))
    except Stop:
        print(json.dumps(stats), flush=True)


def watch_opens(directory, target):
    notify = watch(directory, IN_OPEN)
    print("ready", flush=True)
    try:
        while True:
            select.select([notify], [], [])
            for mask, name in events(notify):
                if name == target and mask & IN_OPEN:
                    print("open", flush=True)
    except Stop:
        pass


def main():
    signal.signal(signal.SIGTERM, on_term)
    mode, directory = sys.argv[1], sys.argv[2]
    if mode == "grow":
        grow(directory, int(sys.argv[3]))
    elif mode == "watch-opens":
        watch_opens(directory, sys.argv[3])
    else:
        raise SystemExit("unknown mode " + mode)


main()
