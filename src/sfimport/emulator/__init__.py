"""sfimport.emulator."""
