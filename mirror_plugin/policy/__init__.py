"""The visibility rule and image references: pure functions, no Flask, no database, no network."""
