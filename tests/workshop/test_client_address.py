"""The client's address behind reverse proxies (workshop.client_address), and the rate limits
(workshop.ratelimit) that count it: X-Forwarded-For is read only as far as our own proxies
vouch for it, never gives a 500, and a client cannot lift a limit by writing the header."""

import pytest
from django.core.cache import cache
from django.test import RequestFactory

from workshop.client_address import UNKNOWN_ADDRESS, client_address, parse_address

# A rate-limited form (workshop.ratelimit.limit_posts): per client address and per typed
# address. Unknown addresses get the same answer as known ones and no email.
SIGN_IN_URL = "/portal/sign-in/"
PROXY = "10.0.0.1"  # REMOTE_ADDR of every request that comes through our nginx
SPOOFED_GARBAGE = [
    "",
    " ",
    ",",
    "unknown",
    "not-an-address",
    "198.51.100.300",
    "1.2.3.4.5",
    "<script>alert(1)</script>",
    "2001:db8::g",
    "[2001:db8::1",
    "\u0661\u0669\u0668.51.100.7",  # Arabic-Indic digits
    "198.51.100.7\x00",
    "x" * 5000,
    ", , ,",
]


@pytest.fixture(autouse=True)
def empty_rate_limit_cache():
    """Rate-limit counters live in the cache; every test starts with none."""
    cache.clear()
    yield
    cache.clear()


def request_from(remote_addr=PROXY, forwarded_for=None):
    meta = {"REMOTE_ADDR": remote_addr}
    if forwarded_for is not None:
        meta["HTTP_X_FORWARDED_FOR"] = forwarded_for
    return RequestFactory().post("/", **meta)


# --- the address ------------------------------------------------------------------------------


def test_client_address_without_proxies_is_remote_addr_and_ignores_the_header(settings):
    settings.TRUSTED_PROXY_COUNT = 0
    request = request_from("203.0.113.5", forwarded_for="198.51.100.7")
    assert client_address(request) == "203.0.113.5"


@pytest.mark.parametrize(
    ("trusted", "expected"),
    [
        # One nginx: it appended the address the request came from (10.0.0.1); the client
        # wrote "198.51.100.7" itself, which proves nothing.
        (1, "10.0.0.1"),
        # A load balancer wrote the client's 198.51.100.7, then nginx appended the balancer's.
        (2, "198.51.100.7"),
    ],
)
def test_client_address_nginx_style_header_takes_the_hop_our_proxies_vouch_for(
    settings, trusted, expected
):
    settings.TRUSTED_PROXY_COUNT = trusted
    request = request_from("172.16.0.2", forwarded_for="198.51.100.7, 10.0.0.1")
    assert client_address(request) == expected


def test_client_address_ignores_everything_left_of_the_trusted_hops(settings):
    settings.TRUSTED_PROXY_COUNT = 1
    for claimed in ["127.0.0.1", "203.0.113.9, 203.0.113.10", "garbage", "::1"]:
        request = request_from(forwarded_for=f"{claimed}, 198.51.100.7")
        assert client_address(request) == "198.51.100.7"


@pytest.mark.parametrize("header", [*SPOOFED_GARBAGE, None])
def test_client_address_garbage_or_missing_header_falls_back_to_remote_addr(settings, header):
    settings.TRUSTED_PROXY_COUNT = 1
    assert client_address(request_from(PROXY, forwarded_for=header)) == PROXY


def test_client_address_header_shorter_than_the_proxy_chain_falls_back(settings):
    settings.TRUSTED_PROXY_COUNT = 2
    assert client_address(request_from(PROXY, forwarded_for="198.51.100.7")) == PROXY


@pytest.mark.parametrize(
    ("hop", "expected"),
    [
        ("2001:db8::7", "2001:db8::7"),
        ("2001:0DB8:0000::0007", "2001:db8::7"),
        ("[2001:db8::7]", "2001:db8::7"),
        ("[2001:db8::7]:4711", "2001:db8::7"),
        ("fe80::1%eth0", "fe80::1"),
        ("::ffff:198.51.100.7", "198.51.100.7"),
        ("198.51.100.7:4711", "198.51.100.7"),
        ("  198.51.100.7  ", "198.51.100.7"),
    ],
)
def test_client_address_ipv6_and_ports_are_normalised(settings, hop, expected):
    settings.TRUSTED_PROXY_COUNT = 1
    assert client_address(request_from(PROXY, forwarded_for=f"203.0.113.1, {hop}")) == expected
    settings.TRUSTED_PROXY_COUNT = 0
    assert client_address(request_from(hop)) == expected


def test_client_address_without_any_valid_address_is_the_shared_unknown_one(settings):
    settings.TRUSTED_PROXY_COUNT = 1
    assert client_address(request_from("", forwarded_for="garbage")) == UNKNOWN_ADDRESS
    request = RequestFactory().post("/")
    del request.META["REMOTE_ADDR"]
    assert client_address(request) == UNKNOWN_ADDRESS


def test_parse_address_refuses_what_is_not_text():
    assert parse_address(None) is None
    assert parse_address(b"198.51.100.7") is None


# --- the rate limits, through a real rate-limited form --------------------------------------


def ask_for_link(client, n, **meta):
    """A sign-in request for an address no one has (so no email goes out)."""
    return client.post(SIGN_IN_URL, {"email": f"nobody-{n}@example.org"}, **meta)


def test_rate_limit_behind_nginx_counts_the_client_and_spoofed_values_do_not_lift_it(
    client, db, settings
):
    settings.TRUSTED_PROXY_COUNT = 1
    settings.PORTAL_SIGNIN_RATE_PER_IP = "20/h"
    settings.PORTAL_SIGNIN_RATE_PER_EMAIL = "100/h"
    statuses = [
        ask_for_link(
            client,
            n,
            REMOTE_ADDR=PROXY,
            # A new made-up address each time, written by the client; nginx appends the real one.
            HTTP_X_FORWARDED_FOR=f"203.0.113.{n}, 198.51.100.7",
        ).status_code
        for n in range(21)
    ]
    assert statuses == [200] * 20 + [429]
    # Another client behind the same proxy has its own count.
    other = ask_for_link(client, 99, REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR="198.51.100.8")
    assert other.status_code == 200


def test_rate_limit_behind_two_proxies_counts_the_hop_the_outer_one_wrote(client, db, settings):
    settings.TRUSTED_PROXY_COUNT = 2
    settings.PORTAL_SIGNIN_RATE_PER_IP = "3/h"
    settings.PORTAL_SIGNIN_RATE_PER_EMAIL = "100/h"
    nginx_style = {"REMOTE_ADDR": "172.16.0.2", "HTTP_X_FORWARDED_FOR": "198.51.100.7, 10.0.0.1"}
    assert [ask_for_link(client, n, **nginx_style).status_code for n in range(4)] == [
        200,
        200,
        200,
        429,
    ]
    neighbour = {"REMOTE_ADDR": "172.16.0.2", "HTTP_X_FORWARDED_FOR": "198.51.100.8, 10.0.0.1"}
    assert ask_for_link(client, 9, **neighbour).status_code == 200


@pytest.mark.parametrize("header", [*SPOOFED_GARBAGE, None])
def test_rate_limit_garbage_or_missing_header_is_no_500_and_counts_remote_addr(
    client, db, settings, header
):
    settings.TRUSTED_PROXY_COUNT = 1
    settings.PORTAL_SIGNIN_RATE_PER_IP = "2/h"
    settings.PORTAL_SIGNIN_RATE_PER_EMAIL = "100/h"
    meta = {"REMOTE_ADDR": PROXY}
    if header is not None:
        meta["HTTP_X_FORWARDED_FOR"] = header
    assert [ask_for_link(client, n, **meta).status_code for n in range(3)] == [200, 200, 429]


def test_rate_limit_ipv6_clients_behind_a_proxy_are_counted_per_64_network(client, db, settings):
    settings.TRUSTED_PROXY_COUNT = 1
    settings.PORTAL_SIGNIN_RATE_PER_IP = "2/h"
    settings.PORTAL_SIGNIN_RATE_PER_EMAIL = "100/h"
    # django-ratelimit counts an IPv6 client by its /64: one host can pick any address in it.
    same_network = ["2001:db8:0:1::1", "[2001:db8:0:1::2]:4711", "2001:db8:0:1:ffff::3"]
    statuses = [
        ask_for_link(client, n, REMOTE_ADDR="::1", HTTP_X_FORWARDED_FOR=hop).status_code
        for n, hop in enumerate(same_network)
    ]
    assert statuses == [200, 200, 429]
    other = ask_for_link(client, 9, REMOTE_ADDR="::1", HTTP_X_FORWARDED_FOR="2001:db8:0:2::1")
    assert other.status_code == 200


@pytest.mark.parametrize(
    "hop", ["[2001:db8::1", "[2001:db8::1]x", "[2001:db8::1]:", "198.51.100.7:", "198.51.100.7:x"]
)
def test_parse_address_refuses_malformed_ports_and_brackets(hop):
    assert parse_address(hop) is None
