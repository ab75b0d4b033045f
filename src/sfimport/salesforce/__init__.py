"""sfimport.salesforce."""
