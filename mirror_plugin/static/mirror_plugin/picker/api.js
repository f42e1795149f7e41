/* Talking to the picker API (data-api of the button, e.g. /mirror/api/picker): every call
 * names the namespace, answers JSON, and turns a network or server failure into an ApiError
 * whose message the dialog can show as it is. */
import { _ } from "./i18n.js";

/* status 0: the console could not be reached; -1: an answer the user no longer waits for
 * (she moved on), which callers drop silently. */
export function ApiError(message, status) {
  this.message = message;
  this.status = status;
}

export const apiMethods = {
  /* post: the Refresh (it makes the server ask the registry), a POST with the CSRF token the
     context answer carries; everything else is a GET. A path starting with "/" is a URL the
     server gave (a job's status_url), otherwise one under the picker's API. */
  get(path, params, post) {
    const url = new URL(path.charAt(0) === "/" ? path : this.api + "/" + path, window.location.href);
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
  },

  /* Run a request for the current view; drop its answer if the user moved on meanwhile. */
  request(path, params, post) {
    const seq = ++this.seq;
    const self = this;
    return this.get(path, params, post).then(function (body) {
      if (seq !== self.seq) throw new ApiError(null, -1);
      return body;
    }, function (error) {
      if (seq !== self.seq) throw new ApiError(null, -1);
      throw error;
    });
  }
};
