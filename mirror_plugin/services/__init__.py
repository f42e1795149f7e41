"""What the plugin does, with no request or response in sight: the pages, the JSON API, the CLI
and the background jobs call these. May import ``registry``, ``policy`` and the foundation,
never ``web``, ``cli`` or ``admission``."""
