"""The HTML pages, one module per area of the console."""
