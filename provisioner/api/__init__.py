"""The staff REST API under /api/v1: records, sessions, tokens and its OpenAPI description."""
