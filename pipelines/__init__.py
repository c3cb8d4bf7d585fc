"""ecrcost: FinOps for Amazon ECR.

Domain modules here are plain functions over DuckDB connections, boto3 clients and plain data;
only `ecrcost.definitions` (and `ecrcost.orchestration`) know about Dagster.
"""

__version__ = "0.1.0"
