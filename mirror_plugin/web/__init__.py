"""Everything HTTP: the blueprint, access gates, CSRF, forms, the pages and the JSON API. May
import ``services`` and below, never ``cli``."""
