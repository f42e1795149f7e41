/* The search box at the top: one query across every repository the namespace may use, grouped
 * by tab, each group paged with its own "More"; a result opens its repository's tags with the
 * breadcrumb of where it lives. Clearing the box goes back to browsing. */
import { el, label } from "./dom.js";
import { ngettext, _ } from "./i18n.js";
import { TABS } from "./tabs.js";

export const searchMethods = {
  onSearch() {
    const text = this.search.value.trim();
    if (text === this.query && this.view === "search") return;
    this.query = text;
    if (!text) {
      this.view = "browse";
      this.tablist.hidden = false;
      this.panel.setAttribute("aria-labelledby", this.id + "-tab-" + this.tab);
      this.render();
      return;
    }
    this.view = "search";
    this.renderSearch();
  },

  renderSearch() {
    const self = this;
    const text = this.query;
    this.tablist.hidden = true;
    const heading = el("h3", { id: this.id + "-results", class: "mirror-picker__results-title", text: _("Images matching “%(query)s”", { query: text }) });
    this.panel.setAttribute("aria-labelledby", this.id + "-results");
    this.panel.replaceChildren(heading);
    this.announce(_("Searching…"));
    const seq = ++this.seq;
    const groups = TABS.filter(function (tab) { return self.count(tab.key) > 0; });
    if (!groups.length) {
      this.panel.appendChild(el("p", { class: "mirror-picker__none", text: _("No mirror space is visible to this namespace.") }));
      return;
    }
    let total = 0;
    let done = 0;
    groups.forEach(function (tab) {
      const list = el("ul", { class: "mirror-picker__list", role: "list", "aria-busy": "true" });
      const count = el("span", { class: "mirror-picker__count" });
      const more = el("button", { type: "button", class: "mirror-picker__more", text: _("More"), hidden: true });
      const section = el("section", { class: "mirror-picker__group", "data-group": tab.key }, [
        el("h4", { class: "mirror-picker__group-title" }, [tab.long, " ", count]), list, more
      ]);
      self.panel.appendChild(section);
      let page = 1;
      function fetchPage(append) {
        more.disabled = true;
        self.get("repositories", { q: text, tab: tab.key, page: page }).then(function (body) {
          if (seq !== self.seq) return;
          if (!append) {
            total += body.total;
            done += 1;
          }
          count.textContent = String(body.total);
          list.setAttribute("aria-busy", "false");
          (body.items || []).forEach(function (item) { list.appendChild(self.searchRow(tab.key, item)); });
          if (!list.children.length) list.appendChild(el("li", { class: "mirror-picker__none", text: _("No match.") }));
          more.hidden = body.page >= body.pages;
          more.disabled = false;
          more.textContent = _("More (%(left)s left)", { left: body.total - list.querySelectorAll("li[data-row]").length });
          if (done === groups.length && !append) {
            self.announce(ngettext("%(num)s image matching “%(query)s”.", "%(num)s images matching “%(query)s”.", total, { query: text }));
          }
        }, function (error) {
          if (seq !== self.seq) return;
          list.setAttribute("aria-busy", "false");
          section.appendChild(self.errorBox(error.message, null));
          self.announce(error.message);
        });
      }
      more.addEventListener("click", function () { page += 1; fetchPage(true); });
      fetchPage(false);
    });
  },

  searchRow(tab, item) {
    const self = this;
    const access = { public: [_("Public"), "public"], private: [_("Private"), "private"], workspace: [_("Warehouse"), "warehouse"] }[tab];
    const registry = item.registry || {};
    const button = el("button", { type: "button", class: "mirror-picker__row-button", "data-row-action": "" }, [
      el("span", { class: "mirror-picker__main" }, [
        el("span", { class: "mirror-picker__name mirror-picker__name--mono", text: item.name }),
        el("span", { class: "mirror-picker__meta" }, [
          _("space") + " ", el("strong", { text: item.space }), " · " + (registry.name || ""), " ",
          el("code", { text: registry.host || "" })
        ])
      ]),
      el("span", { class: "mirror-picker__side" }, [
        registry.health === "unhealthy" ? label(_("Unhealthy"), "unhealthy", registry.last_error) : null,
        label(access[0], access[1]),
        item.artifact_count !== null && item.artifact_count !== undefined
          ? el("span", { class: "mirror-picker__muted mirror-picker__num", text: ngettext("%(num)s artifact", "%(num)s artifacts", item.artifact_count) }) : null
      ]),
      el("span", { class: "mirror-picker__chevron", "aria-hidden": "true" })
    ]);
    button.addEventListener("click", function () { self.openRepository(tab, item); });
    return el("li", { class: "mirror-picker__row", "data-row": item.name }, [button]);
  },

  /* Jump from a search result to its tags, with the breadcrumb of where it lives. */
  openRepository(tab, item) {
    const registry = this.registriesOf(tab).filter(function (r) { return r.id === item.registry.id; })[0] || item.registry;
    const stack = [];
    if (this.registriesOf(tab).length !== 1) stack.push({ kind: "registries", q: "" });
    stack.push({ kind: "spaces", registry: registry, q: "" });
    const space = { id: item.space_id, name: item.space, registry: item.registry };
    stack.push({ kind: "repos", registry: registry, space: space, q: "" });
    stack.push({ kind: "tags", registry: registry, space: space, repo: item, q: "" });
    this.stacks[tab] = stack;
    this.search.value = "";
    this.query = "";
    this.view = "browse";
    this.tablist.hidden = false;
    this.selectTab(tab, false);
    const filter = this.panel.querySelector("input[type=search]");
    if (filter) filter.focus();
  }
};
