"""Which hosts sfimport talks to: Salesforce's own login and instance domains, loopback (the
emulator) and the hosts a person adds on purpose (``SFIMPORT_EXTRA_HOSTS``).

The rule protects the client secret and the bearer tokens: the browser is only sent to, the
authorization code only exchanged at, and API calls only made to a host on this list. It is
checked for the login URL a person types, for the configured login URLs, and for the
``instance_url`` and identity URL that a token answer names.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Collection, Iterable
from urllib.parse import SplitResult, urlsplit

from sfimport.errors import ConnectionFailed, UsageError

#: Domains whose every subdomain is Salesforce's: production and sandbox login
#: (login/test.salesforce.com), My Domain (*.my.salesforce.com, sandbox and other partitioned
#: forms), classic instances (na1.salesforce.com), Lightning and Visualforce (*.force.com),
#: Experience Cloud (*.my.site.com, legacy *.force.com), setup (*.my.salesforce-setup.com),
#: government cloud (*.salesforce.mil, *.force.mil, *.site.mil, *.crmforce.mil) and the
#: China region (*.sfcrmproducts.cn, *.sfcrmapps.cn).
SALESFORCE_DOMAINS: tuple[str, ...] = (
    "salesforce.com",
    "force.com",
    "my.site.com",
    "salesforce-setup.com",
    "cloudforce.com",
    "salesforce.mil",
    "force.mil",
    "site.mil",
    "crmforce.mil",
    "sfcrmproducts.cn",
    "sfcrmapps.cn",
)
_LOOPBACK_NAMES = frozenset({"localhost"})
_LABEL = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")
_HOST_FIX = (
    "Use your Salesforce login address (login.salesforce.com, test.salesforce.com or "
    "https://yourcompany.my.salesforce.com). For a host outside Salesforce's domains, add "
    "it to SFIMPORT_EXTRA_HOSTS (comma-separated; *.example.com allows its subdomains)."
)


def is_loopback_host(host: str) -> bool:
    """True for localhost and loopback addresses (the demo org lives there)."""
    host = host.strip("[]").lower()
    if host in _LOOPBACK_NAMES or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def parse_extra_hosts(value: str | Iterable[str] | None) -> tuple[str, ...]:
    """``a.example.com, *.corp.example`` -> lower-cased entries, blanks dropped."""
    if value is None:
        return ()
    items = value.split(",") if isinstance(value, str) else list(value)
    return tuple(item.strip().lower().rstrip(".") for item in items if item.strip())


def _matches(host: str, pattern: str) -> bool:
    if pattern.startswith("*."):
        return host.endswith(pattern[1:])
    return host == pattern


def is_allowed_host(host: str, extra_hosts: Collection[str] = ()) -> bool:
    """True for a Salesforce domain, a loopback host or one of ``extra_hosts``."""
    host = host.lower().rstrip(".")
    if is_loopback_host(host):
        return True
    if any(host == d or host.endswith(f".{d}") for d in SALESFORCE_DOMAINS):
        return True
    return any(_matches(host, p) for p in parse_extra_hosts(extra_hosts))


def split_url(url: str, what: str = "login URL") -> tuple[SplitResult, str, int | None]:
    """Parse a URL strictly: (parts, lower-cased host, port). Raises :class:`UsageError` for
    anything that is not a plain http(s) address of a well-formed host name or IP address."""
    shown = url if len(url) <= 80 else f"{url[:77]}..."
    bad = UsageError(
        f"{shown!r} is not a valid {what}.",
        remedy="Give an https:// address such as https://yourcompany.my.salesforce.com.",
    )
    if not url.isascii() or not url.isprintable() or any(c.isspace() for c in url):
        raise bad
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as error:
        raise bad from error
    if parts.scheme not in {"http", "https"} or parts.username or parts.password:
        raise bad
    host = (parts.hostname or "").lower()
    if not host:
        raise bad
    if ":" in host:  # an IPv6 literal
        try:
            ipaddress.IPv6Address(host)
        except ValueError as error:
            raise bad from error
        return parts, host, port
    name = host.rstrip(".")
    if len(name) > 253 or not all(_LABEL.match(label) for label in name.split(".")):
        raise bad
    return parts, name, port


def check_login_host(host: str, url: str, extra_hosts: Collection[str] = ()) -> None:
    """Refuse a login host outside Salesforce's domains, loopback and the extra hosts."""
    if not is_allowed_host(host, extra_hosts):
        raise UsageError(
            f"{url!r} is not a Salesforce login address: sfimport only signs in at "
            "Salesforce's own domains.",
            remedy=_HOST_FIX,
        )


def check_instance_url(url: str, extra_hosts: Collection[str] = (), what: str = "instance") -> str:
    """Check an ``instance_url`` (or identity URL) a token answer named: https on an allowed
    host (http only on loopback). Returns it without a trailing slash."""
    try:
        parts, host, _ = split_url(url, f"{what} URL")
    except UsageError as error:
        raise ConnectionFailed(
            f"Salesforce's token answer named a malformed {what} URL, so no token was used.",
            remedy=_HOST_FIX,
        ) from error
    loopback = is_loopback_host(host)
    if not is_allowed_host(host, extra_hosts) or (parts.scheme != "https" and not loopback):
        raise ConnectionFailed(
            f"The token answer pointed at {url!r}, which is not a Salesforce {what} address; "
            "no token was sent there.",
            remedy=_HOST_FIX,
        )
    return url.rstrip("/")
