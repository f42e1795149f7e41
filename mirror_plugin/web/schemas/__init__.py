"""The JSON API's query strings, bodies and answers, declared once as pydantic models.

:mod:`.base` says how a request is read and refused (in the API's error shape, in the reader's
language); :mod:`.shared` holds the models several areas answer with; each other module is
one area's models. Views name them in ``@declared(...)`` (:mod:`mirror_plugin.web.api.declare`),
which validates with them, serialises with them and makes the OpenAPI document from them.
Schemas may import the foundation (models, params, i18n) and ``policy``; never a service.
"""
