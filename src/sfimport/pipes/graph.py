"""The dependency graph of pipes: which data sets each pipe reads, the order to rebuild them in,
what lies downstream of a change, and the cycles refused at save time.

Nodes are data sets named ``folder.name`` in lower case (DuckDB compares names that way); a
pipe's node is its output data set.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping


def key(qualified: str) -> str:
    return qualified.lower()


def find_cycle(reads: Mapping[str, Collection[str]]) -> list[str] | None:
    """A cycle of pipes (each reads the next; the first repeated at the end), or None."""
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        path.append(node)
        for source in sorted(reads.get(node, ())):
            if source not in reads:
                continue  # an imported data set: nothing upstream of it
            if state.get(source) == 1:
                return [*path[path.index(source) :], source]
            if source not in state:
                found = visit(source)
                if found:
                    return found
        path.pop()
        state[node] = 2
        return None

    for node in sorted(reads):
        if node not in state:
            found = visit(node)
            if found:
                return found
    return None


def rebuild_order(reads: Mapping[str, Collection[str]], changed: Iterable[str]) -> list[str]:
    """Every pipe downstream of the changed data sets, each once, sources before readers."""
    readers: dict[str, set[str]] = {}
    for pipe, sources in reads.items():
        for source in sources:
            readers.setdefault(source, set()).add(pipe)
    affected: set[str] = set()
    frontier = [key(c) for c in changed]
    while frontier:
        node = frontier.pop()
        for reader in readers.get(node, ()):
            if reader not in affected:
                affected.add(reader)
                frontier.append(reader)
    return [p for p in topological(reads) if p in affected]


def topological(reads: Mapping[str, Collection[str]]) -> list[str]:
    """All pipes, each after the pipes it reads (ties by name, so the order is stable)."""
    ordered: list[str] = []
    done: set[str] = set()

    def visit(node: str, seen: frozenset[str]) -> None:
        if node in done or node in seen:
            return
        for source in sorted(reads.get(node, ())):
            if source in reads:
                visit(source, seen | {node})
        done.add(node)
        ordered.append(node)

    for node in sorted(reads):
        visit(node, frozenset())
    return ordered


def upstream(reads: Mapping[str, Collection[str]], node: str) -> list[str]:
    """Everything a data set is made from, nearest first (its lineage back to the imports)."""
    found: list[str] = []
    frontier = [key(node)]
    while frontier:
        current = frontier.pop(0)
        for source in sorted(reads.get(current, ())):
            if source not in found:
                found.append(source)
                frontier.append(source)
    return found


def downstream(reads: Mapping[str, Collection[str]], node: str) -> list[str]:
    """Every pipe that reads a data set, directly or through other pipes."""
    return rebuild_order(reads, [node])
