"use strict";
/* The collector page: refresh the numbers every 2 seconds without reloading. */
(function () {
  const ids = ["collector-tiers", "writer-stats", "collector-state", "db-stall", "collector-pages",
               "collector-members"];
  async function refresh() {
    if (document.hidden) return;
    try {
      const resp = await fetch(location.href, { credentials: "same-origin" });
      if (!resp.ok || resp.redirected) return;
      const doc = new DOMParser().parseFromString(await resp.text(), "text/html");
      for (const id of ids) {
        const fresh = doc.getElementById(id);
        const old = document.getElementById(id);
        if (fresh && old) old.replaceWith(fresh);
      }
      for (const id of ["start-collector", "stop-collector"]) {
        const fresh = doc.getElementById(id);
        const old = document.getElementById(id);
        if (fresh && old) old.disabled = fresh.disabled;
      }
    } catch (e) { /* keep the last view */ }
  }
  setInterval(refresh, 2000);
})();

