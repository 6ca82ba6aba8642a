/* Device dashboard: live uPlot charts, current values and lazy inventory tabs.
 *
 * Reads its configuration from <script id="dashboard-config" type="application/json">
 * and talks only to the JSON API (/api/v1/devices/<id>/...), with the session cookie.
 *
 * The charts (CPU, memory, the chosen interfaces' traffic and the device's other
 * families: per-core CPU, clients, routing, health, queues) share one time window
 * (MM.charts.Board, charts.js): a preset range, a custom from/to, or a zoom dragged
 * across any chart. Times are shown in the user's zone (`time_zone` of the config,
 * UTC by default), as on every page.
 */
(function () {
  "use strict";

  const fmt = window.MM.fmt;
  const charts = window.MM.charts;
  const cfg = JSON.parse(document.getElementById("dashboard-config").textContent);
  // Times in the user's zone (profile), as the server renders them.
  fmt.setZone(cfg.time_zone || "UTC");
  /** States of a router that answers polls: its values are current (up, degraded). */
  const ANSWERING = new Set(["up", "degraded"]);
  /** States in which the router is not read (named by the API's `state_label`). */
  const OUT_OF_SIGHT = new Set(["down", "auth_failed", "disabled"]);
  const COLORS = charts.COLORS;
  const state = {
    selected: new Set(cfg.selected),
    shown: new Set(cfg.shown_families),  // ids of the families charted
    timer: null,
    inflight: false,
    paused: false,
    touched: false,
    collectorRunning: cfg.collector_running,
    stale: false,
    lastData: null,
    latest: [],          // the newest value of every series (API "latest")
    chartsDue: 0,        // Date.now() after which the charts are fetched again
    familiesDue: 0,      // Date.now() after which the family charts are fetched again
    logsDue: 0,          // Date.now() after which a shown logs tab is read again
    marks: [],           // the device's alerts over the chart range (alert-marks JSON)
  };

  function getJSON(url) { return charts.getJSON(url, cfg.login_url); }

  // ---------------------------------------------------------------- alert marks
  /* A device's alerts are drawn under the lines of the charts they concern: a shaded
   * band from when the alert fired (or went pending) to when it resolved (or now),
   * coloured by severity, with a line where it began. CPU and memory charts show
   * alerts on their metric and device-wide ones (down, no data, reboot); an
   * interface chart shows the alerts about that interface; a family's chart the
   * alerts on its metrics. */
  const SEVERITY_COLORS = { critical: "#c2372f", high: "#e0601f", warning: "#e0a030", info: "#54708f" };
  const DEVICE_WIDE = new Set(["device_state", "no_data", "reboot", "fact_changed"]);
  const CHART_METRICS = { "chart-cpu": "system.cpu.load_pct", "chart-mem": "system.memory.used_pct" };

  function marksFor(chart) {
    if (!chart) return [];
    let marks;
    if (chart.kind === "bps") {
      marks = state.marks.filter((m) => m.subject && m.subject === chart.iface);
    } else if (chart.family) {
      const metrics = new Set(chart.family.lines.map((l) => l.metric));
      marks = state.marks.filter((m) => metrics.has(m.metric));
    } else {
      const metric = CHART_METRICS[chart.id];
      marks = state.marks.filter((m) => m.metric === metric
        || (!m.subject && !m.metric && DEVICE_WIDE.has(m.kind)));
    }
    return marks.map((m) => ({ ...m, color: SEVERITY_COLORS[m.severity] || SEVERITY_COLORS.info }));
  }

  async function refreshMarks() {
    if (!cfg.urls.alert_marks) return;
    try {
      state.marks = (await getJSON(cfg.urls.alert_marks)).alerts || [];
    } catch (e) {
      if (e.message === "signed out") throw e;
      // Keep the marks we had: the charts still draw.
    }
  }

  const board = charts.Board.fromConfig(cfg, {
    syncKey: "mm-dashboard",
    marksFor,
    onWindow: () => { showWindow(); saveChoices(); tick(true); },
    onZoomChange: (zoomed) => {
      const back = document.getElementById("zoom-back");
      if (back) back.hidden = !zoomed;
    },
  });

  /** The newest item of `key` (with label interface=`iface`, if given), or null. */
  function newest(key, iface) {
    return state.latest.find((v) => v.key === key && (iface
      ? (v.labels || {}).interface === iface : !Object.keys(v.labels || {}).length)) || null;
  }

  /** The newest value of `key` (with label interface=`iface`, if given), or null. */
  function current(key, iface) {
    const item = newest(key, iface);
    return item ? item.value : null;
  }

  /** Whether the router's values are current: up and not stale (the server's rule,
   * from the API's state fields); otherwise they are shown as "last value at". */
  function valuesCurrent() {
    const dev = state.device;
    return dev ? ANSWERING.has(dev.state) && !dev.stale : cfg.current;
  }

  /** "last value at 2026-11-30 08:53:48 UTC" (the user's zone) for the newest of `items`, or "". */
  function lastAt(items) {
    const times = items.filter(Boolean).map((v) => v.ts).filter(Boolean).sort();
    return times.length ? `last value at ${fmt.when(times[times.length - 1])}` : "";
  }

  /** Chart headers show the current value (as the cards do), not a bucket's average;
   * for a router that does not answer (or stale data), the last value, greyed, and
   * when it was read. */
  function renderHeads() {
    const live = valuesCurrent();
    const put = (id, text, items) => {
      const head = document.getElementById(`${id}-now`);
      if (!head) return;
      const when = live ? "" : lastAt(items);
      // Two unbreakable parts: a narrow panel wraps between them, never inside a value.
      const value = document.createElement("span");
      value.className = "v";
      value.textContent = live || !when ? `now ${text}` : text;
      if (when) {
        const at = document.createElement("span");
        at.className = "at";
        at.textContent = when;
        head.replaceChildren(at, " ", value);
      } else {
        head.replaceChildren(value);
      }
      head.classList.toggle("old", !live);
    };
    put("chart-cpu", fmt.pct(current("system.cpu.load_pct")), [newest("system.cpu.load_pct")]);
    put("chart-mem", fmt.pct(current("system.memory.used_pct")),
        [newest("system.memory.used_pct")]);
    for (const chart of board.charts.values()) {
      if (chart.kind !== "bps") continue;
      put(chart.id, `\u2193 ${fmt.bps(current("iface.rx_bps", chart.iface))}  ` +
                    `\u2191 ${fmt.bps(current("iface.tx_bps", chart.iface))}`,
          [newest("iface.rx_bps", chart.iface), newest("iface.tx_bps", chart.iface)]);
    }
    // The cards: greyed with their read time while the values are not current.
    document.querySelectorAll("[data-card]").forEach((card) => {
      const item = newest(card.dataset.card);
      const old = !live && Boolean(item);
      card.classList.toggle("old", old);
      const when = card.querySelector(".when");
      if (when) {
        when.hidden = !old;
        when.textContent = old ? lastAt([item]) : "";
      }
    });
  }

  async function refreshSystemCharts() {
    const [cpu, mem] = await Promise.all([
      board.fetch("system.cpu.load_pct"), board.fetch("system.memory.used_pct"),
    ]);
    const c = board.ensure("chart-cpu", document.getElementById("chart-cpu"),
      { unit: "percent", lines: [{ label: "CPU load", color: COLORS.cpu }] });
    board.setData(c, charts.join([board.points(cpu)]));
    const m = board.ensure("chart-mem", document.getElementById("chart-mem"),
      { unit: "percent", lines: [{ label: "Memory used", color: COLORS.mem }] });
    board.setData(m, charts.join([board.points(mem)]));
  }

  // ---------------------------------------------------------------- interface charts
  function ifaceContainer() { return document.getElementById("iface-charts"); }

  function syncIfacePanels() {
    const box = ifaceContainer();
    const wanted = cfg.interfaces.filter((n) => state.selected.has(n));
    for (const [id, chart] of board.charts) {
      if (chart.kind === "bps" && !wanted.includes(chart.iface)) board.drop(id);
    }
    // Put every new panel into the grid first, then size the plots: a plot made while
    // its panel is alone in the grid would be as wide as the whole row.
    const added = [];
    wanted.forEach((name, index) => {
      if (Array.from(board.charts.values()).some((c) => c.iface === name)) return;
      if (added.some((a) => a.name === name)) return;
      const id = `chart-if-${index}-${name.replace(/[^A-Za-z0-9_-]/g, "_")}`;
      const { panel, el } = charts.panel(id, `${name} traffic`, "bits/s", charts.interfaceURL(cfg.urls.interface, name));
      panel.dataset.iface = name;
      box.appendChild(panel);
      added.push({ id, name, el });
    });
    // Panels in list order, a newly ticked interface among them (not at the end).
    const panels = new Map(Array.from(box.children).map((p) => [p.dataset.iface, p]));
    const order = wanted.map((n) => panels.get(n)).filter(Boolean);
    if (order.some((p, i) => box.children[i] !== p)) order.forEach((p) => box.appendChild(p));
    for (const { id, name, el } of added) {
      board.ensure(id, el, {
        unit: "bits/s",
        lines: [{ label: "rx", color: COLORS.rx }, { label: "tx", color: COLORS.tx }],
        extra: { kind: "bps", iface: name },
      });
    }
    document.getElementById("iface-empty").hidden = wanted.length > 0;
  }

  async function refreshIfaceCharts() {
    syncIfacePanels();
    const names = cfg.interfaces.filter((n) => state.selected.has(n));
    if (!names.length) return;
    const labels = names.map((n) => `interface=${n}`);
    const [rx, tx] = await Promise.all([
      board.fetch("iface.rx_bps", labels), board.fetch("iface.tx_bps", labels),
    ]);
    for (const chart of board.charts.values()) {
      if (chart.kind !== "bps") continue;
      board.setData(chart, charts.join([board.points(rx, "interface", chart.iface),
                                        board.points(tx, "interface", chart.iface)]));
    }
  }

  // ---------------------------------------------------------------- family charts
  function familyById(id) { return cfg.families.find((f) => f.id === id) || null; }

  /** The family charts shown, in the order of the configuration. */
  function shownFamilies() { return cfg.families.filter((f) => state.shown.has(f.id)); }

  function syncFamilyPanels() {
    const box = document.getElementById("family-charts");
    if (!box) return;
    const wanted = shownFamilies();
    const ids = new Set(wanted.map((f) => `chart-fam-${f.id}`));
    for (const [id, chart] of board.charts) {
      if (chart.family && !ids.has(id)) board.drop(id);
    }
    const added = [];
    for (const fam of wanted) {
      const id = `chart-fam-${fam.id}`;
      if (board.charts.has(id) || added.some((a) => a.id === id)) continue;
      const { panel, el } = charts.panel(id, fam.title, charts.unitText(fam.unit));
      panel.dataset.family = fam.id;
      box.appendChild(panel);
      added.push({ id, fam, el });
    }
    const panels = new Map(Array.from(box.children).map((p) => [p.dataset.family, p]));
    const order = wanted.map((f) => panels.get(f.id)).filter(Boolean);
    if (order.some((p, i) => box.children[i] !== p)) order.forEach((p) => box.appendChild(p));
    for (const { id, fam, el } of added) {
      board.ensure(id, el, { unit: fam.unit, lines: [], extra: { family: fam } });
    }
    document.querySelectorAll("[data-family-toggle]").forEach((b) => {
      b.setAttribute("aria-pressed", String(state.shown.has(b.dataset.familyToggle)));
    });
  }

  /** The lines of a family's chart from the API's answers: each line's matching
   * series (several for a partial label filter: named by their label values). */
  function familyData(fam, answers) {
    const lines = [];
    const parts = [];
    fam.lines.forEach((line, i) => {
      const resp = answers[i];
      const matching = resp.series.filter((s) => line.labels.every((l) => {
        const [k, ...rest] = l.split("=");
        return (s.labels || {})[k] === rest.join("=");
      }));
      for (const s of matching) {
        const extra = Object.entries(s.labels || {}).filter(([k, v]) => !line.labels.includes(`${k}=${v}`));
        const name = matching.length > 1 && extra.length ? extra.map(([, v]) => v).join(" ") : line.name;
        lines.push({ label: name, color: charts.PALETTE[lines.length % charts.PALETTE.length] });
        parts.push(charts.withGaps(s.t, s.v, Math.max(resp.step, cfg.min_step_s)));
      }
    });
    return { lines, data: charts.join(parts) };
  }

  async function refreshFamilyCharts() {
    syncFamilyPanels();
    await Promise.all(shownFamilies().map(async (fam) => {
      // One request per metric of the family (its lines' labels as filters).
      const byMetric = new Map();
      for (const line of fam.lines) {
        if (!byMetric.has(line.metric)) byMetric.set(line.metric, []);
        byMetric.get(line.metric).push(...line.labels);
      }
      const answers = new Map();
      await Promise.all(Array.from(byMetric.entries()).map(async ([metric, labels]) => {
        answers.set(metric, await board.fetch(metric, Array.from(new Set(labels))));
      }));
      const chart = board.charts.get(`chart-fam-${fam.id}`);
      if (!chart) return;
      const { lines, data } = familyData(fam, fam.lines.map((l) => answers.get(l.metric)));
      board.ensure(chart.id, chart.el, { unit: fam.unit, lines, extra: { family: fam } });
      board.setData(chart, lines.length ? data : [[]]);
    }));
  }

  function bindFamilyToggle(b) {
    b.addEventListener("click", () => {
      const id = b.dataset.familyToggle;
      if (state.shown.has(id)) state.shown.delete(id);
      else state.shown.add(id);
      saveChoices();
      tick(true);
    });
  }

  // ---------------------------------------------------------------- range and zoom
  /** Show the window chosen: the preset buttons, the custom from/to fields. */
  function showWindow() {
    const custom = !board.isLive();
    document.querySelectorAll("[data-range]").forEach((x) => {
      x.classList.toggle("active", !custom && x.dataset.range === board.range);
    });
    const from = document.getElementById("range-from");
    const to = document.getElementById("range-to");
    if (custom && board.custom && from && to) {
      from.value = charts.toLocal(board.custom.from);
      to.value = charts.toLocal(board.custom.to);
    }
    const label = document.getElementById("range-custom");
    if (label) label.classList.toggle("active", custom);
  }

  function bindRange() {
    document.querySelectorAll("[data-range]").forEach((b) => {
      b.addEventListener("click", () => {
        board.setRange(b.dataset.range);
        showWindow();
        saveChoices();
        tick(true);
      });
    });
    const form = document.getElementById("range-form");
    if (form) {
      form.addEventListener("submit", (ev) => {
        ev.preventDefault();
        const from = charts.parseLocal(document.getElementById("range-from").value);
        const to = charts.parseLocal(document.getElementById("range-to").value);
        const problem = document.getElementById("range-problem");
        const bad = from === null || to === null ? "give both a start and an end"
          : to <= from ? "the end must be after the start" : "";
        if (problem) { problem.textContent = bad; problem.hidden = !bad; }
        if (bad) return;
        board.setCustom(from, to);
        showWindow();
        saveChoices();
        tick(true);
      });
    }
    const back = document.getElementById("zoom-back");
    if (back) back.addEventListener("click", () => board.unzoom());
    showWindow();
  }

  // ---------------------------------------------------------------- interface picker
  function naturalCompare(a, b) {
    return a.localeCompare(b, undefined, { numeric: true, sensitivity: "base" });
  }

  /** Keep the range (or the custom/zoomed window), the charted interfaces (list
   * order) and families in the query string, so a reload or a shared link shows the
   * same (?range=1h&if=ether1,ether2&charts=dhcp,ppp or ?from=&to=). */
  function saveChoices() {
    const q = new URLSearchParams(location.search);
    for (const k of ["chart", "label"]) q.delete(k);
    board.writeWindow(q);
    q.set("if", cfg.interfaces.filter((n) => state.selected.has(n)).join(","));
    q.set("charts", cfg.families.filter((f) => state.shown.has(f.id)).map((f) => f.id).join(","));
    history.replaceState(null, "", `${location.pathname}?${q}${location.hash}`);
  }

  function bindIfaceBox(box) {
    box.checked = state.selected.has(box.dataset.iface);
    box.addEventListener("change", () => {
      state.touched = true;
      if (box.checked) state.selected.add(box.dataset.iface);
      else state.selected.delete(box.dataset.iface);
      saveChoices();
      tick(true);
    });
  }

  /** Add interfaces that got rate series after the page was rendered (a new device). */
  function discoverInterfaces(values) {
    const traffic = new Map();
    for (const v of values) {
      if ((v.key === "iface.rx_bps" || v.key === "iface.tx_bps") && v.labels && v.labels.interface) {
        const n = v.labels.interface;
        traffic.set(n, (traffic.get(n) || 0) + Math.max(0, v.value || 0));
      }
    }
    const fresh = Array.from(traffic.keys()).filter((n) => !cfg.interfaces.includes(n));
    if (!fresh.length) return;
    cfg.interfaces = cfg.interfaces.concat(fresh).sort(naturalCompare);
    if (!state.touched && state.selected.size === 0 && !new URLSearchParams(location.search).has("if")) {
      // A stable choice (not the busiest at this moment): the first by name, the
      // loopback last, as the server chooses without the interface table.
      const rank = (n) => (n === "lo" ? 1 : 0);
      cfg.interfaces.slice().sort((a, b) => rank(a) - rank(b) || naturalCompare(a, b))
        .slice(0, cfg.default_charted).forEach((n) => state.selected.add(n));
    }
    const picker = document.getElementById("iface-picker");
    picker.replaceChildren();
    for (const name of cfg.interfaces) {
      const label = document.createElement("label");
      const box = document.createElement("input");
      box.type = "checkbox";
      box.dataset.iface = name;
      label.append(box, ` ${name}`);
      picker.appendChild(label);
      bindIfaceBox(box);
    }
    refreshIfaceCharts().catch(() => {});
  }

  /** Rebuild the System and Health lists from the latest values (they fill in as
   * the tiers run for the first time). */
  function renderValueLists(values, states) {
    const plain = new Map(values.filter((v) => !Object.keys(v.labels || {}).length)
      .map((v) => [v.key, v]));
    const fill = (id, rows, emptyText, words = []) => {
      const dl = document.getElementById(id);
      if (!dl) return;
      dl.replaceChildren();
      for (const [label, item] of rows) {
        const dt = document.createElement("dt");
        dt.textContent = label;
        const dd = document.createElement("dd");
        dd.dataset.metric = item.key;
        // A state sensor (1 ok, 0 fail) that fails stands out.
        if (item.unit === "state" && item.value !== null && item.value < 1) dd.className = "bad";
        dd.textContent = fmt.unit(item.value, item.unit);
        dl.append(dt, dd);
      }
      // Health state sensors (PSU, fan) in the router's own word; failing ones stand out.
      for (const s of words) {
        const dt = document.createElement("dt");
        dt.textContent = s.name;
        const dd = document.createElement("dd");
        dd.dataset.state = s.name;
        if (s.failing) dd.className = "bad";
        dd.textContent = s.state;
        dl.append(dt, dd);
      }
      rows = rows.concat(words);
      if (!rows.length) {
        const dt = document.createElement("dt");
        dt.className = "muted";
        dt.textContent = emptyText;
        dl.append(dt, document.createElement("dd"));
      }
    };
    fill("system-values", cfg.system_values.filter(([key]) => plain.has(key))
      .map(([key, label]) => [label, plain.get(key)]), "nothing collected yet");
    const prefix = "system.health.";
    fill("health-values", Array.from(plain.values()).filter((v) => v.key.startsWith(prefix))
      .map((v) => [v.key.slice(prefix.length).replace(/-/g, " "), v]), "no sensors reported",
      states || []);
  }

  // ---------------------------------------------------------------- current values
  async function refreshLatest() {
    const data = await getJSON(cfg.urls.latest);
    const dev = data.device;
    state.collectorRunning = Boolean(data.collector && data.collector.running);
    state.stale = Boolean(dev && dev.stale);
    state.lastData = dev ? dev.last_data : null;
    state.device = dev;
    state.latest = data.values;
    const banner = document.getElementById("collector-stopped");
    if (banner && state.collectorRunning) banner.hidden = true;
    const badge = document.getElementById("device-state");
    if (badge && dev) {
      badge.className = `badge state-${dev.state}`;
      badge.textContent = dev.state_label;
    }
    const staleHint = document.getElementById("device-stale");
    if (staleHint) {
      staleHint.hidden = !state.stale;
      staleHint.title = state.stale ? `newest data ${fmt.when(state.lastData)}; the ` +
        `collector reads this router every ${fmt.interval(cfg.realtime_interval_s)}` : "";
    }
    const newest = document.getElementById("device-last-data");
    if (newest && dev) newest.textContent = dev.last_data ? fmt.when(dev.last_data) : "no data yet";
    const newestLabel = document.getElementById("device-last-data-label");
    if (newestLabel && dev) newestLabel.hidden = !dev.last_data;
    const err = document.getElementById("device-error");
    if (err && dev) {
      err.hidden = !dev.last_error;
      err.textContent = dev.last_error || "";
    }
    discoverInterfaces(data.values);
    renderValueLists(data.values, data.health_states);
    for (const item of data.values) {
      const labelText = Object.values(item.labels || {}).join(",");
      const sel = `[data-metric="${item.key}"]${labelText ? `[data-label="${labelText}"]` : ""}`;
      document.querySelectorAll(sel).forEach((el) => {
        el.textContent = fmt.unit(item.value, item.unit);
      });
    }
  }

  // ---------------------------------------------------------------- inventory
  /** A router time stored in UTC ("2025-12-09T09:40:27+00:00") as
   * "2025-12-09 09:40:27 UTC" (in the user's zone: fmt.when); times the router's clock could not place keep their
   * text (no zone: the router's local time). */
  const UTC_TIME = /^(\d{4}-\d\d-\d\d)T(\d\d:\d\d:\d\d)\+00:00$/;

  function cellText(v) {
    if (v === null || v === undefined) return "";
    if (v === true) return "yes";
    if (v === false) return "no";
    const utc = typeof v === "string" ? UTC_TIME.exec(v) : null;
    if (utc) return fmt.when(v);
    return String(v);
  }

  /** Rows per page of an inventory tab; the server filters, sorts and pages
   * (/api/v1/devices/<id>/inventory/<table>?q=&sort=&page=&per_page=), by the
   * column the collectors declare for the table when none is clicked (addresses as
   * addresses, numbers and durations as numbers), else in the router's order. */
  const INVENTORY_PER_PAGE = 100;
  /** panel id -> its paged table (MM.tables.paged). */
  const inventories = new Map();

  function inventoryCell(td, v, c, data) {
    td.textContent = cellText(v);
    if (typeof v === "number" && (data.durations || []).includes(c)) {
      // Seconds as "1d 2h 3m"; the exact value in the tooltip.
      td.textContent = fmt.duration(v);
      td.title = `${v} s`;
      td.className = "num";
      td.dataset.sort = String(v);
    } else if (typeof v === "number") { td.className = "num"; td.dataset.sort = String(v); }
    else if (typeof v === "string" && v.length > 60) td.className = "wrap";
    else td.className = "nowrap";
  }

  /** A cell of the interfaces table: the name links to the interface's page. */
  function interfaceCell(td, v, c, data) {
    inventoryCell(td, v, c, data);
    const url = c === "name" && typeof v === "string"
      ? charts.interfaceURL(cfg.urls.interface, v) : null;
    if (!url) return;
    const link = document.createElement("a");
    link.href = url;
    link.textContent = td.textContent;
    td.replaceChildren(link);
  }

  function inventoryURL(table, params) {
    const q = new URLSearchParams({ per_page: String(INVENTORY_PER_PAGE), page: String(params.page) });
    if (params.q) q.set("q", params.q);
    if (params.sort) q.set("sort", params.sort);
    return `${cfg.urls.inventory}${encodeURIComponent(table)}?${q}`;
  }

  function showTabCount(panel, data) {
    const tab = document.querySelector(`[data-tab="${panel.id}"]`);
    const tabCount = tab && tab.querySelector(".n");
    if (tabCount) tabCount.textContent = data.absent ? "\u2013" : String(data.total);
    if (tab) tab.classList.toggle("absent", Boolean(data.absent));
  }

  async function loadInventory(panel) {
    if (panel.dataset.loaded) return;
    panel.dataset.loaded = "1";
    const body = panel.querySelector(".inv-body");
    const updated = document.createElement("span");
    updated.className = "muted";
    const tableName = panel.dataset.table;
    try {
      const view = window.MM.tables.paged(body, {
        id: `${panel.id}-table`,
        label: panel.dataset.label || tableName,
        extra: updated,
        fetch: (params) => getJSON(inventoryURL(tableName, params)),
        renderCell: tableName === "interfaces" ? interfaceCell : inventoryCell,
        onData: (data) => {
          updated.textContent = data.updated ? `read ${fmt.when(data.updated)}` : "";
          showTabCount(panel, data);
        },
      });
      inventories.set(panel.id, view);
      body.classList.remove("muted");
      body.querySelector(".table-wrap").textContent = "Loading\u2026";
      await view.reload();
    } catch (e) {
      body.textContent = `Could not load: ${e.message}`;
      delete panel.dataset.loaded;
    }
  }

  /** Seconds between two reads of the logs tab while it is shown. */
  const LOGS_EVERY_S = 10;

  /** The logs tab, while shown: read again (at most every LOGS_EVERY_S) so lines
   * routers push by syslog appear live; the filter, sort and page are kept. */
  async function refreshLogs() {
    const panel = document.querySelector('.inv-panel[data-table="logs"]');
    if (!panel || panel.hidden || !panel.dataset.loaded || Date.now() < state.logsDue) return;
    state.logsDue = Date.now() + LOGS_EVERY_S * 1000;
    const view = inventories.get(panel.id);
    if (view) await view.reload();
  }

  // ---------------------------------------------------------------- loop
  /** What the live indicator says, and whether that is "live": only while a
   * collector runs and this router is up with fresh data; otherwise what is true.
   * A state is named by the API's `state_label` (the server's words, no map here). */
  function liveText(dev) {
    if (!state.collectorRunning) return ["collector stopped \u00B7 not updating", false];
    if (!dev) return ["\u2013", false];
    const since = dev.status_changed_at ? ` since ${fmt.when(dev.status_changed_at)}` : "";
    const outage = OUT_OF_SIGHT.has(dev.state);
    if (!dev.last_data) {
      return [`no data yet${outage ? ` \u00B7 ${dev.state_label}` : ""}`, false];
    }
    if (dev.state === "disabled") return [dev.state_label, false];
    if (outage) return [`${dev.state_label}${since}`, false];
    if (dev.state === "slow" && !dev.stale) return [`${dev.state_label}${since} \u00B7 polled at its pace`, true];
    if (!ANSWERING.has(dev.state) || dev.stale) return [`no new data since ${fmt.when(dev.last_data)}`, false];
    return ["live", true];
  }

  /** Seconds between two reads of the family charts at least (their series come
   * from the short tier and slower ones: a new value every 30 s at the most). */
  const FAMILIES_EVERY_S = 30;

  /** Chart refresh period, seconds: the bucket width of the range (at most 5 min). */
  function chartEvery() {
    return Math.max(cfg.refresh_s, Math.min(board.step(), 300));
  }

  /** One refresh: the device's state and current values every time (the collector's
   * pace), the charts when due (`redraw`: now, e.g. a new range). The charts are due
   * again a chart period after a refresh that drew them; after a failed one they are
   * fetched again on the next tick (not a whole period later: up to 5 min at 7d).
   * A fixed window (custom range, zoom) is drawn once, on `redraw`. */
  async function tick(redraw) {
    if (state.inflight && redraw === true) state.redrawPending = true;
    if (state.inflight || state.paused) return;
    state.inflight = true;
    const live = document.getElementById("live");
    try {
      const work = [refreshLatest(), refreshLogs().catch(() => { state.logsDue = 0; })];
      if (redraw === true || (board.isLive() && Date.now() >= state.chartsDue)) {
        board.resolve();
        const next = Date.now() + chartEvery() * 1000;
        // The families (series read every 30 s or less often) at most every 30 s.
        const families = redraw === true || Date.now() >= state.familiesDue;
        const familiesNext = Date.now() + Math.max(chartEvery(), FAMILIES_EVERY_S) * 1000;
        work.push(Promise.all([refreshSystemCharts(), refreshIfaceCharts(),
                               families ? refreshFamilyCharts() : null, refreshMarks()]).then(
          () => {
            state.chartsDue = next;
            if (families) state.familiesDue = familiesNext;
            board.redrawAll();
          },
          (e) => { state.chartsDue = 0; state.familiesDue = 0; throw e; }));
      }
      await Promise.all(work);
      renderHeads();
      if (live) {
        const [text, isLive] = liveText(state.device);
        live.textContent = text;
        live.classList.toggle("paused", !isLive);
      }
      document.body.dataset.chartsReady = "1";
    } catch (e) {
      if (live) { live.textContent = `update failed: ${e.message}`; live.classList.add("paused"); }
    } finally {
      state.inflight = false;
      if (state.redrawPending) { state.redrawPending = false; tick(true); }
    }
  }

  function restartTimer() {
    if (state.timer) clearInterval(state.timer);
    state.timer = setInterval(tick, cfg.refresh_s * 1000);
  }

  function bind() {
    bindRange();
    document.querySelectorAll("input[data-iface]").forEach(bindIfaceBox);
    document.querySelectorAll("[data-family-toggle]").forEach(bindFamilyToggle);
    document.querySelectorAll(".inv-panel").forEach((p) => {
      p.addEventListener("mm:tabshown", () => loadInventory(p));
      if (!p.hidden) loadInventory(p);
    });
    document.addEventListener("visibilitychange", () => {
      state.paused = document.hidden;
      if (!document.hidden) tick(true);
    });
    // A chart's link (an interface's page) opens with the charts' window.
    document.addEventListener("click", (ev) => {
      const a = ev.target.closest && ev.target.closest("a.chart-link");
      if (a) a.href = `${a.href.split("?")[0]}?${board.query()}`;
    });
    // Opened for one series (?chart=...: the series browser): its chart in view.
    if (cfg.asked_family) {
      requestAnimationFrame(() => {
        const el = document.querySelector(`[data-family="${CSS.escape(cfg.asked_family)}"]`);
        if (el) el.scrollIntoView({ block: "center" });
      });
    }
  }

  // For tests and the browser console: the plots drawn, the range, whether a refresh runs.
  window.MM.dashboard = {
    plots: () => Array.from(board.charts.values()).map((c) => ({ id: c.id, plot: c.plot })),
    range: () => (board.isLive() ? board.range : "custom"),
    window: () => ({ from: board.from, to: board.to, live: board.isLive(), zoomed: board.isZoomed() }),
    busy: () => state.inflight,
    marks: () => state.marks.slice(),
    board,
  };

  document.addEventListener("DOMContentLoaded", () => {
    bind();
    tick(true);
    restartTimer();
  });
})();
