/* Tabs: <div class="tabs" data-tabs> with <button data-tab="panelId"> children.
 *
 * The first button marked .active (or the first one) starts open; the URL hash
 * (#tab-<panelId>) reopens a tab after a reload. Showing a panel dispatches a
 * "mm:tabshown" event on it so pages can load its content lazily.
 */
(function () {
  "use strict";

  function show(group, button, updateHash) {
    const buttons = group.querySelectorAll("[data-tab]");
    buttons.forEach((b) => {
      const panel = document.getElementById(b.dataset.tab);
      const on = b === button;
      b.classList.toggle("active", on);
      b.setAttribute("aria-selected", on ? "true" : "false");
      if (panel) panel.hidden = !on;
    });
    const panel = document.getElementById(button.dataset.tab);
    if (panel) panel.dispatchEvent(new CustomEvent("mm:tabshown", { bubbles: true }));
    if (updateHash && group.dataset.tabsHash !== undefined) {
      history.replaceState(null, "", `#tab-${button.dataset.tab}`);
    }
  }

  function init(group) {
    const buttons = Array.from(group.querySelectorAll("[data-tab]"));
    if (!buttons.length) return;
    buttons.forEach((b) => {
      b.setAttribute("role", "tab");
      b.addEventListener("click", (ev) => {
        ev.preventDefault();
        show(group, b, true);
      });
    });
    let start = buttons.find((b) => b.classList.contains("active")) || buttons[0];
    if (location.hash.startsWith("#tab-")) {
      const wanted = buttons.find((b) => `#tab-${b.dataset.tab}` === location.hash);
      if (wanted) start = wanted;
    }
    show(group, start, false);
  }

  window.MM = window.MM || {};
  window.MM.tabs = { show };
  document.addEventListener("DOMContentLoaded", () => {
    document.querySelectorAll("[data-tabs]").forEach(init);
  });
})();
