/* Filling a level's list: registries come from the context, spaces and repositories a page at
 * a time from the API, tags all at once (shown TAG_CHUNK at a time); "More" appends, and the
 * status line says how many there are. Answers for a list no longer shown are dropped. */
import { el } from "./dom.js";
import { ngettext, _ } from "./i18n.js";

/* Tags shown at a time: a repository may list thousands, all fetched in one answer. */
const TAG_CHUNK = 50;
/* Milliseconds between looks at a refresh job the server did not finish within its wait. */
const JOB_POLL_MS = 1000;

function staleNote(error) {
  return el("div", { class: "mirror-picker__banner mirror-picker__banner--warn", role: "note" }, [
    _("The registry did not answer (%(error)s); showing the repositories last synced.", { error: error })
  ]);
}

export const listMethods = {
  load(level, more, refresh) {
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
      request = this.request("repositories", { space: level.space.id, q: level.q, page: page }, Boolean(refresh));
    } else {
      request = this.request("tags", {
        space: level.space.id, repository: level.repo.name, q: level.q
      }, Boolean(refresh));
    }
    request.then(function (body) {
      if (list !== self.list) return;
      if (body.kind === "refresh" && body.status_url) {
        self.awaitRefresh(level, body);
        return;
      }
      level.page = page;
      if (level.kind === "tags") {
        level.all = body.items || [];
        level.shown = 0;
        self.tagNotes(body);
        self.fill(level, level.all, null, false);
      } else {
        if (body.error) self.levelNotes.appendChild(staleNote(body.error));
        self.fill(level, body.items || [], body, more);
      }
    }, function (error) {
      if (error.status === -1 || list !== self.list) return;
      list.setAttribute("aria-busy", "false");
      self.more.disabled = false;
      self.levelNotes.replaceChildren(self.errorBox(error.message, function () { self.load(level, more, refresh); }));
      self.announce(error.message);
    });
  },

  /* A refresh the registry made slow (202, the server's job): the list stays usable as it was,
     a banner says the refresh is under way, and once the job finished the list is loaded
     again (with the registry's failure, if it failed). */
  awaitRefresh(level, job) {
    const self = this;
    const list = this.list;
    list.setAttribute("aria-busy", "false");
    this.more.disabled = false;
    const message = _("Refreshing the repositories of %(space)s from the registry…", { space: level.space.name });
    this.levelNotes.replaceChildren(el("div", { class: "mirror-picker__banner", role: "status", "data-refreshing": "" }, [message]));
    this.announce(message);
    if (level.refreshing === job.id) return;  /* Refresh clicked again: the same job, polled already */
    level.refreshing = job.id;
    function poll() {
      self.get(job.status_url).then(function (status) {
        if (list !== self.list) {
          level.refreshing = null;
          return;
        }
        if (status.status !== "succeeded" && status.status !== "failed") {
          setTimeout(poll, JOB_POLL_MS);
          return;
        }
        level.refreshing = null;
        self.load(level, false);
        if (status.error) self.levelNotes.appendChild(staleNote(status.error.message));
      }, function (error) {
        if (list !== self.list) {
          level.refreshing = null;
          return;
        }
        self.levelNotes.replaceChildren(self.errorBox(error.message, poll));
        self.announce(error.message);
      });
    }
    setTimeout(poll, JOB_POLL_MS);
  },

  fill(level, items, paging, append) {
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
  }
};
