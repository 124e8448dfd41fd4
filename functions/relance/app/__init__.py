"""Application services: orchestrate the domain with the ports. No boto3 here; adapters are passed in."""
