"""Adapters to the outside world (DynamoDB, SQS, S3…), each behind a port of ``relance.ports``."""
