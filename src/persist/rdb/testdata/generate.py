#!/usr/bin/env python3
"""Regenerates the RDB interop fixtures with a real redis-server (7.0.x).

Usage:
  generate.py create          # build redis7_*.rdb fixtures + .expected files
  generate.py expect FILE.rdb # load FILE.rdb in redis-server, write FILE.expected

Each .expected file is the keyspace as real Redis sees it after loading the
RDB, one record per line, sorted, binary-safe (hex):
  key <db> <hexkey> <type> <pexpiretime or -1>
  str <hex>            (string value)
  el <hex>             (list element, in order)
  mem <hex>            (set member, sorted)
  fld <hexfield> <hexvalue>   (hash, sorted by field)
  zm <hexmember> <score>      (zset, ZRANGE order)
The Rust interop tests decode the same RDB with Ferrite's loader and compare.
Ports 7200-7299 only; everything runs in a temp dir.
"""
import os
import random
import shutil
import socket
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
FAR_FUTURE_MS = 4102444800000  # 2100-01-01, so Redis never drops the key


class Redis:
    def __init__(self, port):
        self.sock = socket.create_connection(("127.0.0.1", port))
        self.buf = b""

    def _line(self):
        while b"\r\n" not in self.buf:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise EOFError
            self.buf += chunk
        line, self.buf = self.buf.split(b"\r\n", 1)
        return line

    def _exact(self, n):
        while len(self.buf) < n + 2:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise EOFError
            self.buf += chunk
        data, self.buf = self.buf[:n], self.buf[n + 2:]
        return data

    def _reply(self):
        line = self._line()
        t, rest = line[:1], line[1:]
        if t == b"+":
            return rest
        if t == b"-":
            raise RuntimeError(rest.decode())
        if t == b":":
            return int(rest)
        if t == b"$":
            n = int(rest)
            return None if n < 0 else self._exact(n)
        if t == b"*":
            n = int(rest)
            return None if n < 0 else [self._reply() for _ in range(n)]
        raise RuntimeError("bad reply %r" % line)

    def cmd(self, *args):
        parts = [b"*%d\r\n" % len(args)]
        for a in args:
            if isinstance(a, (int, float)):
                a = repr(a).encode() if isinstance(a, float) else str(a).encode()
            elif isinstance(a, str):
                a = a.encode()
            parts.append(b"$%d\r\n%s\r\n" % (len(a), a))
        self.sock.sendall(b"".join(parts))
        return self._reply()


def start_server(port, workdir, dbfilename, extra=()):
    args = ["redis-server", "--port", str(port), "--dir", workdir,
            "--dbfilename", dbfilename, "--save", "", "--appendonly", "no",
            "--enable-debug-command", "yes", "--daemonize", "no",
            "--logfile", os.path.join(workdir, "log.txt")] + list(extra)
    proc = subprocess.Popen(args)
    for _ in range(100):
        try:
            r = Redis(port)
            while True:
                try:
                    r.cmd("PING")
                    return proc, r
                except RuntimeError as e:  # LOADING
                    if "LOADING" not in str(e):
                        raise
                    time.sleep(0.05)
        except ConnectionRefusedError:
            time.sleep(0.05)
    proc.kill()
    raise RuntimeError("redis-server did not start; see " + workdir)


def stop_server(proc, r):
    try:
        r.cmd("SHUTDOWN", "NOSAVE")
    except Exception:
        pass
    proc.wait(timeout=10)


def dump_keyspace(r):
    lines = []
    for db in range(16):
        r.cmd("SELECT", db)
        for key in sorted(r.cmd("KEYS", "*")):
            t = r.cmd("TYPE", key).decode()
            exp = r.cmd("PEXPIRETIME", key)
            lines.append("key %d %s %s %d" % (db, key.hex(), t, exp))
            if t == "string":
                lines.append("str " + r.cmd("GET", key).hex())
            elif t == "list":
                for e in r.cmd("LRANGE", key, 0, -1):
                    lines.append("el " + e.hex())
            elif t == "set":
                for m in sorted(r.cmd("SMEMBERS", key)):
                    lines.append("mem " + m.hex())
            elif t == "hash":
                flat = r.cmd("HGETALL", key)
                for f, v in sorted(zip(flat[::2], flat[1::2])):
                    lines.append("fld %s %s" % (f.hex(), v.hex()))
            elif t == "zset":
                flat = r.cmd("ZRANGE", key, 0, -1, "WITHSCORES")
                for m, s in zip(flat[::2], flat[1::2]):
                    lines.append("zm %s %s" % (m.hex(), s.decode()))
            else:
                lines.append("unsupported " + t)
    return "\n".join(lines) + "\n"


def expect(rdb_path, port=7210, extra=()):
    work = tempfile.mkdtemp(prefix="rdbexp")
    try:
        shutil.copy(rdb_path, os.path.join(work, "dump.rdb"))
        proc, r = start_server(port, work, "dump.rdb", extra)
        try:
            text = dump_keyspace(r)
        finally:
            stop_server(proc, r)
        out = os.path.splitext(rdb_path)[0] + ".expected"
        with open(out, "w") as f:
            f.write(text)
        print("wrote", out)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def populate_all_types(r):
    rnd = random.Random(1234)
    r.cmd("SELECT", 0)
    # Strings in every encoding.
    r.cmd("SET", "str:small", "hello")
    r.cmd("SET", "str:empty", "")
    for i, v in enumerate(["0", "12", "-5", "-129", "70000", "-2147483648",
                           "4294967296", "9223372036854775807", "0012", "+7",
                           "-0", "1.5"]):
        r.cmd("SET", "str:int:%d" % i, v)
    r.cmd("SET", "str:compressible", "abcdefgh" * 200)
    r.cmd("SET", "str:incompressible", bytes(rnd.getrandbits(8) for _ in range(300)))
    r.cmd("SET", bytes([0, 1, 2, 255, 254]) + b"binary-key", b"\x00\xff\r\n")
    r.cmd("SET", "str:expiring", "soon", "PXAT", FAR_FUTURE_MS)
    r.cmd("SET", "str:21", "a" * 21)
    # Lists: small, numeric, multi-node, big elements.
    r.cmd("RPUSH", "list:small", "a", "b", "c", "1", "-1", "300", "70000",
          "5000000000", "")
    r.cmd("RPUSH", "list:big", *["element-%d" % i for i in range(1300)])
    r.cmd("RPUSH", "list:bigelems", "y" * 4100, "x" * 100, "z" * 70, "w" * 9000)
    r.cmd("RPUSH", "list:expiring", "x")
    r.cmd("PEXPIREAT", "list:expiring", FAR_FUTURE_MS + 1)
    # Sets: intset (16/32/64-bit), hashtable of strings, large int set.
    r.cmd("SADD", "set:int16", 1, 2, 3, -100)
    r.cmd("SADD", "set:int32", 1, 100000, -100000)
    r.cmd("SADD", "set:int64", 1, 10000000000, -9223372036854775808)
    r.cmd("SADD", "set:strings", "apple", "banana", "cherry", "1")
    r.cmd("SADD", "set:bigint", *range(520))
    # Hashes: listpack, hashtable by count, hashtable by value size.
    r.cmd("HSET", "hash:small", "a", "1", "b", "hello", "c", "-70000", "num", "12")
    r.cmd("HSET", "hash:big", *sum([["f%d" % i, "v%d" % i] for i in range(520)], []))
    r.cmd("HSET", "hash:longval", "f", "v" * 100, "g", "short")
    # Sorted sets: listpack with int/fractional/inf scores, skiplist.
    r.cmd("ZADD", "zset:small", 1, "one", 2.5, "two-and-half", -3, "minus-three",
          "inf", "pinf", "-inf", "ninf", 0.1, "tenth", 1e20, "huge", 0, "zero")
    r.cmd("ZADD", "zset:big", *sum([[i * 0.5, "member%d" % i] for i in range(200)], []))
    r.cmd("ZADD", "zset:longmember", 1, "m" * 100, 2, "short")
    # Other databases.
    r.cmd("SELECT", 1)
    r.cmd("SET", "db1:key", "in db 1")
    r.cmd("HSET", "db1:hash", "x", "y")
    r.cmd("SELECT", 5)
    r.cmd("SET", "db5:key", "in db 5", "PXAT", FAR_FUTURE_MS + 5)
    r.cmd("SELECT", 0)


def create():
    work = tempfile.mkdtemp(prefix="rdbgen")
    try:
        # 1. Every type and encoding Redis 7.0 writes, compression on.
        proc, r = start_server(7201, work, "redis7_types.rdb")
        try:
            populate_all_types(r)
            r.cmd("FUNCTION", "LOAD",
                  "#!lua name=mylib\nredis.register_function('f1', function() return 1 end)")
            r.cmd("SAVE")
        finally:
            stop_server(proc, r)
        shutil.copy(os.path.join(work, "redis7_types.rdb"), HERE)

        # 2. Plain quicklist nodes and compressed (LZF) quicklist nodes.
        proc, r = start_server(7202, work, "redis7_quicklist.rdb",
                               ["--list-compress-depth", "1",
                                "--list-max-listpack-size", "4"])
        try:
            r.cmd("DEBUG", "QUICKLIST-PACKED-THRESHOLD", "100")
            r.cmd("RPUSH", "list:plain", "small", "p" * 150, "tiny", "q" * 200)
            r.cmd("RPUSH", "list:compressed", *["compress-me-%d" % (i % 7) * 4 for i in range(40)])
            r.cmd("SAVE")
        finally:
            stop_server(proc, r)
        shutil.copy(os.path.join(work, "redis7_quicklist.rdb"), HERE)

        # 3. No compression, no checksum, LFU counters.
        proc, r = start_server(7203, work, "redis7_nocomp_lfu.rdb",
                               ["--rdbcompression", "no", "--rdbchecksum", "no",
                                "--maxmemory-policy", "allkeys-lfu"])
        try:
            r.cmd("SET", "long", "abcdefgh" * 20)
            r.cmd("SET", "n", "42")
            r.cmd("RPUSH", "l", "abcdefgh" * 20)
            r.cmd("SAVE")
        finally:
            stop_server(proc, r)
        shutil.copy(os.path.join(work, "redis7_nocomp_lfu.rdb"), HERE)

        # 4. LRU idle times.
        proc, r = start_server(7204, work, "redis7_lru.rdb",
                               ["--maxmemory-policy", "allkeys-lru"])
        try:
            r.cmd("SET", "a", "1")
            r.cmd("SET", "b", "2", "PXAT", FAR_FUTURE_MS)
            r.cmd("SAVE")
        finally:
            stop_server(proc, r)
        shutil.copy(os.path.join(work, "redis7_lru.rdb"), HERE)

        # 5. A stream (must be reported as unsupported, not crash).
        proc, r = start_server(7205, work, "redis7_stream.rdb")
        try:
            r.cmd("XADD", "s", "1-1", "field", "value")
            r.cmd("SAVE")
        finally:
            stop_server(proc, r)
        shutil.copy(os.path.join(work, "redis7_stream.rdb"), HERE)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    for name in ["redis7_types", "redis7_quicklist", "redis7_nocomp_lfu", "redis7_lru"]:
        expect(os.path.join(HERE, name + ".rdb"))


if __name__ == "__main__":
    if len(sys.argv) >= 2 and sys.argv[1] == "create":
        create()
    elif len(sys.argv) >= 3 and sys.argv[1] == "expect":
        for path in sys.argv[2:]:
            expect(path)
    else:
        print(__doc__)
        sys.exit(2)
