"""A fresh client's catch-up, the download stage: what it costs before the first event
arrives, and how soon the next page starts downloading (issue 11)."""

import gc
import os
import ssl

import httpx
import pytest

from tests.sync.conftest import server_log
from tests.sync.faultproxy import FaultProxy
from warroom.sync import engine
from warroom.sync.client import ServerClient, tls_for
from warroom.sync.failover import FailoverClient


@pytest.fixture
def no_proxies(monkeypatch):
    """An environment naming no proxy (``urllib.request.getproxies`` reads any
    ``*_proxy`` variable, in either case)."""
    for name in os.environ:
        if name.lower().endswith("_proxy"):
            monkeypatch.delenv(name)
    return monkeypatch


def test_a_client_of_an_http_server_loads_no_certificates_and_trusts_none(no_proxies):
    """Loading the certificate store was a tenth of a 10k-event catch-up; an http://
    client never speaks TLS, and its context would refuse any certificate if it did."""
    plain = tls_for("http://127.0.0.1:8080")
    assert isinstance(plain, ssl.SSLContext)
    assert plain.cert_store_stats()["x509_ca"] == 0
    assert plain.verify_mode == ssl.CERT_REQUIRED and plain.check_hostname
    client = ServerClient("http://127.0.0.1:8080", "token")
    try:  # the context httpx's connection pool was given (the only place it is kept)
        assert client.http._transport._pool._ssl_context.cert_store_stats()["x509_ca"] == 0
    finally:
        client.close()


def test_a_client_that_may_speak_tls_checks_against_the_certificate_store(no_proxies):
    assert tls_for("https://warroom.example.com") is True
    no_proxies.setenv("HTTPS_PROXY", "proxy.example.com:3128")  # reached over http://
    assert isinstance(tls_for("http://10.0.0.1:8080"), ssl.SSLContext)
    no_proxies.setenv("http_proxy", "HTTPS://proxy.example.com:3128")  # over TLS
    assert tls_for("http://10.0.0.1:8080") is True
    client = ServerClient("https://warroom.example.com", "token")
    try:
        assert client.http._transport._pool._ssl_context.cert_store_stats()["x509_ca"] > 0
    finally:
        client.close()


def _log(clients, entries: int):
    """A writer's client and its incident of a declaration and ``entries`` notes, synced."""
    writer = clients("alice")
    incident = writer.room.declare("Pages", severity="SEV4", incident_type="outage").incident_id
    for n in range(entries):
        writer.room.log(incident, f"entry {n}")
    writer.sync_once()
    return writer, incident


def test_a_catch_up_starts_with_a_small_page_and_doubles_it(clients, server, monkeypatch):
    """The first page is waited for whole, so it is small; the pages after it double
    up to ``PAGE``, and the catch-up ends with the server's log exactly."""
    writer, incident = _log(clients, 70)
    monkeypatch.setattr(engine, "FIRST_PAGE", 5)
    monkeypatch.setattr(engine, "PAGE", 40)
    limits, real_feed, real_bytes = [], FailoverClient.feed, FailoverClient.feed_bytes

    def noted(self, after, limit=5000):
        limits.append(limit)
        return real_feed(self, after, limit)

    def noted_bytes(self, after, limit=5000):  # the pages after the first
        limits.append(limit)
        return real_bytes(self, after, limit)

    monkeypatch.setattr(FailoverClient, "feed", noted)
    monkeypatch.setattr(FailoverClient, "feed_bytes", noted_bytes)
    fresh = clients("fresh", "viewer")
    assert fresh.sync_once().pulled == 71
    assert limits == [5, 10, 20, 40]  # 5 + 10 + 20 events, then the last 36
    records, verified = server_log(server.url, writer.token, incident)
    assert [e.id for e in fresh.store.events(incident)] == [r["event"]["id"] for r in records]
    assert fresh.replica.head(incident) == verified.head


def test_a_catch_up_of_many_pages_holds_the_cyclic_collector(clients, monkeypatch):
    """Its records are acyclic, the collector ran over them every 700 allocations; it
    runs again once the catch-up ended, and a pull of one page never stops it."""
    _log(clients, 40)
    monkeypatch.setattr(engine, "FIRST_PAGE", 5)
    monkeypatch.setattr(engine, "PAGE", 10)
    collecting, real_store = [], engine.SyncEngine._store_page

    def noted(self, replica, page, report):
        collecting.append(gc.isenabled())
        return real_store(self, replica, page, report)

    monkeypatch.setattr(engine.SyncEngine, "_store_page", noted)
    assert gc.isenabled()
    fresh = clients("fresh", "viewer")
    assert fresh.sync_once().pulled == 41
    assert collecting == [False] * 5 and gc.isenabled()
    collecting.clear()
    assert fresh.sync_once().pulled == 0
    assert collecting == [True] and gc.isenabled()


def test_a_page_is_freed_without_the_cyclic_collector(clients):
    """An httpx response and its stream refer to each other: a page body the response
    kept would live until the collector ran, a MB per page of a catch-up that holds it."""
    writer, _ = _log(clients, 20)
    client = ServerClient(writer.url, writer.token)
    gc.collect()
    gc.disable()
    try:
        assert len(client.feed(None).records) == 21
        gc.set_debug(gc.DEBUG_SAVEALL)
        gc.collect()
        responses = [o for o in gc.garbage if isinstance(o, httpx.Response)]
        assert responses  # httpx's cycle, which the body is not part of
        for response in responses:
            with pytest.raises(httpx.ResponseNotRead):
                response.content  # noqa: B018
    finally:
        gc.set_debug(0)
        gc.garbage.clear()
        gc.enable()
        client.close()


def test_a_garbled_page_mid_catch_up_is_fetched_again(clients, server, monkeypatch):
    """A page the downloading thread read is decoded by the storing one; one that is not
    JSON (a middlebox mangled it) is asked for again, and nothing of it is stored."""
    writer, incident = _log(clients, 70)
    monkeypatch.setattr(engine, "FIRST_PAGE", 5)
    monkeypatch.setattr(engine, "PAGE", 40)
    proxy = FaultProxy(server.port, drop=0.0, max_life=30.0, garble=frozenset({3})).start()
    try:
        fresh = clients("fresh", "viewer", url=proxy.url)
        assert fresh.sync_once().pulled == 71
    finally:
        proxy.stop()
    assert proxy.garbled == 1 and proxy.pages == 5  # pages of 5, 10, 20 (again), 40
    records, verified = server_log(server.url, writer.token, incident)
    assert [e.id for e in fresh.store.events(incident)] == [r["event"]["id"] for r in records]
    assert fresh.replica.head(incident) == verified.head
