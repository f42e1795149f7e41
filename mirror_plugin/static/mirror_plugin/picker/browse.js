/* Browsing one tab, registry → space → repository → tag: a stack of levels per tab (each
 * remembers its filter), the breadcrumb back up it, and the frame of a level (where we are,
 * the registry's health, the filter box, the list and its "More") that lists.js fills. */
import { DEBOUNCE_MS, debounce, el } from "./dom.js";
import { _ } from "./i18n.js";

export const browseMethods = {
  stack() {
    if (!this.stacks[this.tab]) {
      const registries = this.registriesOf(this.tab);
      this.stacks[this.tab] = registries.length === 1
        ? [{ kind: "spaces", registry: registries[0], q: "" }]
        : [{ kind: "registries", q: "" }];
    }
    return this.stacks[this.tab];
  },

  level() {
    const stack = this.stack();
    return stack[stack.length - 1];
  },

  push(level) {
    level.q = level.q || "";
    this.stack().push(level);
    this.render(true);
  },

  render(focusFilter) {
    if (!this.ctx) return;
    if (this.view === "search") return this.renderSearch();
    const tab = this.tab;
    const ctx = this.ctx;
    if (tab !== "public" && !ctx.workspace) {
      return this.renderEmpty(
        ctx.notice || _("Namespace %(namespace)s is not bound to any workspace.", { namespace: ctx.namespace }),
        tab === "private"
          ? _("Private mirror spaces are assigned to workspaces: they appear here for namespaces of a workspace they are bound to.")
          : _("Workspace warehouses belong to a workspace: they appear here for namespaces of that workspace.")
      );
    }
    if (this.count(tab) === 0) {
      const ws = ctx.workspace ? ctx.workspace.name : "";
      if (tab === "private") {
        return this.renderEmpty(
          _("No private mirror space is bound to workspace %(workspace)s.", { workspace: ws }),
          _("Ask the platform Admin to bind the space you need to %(workspace)s (Mirror Warehouse › Warehouse Space › Bind Workspace).", { workspace: ws })
        );
      }
      if (tab === "workspace") {
        return this.renderEmpty(
          _("%(workspace)s has not connected a registry of its own.", { workspace: ws }),
          _("A Workspace Admin can connect one under Mirror Warehouse for the workspace's members.")
        );
      }
      return this.renderEmpty(_("No public mirror space is available."), _("The platform has no public mirror space yet."));
    }
    const level = this.level();
    const self = this;
    this.panel.replaceChildren();
    this.panel.appendChild(el("div", { class: "mirror-picker__where" }, [
      this.crumbs(), this.registryInfo(level.registry || (level.space && level.space.registry))
    ]));
    const banner = this.registryBanner(level.registry || (level.space && level.space.registry));
    if (banner) this.panel.appendChild(banner);
    this.levelNotes = el("div", { class: "mirror-picker__notes" });
    this.panel.appendChild(this.levelNotes);

    const filterId = this.id + "-filter";
    const placeholder = {
      registries: _("Filter registries"),
      spaces: _("Filter spaces"),
      repos: _("Filter repositories in %(space)s", { space: level.space && level.space.name }),
      tags: _("Filter tags")
    }[level.kind];
    const filter = el("input", {
      type: "search", id: filterId, class: "mirror-picker__input mirror-picker__input--small",
      placeholder: placeholder, autocomplete: "off", spellcheck: "false"
    });
    filter.value = level.q;
    filter.addEventListener("input", debounce(function () {
      level.q = filter.value.trim();
      self.load(level, false);
    }, DEBOUNCE_MS));
    const bar = el("div", { class: "mirror-picker__filter" }, [
      el("label", { for: filterId, class: "mirror-picker__vh", text: placeholder }), filter
    ]);
    if (level.kind === "tags" || level.kind === "repos") {
      const refresh = el("button", {
        type: "button", class: "mirror-picker__button mirror-picker__button--small",
        title: _("Ask the registry again instead of using the cached list"), text: _("Refresh")
      });
      refresh.addEventListener("click", function () { self.load(level, false, true); });
      bar.appendChild(refresh);
    }
    this.panel.appendChild(bar);
    this.list = el("ul", { class: "mirror-picker__list", role: "list", "aria-busy": "true" });
    this.panel.appendChild(this.list);
    this.more = el("button", { type: "button", class: "mirror-picker__more", text: _("More"), hidden: true });
    this.more.addEventListener("click", function () { self.load(level, true); });
    this.panel.appendChild(this.more);
    if (focusFilter) filter.focus();
    this.load(level, false);
  },

  renderEmpty(title, detail) {
    this.panel.replaceChildren(el("div", { class: "mirror-picker__empty-state", "data-empty": this.tab }, [
      el("p", { class: "mirror-picker__empty-title", text: title }),
      el("p", { class: "mirror-picker__muted", text: detail })
    ]));
    this.announce(title, true);
  },

  crumbs() {
    const stack = this.stack();
    const self = this;
    const list = el("ol");
    stack.forEach(function (level, index) {
      const text = {
        registries: _("All registries"),
        spaces: level.registry && level.registry.name,
        repos: level.space && level.space.name,
        tags: level.repo && level.repo.short_name
      }[level.kind];
      const last = index === stack.length - 1;
      const item = last
        ? el("span", { "aria-current": "location", text: text })
        : el("button", { type: "button", class: "mirror-picker__crumb", text: text });
      if (!last) {
        item.addEventListener("click", function () {
          stack.length = index + 1;
          self.render(true);
        });
      }
      list.appendChild(el("li", {}, [item]));
    });
    return el("nav", { class: "mirror-picker__crumbs", "aria-label": _("Location") }, [list]);
  }
};
