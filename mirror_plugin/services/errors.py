"""What a service raises when the user must change something: the web layer answers 422 or
409 with the sentence, the CLI prints it. Services never build responses themselves."""

from __future__ import annotations

from mirror_plugin.registry.probe import ConnectionReport


class InvalidInput(Exception):
    """Input the user must fix; ``errors`` maps field names to sentences (HTTP 422)."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__("; ".join(f"{k}: {v}" for k, v in errors.items()))
        self.errors = errors


class ProbeFailed(InvalidInput):
    """The registry refused the connection check on save; ``report`` says how (the web layer
    decides how much of it the user may see, :mod:`mirror_plugin.web.disclosure`)."""

    def __init__(self, field: str, report: ConnectionReport) -> None:
        super().__init__({field: report.message})
        self.field = field
        self.report = report


class Conflict(Exception):
    """The change collides with existing data (HTTP 409). ``field``: the form field to fix."""

    field = "name"


class SameRegistry(Conflict):
    """The registry is already connected here under another name (HTTP 409)."""

    field = "url"
