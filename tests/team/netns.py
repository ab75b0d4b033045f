"""Separate hosts on one machine for the team-mode tests: a network namespace joined to this
one by a veth pair, with addresses the test makes and removes, so a process in it reaches
PostgreSQL (or the emulator) only over the network, as another host would."""

from __future__ import annotations

import random
import subprocess
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass


@dataclass(frozen=True)
class Host:
    """A namespace: its name, this machine's address on the link and the namespace's own."""

    namespace: str
    gateway: str
    address: str

    def command(self, *args: str) -> list[str]:
        """``args`` run inside the namespace."""
        return ["ip", "netns", "exec", self.namespace, *args]


def _ip(*args: str) -> None:
    subprocess.run(["ip", *args], check=True, capture_output=True, text=True)


def _used_subnets() -> set[str]:
    shown = subprocess.run(["ip", "-o", "-4", "addr"], capture_output=True, text=True, check=True)
    return {word.rsplit(".", 1)[0] for word in shown.stdout.split() if word.count(".") == 3}


@contextmanager
def network_host() -> Iterator[Host]:
    """A fresh namespace on its own /24 of 10.0.0.0/8 (free on this machine), removed after."""
    tag = uuid.uuid4().hex[:8]
    namespace, outside, inside = f"sfi-{tag}", f"vh{tag}", f"vn{tag}"
    used = _used_subnets()
    subnet = next(
        s
        for s in (f"10.{random.randint(64, 250)}.{random.randint(0, 255)}" for _ in range(50))
        if s not in used
    )
    _ip("netns", "add", namespace)
    try:
        _ip("link", "add", outside, "type", "veth", "peer", "name", inside)
        _ip("link", "set", inside, "netns", namespace)
        _ip("addr", "add", f"{subnet}.1/24", "dev", outside)
        _ip("link", "set", outside, "up")
        _ip("-n", namespace, "addr", "add", f"{subnet}.2/24", "dev", inside)
        _ip("-n", namespace, "link", "set", inside, "up")
        _ip("-n", namespace, "link", "set", "lo", "up")
        yield Host(namespace, f"{subnet}.1", f"{subnet}.2")
    finally:
        # Deleting the namespace deletes its end of the pair, and with it the other end.
        subprocess.run(["ip", "netns", "del", namespace], capture_output=True)
        subprocess.run(["ip", "link", "del", outside], capture_output=True)
