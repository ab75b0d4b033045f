"""sfimport.store."""
