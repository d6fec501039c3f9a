#!/usr/bin/env python3
"""peer.py - the Linux side of the interop tests (tests/interop/*.sh).

Runs inside the test's network namespace, against the virtual hosts behind
the TAP device.  Every mode prints one line of "key=value" words per
connection on stdout (flushed; booleans as true/false, no spaces in
values), which the drivers read back with grep; errors go to stderr with
a non-zero exit.

  server PORT --send F --recv F [--count N]  accept N connections (one after
                                             the other); on each, send F and
                                             read to EOF into F at once (full
                                             duplex), then close; --bytes N
                                             sends N bytes of lunet's pattern
  client HOST PORT --send F --recv F         the same, connecting
  info-server PORT [--count N]               accept N connections: read a
                                             line, answer it, report Linux's
                                             TCP_INFO of the connection
  info-client HOST PORT                      the same, connecting
  close-server PORT CASE...                  the close, reset and half-close
  close-client HOST PORT CASE                cases of close.sh (close_case
                                             below); the server takes one
                                             connection per case, in order
  listen PORT BACKLOG                        listen and never accept (the
                                             SYN flood's target)
  connect HOST PORT [--when F]               connect (3 s at most), say how
                                             long it took, close; with --when,
                                             once the file F exists
"""
import argparse
import os
import socket
import struct
import sys
import threading
import time

TIMEOUT = 30


def out(obj):
    """One line of key=value words; a nested dict's keys are flattened
    (info's ts is ts), lists joined with commas."""
    flat = {}
    for k, v in obj.items():
        if isinstance(v, dict):
            flat.update(v)
        else:
            flat[k] = v
    words = []
    for k, v in sorted(flat.items()):
        if isinstance(v, bool):
            v = "true" if v else "false"
        elif isinstance(v, (list, tuple)):
            v = ",".join(str(x) for x in v)
        words.append("%s=%s" % (k, str(v).replace(" ", "_")))
    print(" ".join(words), flush=True)


def tcp_info(s):
    """Linux's struct tcp_info, the fields the tests compare
    (include/uapi/linux/tcp.h): options and window scales in bytes 5 and
    6, then rto, ato, snd_mss, rcv_mss (u32 from byte 8)."""
    b = s.getsockopt(socket.IPPROTO_TCP, socket.TCP_INFO, 104)
    state, ca_state, retransmits, probes, backoff, options, wscale = struct.unpack_from("7B", b, 0)
    rto, ato, snd_mss, rcv_mss = struct.unpack_from("4I", b, 8)
    total_retrans = struct.unpack_from("I", b, 100)[0] if len(b) >= 104 else None
    return {
        "ts": bool(options & 1), "sack": bool(options & 2), "wscale_ok": bool(options & 4),
        "snd_wscale": wscale & 0x0f, "rcv_wscale": wscale >> 4,
        "snd_mss": snd_mss, "rcv_mss": rcv_mss, "total_retrans": total_retrans,
    }


def duplex(c, send_path, recv_path, nbytes=0):
    """Send a file (or nbytes of lunet's pattern) and read to EOF at the
    same time; then close."""
    data = open(send_path, "rb").read() if send_path else b""
    chunk = pattern(1 << 16)
    err = []

    def sender():
        try:
            c.sendall(data)
            left = nbytes
            while left > 0:
                n = c.send(chunk[:left])
                left -= n
            c.shutdown(socket.SHUT_WR)
        except OSError as e:
            err.append("send: %s" % e)

    t = threading.Thread(target=sender)
    t0 = time.monotonic()
    t.start()
    n = 0
    with open(recv_path, "wb") as f:
        while True:
            try:
                d = c.recv(1 << 16)
            except OSError as e:
                err.append("recv: %s" % e)
                break
            if not d:
                break
            f.write(d)
            n += len(d)
    t.join()
    info = tcp_info(c)
    c.close()
    return {"sent": len(data) + nbytes, "received": n, "seconds": round(time.monotonic() - t0, 3),
            "errors": err, "info": info}


def listener(port, backlog=16):
    l = socket.socket()
    l.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    l.bind(("0.0.0.0", port))
    l.listen(backlog)
    l.settimeout(TIMEOUT)
    return l


def connect(host, port):
    c = socket.create_connection((host, port), timeout=TIMEOUT)
    c.settimeout(TIMEOUT)
    return c


def readline(c):
    buf = b""
    while not buf.endswith(b"\n"):
        d = c.recv(1)
        if not d:
            break
        buf += d
    return buf


def info_exchange(c, who):
    line = readline(c) if who == "server" else None
    if who == "client":
        c.sendall(b"hello\n")
        line = readline(c)
    else:
        c.sendall(line)
    r = tcp_info(c)
    r["line"] = line.decode(errors="replace").strip()
    r["local"] = "%s:%d" % c.getsockname()
    r["remote"] = "%s:%d" % c.getpeername()
    # The peer closes first: read its FIN, then ours.
    c.recv(1)
    c.close()
    return r


def linger0(c):
    c.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))


def pattern(n):
    """n bytes of lunet's generated pattern (byte i is i % 256), which a
    virtual host sends with s:send(n)."""
    return (bytes(range(256)) * (n // 256 + 1))[:n]


def recv_to_eof(c):
    n, chunks = 0, []
    while True:
        d = c.recv(1 << 16)
        if not d:
            return b"".join(chunks)
        chunks.append(d)


def close_case(c, case, half):
    """One of close.sh's cases, from Linux's end (the virtual host runs
    the other end in close.lua).  Returns what Linux saw."""
    r = {"case": case, "local": "%s:%d" % c.getsockname(), "remote": "%s:%d" % c.getpeername()}
    if case == "linux_rst":
        # A line each way, then Linux aborts: SO_LINGER 0, close -> RST.
        c.sendall(b"hello\n")
        r["line"] = readline(c).decode().strip()
        linger0(c)
        c.close()
    elif case == "virt_rst":
        # A line to the virtual host, which aborts: Linux reads the RST.
        c.sendall(b"hello\n")
        try:
            r["error"] = "eof" if not c.recv(100) else "data"
        except ConnectionResetError:
            r["error"] = "reset"
        c.close()
    elif case == "linux_fin":
        # Linux closes first: the virtual host reads EOF, then closes; the
        # Linux socket is left in TIME_WAIT.
        c.sendall(b"bye\n")
        c.close()
    elif case == "virt_fin":
        # The virtual host closes first; Linux reads EOF and closes.
        r["got"] = recv_to_eof(c).decode().strip()
        c.close()
    elif case == "linux_halfclose":
        # Linux shuts down its write side; the virtual host keeps sending
        # (half bytes) after Linux's FIN, then closes.
        c.sendall(b"request\n")
        c.shutdown(socket.SHUT_WR)
        d = recv_to_eof(c)
        r["received"] = len(d)
        r["intact"] = d == pattern(len(d))
        c.close()
    elif case == "virt_halfclose":
        # The virtual host shuts down its write side first; Linux keeps
        # sending (half bytes) after reading its FIN, then closes.
        d = recv_to_eof(c)
        r["got"] = d.decode().strip()
        c.sendall(pattern(half))
        r["sent"] = half
        c.close()
    else:
        raise SystemExit("unknown case " + case)
    return r


def main():
    p = argparse.ArgumentParser()
    p.add_argument("mode")
    p.add_argument("rest", nargs="*")
    p.add_argument("--send")
    p.add_argument("--recv")
    p.add_argument("--count", type=int, default=1)
    p.add_argument("--half", type=int, default=256 * 1024)
    p.add_argument("--bytes", type=int, default=0)
    p.add_argument("--when")
    a = p.parse_args()

    if a.mode == "server":
        l = listener(int(a.rest[0]))
        out({"listening": int(a.rest[0])})
        for _ in range(a.count):
            c, _ = l.accept()
            c.settimeout(TIMEOUT)
            out(duplex(c, a.send, a.recv, a.bytes))
    elif a.mode == "client":
        out(duplex(connect(a.rest[0], int(a.rest[1])), a.send, a.recv, a.bytes))
    elif a.mode == "info-server":
        l = listener(int(a.rest[0]))
        out({"listening": int(a.rest[0])})
        for _ in range(a.count):
            c, _ = l.accept()
            c.settimeout(TIMEOUT)
            out(info_exchange(c, "server"))
    elif a.mode == "info-client":
        out(info_exchange(connect(a.rest[0], int(a.rest[1])), "client"))
    elif a.mode == "close-server":
        l = listener(int(a.rest[0]))
        out({"listening": int(a.rest[0])})
        for case in a.rest[1:]:
            c, _ = l.accept()
            c.settimeout(TIMEOUT)
            out(close_case(c, case, a.half))
    elif a.mode == "close-client":
        out(close_case(connect(a.rest[0], int(a.rest[1])), a.rest[2], a.half))
    elif a.mode == "connect":
        deadline = time.monotonic() + TIMEOUT
        while a.when and not os.path.exists(a.when):
            if time.monotonic() > deadline:
                raise SystemExit("no %s after %d s" % (a.when, TIMEOUT))
            time.sleep(0.002)
        t0 = time.monotonic()
        c = socket.create_connection((a.rest[0], int(a.rest[1])), timeout=3)
        out({"connected": True, "ms": round((time.monotonic() - t0) * 1000, 1)})
        c.close()
    elif a.mode == "listen":
        l = listener(int(a.rest[0]), int(a.rest[1]))
        out({"listening": int(a.rest[0])})
        time.sleep(3600)
    else:
        raise SystemExit("unknown mode " + a.mode)


if __name__ == "__main__":
    try:
        main()
    except (OSError, ValueError) as e:
        print("peer.py: %s" % e, file=sys.stderr, flush=True)
        sys.exit(1)
