/* One row of a registry, space or repository list: what it is, its labels and counts, and
 * the button that goes one level down (a tag's row is tags.js's). */
import { el, label } from "./dom.js";
import { ago } from "./format.js";
import { ngettext, _ } from "./i18n.js";
import { KIND, healthLabel } from "./registry.js";

/* A space's access, as its label says it: [text, CSS modifier]. */
const ACCESS = {
  public: [_("Public"), "public"],
  bound: [_("Private"), "private"],
  warehouse: [_("Warehouse"), "warehouse"]
};

export const rowMethods = {
  row(level, item) {
    const self = this;
    if (level.kind === "tags") return this.tagRow(level, item);
    let main;
    let side;
    let next;
    if (level.kind === "registries") {
      main = [
        el("span", { class: "mirror-picker__name", text: item.name }),
        el("span", { class: "mirror-picker__meta" }, [
          el("span", { text: KIND[item.kind] || item.kind }), " · ",
          el("code", { text: item.host }),
          item.scope === "workspace" ? " · " + _("workspace warehouse") : ""
        ])
      ];
      if (item.health === "unhealthy") {
        const age = ago(item.age_seconds);
        main.push(el("span", { class: "mirror-picker__error-detail" }, [
          (item.last_error || _("Did not answer its last health check.")) +
          (age ? " " + _("Catalogue cached %(age)s.", { age: age }) : "")
        ]));
      }
      side = [
        healthLabel(item),
        el("span", { class: "mirror-picker__muted", text: ngettext("%(num)s space", "%(num)s spaces", item.spaces[this.tab]) })
      ];
      next = function () { self.push({ kind: "spaces", registry: item }); };
    } else if (level.kind === "spaces") {
      const access = ACCESS[item.access] || [item.public ? _("Public") : _("Private"), item.public ? "public" : "private"];
      const ws = this.ctx.workspace ? this.ctx.workspace.name : "";
      main = [
        el("span", { class: "mirror-picker__name", text: item.name }),
        el("span", {
          class: "mirror-picker__meta",
          text: item.access === "bound" ? _("Private space bound to workspace %(workspace)s", { workspace: ws })
            : item.access === "warehouse" ? _("In %(workspace)s's own warehouse %(registry)s", { workspace: ws, registry: item.registry ? item.registry.name : "" })
              : _("Public: every namespace may use it")
        })
      ];
      side = [
        label(access[0], access[1], item.access === "bound" ? _("Private space bound to this workspace") : null),
        el("span", { class: "mirror-picker__muted mirror-picker__num", text: ngettext("%(num)s repository", "%(num)s repositories", item.repo_count || 0) })
      ];
      next = function () { self.push({ kind: "repos", registry: level.registry, space: { id: item.id, name: item.name, registry: item.registry } }); };
    } else {
      main = [el("span", { class: "mirror-picker__name mirror-picker__name--mono", text: item.short_name || item.name })];
      side = [
        item.artifact_count !== null && item.artifact_count !== undefined
          ? el("span", { class: "mirror-picker__muted mirror-picker__num", text: ngettext("%(num)s artifact", "%(num)s artifacts", item.artifact_count) })
          : null
      ];
      next = function () { self.push({ kind: "tags", registry: level.registry, space: level.space, repo: item }); };
    }
    const button = el("button", { type: "button", class: "mirror-picker__row-button", "data-row-action": "" }, [
      el("span", { class: "mirror-picker__main" }, main),
      el("span", { class: "mirror-picker__side" }, side),
      el("span", { class: "mirror-picker__chevron", "aria-hidden": "true" })
    ]);
    button.addEventListener("click", next);
    return el("li", { class: "mirror-picker__row", "data-row": item.name || item.id }, [button]);
  }
};
