"""The visibility rule and image references: pure functions that import nothing of the plugin,
nor Flask, SQLAlchemy or requests (a contract in ``.importlinter`` keeps it so)."""
