"""The address of the client that sent a request: what the rate limits (workshop.ratelimit,
through django-ratelimit's RATELIMIT_IP_META_KEY) and the admin sign-in lockout (django-axes'
AXES_CLIENT_IP_CALLABLE) count.

Without a reverse proxy, that is REMOTE_ADDR. Behind proxies, REMOTE_ADDR is the nearest
proxy, and each proxy appends the address it was connected from to X-Forwarded-For (nginx's
``$proxy_add_x_forwarded_for``), after whatever the client sent in that header itself:

    X-Forwarded-For: <anything the client wrote>, <client>, <proxy 1>, …, <proxy N-1>

Only the last N entries were written by our own proxies (TRUSTED_PROXY_COUNT = N), so the
client is the N-th entry from the right: the right-most hop that no proxy of ours vouches
for. Everything left of it is the client's own claim and is never read. A header that is
missing, shorter than N entries, or holds no valid address at that place falls back to
REMOTE_ADDR; nothing here raises.
"""

import ipaddress
import logging

from django.conf import settings

logger = logging.getLogger(__name__)

# All requests whose address cannot be told share this one (only when REMOTE_ADDR itself is
# empty or invalid, e.g. gunicorn on a Unix socket without TRUSTED_PROXY_COUNT).
UNKNOWN_ADDRESS = "0.0.0.0"
_warned_unknown = False


def client_address(request) -> str:
    """The client's IP address as text (IPv4 dotted, IPv6 compressed; an IPv4-mapped IPv6
    address as the IPv4 one), or UNKNOWN_ADDRESS; never raises."""
    trusted = getattr(settings, "TRUSTED_PROXY_COUNT", 0)
    if trusted > 0:
        hops = request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")
        if len(hops) >= trusted:
            address = parse_address(hops[-trusted])
            if address is not None:
                return address
    address = parse_address(request.META.get("REMOTE_ADDR", ""))
    if address is not None:
        return address
    global _warned_unknown
    if not _warned_unknown:
        _warned_unknown = True
        logger.warning(
            "no client address in REMOTE_ADDR (%r): such clients share one rate limit; behind "
            "a proxy on a Unix socket, set TRUSTED_PROXY_COUNT",
            request.META.get("REMOTE_ADDR", "")[:100],
        )
    return UNKNOWN_ADDRESS


def parse_address(text) -> str | None:
    """One hop of X-Forwarded-For (or REMOTE_ADDR) as a normalised address, or None when it is
    not one. Accepts what proxies write: ``203.0.113.5``, ``2001:db8::1``, with a port
    (``203.0.113.5:4711``, ``[2001:db8::1]:4711``) or brackets; drops an IPv6 zone."""
    if not isinstance(text, str):
        return None
    text = text.strip()
    if not text or len(text) > 64:
        return None
    if text.startswith("["):  # [v6] or [v6]:port
        text, bracket, rest = text[1:].partition("]")
        if not bracket or not (rest == "" or (rest[:1] == ":" and _is_port(rest[1:]))):
            return None
    elif text.count(":") == 1:  # v4:port
        text, _, port = text.partition(":")
        if not _is_port(port):
            return None
    text = text.partition("%")[0]  # fe80::1%eth0: the zone means nothing to us
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return str(address)


def _is_port(text: str) -> bool:
    return text.isascii() and text.isdigit() and len(text) <= 5
