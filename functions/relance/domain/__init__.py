"""Pure domain code: no boto3, no clock, no environment. Dates and settings are arguments."""
