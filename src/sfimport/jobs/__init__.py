"""Jobs: the queue port (claims and leases), its implementation over the metadata database,
the lease keeper and the worker that runs queued work."""
