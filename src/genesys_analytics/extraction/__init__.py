"""Extraction: datasets, planning, fetching and the one export engine, behind ``export()``."""

from genesys_analytics.extraction.datasets import DATASETS, Dataset
from genesys_analytics.extraction.run import ExportResult, export

__all__ = ["DATASETS", "Dataset", "ExportResult", "export"]
