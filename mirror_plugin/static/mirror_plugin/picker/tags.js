/* A repository's tags: the note on where they come from (cached, or listed just now), a row
 * per tag with its digest, size, age and platforms, and the choice that fills the form's
 * input with host/space/repo:tag or the digest-pinned reference. */
import { el, label, nextId } from "./dom.js";
import { ago, humanSize, shortDigest, when } from "./format.js";
import { _ } from "./i18n.js";

export const tagMethods = {
  tagNotes(body) {
    const notes = this.levelNotes;
    if (body.stale) {
      const age = ago(body.age_seconds);
      notes.appendChild(el("div", { class: "mirror-picker__banner mirror-picker__banner--warn", role: "note", "data-stale": "" }, [
        label(_("Cached"), "stale"), " ",
        age ? _("Cached %(age)s; the registry did not answer", { age: age }) : _("Nothing cached yet; the registry did not answer"),
        body.error ? " (" + body.error + ")." : "."
      ]));
    }
    notes.appendChild(el("p", { class: "mirror-picker__image" }, [
      el("span", { class: "mirror-picker__muted", text: _("Image") + " " }),
      el("code", { text: body.image || "" }),
      !body.stale && body.age_seconds !== null && body.age_seconds !== undefined
        ? el("span", { class: "mirror-picker__muted", text: " · " + _("tags listed %(age)s", { age: ago(body.age_seconds) }) })
        : null
    ]));
  },

  tagRow(level, item) {
    const self = this;
    const nameId = this.id + "-tag-" + nextId();
    const current = this.target().value.trim();
    const isCurrent = current && (current === item.reference_tag || current === item.reference_digest);
    const meta = [];
    if (item.digest) meta.push(el("code", { class: "mirror-picker__digest", title: item.digest, text: shortDigest(item.digest) }));
    const size = humanSize(item.size);
    if (size) meta.push(el("span", { title: _("%(num)s bytes", { num: item.size }), text: size }));
    const pushed = when(item.push_time);
    if (pushed) meta.push(el("span", {}, [_("pushed") + " ", pushed]));
    const metaLine = el("span", { class: "mirror-picker__meta" });
    meta.forEach(function (part, index) {
      if (index) metaLine.appendChild(el("span", { class: "mirror-picker__dot", "aria-hidden": "true", text: "·" }));
      metaLine.appendChild(part);
    });
    const platforms = (item.platforms || []).length
      ? el("span", { class: "mirror-picker__platforms", "aria-label": _("Platforms") },
        item.platforms.map(function (p) { return el("span", { class: "mirror-picker__chip", text: p }); }))
      : null;
    const actions = el("span", { class: "mirror-picker__actions" });
    // A user who cannot deploy into this namespace browses only: the choices are shown, but
    // disabled, since there is no form of hers to fill.
    const browseOnly = !(self.ctx && self.ctx.can_deploy);
    function choice(text, reference, extra) {
      if (!reference) return;
      const button = el("button", {
        type: "button", class: "mirror-picker__button mirror-picker__button--small" + (extra || ""),
        "data-row-action": "", "data-reference": reference,
        title: browseOnly ? _("Your role cannot deploy into this namespace.") : reference,
        "aria-describedby": nameId, text: text
      });
      if (browseOnly) button.disabled = true;
      else button.addEventListener("click", function () { self.choose(reference); });
      actions.appendChild(button);
    }
    choice(_("Use tag"), item.reference_tag, " mirror-picker__button--primary");
    choice(_("Use digest"), item.reference_digest, item.reference_tag ? "" : " mirror-picker__button--primary");
    return el("li", { class: "mirror-picker__row mirror-picker__row--tag", "data-tag": item.tag || "", "data-digest": item.digest || "" }, [
      el("span", { class: "mirror-picker__main" }, [
        el("span", { class: "mirror-picker__tagline" }, [
          item.tag
            ? el("span", { class: "mirror-picker__name mirror-picker__name--mono", id: nameId, text: item.tag })
            : el("span", { class: "mirror-picker__name mirror-picker__muted", id: nameId, text: "untagged " + shortDigest(item.digest) }),
          item.index ? label(_("multi-arch"), "index", _("An image index: one tag for several platforms")) : null,
          isCurrent ? label(_("in the form"), "current") : null
        ]),
        metaLine,
        platforms
      ]),
      actions
    ]);
  },

  choose(reference) {
    const input = this.target();
    input.value = reference;
    input.dispatchEvent(new Event("input", { bubbles: true }));
    input.dispatchEvent(new Event("change", { bubbles: true }));
    this.dialog.close();
    this.button.focus();
  }
};
