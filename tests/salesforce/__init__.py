"""Tests of sfimport.salesforce."""
