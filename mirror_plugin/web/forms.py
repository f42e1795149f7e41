"""WTForms forms of the plugin's pages (CSRF is checked for every unsafe request by csrf.py)."""

from __future__ import annotations

from datetime import datetime

from wtforms import (  # type: ignore[attr-defined]  # types-WTForms 3.2 lacks SelectChoice (3.3)
    BooleanField,
    Form,
    PasswordField,
    SelectChoice,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.form import BaseForm
from wtforms.i18n import get_translations
from wtforms.validators import DataRequired, Length, Optional, Regexp, ValidationError

from mirror_plugin.i18n import _, current_locale
from mirror_plugin.i18n import lazy_gettext as _l
from mirror_plugin.params import parse_int
from mirror_plugin.services.bindings import check_workspaces
from mirror_plugin.services.errors import InvalidInput
from mirror_plugin.services.integrations import KINDS, IntegrationInput
from mirror_plugin.services.spaces import HARBOR_PROJECT_NAME

_SPACE_NAME_RULE = _l(
    "Use lower-case letters and digits, separated by single '.', '_' or '-' "
    "(up to 255 characters), e.g. team-a."
)

#: WTForms' own catalogue for each of the plugin's locales (its validators' messages).
_WTFORMS_LANGUAGES = {"en": ["en"], "zh_Hans": ["zh"]}


class PluginForm(Form):
    """Base of the plugin's forms: WTForms' own messages in the user's language."""

    class Meta:
        def get_translations(self, form: Form) -> object:
            """Validator messages in the user's language: WTForms ships a Chinese catalogue
            ("zh") for "This field is required." and the like."""
            return get_translations(_WTFORMS_LANGUAGES[current_locale()])


class IntegrationForm(PluginForm):
    name = StringField(_l("Name"), [DataRequired(), Length(max=100)])
    kind = SelectField(_l("Type"), choices=[SelectChoice(k, label) for k, label in KINDS.items()])
    url = StringField(
        _l("URL"),
        [DataRequired(), Length(max=2048)],
        render_kw={"placeholder": "https://harbor.example.com"},
    )
    username = StringField(
        _l("User name"), [Optional(), Length(max=255)], render_kw={"autocomplete": "off"}
    )
    #: Write-only: PasswordInput never renders a value back; blank on edit keeps the stored one.
    password = PasswordField(
        _l("Password"), [Optional(), Length(max=1024)], render_kw={"autocomplete": "new-password"}
    )
    verify_tls = BooleanField(_l("Verify TLS certificates"), default=True)
    ca_bundle = TextAreaField(_l("CA bundle (PEM)"), [Optional(), Length(max=65536)])
    description = TextAreaField(_l("Description"), [Optional(), Length(max=2000)])
    #: Other names images use for this registry; the rule treats them as this registry.
    aliases = TextAreaField(
        _l("Other names (aliases)"),
        [Optional(), Length(max=6000)],
        description=_l(
            "Other host[:port] names images may use for this registry, one per line "
            "(harbor.corp, harbor.corp.example.com:443, 10.0.0.5)."
        ),
    )

    share_pull_credentials = BooleanField(
        _l("Hand these credentials to bound workspaces"),
        default=False,
        description=_l(
            "Docker Registry only. A Docker Registry cannot make accounts limited to some "
            "spaces: namespaces of every workspace bound to one of its private spaces get "
            "this account, and it reaches the whole registry, every space included."
        ),
    )

    def to_input(self) -> IntegrationInput:
        return IntegrationInput(
            name=self.name.data or "",
            kind=self.kind.data or "",
            url=self.url.data or "",
            username=self.username.data or "",
            password=self.password.data or None,
            verify_tls=bool(self.verify_tls.data),
            ca_bundle=self.ca_bundle.data or "",
            description=self.description.data or "",
            aliases=[self.aliases.data or ""],
            share_pull_credentials=bool(self.share_pull_credentials.data),
        )


def _normalize_space_name(value: str | None) -> str:
    """Space names are trimmed before they are checked, as the service trims them."""
    return (value or "").strip()


class CreateSpaceForm(PluginForm):
    """Warehouse Space's "New space": a Harbor project name and whether it starts public."""

    name = StringField(
        _l("New space"),
        [
            Length(max=255, message=_SPACE_NAME_RULE),
            Regexp(HARBOR_PROJECT_NAME.pattern + r"\Z", message=_SPACE_NAME_RULE),
        ],
        filters=[_normalize_space_name],
    )
    public = BooleanField(_l("Public"))


class _Workspaces(SelectMultipleField):
    """Workspace ids as posted; which ones exist is checked by the bindings service's own
    check (``check_workspaces``), so the form and the JSON API refuse the same ids."""

    def pre_validate(self, form: BaseForm) -> None:
        try:
            check_workspaces(self.data or [], allow_empty=True)
        except InvalidInput as exc:
            raise ValidationError(exc.errors["workspaces"]) from None


class BindForm(PluginForm):
    """Bind Workspace (dialog or page): the space ends bound to exactly these workspaces."""

    workspaces = _Workspaces(_l("Workspaces"), validate_choice=False)


class _SpaceIds(SelectMultipleField):
    """Space ids as posted by the batch table's checkboxes: whole numbers only."""

    def process_formdata(self, valuelist: list[str]) -> None:
        parsed = [parse_int(v) for v in valuelist]
        if any(p is None for p in parsed):
            self.data = []
            raise ValueError(_("Choose spaces from the list."))
        self.data = [p for p in parsed if p is not None]

    def pre_validate(self, form: BaseForm) -> None:
        """Which spaces exist, and where, is the page's check (a 404)."""


class BatchForm(PluginForm):
    """Batch bind/unbind on Warehouse Space: the ticked spaces, the chosen workspaces."""

    spaces = _SpaceIds(_l("Spaces"), validate_choice=False)
    #: Checked by the service: binding refuses unknown ids, unbinding may remove them.
    workspaces = SelectMultipleField(_l("Workspaces"), validate_choice=False)
    operation = SelectField(
        _l("Operation"),
        choices=[SelectChoice("bind", _l("Bind")), SelectChoice("unbind", _l("Unbind"))],
        default="bind",
    )


class VisibilityForm(PluginForm):
    """Make public / Make private: the row's hidden ``public`` field says which."""

    public = SelectField(
        _l("Visibility"),
        choices=[SelectChoice("true", _l("Public")), SelectChoice("false", _l("Private"))],
    )


class DeleteSpaceForm(PluginForm):
    """Delete space: the confirmation page's button; the post itself carries no field."""


def _date_or_time(form: Form, field: StringField) -> None:
    """The audit log filters on ISO dates or times (the page's date inputs send dates)."""
    if not field.data:
        return
    try:
        datetime.fromisoformat(field.data)
    except ValueError:
        raise ValidationError(
            _(
                "'%(key)s' must be a date or time like 2026-11-27 or 2026-11-27T10:00:00.",
                key=field.name,
            )
        ) from None


def _strip(value: str | None) -> str:
    return (value or "").strip()


class AuditFilterForm(PluginForm):
    """The audit log's filters, read from the query string (a GET form)."""

    action = StringField(_l("Action"), filters=[_strip])
    actor = StringField(_l("Actor"), filters=[_strip])
    space = StringField(_l("Space"), filters=[_strip])
    integration = StringField(_l("Registry"), filters=[_strip])
    workspace = StringField(_l("Workspace"), filters=[_strip])
    since = StringField(_l("From"), [_date_or_time], filters=[_strip])
    until = StringField(_l("Until"), [_date_or_time], filters=[_strip])

    def filters(self) -> dict[str, str]:
        """The filters given, as ``query_events`` reads them."""
        return {name: field.data for name, field in self._fields.items() if field.data}


def errors_text(form: Form) -> str:
    """Every error of a form as one sentence, for the pages that report errors in a flash."""
    return " ".join(str(e) for errors in form.errors.values() for e in errors)
