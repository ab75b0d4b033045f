"""Pipes: named, versioned data sets derived from others by SQL or a chain of steps, their
dependency graph, the SQL they compile to and the checks a definition passes before it is saved."""
