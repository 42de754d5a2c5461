"""redis-py against the real ferrite binary, with the client's defaults.

redis-py 8 connects with HELLO 3 (RESP3) by default; these tests check that
a stock client works unchanged. Run by scripts/test in a virtualenv.
"""

import os
import socket
import subprocess
import tempfile
import time

import pytest
import redis

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BIN = os.environ.get("FERRITE_BIN", os.path.join(REPO, "target", "release", "ferrite"))


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server():
    port = free_port()
    tmp = tempfile.mkdtemp(prefix="ferrite-py-")
    proc = subprocess.Popen(
        [BIN, "--port", str(port), "--bind", "127.0.0.1", "--dir", tmp, "--save", ""],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.time() + 10
    while time.time() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            break
        except OSError:
            time.sleep(0.02)
    yield port
    proc.terminate()
    proc.wait(timeout=10)


def test_client_defaults_to_resp3(server):
    r = redis.Redis(host="127.0.0.1", port=server, db=0)
    info = r.execute_command("CLIENT", "INFO")
    text = info.decode() if isinstance(info, bytes) else str(info)
    expected = "resp=3" if redis.__version__.startswith("8") else "resp="
    assert expected in text


def test_set_get_expire_ttl(server):
    r = redis.Redis(host="127.0.0.1", port=server, db=0)
    assert r.set("greeting", "hello") is True
    assert r.get("greeting") == b"hello"
    assert r.expire("greeting", 3600) is True
    ttl = r.ttl("greeting")
    assert 3590 <= ttl <= 3600
    assert r.get("missing") is None
    assert r.incr("counter") == 1
    assert r.incrbyfloat("f", 10.5) == 10.5
    assert r.mset({"a": "1", "b": "2"}) is True
    assert r.mget(["a", "b", "nope"]) == [b"1", b"2", None]
    assert r.delete("a", "b") == 2
    assert r.exists("greeting") == 1


def test_errors_map_to_exceptions(server):
    r = redis.Redis(host="127.0.0.1", port=server, db=0)
    r.set("s", "abc")
    with pytest.raises(redis.ResponseError, match="not an integer"):
        r.incr("s")


def test_pipeline_and_scan(server):
    r = redis.Redis(host="127.0.0.1", port=server, db=1)
    r.flushdb()
    with r.pipeline(transaction=False) as p:
        for i in range(500):
            p.set(f"k:{i}", i)
        p.execute()
    assert len(list(r.scan_iter(match="k:*", count=50))) == 500
    assert r.dbsize() == 500


def test_product_cache_example(server):
    """The README's first-minutes example, unchanged: hmset, expire, hgetall, ttl."""
    r = redis.Redis(host="localhost", port=server, db=0)
    r.delete("product:12345")
    r.hmset("product:12345", {"name": "Super Widget", "price": "29.99", "stock": "150"})
    r.expire("product:12345", 3600)
    assert r.hgetall("product:12345") == {
        b"name": b"Super Widget",
        b"price": b"29.99",
        b"stock": b"150",
    }
    assert 3590 <= r.ttl("product:12345") <= 3600
    assert r.object("encoding", "product:12345") == b"listpack"


def test_collections_with_resp3_defaults(server):
    r = redis.Redis(host="localhost", port=server, db=0, decode_responses=True)
    r.delete("q", "tags", "board")
    r.rpush("q", "a", "b")
    assert list(r.blpop(["q"], timeout=1)) == ["q", "a"]
    assert r.sadd("tags", "x", "y") == 2
    assert r.smembers("tags") == {"x", "y"}
    r.zadd("board", {"alice": 10, "bob": 20})
    assert r.zrange("board", 0, -1, withscores=True, desc=True) == [("bob", 20.0), ("alice", 10.0)]
    assert r.zincrby("board", 5, "alice") == 15.0
    with r.pipeline() as p:
        p.hset("h", mapping={"a": 1})
        p.hincrby("h", "a", 2)
        assert p.execute() == [1, 3]


def test_cache_with_maxmemory_allkeys_lru(server):
    """A cache under a memory limit: writes keep working, old entries make room,
    and redis-py sees Redis's OOM error once nothing may be evicted."""
    r = redis.Redis(host="localhost", port=server, db=2)
    r.flushdb()
    limit = r.info("memory")["used_memory"] + 200_000
    try:
        r.config_set("maxmemory-policy", "allkeys-lru")
        r.config_set("maxmemory", limit)
        with r.pipeline(transaction=False) as p:
            for i in range(20_000):
                p.set(f"page:{i}", "x" * 100, ex=3600)
            p.execute()
        assert r.info("memory")["used_memory"] <= limit + 4096
        assert r.info("stats")["evicted_keys"] > 0
        assert 0 < r.dbsize() < 20_000
        assert r.get("page:19999") == b"x" * 100

        r.config_set("maxmemory-policy", "noeviction")
        with pytest.raises(redis.exceptions.OutOfMemoryError):
            for i in range(20_000):
                r.set(f"more:{i}", "x" * 100)
    finally:
        r.config_set("maxmemory", 0)
        r.config_set("maxmemory-policy", "noeviction")
        r.flushdb()
