"""The JSON API, one module per area; the OpenAPI document describes it."""
