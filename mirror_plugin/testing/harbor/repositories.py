"""Harbor repositories and artifacts: ``/projects/{project}/repositories`` and below.

Modelled on Harbor's ``handler/repository.go`` and ``handler/artifact.go``. The quirks kept
here are the ones a client trips over: the repository name arrives *double*-encoded
(``team%252Fapp``) and comes back with its project prefix; ``{project_name}`` paths take a
name only; repositories list newest first and artifacts by push time, newest first; an
unknown repository's artifact list is empty rather than a 404; Go's nil slices come out as
``null`` (``tags`` of an untagged artifact, ``labels``, ``references`` of anything but an
index); ``q=tags=*`` / ``tags=nil`` select tagged / untagged artifacts.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from mirror_plugin.testing.harbor.auth import AccessControl
from mirror_plugin.testing.harbor.paging import _matches, _Paging, _parse_q
from mirror_plugin.testing.harbor.store import _Artifact, _Project, _Repository
from mirror_plugin.testing.harbor.wire import (
    API_PREFIX,
    NEVER,
    _ApiError,
    _fmt,
    _json,
    _Request,
    _Response,
)

_OCI_INDEX = "application/vnd.oci.image.index.v1+json"
_CONFIG_MEDIA_TYPES = {
    "IMAGE": "application/vnd.docker.container.image.v1+json",
    "CHART": "application/vnd.cncf.helm.config.v1+json",
    "CNAB": "application/vnd.cnab.config.v1+json",
}


class RepositoryEndpoints(AccessControl):
    """Mixed into :class:`~mirror_plugin.testing.harbor.emulator.HarborEmulator`."""

    def _repositories_of(self, request: _Request) -> _Project:
        """``{project_name}`` paths take a name only, never an ID."""
        project = self._find_project(request.params["project"])
        if project is None:
            raise _ApiError(404, "NOT_FOUND", f"project {request.params['project']} not found")
        self._require(request.caller, project)
        return project

    def _list_repositories(self, request: _Request) -> _Response:
        paging = _Paging.parse(request)
        condition = _parse_q(request.arg("q")).get("name")
        project = self._repositories_of(request)
        newest_first = sorted(project.repositories.values(), key=lambda r: (r.created, r.id))
        repositories = [
            repository
            for repository in reversed(newest_first)
            if _matches(f"{project.name}/{repository.name}", condition)
        ]
        return paging.respond(
            repositories, lambda r: self._repository_json(project, r), request.arg("sort")
        )

    def _get_repository(self, request: _Request) -> _Response:
        project = self._repositories_of(request)
        repository = project.repositories.get(request.params["repository"])
        if repository is None:
            full = f"{project.name}/{request.params['repository']}"
            raise _ApiError(404, "NOT_FOUND", f"repository {full} not found")
        return _json(self._repository_json(project, repository))

    def _list_artifacts(self, request: _Request) -> _Response:
        """The repository name arrives double-encoded (``team%252Fapp``). An unknown
        repository is not a 404 but an empty list: Harbor only filters artifacts by name."""
        paging = _Paging.parse(request)
        with_tag = bool(request.flag("with_tag", True))
        tags = _parse_q(request.arg("q")).get("tags")
        project = self._repositories_of(request)
        repository = project.repositories.get(request.params["repository"])
        if repository is None:
            return paging.respond([], dict, None)

        def wanted(artifact: _Artifact) -> bool:
            names = [tag.name for tag in artifact.tags]
            if tags is None:
                return True
            if tags in (("=", "*"), ("=", "nil")):
                return bool(names) == (tags[1] == "*")
            return any(_matches(name, tags) for name in names)

        newest_first = sorted(repository.artifacts, key=lambda a: (a.push_time, a.id), reverse=True)
        return paging.respond(
            [artifact for artifact in newest_first if wanted(artifact)],
            lambda a: self._artifact_json(project, repository, a, with_tag),
            request.arg("sort"),
        )

    @staticmethod
    def _repository_json(project: _Project, repository: _Repository) -> dict[str, Any]:
        pushed = [artifact.push_time for artifact in repository.artifacts]
        return {
            "id": repository.id,
            "project_id": project.project_id,
            "name": f"{project.name}/{repository.name}",  # the full name, project included
            "description": "",
            "artifact_count": len(repository.artifacts),
            "pull_count": repository.pull_count,
            "creation_time": _fmt(repository.created),
            "update_time": _fmt(max([repository.created, *pushed])),
        }

    @staticmethod
    def _artifact_json(
        project: _Project, repository: _Repository, artifact: _Artifact, with_tag: bool
    ) -> dict[str, Any]:
        """Nil Go slices come out as ``null``: ``tags`` of an untagged artifact (or with
        ``with_tag=false``), ``labels``, and ``references`` of anything but an index."""
        index = artifact.references is not None
        body: dict[str, Any] = {
            "id": artifact.id,
            "type": artifact.type,
            "media_type": _OCI_INDEX if index else _CONFIG_MEDIA_TYPES.get(
                artifact.type, "application/vnd.oci.image.config.v1+json"
            ),
            "manifest_media_type": _OCI_INDEX if index else (
                "application/vnd.docker.distribution.manifest.v2+json"
                if artifact.type == "IMAGE" else "application/vnd.oci.image.manifest.v1+json"
            ),
            "project_id": project.project_id,
            "repository_id": repository.id,
            "repository_name": f"{project.name}/{repository.name}",
            "digest": artifact.digest,
            "size": artifact.size,
            "push_time": _fmt(artifact.push_time),
            "pull_time": NEVER,
            "references": artifact.references,
            "labels": None,
            "tags": [
                {
                    "id": tag.id, "repository_id": repository.id, "artifact_id": artifact.id,
                    "name": tag.name, "push_time": _fmt(tag.push_time), "pull_time": NEVER,
                    "immutable": False,
                }
                for tag in artifact.tags
            ] if with_tag and artifact.tags else None,
        }  # fmt: skip
        if artifact.type == "IMAGE" and not index:
            body["extra_attrs"] = {
                "architecture": "amd64", "os": "linux", "author": "",
                "created": _fmt(artifact.push_time), "config": {},
            }  # fmt: skip
            base = (
                f"{API_PREFIX}/projects/{project.name}/repositories/"
                f"{quote(quote(repository.name, safe=''), safe='')}/artifacts/{artifact.digest}"
            )
            body["addition_links"] = {
                name: {"absolute": False, "href": f"{base}/additions/{name}"}
                for name in ("build_history", "vulnerabilities")
            }
        return body
