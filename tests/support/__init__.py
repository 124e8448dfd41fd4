"""Test doubles shared by the test suites: local fakes of outside services."""
