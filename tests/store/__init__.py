"""Tests of sfimport.store."""
