/* What the picker says about a registry: its kind, host and health (a label, and a warning
 * banner when it failed its last check, since its lists are then the last synced ones). */
import { el, label } from "./dom.js";
import { ago } from "./format.js";
import { _ } from "./i18n.js";

export const KIND = { harbor: "Harbor", docker: "Docker Registry" };

export function healthLabel(registry) {
  return registry.health === "unhealthy" ? label(_("Unhealthy"), "unhealthy", registry.last_error)
    : registry.health === "healthy" ? label(_("Healthy"), "healthy") : label(_("Not checked"), "unknown");
}

export const registryMethods = {
  /* Kind, host, health and the age of the catalogue of the registry being browsed. */
  registryInfo(registry) {
    if (!registry) return null;
    const age = ago(registry.age_seconds);
    return el("p", { class: "mirror-picker__registry" }, [
      el("span", { text: KIND[registry.kind] || registry.kind }),
      el("code", { text: registry.host }),
      healthLabel(registry),
      age ? el("span", { class: "mirror-picker__muted", text: _("synced %(age)s", { age: age }) }) : null
    ]);
  },

  registryBanner(registry) {
    if (!registry || registry.health !== "unhealthy") return null;
    const age = ago(registry.age_seconds);
    return el("div", { class: "mirror-picker__banner mirror-picker__banner--warn", role: "note" }, [
      label(_("Unhealthy"), "unhealthy"), " ",
      el("strong", { text: registry.name }), " ", _("did not answer its last health check"),
      // The error is a sentence of its own: no second full stop after it.
      registry.last_error ? _(": ") + String(registry.last_error).replace(/[.\s]+$/, "") : "", _(". "),
      age ? _("Showing its catalogue as synced %(age)s.", { age: age }) : _("Showing what was last synced.")
    ]);
  }
};
