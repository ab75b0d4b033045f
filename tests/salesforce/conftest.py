"""Clients wired to in-memory transports, with a sleep that only records."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import httpx2
import pytest

from sfimport.salesforce import RetryPolicy, SalesforceAuth, SalesforceClient, TokenSet

INSTANCE = "https://acme.my.salesforce.com"
ACCESS_TOKEN = "00DRO0000008aXd!AQ4AQFakeAccessTokenForTests.abcdefghijklmnop"
REFRESH_TOKEN = "5Aep861TSESvWeug_FakeRefreshTokenForTests0123456789"


def make_tokens(access: str = ACCESS_TOKEN, refresh: str | None = REFRESH_TOKEN) -> TokenSet:
    return TokenSet(
        access_token=access,
        refresh_token=refresh,
        instance_url=INSTANCE,
        identity_url="https://login.salesforce.com/id/00DRO0000008aXd2AI/005RO000000HfnkYAC",
    )


class Sleeps(list[float]):
    """A ``sleep`` that records what it was asked to wait."""

    def __call__(self, seconds: float) -> None:
        self.append(seconds)


ClientFactory = Callable[..., SalesforceClient]


@pytest.fixture
def sleeps() -> Sleeps:
    return Sleeps()


@pytest.fixture
def make_client(sleeps: Sleeps) -> Iterator[ClientFactory]:
    made: list[SalesforceClient] = []

    def factory(
        handler: Callable[[httpx2.Request], httpx2.Response],
        *,
        auth: httpx2.Auth | None = None,
        retry: RetryPolicy | None = None,
        **kwargs: object,
    ) -> SalesforceClient:
        http = httpx2.Client(transport=httpx2.MockTransport(handler))
        client = SalesforceClient(
            INSTANCE,
            auth or SalesforceAuth(make_tokens(), refresher=None),
            http=http,
            retry=retry or RetryPolicy(attempts=4, base_delay=0.5, max_delay=8.0),
            sleep=sleeps,
            jitter=lambda: 0.0,
            **kwargs,  # type: ignore[arg-type]
        )
        made.append(client)
        return client

    yield factory
    for client in made:
        client._http.close()
