"""The HTML pages, one module per area of the console, each listing its URL rules in
``register(bp)``."""
