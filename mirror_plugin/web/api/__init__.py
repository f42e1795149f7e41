"""The JSON API, one module per area, each listing its URL rules in ``register(bp)``; the
OpenAPI document describes it."""
