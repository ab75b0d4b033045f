"""Fakes of the application services shared by the page and command tests."""
