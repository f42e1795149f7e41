"""The picker's "Can't find your image?" answer for a namespace without an image: what the
namespace may see, and the questions that explain why an image may be missing from it.

(With an image, the picker answers the deploy hook's explanation instead.)
"""

from __future__ import annotations

from sqlalchemy import func, select

from mirror_plugin.i18n import gettext, ngettext
from mirror_plugin.policy.rule import CheckStatus
from mirror_plugin.services import catalogue
from mirror_plugin.services.tenancy import known_workspaces
from mirror_plugin.state import session
from mirror_plugin.web.schemas.picker import Faq, TabCounts
from mirror_plugin.web.schemas.shared import Check


def namespace_faq(namespace: str, workspace_id: str | None) -> Faq:
    """The FAQ's checks for ``namespace`` (of workspace ``workspace_id``, or of none), with
    how many spaces each picker tab shows it."""
    visible = {
        tab: int(
            session().scalar(
                select(func.count()).select_from(
                    catalogue.visible_spaces(workspace_id, tab).subquery()
                )
            )
            or 0
        )
        for tab in catalogue.TABS
    }
    if not workspace_id:
        bound = CheckStatus.SKIP
    else:
        bound = CheckStatus.PASS if visible["private"] else CheckStatus.FAIL
    name = known_workspaces().get(workspace_id or "", workspace_id)
    checks = [
        Check(
            key="namespace",
            question=gettext("Is the Kubernetes namespace bound to a workspace?"),
            status=CheckStatus.PASS if workspace_id else CheckStatus.FAIL,
            answer=(
                gettext(
                    "Namespace %(namespace)s belongs to workspace %(workspace)s.",
                    namespace=namespace,
                    workspace=name,
                )
                if workspace_id
                else gettext(
                    "Namespace %(namespace)s is not bound to any workspace, so only public "
                    "mirror spaces are available to it.",
                    namespace=namespace,
                )
            ),
        ),
        Check(
            key="bound",
            question=gettext("Are mirror spaces bound to the namespace's workspace?"),
            status=bound,
            answer=(
                ngettext(
                    "%(num)s private space is bound to workspace %(workspace)s. If the space "
                    "you need is not among them, ask the platform Admin to bind it.",
                    "%(num)s private spaces are bound to workspace %(workspace)s. If the space "
                    "you need is not among them, ask the platform Admin to bind it.",
                    visible["private"],
                    workspace=name,
                )
                if visible["private"]
                else gettext(
                    "No private space is bound to workspace %(workspace)s; ask the platform "
                    "Admin to bind the one you need.",
                    workspace=name,
                )
            )
            if workspace_id
            else gettext("Private spaces are bound to workspaces; this namespace has none."),
        ),
        Check(
            key="visibility",
            question=gettext("Is the mirror space public or private?"),
            status=CheckStatus.PASS,
            answer=ngettext(
                "%(num)s public space is visible to every namespace; private spaces appear "
                "only once bound. Select Image lists them on its Public and Private tabs.",
                "%(num)s public spaces are visible to every namespace; private spaces appear "
                "only once bound. Select Image lists them on its Public and Private tabs.",
                visible["public"],
            ),
        ),
    ]
    return Faq(decision=None, checks=checks, visible=TabCounts(**visible))
