"""Genesys Cloud analytics as a dlt source: ``pip install 'genesys-analytics[dlt]'``.

::

    import dlt
    from genesys_analytics.dlt import genesys_source

    pipeline = dlt.pipeline(pipeline_name="genesys", destination="duckdb", dataset_name="genesys")
    pipeline.run(genesys_source(start="2024-05-01", datasets=["conversations", "users"]))

Importing this package imports dlt; importing ``genesys_analytics`` does not.
"""

from __future__ import annotations

from genesys_analytics.dlt.source import genesys_source

__all__ = ["genesys_source"]
