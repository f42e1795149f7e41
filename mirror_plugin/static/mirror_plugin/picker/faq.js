/* "Can't find your image?": the dialog swaps its lists for the server's checks of the
 * namespace (and of the image typed in the form, if any), each answered yes, no or not
 * checked, with the verdict; "Back to images" returns to where the user was. */
import { el } from "./dom.js";
import { ngettext, _ } from "./i18n.js";

export const faqMethods = {
  showBrowse() {
    if (!this.dialog) return;
    this.view = this.query ? "search" : "browse";
    this.faq.hidden = true;
    this.panel.hidden = false;
    this.search.parentNode.hidden = false;
    this.tablist.hidden = !this.ctx || this.view === "search";
    this.faqButton.hidden = false;
  },

  showFaq() {
    const self = this;
    const image = this.target().value.trim();
    this.view = "faq";
    this.panel.hidden = true;
    this.tablist.hidden = true;
    this.search.parentNode.hidden = true;
    this.faqButton.hidden = true;
    const back = el("button", { type: "button", class: "mirror-picker__button mirror-picker__button--small", text: "← " + _("Back to images") });
    back.addEventListener("click", function () {
      self.showBrowse();
      if (self.ctx) self.render();
      self.search.focus();
    });
    const title = el("h3", { id: this.id + "-faq-title", class: "mirror-picker__faq-title", tabindex: "-1", text: _("Can't find your image?") });
    const intro = el("p", { class: "mirror-picker__muted" }, image
      ? [_("The checks for namespace") + " ", el("strong", { text: this.namespace }), " " + _("and image") + " ", el("code", { text: image }), _(":")]
      : [_("The checks for namespace") + " ", el("strong", { text: this.namespace }),
        _(". Type an image in the form's field first to check that image.")]);
    const body = el("div", { class: "mirror-picker__faq-body" }, [el("p", { class: "mirror-picker__loading", text: _("Running the checks…") })]);
    this.faq.replaceChildren(el("div", { class: "mirror-picker__faq-head" }, [title, back]), intro, body);
    this.faq.hidden = false;
    title.focus();
    this.announce(_("Running the checks…"));
    this.request("faq", { image: image }).then(function (result) {
      body.replaceChildren();
      const decision = result.decision;
      if (decision) {
        body.appendChild(el("div", {
          class: "mirror-picker__verdict mirror-picker__verdict--" + (decision.allowed ? "allowed" : "denied"),
          "data-reason": decision.reason
        }, [
          el("strong", { text: decision.allowed ? _("Allowed") : _("Not allowed") }), " ",
          el("span", { text: decision.message || "" })
        ]));
      }
      const checks = el("ol", { class: "mirror-picker__checks" });
      const words = { pass: _("Yes"), fail: _("No"), skip: _("Not checked") };
      (result.checks || []).forEach(function (check) {
        checks.appendChild(el("li", { class: "mirror-picker__check mirror-picker__check--" + check.status, "data-check": check.key, "data-status": check.status }, [
          el("span", { class: "mirror-picker__mark", "aria-hidden": "true" }),
          el("span", { class: "mirror-picker__check-q" }, [
            el("span", { class: "mirror-picker__vh", text: (words[check.status] || check.status) + ": " }),
            check.question
          ]),
          el("span", { class: "mirror-picker__check-a", text: check.answer })
        ]));
      });
      body.appendChild(checks);
      const failed = (result.checks || []).filter(function (c) { return c.status === "fail"; }).length;
      self.announce(failed ? ngettext("%(num)s check failed.", "%(num)s checks failed.", failed) : _("Every check passed."));
    }, function (error) {
      if (error.status === -1) return;
      body.replaceChildren(self.errorBox(error.message, function () { self.showFaq(); }));
      self.announce(error.message);
    });
  }
};
