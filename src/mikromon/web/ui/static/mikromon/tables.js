/* Client-side search, sort and value formatting for tables.
 *
 * <input type="search" data-filter-for="tableId"> filters the rows of
 * <table id="tableId" data-sortable>; clicking a <th class="sortable"> sorts by
 * that column. A cell's data-sort attribute (a number) sorts before its text;
 * otherwise the text decides: numbers and durations ("1d 2h 3m", "1w2d", "00:05:00")
 * by value, IPv4 and IPv6 addresses (with a /prefix) by address, the rest as text
 * with digits compared as numbers. Empty cells stay last in both directions.
 *
 * MM.tables.paged(container, options) builds a table paged, sorted and filtered on
 * the server (the inventory tabs): a filter box, the count ("40 of 2,000 rows"),
 * headers that sort (click again: descending) and page buttons; each change asks
 * options.fetch({q, sort, page}) for the rows again.
 *
 * Columns named in the page's "mm-column-units" JSON (unit -> column names, from
 * the server's inventory column units) get their plain numbers shown in bytes
 * (KiB, MiB...) or bits/s (kbit/s, Mbit/s...) through MM.fmt (format.js), with
 * the exact value in the cell's title and sorting by it.
 */
(function () {
  "use strict";

  const collator = new Intl.Collator(undefined, { numeric: true, sensitivity: "base" });
  // Sort ranks: numbers and durations, then addresses, then text, then empty cells.
  const NUMBER = 0;
  const ADDRESS = 1;
  const TEXT = 2;
  const EMPTY = 3;

  const NUMERIC = /^[-+]?(\d+\.?\d*|\.\d+)(e[-+]?\d+)?$/i;
  const IPV4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})(?:\/(\d{1,2}))?(?:%\S+)?$/;
  const CLOCK = /^(\d+):([0-5]\d):([0-5]\d)$/;
  const UNITS = /^(?:(\d+)w)?\s*(?:(\d+)d)?\s*(?:(\d+)h)?\s*(?:(\d+)m)?\s*(?:(\d+(?:\.\d+)?)s)?\s*(?:(\d+)ms)?$/;

  function hex(n, width) { return n.toString(16).padStart(width, "0"); }

  /** "10.0.0.2/24" -> "4" + 8 hex digits + prefix, or null. */
  function ipv4Key(text) {
    const m = IPV4.exec(text);
    if (!m) return null;
    const parts = m.slice(1, 5).map(Number);
    if (parts.some((p) => p > 255)) return null;
    const prefix = m[5] === undefined ? 32 : Number(m[5]);
    return `4${parts.map((p) => hex(p, 2)).join("")}/${hex(prefix, 2)}`;
  }

  function groups(text) {
    if (text === "") return [];
    const out = text.split(":");
    return out.every((g) => /^[0-9a-f]{1,4}$/i.test(g)) ? out.map((g) => parseInt(g, 16)) : null;
  }

  /** "2001:db8::1/64" -> "6" + 32 hex digits + prefix, or null. */
  function ipv6Key(text) {
    if (!text.includes(":")) return null;
    let addr = text.replace(/%\S+$/, "");
    let prefix = 128;
    const slash = addr.indexOf("/");
    if (slash >= 0) {
      if (!/^\d{1,3}$/.test(addr.slice(slash + 1))) return null;
      prefix = Number(addr.slice(slash + 1));
      addr = addr.slice(0, slash);
    }
    const halves = addr.split("::");
    if (halves.length > 2) return null;
    const head = groups(halves[0]);
    const tail = halves.length === 2 ? groups(halves[1]) : [];
    if (!head || !tail) return null;
    const missing = 8 - head.length - tail.length;
    if (halves.length === 2 ? missing < 1 : missing !== 0) return null;
    const all = head.concat(new Array(missing).fill(0), tail);
    return `6${all.map((g) => hex(g, 4)).join("")}/${hex(prefix, 2)}`;
  }

  /** Seconds of "1d 2h 3m", "1w2d3h4m5s", "250ms" or "01:02:03", else null. */
  function durationSeconds(text) {
    let m = CLOCK.exec(text);
    if (m) return Number(m[1]) * 3600 + Number(m[2]) * 60 + Number(m[3]);
    if (!/\d[wdhms]/.test(text)) return null;
    m = UNITS.exec(text);
    if (!m) return null;
    const [w, d, h, min, s, ms] = m.slice(1).map((x) => (x === undefined ? 0 : Number(x)));
    return w * 604800 + d * 86400 + h * 3600 + min * 60 + s + ms / 1000;
  }

  /** The sort key of a text: [rank, value]. */
  function textKey(text) {
    if (text === "" || text === "\u2013") return [EMPTY, ""];
    if (NUMERIC.test(text)) return [NUMBER, Number(text)];
    const seconds = durationSeconds(text);
    if (seconds !== null) return [NUMBER, seconds];
    const address = ipv4Key(text) || ipv6Key(text);
    if (address !== null) return [ADDRESS, address];
    return [TEXT, text];
  }

  function cellKey(cell) {
    if (!cell) return [EMPTY, ""];
    const raw = cell.getAttribute("data-sort");
    if (raw !== null && raw !== "") {
      const n = Number(raw);
      return Number.isNaN(n) ? textKey(raw) : [NUMBER, n];
    }
    return textKey(cell.textContent.trim());
  }

  /** Compare two keys; ``descending`` reverses all but the empty cells (kept last). */
  function compare(a, b, descending) {
    if (a[0] !== b[0]) {
      if (a[0] === EMPTY || b[0] === EMPTY) return a[0] === EMPTY ? 1 : -1;
      return descending ? b[0] - a[0] : a[0] - b[0];
    }
    let d;
    if (a[0] === NUMBER) d = a[1] - b[1];
    else if (a[0] === ADDRESS) d = a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0;
    else d = collator.compare(a[1], b[1]);
    return descending ? -d : d;
  }

  function sortBy(table, index, descending) {
    const body = table.tBodies[0];
    if (!body) return;
    const rows = Array.from(body.rows).filter((r) => !r.classList.contains("empty-row"));
    const keyed = rows.map((r, i) => ({ r, i, k: cellKey(r.cells[index]) }));
    keyed.sort((x, y) => compare(x.k, y.k, descending) || x.i - y.i);
    for (const { r } of keyed) body.appendChild(r);
    table.querySelectorAll("th .arrow").forEach((el) => el.remove());
    const th = table.tHead.rows[0].cells[index];
    const arrow = document.createElement("span");
    arrow.className = "arrow";
    arrow.textContent = descending ? "\u25BC" : "\u25B2";
    th.appendChild(arrow);
    th.setAttribute("aria-sort", descending ? "descending" : "ascending");
  }

  // ------------------------------------------------------------ column units
  let unitsByColumn = null;

  /** Column name -> unit, from the page's mm-column-units JSON (empty without it). */
  function columnUnits() {
    if (unitsByColumn === null) {
      unitsByColumn = new Map();
      const el = document.getElementById("mm-column-units");
      try {
        const doc = el ? JSON.parse(el.textContent) : {};
        for (const [unit, names] of Object.entries(doc)) {
          for (const name of names) unitsByColumn.set(name, unit);
        }
      } catch (e) { /* no units: numbers stay plain */ }
    }
    return unitsByColumn;
  }

  /** The unit of a column: its own, else its base's ("max-limit.upload" -> "max-limit"). */
  function columnUnit(name) {
    const units = columnUnits();
    return units.get(name) || units.get(name.split(".")[0]) || "";
  }

  const FORMATTERS = {
    bytes: (fmt, v) => fmt.bytes(v),
    "bits/s": (fmt, v) => fmt.bps(v),
    seconds: (fmt, v) => fmt.duration(v),
  };

  /** Show the plain numbers of unit columns in their unit; the exact value goes
   * into the title and data-sort. Cells already formatted (a title) stay. */
  function formatUnits(table) {
    const fmt = window.MM && window.MM.fmt;
    if (!fmt || !table.tHead || !table.tBodies[0]) return;
    const heads = Array.from(table.tHead.rows[0].cells);
    heads.forEach((th, index) => {
      const unit = columnUnit(th.dataset.column || th.textContent.trim());
      const format = FORMATTERS[unit];
      if (!format) return;
      let formatted = false;
      for (const row of table.tBodies[0].rows) {
        const cell = row.cells[index];
        if (!cell || cell.title || cell.colSpan > 1) continue;
        const raw = cell.getAttribute("data-sort") || cell.textContent.trim();
        if (!NUMERIC.test(raw)) continue;
        const v = Number(raw);
        cell.textContent = format(fmt, v);
        cell.title = `${raw} ${unit}`;
        cell.dataset.sort = raw;
        cell.classList.add("num");
        formatted = true;
      }
      if (formatted) th.classList.add("num");
    });
  }

  function makeSortable(table) {
    if (!table.tHead || table.dataset.sortReady) return;
    table.dataset.sortReady = "1";
    formatUnits(table);
    Array.from(table.tHead.rows[0].cells).forEach((th, index) => {
      if (!th.classList.contains("sortable")) return;
      th.addEventListener("click", () => {
        const desc = th.getAttribute("aria-sort") === "ascending";
        table.querySelectorAll("th").forEach((h) => h.removeAttribute("aria-sort"));
        sortBy(table, index, desc);
      });
    });
  }

  // ------------------------------------------------------------ filter
  function rowsText(n) { return `${n} row${n === 1 ? "" : "s"}`; }

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
    if (countEl) countEl.textContent = needle ? `${shown} of ${rowsText(total)}` : rowsText(total);
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

  // ------------------------------------------------------------ server paging
  /** Wait before asking again while the filter is typed, ms. */
  const FILTER_WAIT_MS = 250;

  function el(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  /** Mark the header of the sort ("name" or "-name") with its arrow and aria-sort. */
  function markSort(table, sort) {
    const column = sort.replace(/^-/, "");
    const descending = sort.startsWith("-");
    for (const th of table.tHead.rows[0].cells) {
      th.querySelectorAll(".arrow").forEach((a) => a.remove());
      if (column && th.dataset.column === column) {
        th.setAttribute("aria-sort", descending ? "descending" : "ascending");
        th.appendChild(el("span", "arrow", descending ? "\u25BC" : "\u25B2"));
      } else th.removeAttribute("aria-sort");
    }
  }

  /**
   * A table paged, sorted and filtered by the server, in ``container``.
   *
   * options: fetch(params) -> Promise of {columns, rows, count, total, sort, page,
   *   pages, empty_text, label}; params are {q, sort, page}. renderCell(td, value,
   *   column, data) fills a cell. id: the table's id. label: what the rows are
   *   ("DHCP leases"). extra: an element shown in the bar (e.g. when it was read).
   *   onData(data): after each answer.
   * Returns {reload(), state}: reload asks again with the same filter, sort and page.
   */
  function paged(container, options) {
    const state = { q: "", sort: "", page: 1, data: null, seq: 0 };
    const bar = el("div", "filters paged-bar");
    const input = el("input");
    input.type = "search";
    input.placeholder = `Search ${options.label.toLowerCase()}\u2026`;
    input.setAttribute("aria-label", `Search ${options.label.toLowerCase()}`);
    const count = el("span", "count");
    if (options.id) count.id = `${options.id}-count`;
    count.setAttribute("aria-live", "polite");
    bar.append(input);
    if (options.extra) bar.append(options.extra);
    bar.append(count);
    const wrap = el("div", "table-wrap");
    const pager = el("div", "pager");
    const prev = el("button", "btn", "\u2039 Previous");
    const next = el("button", "btn", "Next \u203A");
    prev.type = "button";
    next.type = "button";
    const where = el("span", "muted page-of");
    pager.append(prev, where, next);
    container.replaceChildren(bar, wrap, pager);

    function render(data) {
      const table = el("table", "data");
      if (options.id) table.id = options.id;
      const head = table.createTHead().insertRow();
      for (const c of data.columns) {
        const th = el("th", "sortable", c);
        th.dataset.column = c;
        th.tabIndex = 0;
        th.title = `Sort by ${c}`;
        head.appendChild(th);
      }
      const body = table.createTBody();
      if (!data.rows.length) {
        const td = body.insertRow().insertCell();
        td.parentElement.className = "empty-row";
        td.colSpan = Math.max(1, data.columns.length);
        td.className = "empty";
        td.textContent = data.empty_text;
      }
      for (const row of data.rows) {
        const tr = body.insertRow();
        if (row._gone) tr.className = "gone";
        for (const c of data.columns) options.renderCell(tr.insertCell(), row[c], c, data);
      }
      formatUnits(table);
      markSort(table, data.sort || "");
      wrap.replaceChildren(table);
      const total = data.total === undefined ? data.count : data.total;
      count.textContent = data.count === total ? rowsText(total)
        : `${data.count.toLocaleString()} of ${rowsText(total)}`;
      const pages = data.pages || 1;
      where.textContent = `page ${data.page || 1} of ${pages}`;
      prev.disabled = (data.page || 1) <= 1;
      next.disabled = (data.page || 1) >= pages;
      pager.hidden = pages <= 1;
    }

    async function load() {
      const seq = ++state.seq;
      const data = await options.fetch({ q: state.q, sort: state.sort, page: state.page });
      if (seq !== state.seq) return data;  // a newer request answers instead
      // Past the last page (rows went away): show the last page.
      if (!data.rows.length && data.pages && state.page > data.pages) {
        state.page = data.pages;
        return load();
      }
      state.data = data;
      state.sort = data.sort || state.sort;
      render(data);
      if (options.onData) options.onData(data);
      return data;
    }

    let wait = null;
    input.addEventListener("input", () => {
      clearTimeout(wait);
      wait = setTimeout(() => { state.q = input.value.trim(); state.page = 1; load(); },
        FILTER_WAIT_MS);
    });
    function sortOn(th) {
      const column = th.dataset.column;
      state.sort = state.sort === column ? `-${column}` : column;
      state.page = 1;
      load();
    }
    wrap.addEventListener("click", (ev) => {
      const th = ev.target.closest("th[data-column]");
      if (th) sortOn(th);
    });
    wrap.addEventListener("keydown", (ev) => {
      const th = ev.target.closest("th[data-column]");
      if (th && (ev.key === "Enter" || ev.key === " ")) { ev.preventDefault(); sortOn(th); }
    });
    prev.addEventListener("click", () => { state.page = Math.max(1, state.page - 1); load(); });
    next.addEventListener("click", () => { state.page += 1; load(); });
    return { reload: load, state, input };
  }

  window.MM = window.MM || {};
  window.MM.tables = { enhance, sortBy, applyFilter, sortKey: textKey, columnUnit, paged };
  document.addEventListener("DOMContentLoaded", () => enhance(document));
})();
