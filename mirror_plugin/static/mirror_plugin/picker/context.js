/* What the namespace may see: the context answer (workspace, registries and their spaces per
 * tab, whether the user may deploy, the CSRF token of the Refresh) fetched on open, with the
 * dialog's subtitle and the browse-only notice it decides. */
import { el, visible } from "./dom.js";
import { _ } from "./i18n.js";

export const contextMethods = {
  loadContext(namespace) {
    const self = this;
    this.namespace = namespace;
    this.subtitle.textContent = visible(_("Namespace %(namespace)s", { namespace: namespace }));
    this.notice.hidden = true;
    this.tablist.hidden = true;
    this.search.disabled = true;
    this.faqButton.hidden = true;
    this.panel.replaceChildren(el("p", { class: "mirror-picker__loading", text: _("Loading…") }));
    this.announce(_("Loading images for %(namespace)s…", { namespace: namespace }));
    this.request("context").then(function (ctx) {
      self.ctx = ctx;
      self.search.disabled = false;
      self.faqButton.hidden = false;
      self.tablist.hidden = false;
      self.subtitle.textContent = visible(ctx.workspace
        ? _("Namespace %(namespace)s · Workspace %(workspace)s", { namespace: ctx.namespace, workspace: ctx.workspace.name })
        : _("Namespace %(namespace)s · no workspace", { namespace: ctx.namespace }));
      self.showNotice();
      self.updateTabs();
      // Open on the first tab with something in it: Private for a bound workspace is the
      // likeliest reason to open the picker, but Public is the one that always exists.
      self.selectTab("public", false);
      self.search.focus();
    }, function (error) {
      if (error.status === -1) return;
      self.panel.replaceChildren(self.errorBox(error.message, function () { self.loadContext(namespace); }));
      self.faqButton.hidden = error.status === 404 || error.status === 400;
      self.announce(error.message);
      const retry = self.panel.querySelector("button");
      if (retry) retry.focus();
    });
  },

  showNotice() {
    const ctx = this.ctx;
    let text = null;
    if (!ctx.can_deploy) {
      text = ctx.workspace && ctx.notice
        ? ctx.notice
        : _("You can browse these images, but you cannot deploy into %(namespace)s.", { namespace: ctx.namespace });
    }
    this.notice.textContent = visible(text || "");
    this.notice.hidden = !text;
  }
};
