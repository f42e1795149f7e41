"""WTForms forms of the plugin's pages (CSRF is checked for every unsafe request by csrf.py)."""

from __future__ import annotations

from wtforms import (  # type: ignore[attr-defined]  # types-WTForms 3.2 lacks SelectChoice (3.3)
    BooleanField,
    Form,
    PasswordField,
    SelectChoice,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.i18n import get_translations
from wtforms.validators import DataRequired, Length, Optional

from mirror_plugin.i18n import current_locale
from mirror_plugin.i18n import lazy_gettext as _l
from mirror_plugin.services.integrations import KINDS, IntegrationInput

#: WTForms' own catalogue for each of the plugin's locales (its validators' messages).
_WTFORMS_LANGUAGES = {"en": ["en"], "zh_Hans": ["zh"]}


class IntegrationForm(Form):
    class Meta:
        def get_translations(self, form: Form) -> object:
            """Validator messages in the user's language: WTForms ships a Chinese catalogue
            ("zh") for "This field is required." and the like."""
            return get_translations(_WTFORMS_LANGUAGES[current_locale()])

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
