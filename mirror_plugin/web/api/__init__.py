"""The JSON API, one module per area, each listing its URL rules in ``register(bp)``. Every route
is ``@declared`` (:mod:`.declare`) with its models from ``web/schemas/``, which validate the
request, serialise the answer and make the OpenAPI document (:mod:`.openapi`)."""
