/* Client-side search and sort for tables.
 *
 * <input type="search" data-filter-for="tableId"> filters the rows of
 * <table id="tableId" data-sortable>; clicking a <th class="sortable"> sorts by
 * that column. A cell's data-sort attribute (a number) sorts before its text.
 */
(function () {
  "use strict";

  const collator = new Intl.Collator(undefined, { numeric: true, sensitivity: "base" });

  function cellKey(cell) {
    if (!cell) return "";
    const raw = cell.getAttribute("data-sort");
    if (raw !== null && raw !== "") {
      const n = Number(raw);
      return Number.isNaN(n) ? raw : n;
    }
    return cell.textContent.trim();
  }

  function compare(a, b) {
    const aNum = typeof a === "number";
    const bNum = typeof b === "number";
    if (aNum && bNum) return a - b;
    if (aNum) return -1;
    if (bNum) return 1;
    if (a === "" && b !== "") return 1;
    if (b === "" && a !== "") return -1;
    return collator.compare(a, b);
  }

  function sortBy(table, index, descending) {
    const body = table.tBodies[0];
    if (!body) return;
    const rows = Array.from(body.rows).filter((r) => !r.classList.contains("empty-row"));
    rows.sort((r1, r2) => {
      const d = compare(cellKey(r1.cells[index]), cellKey(r2.cells[index]));
      return descending ? -d : d;
    });
    for (const r of rows) body.appendChild(r);
    table.querySelectorAll("th .arrow").forEach((el) => el.remove());
    const th = table.tHead.rows[0].cells[index];
    const arrow = document.createElement("span");
    arrow.className = "arrow";
    arrow.textContent = descending ? "\u25BC" : "\u25B2";
    th.appendChild(arrow);
    th.setAttribute("aria-sort", descending ? "descending" : "ascending");
  }

  function makeSortable(table) {
    if (!table.tHead || table.dataset.sortReady) return;
    table.dataset.sortReady = "1";
    Array.from(table.tHead.rows[0].cells).forEach((th, index) => {
      if (!th.classList.contains("sortable")) return;
      th.addEventListener("click", () => {
        const desc = th.getAttribute("aria-sort") === "ascending";
        table.querySelectorAll("th").forEach((h) => h.removeAttribute("aria-sort"));
        sortBy(table, index, desc);
      });
    });
  }

  function applyFilter(table, text, countEl) {
    const needle = text.trim().toLowerCase();
    const body = table.tBodies[0];
    if (!body) return;
    let shown = 0;
    let total = 0;
    for (const row of body.rows) {
      if (row.classList.contains("empty-row")) continue;
      total += 1;
      const hit = !needle || row.textContent.toLowerCase().includes(needle);
      row.hidden = !hit;
      if (hit) shown += 1;
    }
    if (countEl) countEl.textContent = needle ? `${shown} of ${total} rows` : `${total} rows`;
  }

  function bindFilter(input) {
    const table = document.getElementById(input.dataset.filterFor);
    if (!table || input.dataset.filterReady) return;
    input.dataset.filterReady = "1";
    const countEl = input.dataset.countEl ? document.getElementById(input.dataset.countEl) : null;
    input.addEventListener("input", () => applyFilter(table, input.value, countEl));
    applyFilter(table, input.value, countEl);
  }

  function enhance(root) {
    (root || document).querySelectorAll("table[data-sortable]").forEach(makeSortable);
    (root || document).querySelectorAll("input[data-filter-for]").forEach(bindFilter);
  }

  window.MM = window.MM || {};
  window.MM.tables = { enhance, sortBy, applyFilter };
  document.addEventListener("DOMContentLoaded", () => enhance(document));
})();
