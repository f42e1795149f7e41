/* The dialog's frame, built once per picker on first open: title, search box, tabs, the
 * panel the views fill, the FAQ section, the live status line and the ways to close it.
 * Closing drops late answers and gives focus back to the button. */
import { DEBOUNCE_MS, debounce, el, visible } from "./dom.js";
import { _ } from "./i18n.js";
import { TABS } from "./tabs.js";

export const dialogMethods = {
  build() {
    if (this.dialog) return;
    const id = this.id;
    const self = this;
    this.title = el("h2", { id: id + "-title", class: "mirror-picker__title", text: _("Select Image") });
    this.subtitle = el("p", { id: id + "-sub", class: "mirror-picker__sub" });
    const close = el("button", { type: "button", class: "mirror-picker__close", "aria-label": _("Close") }, ["×"]);
    close.addEventListener("click", function () { self.dialog.close(); });
    this.notice = el("div", { class: "mirror-picker__notice", role: "note", hidden: true });

    this.search = el("input", {
      type: "search", id: id + "-search", class: "mirror-picker__input",
      placeholder: _("Search all images you may use, e.g. nginx"), autocomplete: "off", spellcheck: "false"
    });
    this.search.addEventListener("input", debounce(function () { self.onSearch(); }, DEBOUNCE_MS));
    const searchBox = el("div", { class: "mirror-picker__search", role: "search" }, [
      el("label", { for: id + "-search", class: "mirror-picker__vh", text: _("Search all images") }),
      el("span", { class: "mirror-picker__search-icon", "aria-hidden": "true" }),
      this.search
    ]);

    this.tablist = el("div", { role: "tablist", class: "mirror-picker__tabs", "aria-label": _("Image sources") });
    this.tabs = {};
    TABS.forEach(function (tab) {
      const button = el("button", {
        type: "button", role: "tab", id: id + "-tab-" + tab.key, "aria-controls": id + "-panel",
        class: "mirror-picker__tab", "data-tab": tab.key
      }, [el("span", { text: tab.label }), el("span", { class: "mirror-picker__count" })]);
      button.addEventListener("click", function () { self.selectTab(tab.key, false); });
      self.tabs[tab.key] = button;
      self.tablist.appendChild(button);
    });
    this.tablist.addEventListener("keydown", function (event) { self.onTabKey(event); });

    this.panel = el("div", { role: "tabpanel", id: id + "-panel", class: "mirror-picker__panel" });
    this.panel.addEventListener("keydown", function (event) { self.onListKey(event); });
    this.faq = el("section", { class: "mirror-picker__faq", "aria-labelledby": id + "-faq-title", hidden: true });

    this.status = el("p", { class: "mirror-picker__status", role: "status", "aria-live": "polite" });
    this.faqButton = el("button", { type: "button", class: "mirror-picker__link", text: _("Can't find your image?") });
    this.faqButton.addEventListener("click", function () { self.showFaq(); });
    const cancel = el("button", { type: "button", class: "mirror-picker__button", text: _("Cancel") });
    cancel.addEventListener("click", function () { self.dialog.close(); });

    this.dialog = el("dialog", {
      class: "mirror-picker mirror-picker__dialog", id: id,
      "aria-labelledby": id + "-title", "aria-describedby": id + "-sub"
    }, [
      el("div", { class: "mirror-picker__head" }, [el("div", {}, [this.title, this.subtitle]), close]),
      el("div", { class: "mirror-picker__body" }, [
        this.notice, searchBox, this.tablist, this.panel, this.faq
      ]),
      el("div", { class: "mirror-picker__foot" }, [this.faqButton, this.status, cancel])
    ]);
    this.dialog.addEventListener("close", function () {
      self.seq += 1; // late answers are dropped
      self.button.focus();
    });
    // A click on the backdrop (outside the dialog's box) closes it, like the console's modals.
    this.dialog.addEventListener("click", function (event) {
      if (event.target !== self.dialog) return;
      const box = self.dialog.getBoundingClientRect();
      const inside = event.clientX >= box.left && event.clientX <= box.right &&
        event.clientY >= box.top && event.clientY <= box.bottom;
      if (!inside) self.dialog.close();
    });
    document.body.appendChild(this.dialog);
  },

  announce(text, quietly) {
    this.status.textContent = visible(text);
    // quietly: said to screen readers only, when the same sentence is already on screen.
    this.status.classList.toggle("mirror-picker__vh", Boolean(quietly));
  },

  errorBox(message, retry) {
    const box = el("div", { class: "mirror-picker__error", role: "alert" }, [
      el("p", { text: message || _("Something went wrong.") })
    ]);
    if (retry) {
      const again = el("button", { type: "button", class: "mirror-picker__button mirror-picker__button--small", text: _("Try again") });
      again.addEventListener("click", retry);
      box.appendChild(again);
    }
    return box;
  }
};
