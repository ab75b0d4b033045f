"""sfimport: import Salesforce objects and reports into My Data."""

__version__ = "0.1.0"
