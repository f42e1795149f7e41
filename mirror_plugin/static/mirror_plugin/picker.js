/* Select Image: the picker a host's deploy form opens beside its image input.
 *
 * Every <button data-mirror-picker> (rendered by the image_picker macro of
 * mirror_plugin/_picker.html) gets its own dialog, built here on first use:
 *   data-api              the picker API base, e.g. /mirror/api/picker
 *   data-target           id of the input the chosen reference is written into
 *   data-namespace-field  name of the form field holding the namespace, or a CSS selector
 *
 * Tabs Public / Private / Workspace warehouses; registry → space → repository → tag with a
 * filter at each level, a breadcrumb and "More"; a search across every visible repository;
 * "Can't find your image?" runs the FAQ checks. Choosing fills the input with
 * host/space/repo:tag or host/space/repo@sha256:…, fires input and change, closes the dialog
 * and gives focus back to the button. No inline script or handler anywhere (CSP-friendly).
 */
(function () {
  "use strict";
  if (window.mirrorPicker) {
    window.mirrorPicker.init();
    return;
  }

  /* The user's language (i18n.js, loaded before this script); a message stays English when
   * the catalogue has none. */
  const _ = window.mirrorGettext || function (text, vars) {
    return text.replace(/%\((\w+)\)s/g, function (whole, name) { return vars && name in vars ? vars[name] : whole; });
  };
  const ngettext = window.mirrorNgettext || function (one, many, n, vars) {
    return _(n === 1 ? one : many, Object.assign({ num: n }, vars || {}));
  };
  const LANG = (document.querySelector("[data-mirror-i18n]") || document.documentElement).getAttribute("lang") || "en";

  const TABS = [
    { key: "public", label: _("Public"), long: _("Public") },
    { key: "private", label: _("Private"), long: _("Private") },
    { key: "workspace", label: _("Workspace warehouses"), long: _("Workspace warehouses") }
  ];
  const ACCESS = {
    public: [_("Public"), "public"],
    bound: [_("Private"), "private"],
    warehouse: [_("Warehouse"), "warehouse"]
  };
  const KIND = { harbor: "Harbor", docker: "Docker Registry" };
  const TAG_CHUNK = 50;
  const DEBOUNCE_MS = 250;
  let counter = 0;

  /* ---------- small helpers ---------- */

  /* Registry text with hidden characters written as escapes (visible.js). */
  const visible = window.mirrorVisible;

  /* Attributes a person reads (tooltips, labels for screen readers): shown via visible(). */
  const READ_ATTRS = { title: true, "aria-label": true, placeholder: true };

  /* Every text the picker shows goes through el() (or announce()), so visible() is applied
   * here once rather than at each place that quotes a registry. */
  function el(tag, attrs, children) {
    const node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (key) {
      const value = attrs[key];
      if (value === null || value === undefined || value === false) return;
      if (key === "class") node.className = value;
      else if (key === "text") node.textContent = visible(value);
      else if (key === "hidden") node.hidden = true;
      else if (READ_ATTRS[key] && value !== true) node.setAttribute(key, visible(value));
      else node.setAttribute(key, value === true ? "" : String(value));
    });
    (children || []).forEach(function (child) {
      if (child === null || child === undefined || child === false) return;
      node.appendChild(typeof child === "string" ? document.createTextNode(visible(child)) : child);
    });
    return node;
  }

  function label(text, kind, title) {
    return el("span", { class: "mirror-picker__label mirror-picker__label--" + kind, title: title, text: text });
  }

  function debounce(fn, ms) {
    let timer = null;
    return function () {
      const args = arguments;
      const self = this;
      clearTimeout(timer);
      timer = setTimeout(function () { fn.apply(self, args); }, ms);
    };
  }

  function humanSize(bytes) {
    if (bytes === null || bytes === undefined || isNaN(bytes)) return null;
    const units = ["B", "KiB", "MiB", "GiB", "TiB"];
    let value = Number(bytes);
    let unit = 0;
    while (value >= 1024 && unit < units.length - 1) {
      value /= 1024;
      unit += 1;
    }
    return (unit === 0 || value >= 10 ? Math.round(value) : value.toFixed(1)) + " " + units[unit];
  }

  const relative = typeof Intl !== "undefined" && Intl.RelativeTimeFormat
    ? new Intl.RelativeTimeFormat(LANG, { numeric: "auto" })
    : null;

  function ago(seconds) {
    if (seconds === null || seconds === undefined) return null;
    const steps = [[60, "second", 1], [3600, "minute", 60], [86400, "hour", 3600], [Infinity, "day", 86400]];
    if (seconds < 45) return _("just now");
    for (let i = 0; i < steps.length; i += 1) {
      if (seconds < steps[i][0]) {
        const n = Math.max(1, Math.round(seconds / steps[i][2]));
        return relative ? relative.format(-n, steps[i][1]) : _("%(num)s %(unit)s ago", { num: n, unit: steps[i][1] });
      }
    }
    return null;
  }

  function when(iso) {
    if (!iso) return null;
    const date = new Date(iso);
    if (isNaN(date.getTime())) return null;
    const seconds = (Date.now() - date.getTime()) / 1000;
    const text = seconds >= -300 && seconds < 30 * 86400
      ? ago(Math.max(0, seconds))
      : date.toISOString().slice(0, 10);
    return el("time", { datetime: iso, title: date.toLocaleString(), text: text });
  }

  function shortDigest(digest) {
    if (!digest) return "";
    const parts = digest.split(":");
    return parts.length === 2 ? parts[0] + ":" + parts[1].slice(0, 12) : digest.slice(0, 19);
  }

  function ApiError(message, status) {
    this.message = message;
    this.status = status;
  }

  /* ---------- one picker per button ---------- */

  function Picker(button) {
    this.button = button;
    this.id = "mirror-picker-" + (++counter);
    this.api = (button.dataset.api || "").replace(/\/+$/, "");
    this.fieldSpec = button.dataset.namespaceField || "namespace";
    this.hint = document.getElementById(button.getAttribute("aria-describedby") || "");
    this.dialog = null;
    this.ctx = null;
    this.seq = 0;
    this.view = "browse"; // browse | search | faq
    this.tab = "public";
    this.stacks = {};
    this.query = "";
    button.addEventListener("click", this.open.bind(this));
    const self = this;
    document.addEventListener("change", function (event) {
      if (self.isNamespaceField(event.target)) self.namespaceChanged();
    });
  }

  Picker.prototype.target = function () {
    return document.getElementById(this.button.dataset.target || "");
  };

  Picker.prototype.namespaceField = function () {
    const spec = this.fieldSpec;
    if (/^[#.[]/.test(spec)) return document.querySelector(spec);
    const input = this.target();
    const form = this.button.form || this.button.closest("form") || (input && input.form);
    const named = form && form.elements.namedItem(spec);
    if (named) return named;
    return document.getElementsByName(spec)[0] || document.getElementById(spec);
  };

  Picker.prototype.isNamespaceField = function (node) {
    const field = this.namespaceField();
    if (!field || !node) return false;
    if (field === node) return true;
    return typeof field.length === "number" && Array.prototype.indexOf.call(field, node) !== -1;
  };

  Picker.prototype.readNamespace = function () {
    const field = this.namespaceField();
    return field && typeof field.value === "string" ? field.value.trim() : "";
  };

  Picker.prototype.namespaceChanged = function () {
    if (this.hint) this.hint.textContent = "";
    // The next open fetches the new namespace's context; a stale one must never be shown.
    if (!this.dialog || !this.dialog.open) this.ctx = null;
  };

  Picker.prototype.open = function () {
    const namespace = this.readNamespace();
    if (!namespace) {
      if (this.hint) this.hint.textContent = _("Choose a namespace first.");
      const field = this.namespaceField();
      if (field && typeof field.focus === "function" && !field.disabled) field.focus();
      return;
    }
    if (!this.target()) {
      if (this.hint) this.hint.textContent = _("This picker has no image field to fill.");
      return;
    }
    if (this.hint) this.hint.textContent = "";
    this.build();
    if (!this.ctx || this.ctx.namespace !== namespace) this.reset(namespace);
    else if (this.view === "faq") this.showBrowse();
    if (!this.dialog.open) this.dialog.showModal();
    if (this.ctx && this.ctx.namespace === namespace) {
      this.render();
      this.search.focus();
    } else {
      this.loadContext(namespace);
    }
  };

  Picker.prototype.reset = function (namespace) {
    this.ctx = null;
    this.namespace = namespace;
    this.stacks = {};
    this.query = "";
    this.search.value = "";
    this.tab = "public";
    this.showBrowse();
  };

  /* ---------- the dialog's frame ---------- */

  Picker.prototype.build = function () {
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
  };

  Picker.prototype.announce = function (text, quietly) {
    this.status.textContent = visible(text);
    // quietly: said to screen readers only, when the same sentence is already on screen.
    this.status.classList.toggle("mirror-picker__vh", Boolean(quietly));
  };

  /* ---------- talking to the API ---------- */

  /* post: the Refresh (it makes the server ask the registry), a POST with the CSRF token the
     context answer carries; everything else is a GET. */
  Picker.prototype.get = function (path, params, post) {
    const url = new URL(this.api + "/" + path, window.location.href);
    url.searchParams.set("namespace", this.namespace);
    Object.keys(params || {}).forEach(function (key) {
      const value = params[key];
      if (value !== null && value !== undefined && value !== "") url.searchParams.set(key, value);
    });
    const headers = { Accept: "application/json" };
    if (post) headers["X-Mirror-CSRF"] = (this.ctx && this.ctx.csrf_token) || "";
    return fetch(url.toString(), {
      method: post ? "POST" : "GET", credentials: "same-origin", headers: headers
    }).catch(function () {
      throw new ApiError(_("The console could not be reached. Check your connection and try again."), 0);
    }).then(function (response) {
      return response.json().catch(function () { return null; }).then(function (body) {
        if (response.ok && body) return body;
        const message = body && body.error && body.error.message;
        throw new ApiError(message || _("The server answered %(status)s %(text)s.", { status: response.status, text: response.statusText }), response.status);
      });
    });
  };

  /* Run a request for the current view; drop its answer if the user moved on meanwhile. */
  Picker.prototype.request = function (path, params, post) {
    const seq = ++this.seq;
    const self = this;
    return this.get(path, params, post).then(function (body) {
      if (seq !== self.seq) throw new ApiError(null, -1);
      return body;
    }, function (error) {
      if (seq !== self.seq) throw new ApiError(null, -1);
      throw error;
    });
  };

  Picker.prototype.loadContext = function (namespace) {
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
  };

  Picker.prototype.showNotice = function () {
    const ctx = this.ctx;
    let text = null;
    if (!ctx.can_deploy) {
      text = ctx.workspace && ctx.notice
        ? ctx.notice
        : _("You can browse these images, but you cannot deploy into %(namespace)s.", { namespace: ctx.namespace });
    }
    this.notice.textContent = visible(text || "");
    this.notice.hidden = !text;
  };

  Picker.prototype.count = function (tab) {
    return (this.ctx.registries || []).reduce(function (sum, r) {
      return sum + ((r.spaces && r.spaces[tab]) || 0);
    }, 0);
  };

  Picker.prototype.registriesOf = function (tab) {
    return (this.ctx.registries || []).filter(function (r) { return r.spaces && r.spaces[tab] > 0; });
  };

  Picker.prototype.updateTabs = function () {
    const self = this;
    TABS.forEach(function (tab) {
      const n = self.count(tab.key);
      const button = self.tabs[tab.key];
      button.querySelector(".mirror-picker__count").textContent = String(n);
      button.title = ngettext("%(num)s space", "%(num)s spaces", n);
    });
  };

  /* ---------- tabs ---------- */

  Picker.prototype.selectTab = function (key, focus) {
    if (!this.ctx) return;
    this.tab = key;
    const self = this;
    TABS.forEach(function (tab) {
      const on = tab.key === key;
      self.tabs[tab.key].setAttribute("aria-selected", on ? "true" : "false");
      self.tabs[tab.key].tabIndex = on ? 0 : -1;
    });
    this.panel.setAttribute("aria-labelledby", this.id + "-tab-" + key);
    if (focus) this.tabs[key].focus();
    if (this.search.value) {
      this.search.value = "";
      this.query = "";
    }
    this.view = "browse";
    this.render();
  };

  Picker.prototype.onTabKey = function (event) {
    const keys = TABS.map(function (t) { return t.key; });
    let index = keys.indexOf(this.tab);
    if (event.key === "ArrowRight") index = (index + 1) % keys.length;
    else if (event.key === "ArrowLeft") index = (index + keys.length - 1) % keys.length;
    else if (event.key === "Home") index = 0;
    else if (event.key === "End") index = keys.length - 1;
    else return;
    event.preventDefault();
    this.selectTab(keys[index], true);
  };

  /* Up and Down move between the rows of a list (Tab works too). */
  Picker.prototype.onListKey = function (event) {
    if (event.key !== "ArrowDown" && event.key !== "ArrowUp") return;
    const current = event.target.closest && event.target.closest("[data-row-action]");
    if (!current) return;
    const all = Array.prototype.slice.call(this.panel.querySelectorAll("[data-row-action]"));
    const next = all[all.indexOf(current) + (event.key === "ArrowDown" ? 1 : -1)];
    if (next) {
      event.preventDefault();
      next.focus();
    }
  };

  /* ---------- browse: registry → space → repository → tag ---------- */

  Picker.prototype.stack = function () {
    if (!this.stacks[this.tab]) {
      const registries = this.registriesOf(this.tab);
      this.stacks[this.tab] = registries.length === 1
        ? [{ kind: "spaces", registry: registries[0], q: "" }]
        : [{ kind: "registries", q: "" }];
    }
    return this.stacks[this.tab];
  };

  Picker.prototype.level = function () {
    const stack = this.stack();
    return stack[stack.length - 1];
  };

  Picker.prototype.push = function (level) {
    level.q = level.q || "";
    this.stack().push(level);
    this.render(true);
  };

  Picker.prototype.render = function (focusFilter) {
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
    if (level.kind === "tags") {
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
  };

  Picker.prototype.renderEmpty = function (title, detail) {
    this.panel.replaceChildren(el("div", { class: "mirror-picker__empty-state", "data-empty": this.tab }, [
      el("p", { class: "mirror-picker__empty-title", text: title }),
      el("p", { class: "mirror-picker__muted", text: detail })
    ]));
    this.announce(title, true);
  };

  Picker.prototype.crumbs = function () {
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
  };

  /* Kind, host, health and the age of the catalogue of the registry being browsed. */
  Picker.prototype.registryInfo = function (registry) {
    if (!registry) return null;
    const age = ago(registry.age_seconds);
    const health = registry.health === "unhealthy" ? label(_("Unhealthy"), "unhealthy", registry.last_error)
      : registry.health === "healthy" ? label(_("Healthy"), "healthy") : label(_("Not checked"), "unknown");
    return el("p", { class: "mirror-picker__registry" }, [
      el("span", { text: KIND[registry.kind] || registry.kind }),
      el("code", { text: registry.host }),
      health,
      age ? el("span", { class: "mirror-picker__muted", text: _("synced %(age)s", { age: age }) }) : null
    ]);
  };

  Picker.prototype.registryBanner = function (registry) {
    if (!registry || registry.health !== "unhealthy") return null;
    const age = ago(registry.age_seconds);
    return el("div", { class: "mirror-picker__banner mirror-picker__banner--warn", role: "note" }, [
      label(_("Unhealthy"), "unhealthy"), " ",
      el("strong", { text: registry.name }), " ", _("did not answer its last health check"),
      // The error is a sentence of its own: no second full stop after it.
      registry.last_error ? _(": ") + String(registry.last_error).replace(/[.\s]+$/, "") : "", _(". "),
      age ? _("Showing its catalogue as synced %(age)s.", { age: age }) : _("Showing what was last synced.")
    ]);
  };

  Picker.prototype.errorBox = function (message, retry) {
    const box = el("div", { class: "mirror-picker__error", role: "alert" }, [
      el("p", { text: message || _("Something went wrong.") })
    ]);
    if (retry) {
      const again = el("button", { type: "button", class: "mirror-picker__button mirror-picker__button--small", text: _("Try again") });
      again.addEventListener("click", retry);
      box.appendChild(again);
    }
    return box;
  };

  Picker.prototype.load = function (level, more, refresh) {
    const self = this;
    const list = this.list;
    const page = more ? (level.page || 1) + 1 : 1;
    if (!more) {
      this.levelNotes.replaceChildren();
    }
    list.setAttribute("aria-busy", "true");
    this.more.disabled = true;
    this.announce({
      registries: _("Loading registries…"), spaces: _("Loading spaces…"),
      repos: _("Loading repositories…"), tags: _("Loading tags…")
    }[level.kind]);

    if (level.kind === "registries") {
      const q = level.q.toLowerCase();
      const items = this.registriesOf(this.tab).filter(function (r) {
        return !q || (r.name + " " + r.host).toLowerCase().indexOf(q) !== -1;
      });
      this.fill(level, items, { page: 1, pages: 1, total: items.length }, false);
      return;
    }
    if (level.kind === "tags" && more) {
      this.fill(level, level.all, null, true);
      return;
    }
    let request;
    if (level.kind === "spaces") {
      request = this.request("spaces", { tab: this.tab, registry: level.registry.id, q: level.q, page: page });
    } else if (level.kind === "repos") {
      request = this.request("repositories", { space: level.space.id, q: level.q, page: page });
    } else {
      request = this.request("tags", {
        space: level.space.id, repository: level.repo.name, q: level.q
      }, Boolean(refresh));
    }
    request.then(function (body) {
      if (list !== self.list) return;
      level.page = page;
      if (level.kind === "tags") {
        level.all = body.items || [];
        level.shown = 0;
        self.tagNotes(body);
        self.fill(level, level.all, null, false);
      } else {
        if (body.error) {
          self.levelNotes.appendChild(el("div", { class: "mirror-picker__banner mirror-picker__banner--warn", role: "note" }, [
            _("The registry did not answer (%(error)s); showing the repositories last synced.", { error: body.error })
          ]));
        }
        self.fill(level, body.items || [], body, more);
      }
    }, function (error) {
      if (error.status === -1 || list !== self.list) return;
      list.setAttribute("aria-busy", "false");
      self.more.disabled = false;
      self.levelNotes.replaceChildren(self.errorBox(error.message, function () { self.load(level, more, refresh); }));
      self.announce(error.message);
    });
  };

  Picker.prototype.tagNotes = function (body) {
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
  };

  Picker.prototype.fill = function (level, items, paging, append) {
    const list = this.list;
    const self = this;
    if (!append) list.replaceChildren();
    let rows = items;
    let total;
    let hasMore;
    if (level.kind === "tags") {
      const start = append ? level.shown : 0;
      rows = items.slice(start, start + TAG_CHUNK);
      level.shown = start + rows.length;
      total = items.length;
      hasMore = level.shown < items.length;
    } else {
      total = paging.total;
      hasMore = paging.page < paging.pages;
    }
    let first = null;
    rows.forEach(function (item) {
      const row = self.row(level, item);
      if (!first) first = row.querySelector("[data-row-action]");
      list.appendChild(row);
    });
    if (!list.children.length) {
      list.appendChild(el("li", { class: "mirror-picker__none", text: level.q ? _("Nothing matches “%(query)s”.", { query: level.q }) : _("Nothing here yet.") }));
    }
    list.setAttribute("aria-busy", "false");
    const hadFocus = document.activeElement === this.more;
    this.more.hidden = !hasMore;
    this.more.disabled = false;
    const shown = list.querySelectorAll(level.kind === "tags" ? "li[data-tag]" : "li[data-row]").length;
    this.more.textContent = _("More (%(left)s left)", { left: Math.max(0, total - shown) });
    if (hadFocus && !hasMore && first) first.focus();
    const counted = {
      registries: ngettext("%(num)s registry", "%(num)s registries", total),
      spaces: ngettext("%(num)s space", "%(num)s spaces", total),
      repos: ngettext("%(num)s repository in %(where)s", "%(num)s repositories in %(where)s", total, { where: level.space && level.space.name }),
      tags: ngettext("%(num)s tag in %(where)s", "%(num)s tags in %(where)s", total, { where: level.repo && level.repo.name })
    }[level.kind];
    this.announce(level.q ? _("%(counted)s matching “%(query)s”.", { counted: counted, query: level.q }) : counted + _("."));
  };

  Picker.prototype.row = function (level, item) {
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
        item.health === "unhealthy" ? label(_("Unhealthy"), "unhealthy", item.last_error)
          : item.health === "healthy" ? label(_("Healthy"), "healthy") : label(_("Not checked"), "unknown"),
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
  };

  Picker.prototype.tagRow = function (level, item) {
    const self = this;
    const nameId = this.id + "-tag-" + (++counter);
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
  };

  Picker.prototype.choose = function (reference) {
    const input = this.target();
    input.value = reference;
    input.dispatchEvent(new Event("input", { bubbles: true }));
    input.dispatchEvent(new Event("change", { bubbles: true }));
    this.dialog.close();
    this.button.focus();
  };

  /* ---------- search across every visible repository ---------- */

  Picker.prototype.onSearch = function () {
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
  };

  Picker.prototype.renderSearch = function () {
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
  };

  Picker.prototype.searchRow = function (tab, item) {
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
  };

  /* Jump from a search result to its tags, with the breadcrumb of where it lives. */
  Picker.prototype.openRepository = function (tab, item) {
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
  };

  /* ---------- "Can't find your image?" ---------- */

  Picker.prototype.showBrowse = function () {
    if (!this.dialog) return;
    this.view = this.query ? "search" : "browse";
    this.faq.hidden = true;
    this.panel.hidden = false;
    this.search.parentNode.hidden = false;
    this.tablist.hidden = !this.ctx || this.view === "search";
    this.faqButton.hidden = false;
  };

  Picker.prototype.showFaq = function () {
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
  };

  /* ---------- wiring ---------- */

  function init(root) {
    (root || document).querySelectorAll("[data-mirror-picker]").forEach(function (button) {
      if (button.mirrorPicker) return;
      button.mirrorPicker = new Picker(button);
    });
  }

  window.mirrorPicker = { init: init };
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", function () { init(); });
  else init();
})();
