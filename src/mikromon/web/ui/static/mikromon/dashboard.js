/* Device dashboard: live uPlot charts, current values and lazy inventory tabs.
 *
 * Reads its configuration from <script id="dashboard-config" type="application/json">
 * and talks only to the JSON API (/api/v1/devices/<id>/...), with the session cookie.
 *
 * Chart widths come from each panel's laid-out width: a plot is created only after
 * every panel of its grid is in the page, and a ResizeObserver on each panel
 * resizes its plot whenever the panel changes size (window resize, grid reflow,
 * scrollbar, fonts). Times are shown in the user's zone (`time_zone` of the config,
 * UTC by default), as on every page.
 */
(function () {
  "use strict";

  const fmt = window.MM.fmt;
  const cfg = JSON.parse(document.getElementById("dashboard-config").textContent);
  // Times in the user's zone (profile), as the server renders them.
  fmt.setZone(cfg.time_zone || "UTC");
  /** States of a router that answers polls: its values are current (up, degraded). */
  const ANSWERING = new Set(["up", "degraded"]);
  /** States in which the router is not read (named by the API's `state_label`). */
  const OUT_OF_SIGHT = new Set(["down", "auth_failed", "disabled"]);
  const state = {
    range: cfg.range,
    selected: new Set(cfg.selected),
    charts: new Map(),   // id -> {plot, el, kind}
    timer: null,
    inflight: false,
    paused: false,
    touched: false,
    collectorRunning: cfg.collector_running,
    stale: false,
    lastData: null,
    latest: [],          // the newest value of every series (API "latest")
    chartsDue: 0,        // Date.now() after which the charts are fetched again
    logsDue: 0,          // Date.now() after which a shown logs tab is read again
    marks: [],           // the device's alerts over the chart range (alert-marks JSON)
  };
  const SYNC_KEY = "mm-dashboard";
  /** A colour from app.css's custom properties (`--chart-*`: light and dark mode
   * differ), `fallback` when the stylesheet has none. Hex, so a fill can add alpha. */
  function cssColor(name, fallback) {
    const value = getComputedStyle(document.documentElement).getPropertyValue(name).trim();
    return /^#[0-9a-fA-F]{6}$/.test(value) ? value : fallback;
  }
  const COLORS = {
    rx: cssColor("--chart-rx", "#2b7bd3"), tx: cssColor("--chart-tx", "#e0832f"),
    cpu: cssColor("--chart-cpu", "#6a4fc9"), mem: cssColor("--chart-mem", "#1c9a6c"),
  };
  const AXIS = {
    stroke: cssColor("--chart-axis", "#5b6776"), grid: cssColor("--chart-grid", "#eef1f5"),
    tick: cssColor("--chart-tick", "#dde3ea"),
  };

  // ---------------------------------------------------------------- data
  function rangeSeconds() { return cfg.ranges[state.range]; }

  function stepFor(span) {
    return Math.max(cfg.min_step_s, Math.ceil(span / cfg.max_points));
  }

  async function getJSON(url) {
    const resp = await fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } });
    if (resp.status === 401 || resp.status === 403) {
      window.location.href = cfg.login_url + "?next=" + encodeURIComponent(location.pathname);
      throw new Error("signed out");
    }
    if (!resp.ok) throw new Error(`${url}: HTTP ${resp.status}`);
    return resp.json();
  }

  /** Fix the time window of this refresh: every chart shows the whole range. */
  function setWindow() {
    state.to = Math.floor(Date.now() / 1000);
    state.from = state.to - rangeSeconds();
  }

  function seriesURL(metric, labels) {
    const to = state.to;
    const q = new URLSearchParams({ metric, from: String(state.from), to: String(to),
                                    points: String(cfg.max_points) });
    for (const l of labels || []) q.append("label", l);
    return `${cfg.urls.series}?${q}`;
  }

  /** Insert nulls where consecutive points are further apart than 2.5 steps (gaps show). */
  function withGaps(t, v, step) {
    const ot = [];
    const ov = [];
    for (let i = 0; i < t.length; i++) {
      if (i > 0 && t[i] - t[i - 1] > step * 2.5) { ot.push(t[i - 1] + step); ov.push(null); }
      ot.push(t[i]);
      ov.push(v[i]);
    }
    return [ot, ov];
  }

  /** Join several [t, v] series on their timestamps -> uPlot data [[t], [v1], [v2]...]. */
  function join(parts) {
    const times = new Set();
    for (const [t] of parts) for (const x of t) times.add(x);
    const xs = Array.from(times).sort((a, b) => a - b);
    const out = [xs];
    for (const [t, v] of parts) {
      const m = new Map();
      t.forEach((x, i) => m.set(x, v[i]));
      out.push(xs.map((x) => (m.has(x) ? m.get(x) : null)));
    }
    return out;
  }

  // ---------------------------------------------------------------- charts
  const CHART_HEIGHT = 210;

  /** Width (CSS px) the chart element has in its panel's layout. */
  function chartWidth(el) { return Math.max(100, Math.floor(el.getBoundingClientRect().width)); }

  /** Resize each plot to its panel: panels change width without a window resize
   * (grid reflow as panels come and go, a scrollbar appearing, fonts). */
  const resizer = new ResizeObserver((entries) => {
    for (const entry of entries) {
      const chart = Array.from(state.charts.values()).find((c) => c.panel === entry.target);
      if (!chart) continue;
      const width = chartWidth(chart.el);
      if (width !== chart.plot.width) chart.plot.setSize({ width, height: CHART_HEIGHT });
    }
  });

  /** uPlot points.filter: the indexes of values with no value on either side (null
   * when there are none), so that a lone reading shows. */
  function isolatedPoints(u, seriesIdx) {
    const ys = u.data[seriesIdx] || [];
    const out = [];
    for (let i = 0; i < ys.length; i++) {
      if (ys[i] == null) continue;
      if ((i === 0 || ys[i - 1] == null) && (i === ys.length - 1 || ys[i + 1] == null)) out.push(i);
    }
    return out.length ? out : null;
  }

  // ---------------------------------------------------------------- alert marks
  /* A device's alerts are drawn under the lines of the charts they concern: a shaded
   * band from when the alert fired (or went pending) to when it resolved (or now),
   * coloured by severity, with a line where it began. CPU and memory charts show
   * alerts on their metric and device-wide ones (down, no data, reboot); an
   * interface chart shows the alerts about that interface. */
  const SEVERITY_COLORS = { critical: "#c2372f", high: "#e0601f", warning: "#e0a030", info: "#54708f" };
  const DEVICE_WIDE = new Set(["device_state", "no_data", "reboot", "fact_changed"]);
  const CHART_METRICS = { "chart-cpu": "system.cpu.load_pct", "chart-mem": "system.memory.used_pct" };

  function marksFor(chart) {
    if (!chart) return [];
    if (chart.kind === "bps") return state.marks.filter((m) => m.subject && m.subject === chart.iface);
    const metric = CHART_METRICS[chart.id];
    return state.marks.filter((m) => m.metric === metric
      || (!m.subject && !m.metric && DEVICE_WIDE.has(m.kind)));
  }

  function drawMarks(u) {
    const chart = Array.from(state.charts.values()).find((c) => c.plot === u);
    const marks = marksFor(chart);
    if (chart) chart.el.dataset.alertMarks = String(marks.length);
    if (!marks.length) return;
    const { left, top, width, height } = u.bbox;
    const now = Date.now() / 1000;
    const ctx = u.ctx;
    ctx.save();
    for (const m of marks) {
      const color = SEVERITY_COLORS[m.severity] || SEVERITY_COLORS.info;
      const x0 = Math.max(left, u.valToPos(m.start, "x", true));
      const x1 = Math.min(left + width, u.valToPos(m.end == null ? now : m.end, "x", true));
      if (!(x1 > x0 - 1)) continue;
      ctx.globalAlpha = m.state === "pending" ? 0.08 : 0.16;
      ctx.fillStyle = color;
      ctx.fillRect(x0, top, Math.max(2, x1 - x0), height);
      ctx.globalAlpha = 0.9;
      ctx.fillRect(x0, top, Math.max(1, devicePixelRatio), height);
    }
    ctx.restore();
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

  function makePlot(el, kind, seriesDefs) {
    const isRate = kind === "bps";
    const opts = {
      hooks: { drawClear: [drawMarks] },
      width: chartWidth(el),
      height: CHART_HEIGHT,
      tzDate: (ts) => window.uPlot.tzDate(new Date(ts * 1000), fmt.zoneName()),
      cursor: { sync: { key: SYNC_KEY }, drag: { x: false, y: false } },
      legend: { live: true },
      scales: {
        x: { time: true, range: (u, min, max) => (state.from ? [state.from, state.to] : [min, max]) },
        y: isRate ? { range: (u, min, max) => [0, Math.max(1000, max * 1.1)] }
                  : { range: [0, 100] },
      },
      axes: [
        {
          stroke: AXIS.stroke,
          grid: { stroke: AXIS.grid },
          ticks: { stroke: AXIS.tick },
          // Room per tick: long spans label ticks "03-01 12:00" (day alone at midnight).
          space: (u) => (u.scales.x.max - u.scales.x.min > 86400 ? 96 : 64),
          values: (u, splits) => splits.map((ts) => fmt.axisTime(ts, u.scales.x.max - u.scales.x.min)),
        },
        {
          stroke: AXIS.stroke,
          grid: { stroke: AXIS.grid },
          ticks: { stroke: AXIS.tick },
          size: 64,
          label: isRate ? "bits/s" : "%",
          labelSize: 18,
          values: (u, vals) => vals.map((v) => (isRate ? fmt.bpsAxis(v) : `${v}`)),
        },
      ],
      series: [{ value: (u, v) => (v == null ? "\u2013" : fmt.when(new Date(v * 1000).toISOString())) }]
        .concat(seriesDefs.map((s) => ({
          label: s.label,
          stroke: s.color,
          width: 1.5,
          fill: s.color + "1f",
          // No dots on lines, but a point without neighbours (the only 5-minute bucket
          // at 24h/7d, a reading between gaps) is drawn as a dot: a line needs two.
          points: { show: false, filter: isolatedPoints },
          spanGaps: false,
          value: (u, v) => (isRate ? fmt.bps(v) : fmt.pct(v)),
        }))),
    };
    el.innerHTML = "";
    return new window.uPlot(opts, [[], ...seriesDefs.map(() => [])], el);
  }

  function setData(chart, data) {
    chart.plot.setData(data);
    const empty = data[0].length === 0;
    let note = chart.el.querySelector(".nodata");
    if (empty && !note) {
      note = document.createElement("div");
      note.className = "nodata";
      note.textContent = "No data in this range yet";
      chart.el.appendChild(note);
    } else if (!empty && note) {
      note.remove();
    }
  }

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
    for (const chart of state.charts.values()) {
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

  function ensureChart(id, el, kind, defs) {
    let chart = state.charts.get(id);
    if (!chart) {
      const panel = el.closest(".chart-panel") || el.parentElement;
      chart = { id, el, kind, panel, plot: makePlot(el, kind, defs) };
      state.charts.set(id, chart);
      resizer.observe(panel);
    }
    return chart;
  }

  function dropChart(id, chart) {
    resizer.unobserve(chart.panel);
    chart.plot.destroy();
    chart.panel.remove();
    state.charts.delete(id);
  }

  function seriesPoints(resp, labelName, labelValue) {
    const s = resp.series.find((x) => !labelName || (x.labels || {})[labelName] === labelValue);
    return s ? withGaps(s.t, s.v, Math.max(resp.step, cfg.min_step_s)) : [[], []];
  }

  async function refreshSystemCharts() {
    const [cpu, mem] = await Promise.all([
      getJSON(seriesURL("system.cpu.load_pct")),
      getJSON(seriesURL("system.memory.used_pct")),
    ]);
    const c = ensureChart("chart-cpu", document.getElementById("chart-cpu"), "pct",
      [{ label: "CPU load", color: COLORS.cpu }]);
    setData(c, join([seriesPoints(cpu)]));
    const m = ensureChart("chart-mem", document.getElementById("chart-mem"), "pct",
      [{ label: "Memory used", color: COLORS.mem }]);
    setData(m, join([seriesPoints(mem)]));
  }

  function ifaceContainer() { return document.getElementById("iface-charts"); }

  function ifacePanel(id, name) {
    const panel = document.createElement("div");
    panel.className = "panel chart-panel";
    panel.dataset.iface = name;
    const head = document.createElement("div");
    head.className = "chart-head";
    const h = document.createElement("h2");
    h.textContent = `${name} traffic `;
    const unit = document.createElement("span");
    unit.className = "unit";
    unit.textContent = "bits/s";
    h.appendChild(unit);
    const now = document.createElement("span");
    now.className = "now";
    now.id = `${id}-now`;
    head.append(h, now);
    const el = document.createElement("div");
    el.className = "chart";
    el.id = id;
    panel.append(head, el);
    return { panel, el };
  }

  function syncIfacePanels() {
    const box = ifaceContainer();
    const wanted = cfg.interfaces.filter((n) => state.selected.has(n));
    for (const [id, chart] of state.charts) {
      if (chart.kind === "bps" && !wanted.includes(chart.iface)) dropChart(id, chart);
    }
    // Put every new panel into the grid first, then size the plots: a plot made while
    // its panel is alone in the grid would be as wide as the whole row.
    const added = [];
    wanted.forEach((name, index) => {
      if (Array.from(state.charts.values()).some((c) => c.iface === name)) return;
      if (added.some((a) => a.name === name)) return;
      const id = `chart-if-${index}-${name.replace(/[^A-Za-z0-9_-]/g, "_")}`;
      const { panel, el } = ifacePanel(id, name);
      box.appendChild(panel);
      added.push({ id, name, el });
    });
    // Panels in list order, a newly ticked interface among them (not at the end).
    const panels = new Map(Array.from(box.children).map((p) => [p.dataset.iface, p]));
    const order = wanted.map((n) => panels.get(n)).filter(Boolean);
    if (order.some((p, i) => box.children[i] !== p)) order.forEach((p) => box.appendChild(p));
    for (const { id, name, el } of added) {
      const chart = ensureChart(id, el, "bps", [
        { label: "rx", color: COLORS.rx },
        { label: "tx", color: COLORS.tx },
      ]);
      chart.iface = name;
    }
    document.getElementById("iface-empty").hidden = wanted.length > 0;
  }

  async function refreshIfaceCharts() {
    syncIfacePanels();
    const names = cfg.interfaces.filter((n) => state.selected.has(n));
    if (!names.length) return;
    const labels = names.map((n) => `interface=${n}`);
    const [rx, tx] = await Promise.all([
      getJSON(seriesURL("iface.rx_bps", labels)),
      getJSON(seriesURL("iface.tx_bps", labels)),
    ]);
    for (const chart of state.charts.values()) {
      if (chart.kind !== "bps") continue;
      setData(chart, join([seriesPoints(rx, "interface", chart.iface),
                           seriesPoints(tx, "interface", chart.iface)]));
    }
  }

  // ---------------------------------------------------------------- interface picker
  function naturalCompare(a, b) {
    return a.localeCompare(b, undefined, { numeric: true, sensitivity: "base" });
  }

  /** Keep the range and the charted interfaces (list order) in the query string, so
   * a reload or a shared link shows the same (?range=1h&if=ether1,ether2). */
  function saveChoices() {
    const q = new URLSearchParams(location.search);
    q.set("range", state.range);
    q.set("if", cfg.interfaces.filter((n) => state.selected.has(n)).join(","));
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
        renderCell: inventoryCell,
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

  /** Chart refresh period, seconds: the bucket width of the range (at most 5 min). */
  function chartEvery() {
    return Math.max(cfg.refresh_s, Math.min(stepFor(rangeSeconds()), 300));
  }

  /** One refresh: the device's state and current values every time (the collector's
   * pace), the charts when due (`redraw`: now, e.g. a new range). The charts are due
   * again a chart period after a refresh that drew them; after a failed one they are
   * fetched again on the next tick (not a whole period later: up to 5 min at 7d). */
  async function tick(redraw) {
    if (state.inflight && redraw === true) state.redrawPending = true;
    if (state.inflight || state.paused) return;
    state.inflight = true;
    const live = document.getElementById("live");
    try {
      const work = [refreshLatest(), refreshLogs().catch(() => { state.logsDue = 0; })];
      if (redraw === true || Date.now() >= state.chartsDue) {
        setWindow();
        const next = Date.now() + chartEvery() * 1000;
        work.push(Promise.all([refreshSystemCharts(), refreshIfaceCharts(), refreshMarks()]).then(
          () => {
            state.chartsDue = next;
            for (const chart of state.charts.values()) chart.plot.redraw(false);
          },
          (e) => { state.chartsDue = 0; throw e; }));
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
    document.querySelectorAll("[data-range]").forEach((b) => {
      b.classList.toggle("active", b.dataset.range === state.range);
      b.addEventListener("click", () => {
        state.range = b.dataset.range;
        document.querySelectorAll("[data-range]").forEach((x) => x.classList.toggle("active", x === b));
        saveChoices();
        tick(true);
      });
    });
    document.querySelectorAll("input[data-iface]").forEach(bindIfaceBox);
    document.querySelectorAll(".inv-panel").forEach((p) => {
      p.addEventListener("mm:tabshown", () => loadInventory(p));
      if (!p.hidden) loadInventory(p);
    });
    document.addEventListener("visibilitychange", () => {
      state.paused = document.hidden;
      if (!document.hidden) tick(true);
    });
  }

  // For tests and the browser console: the plots drawn, the range, whether a refresh runs.
  window.MM.dashboard = {
    plots: () => Array.from(state.charts.values()).map((c) => ({ id: c.id, plot: c.plot })),
    range: () => state.range,
    busy: () => state.inflight,
    marks: () => state.marks.slice(),
  };

  document.addEventListener("DOMContentLoaded", () => {
    bind();
    tick(true);
    restartTimer();
  });
})();
