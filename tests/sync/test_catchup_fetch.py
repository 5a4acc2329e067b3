"""A fresh client's catch-up, the download stage: what it costs before the first event
arrives, and how soon the next page starts downloading (issue 11)."""

import os
import ssl

import pytest

from warroom.sync.client import ServerClient, tls_for


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
