"""sfimport.extract."""
