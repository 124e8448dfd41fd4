"""The embedded local AWS: moto's threaded server on 127.0.0.1, provisioned from template.yaml."""
