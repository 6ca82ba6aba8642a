/* Time-series charts shared by the device dashboard and the interface page (uPlot).
 *
 * window.MM.charts.Board keeps a set of charts over one time window: a preset range
 * ending now (15m ... 1y, moving with each refresh), a custom range (from/to), or a
 * zoom made by dragging across any chart (every chart of the board shows the new
 * window; "back" returns to the previous one). Data comes from the series API
 * (/api/v1/devices/<id>/series), downsampled in the database to about `max_points`
 * buckets: a narrower window is read at a finer step.
 *
 * Chart widths come from each panel's laid-out width: a ResizeObserver on each panel
 * resizes its plot whenever the panel changes size (window resize, grid reflow,
 * scrollbar, fonts). Times are shown in the user's zone (MM.fmt.setZone).
 */
(function () {
  "use strict";

  const fmt = window.MM.fmt;

  /** A colour from app.css's custom properties (`--chart-*`: light and dark mode
   * differ), `fallback` when the stylesheet has none. Hex, so a fill can add alpha. */
  function cssColor(name, fallback) {
    const value = getComputedStyle(document.documentElement).getPropertyValue(name).trim();
    return /^#[0-9a-fA-F]{6}$/.test(value) ? value : fallback;
  }
  const COLORS = {
    rx: cssColor("--chart-rx", "#2b7bd3"), tx: cssColor("--chart-tx", "#e0832f"),
    cpu: cssColor("--chart-cpu", "#6a4fc9"), mem: cssColor("--chart-mem", "#1c9a6c"),
    p95: cssColor("--chart-p95", "#c2372f"),
  };
  /** Line colours for charts of several series (cores, sensors, queues), in order. */
  const PALETTE = [COLORS.rx, COLORS.tx, COLORS.mem, COLORS.cpu, "#c2372f", "#8a6d1f",
                   "#2a9fb0", "#b0458f", "#5b6776", "#4f8a2a"];
  const AXIS = {
    stroke: cssColor("--chart-axis", "#5b6776"), grid: cssColor("--chart-grid", "#eef1f5"),
    tick: cssColor("--chart-tick", "#dde3ea"),
  };
  const CHART_HEIGHT = 210;
  /** Narrowest zoom window, seconds (a few raw points). */
  const MIN_ZOOM_S = 60;

  /** GET `url` as JSON with the session cookie; signed out: to the sign-in page. */
  async function getJSON(url, loginUrl) {
    const resp = await fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } });
    if (resp.status === 401 || resp.status === 403) {
      if (loginUrl) window.location.href = loginUrl + "?next=" + encodeURIComponent(location.pathname);
      throw new Error("signed out");
    }
    if (!resp.ok) throw new Error(`${url}: HTTP ${resp.status}`);
    return resp.json();
  }

  /** The median distance between consecutive times (0 for fewer than two). */
  function medianSpacing(t) {
    if (t.length < 2) return 0;
    const d = [];
    for (let i = 1; i < t.length; i++) d.push(t[i] - t[i - 1]);
    d.sort((a, b) => a - b);
    return d[Math.floor(d.length / 2)];
  }

  /** Insert nulls where consecutive points are further apart than 2.5 steps (gaps
   * show). The step is the bucket width, or the series' own usual spacing when it is
   * read less often (a short or medium tier series: every 30 s, every minute). */
  function withGaps(t, v, step) {
    step = Math.max(step, medianSpacing(t));
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

  /** Tick steps of a count axis: 1, 2, 5, 10, 20, 50 ... */
  const COUNT_STEPS = [];
  for (let p = 1; p < 1e12; p *= 10) COUNT_STEPS.push(p, 2 * p, 5 * p);

  /** Short text of a catalog unit for a chart title ("" for plain counts). */
  const UNIT_TEXT = { percent: "%", count: "", celsius: "\u00B0C", volts: "V", amperes: "A",
                      watts: "W", state: "1 ok \u00B7 0 down" };
  function unitText(unit) { return unit in UNIT_TEXT ? UNIT_TEXT[unit] : unit; }

  /** Axis label and tick labels of each unit: [label, (ticks) -> texts]; the tick
   * labels have the decimals the ticks need to be distinct and true (MM.fmt.axisTicks). */
  const SI = ["", "k", "M", "G", "T"];
  const BINARY = ["B", "KiB", "MiB", "GiB", "TiB", "PiB"];
  const si = (vals) => fmt.axisTicks(vals, 1000, SI);
  const plain = (vals) => fmt.axisTicks(vals);
  const UNIT_AXIS = {
    percent: ["%", plain],
    "bits/s": ["bits/s", si],
    "packets/s": ["packets/s", si],
    "1/s": ["per second", si],
    count: ["count", si],
    bytes: ["bytes", (vals) => fmt.axisTicks(vals, 1024, BINARY)],
    celsius: ["\u00B0C", plain],
    volts: ["V", plain],
    amperes: ["A", plain],
    watts: ["W", plain],
    rpm: ["rpm", si],
    state: ["state", (vals) => vals.map((v) => (v >= 1 ? "ok" : v <= 0 ? "fail" : ""))],
  };

  /** The y-axis tick labels of a chart in `unit` for ticks `vals` (what uPlot draws). */
  function axisValues(unit, vals) {
    return (UNIT_AXIS[unit] ? UNIT_AXIS[unit][1] : plain)(vals);
  }

  /** The y range of a unit: percent 0-100, states 0-1, readings that never start at
   * zero (temperature, voltage) padded around their values, others from zero. */
  function yRange(unit) {
    if (unit === "percent") return { range: [0, 100] };
    if (unit === "state") return { range: [-0.1, 1.1] };
    if (unit === "celsius" || unit === "volts" || unit === "amperes" || unit === "watts") {
      return { range: (u, min, max) => (min == null ? [0, 1]
        : [Math.floor(min - Math.max(1, (max - min) * 0.1)), Math.ceil(max + Math.max(1, (max - min) * 0.1))]) };
    }
    const floor = unit === "bits/s" ? 1000 : 1;
    return { range: (u, min, max) => [0, Math.max(floor, (max || 0) * 1.1)] };
  }

  /** Width (CSS px) the chart element has in its panel's layout. */
  function chartWidth(el) { return Math.max(100, Math.floor(el.getBoundingClientRect().width)); }

  /** A chart panel: `<div class="panel chart-panel"><div class="chart-head"><h2>title
   * <span class="unit">unit</span></h2><span class="now" id="<id>-now"></span></div>
   * <div class="chart" id="<id>"></div></div>`; `href` links the title. */
  function panel(id, title, unitLabel, href) {
    const box = document.createElement("div");
    box.className = "panel chart-panel";
    const head = document.createElement("div");
    head.className = "chart-head";
    const h = document.createElement("h2");
    if (href) {
      const a = document.createElement("a");
      a.className = "chart-link";
      a.href = href;
      a.textContent = title;
      h.appendChild(a);
    } else {
      h.textContent = title;
    }
    if (unitLabel) {
      const unit = document.createElement("span");
      unit.className = "unit";
      unit.textContent = unitLabel;
      h.append(" ", unit);
    }
    const now = document.createElement("span");
    now.className = "now";
    now.id = `${id}-now`;
    head.append(h, now);
    const el = document.createElement("div");
    el.className = "chart";
    el.id = id;
    box.append(head, el);
    return { panel: box, el };
  }

  /**
   * Charts over one shared time window.
   *
   * opts: {seriesUrl, loginUrl, minStep (s), maxPoints, ranges {key: seconds}, range
   * (key), from/to (Unix seconds: a custom range instead of `range`), syncKey,
   * marksFor(chart) -> [{start, end, severity, state}], lineMarks(chart) ->
   * [{ts, color, text}], onWindow() (called after a zoom or back: the page re-fetches),
   * onZoomChange(zoomed)}.
   */
  class Board {
    /** A board for a page's config (its JSON config script: series URL, sign-in
     * URL, step and point limits, ranges and the window asked for), plus `opts`. */
    static fromConfig(cfg, opts) {
      return new Board({
        seriesUrl: cfg.urls.series,
        loginUrl: cfg.login_url,
        minStep: cfg.min_step_s,
        maxPoints: cfg.max_points,
        ranges: cfg.ranges,
        range: cfg.range,
        from: cfg.custom ? cfg.custom.from : null,
        to: cfg.custom ? cfg.custom.to : null,
        ...opts,
      });
    }

    constructor(opts) {
      this.opts = opts;
      this.range = opts.range;
      this.custom = opts.from && opts.to ? { from: opts.from, to: opts.to } : null;
      this.zooms = [];          // windows before each zoom, newest last
      this.charts = new Map();  // id -> {id, el, panel, plot, unit, ...}
      this.from = null;
      this.to = null;
      this.dragSource = null;   // the plot a drag began on (mousedown on its plotting area)
      this.resizer = new ResizeObserver((entries) => {
        for (const entry of entries) {
          const chart = Array.from(this.charts.values()).find((c) => c.panel === entry.target);
          if (!chart) continue;
          const width = chartWidth(chart.el);
          if (width !== chart.plot.width) chart.plot.setSize({ width, height: CHART_HEIGHT });
        }
      });
    }

    // ------------------------------------------------------------ window
    /** Write the window into query parameters `q` (URLSearchParams): `range` for a
     * preset, else `from`/`to` (the custom or zoomed window), so a reload or a
     * shared link shows the same. */
    writeWindow(q) {
      if (this.isLive()) {
        q.set("range", this.range);
        q.delete("from");
        q.delete("to");
      } else {
        q.delete("range");
        q.set("from", String(this.custom.from));
        q.set("to", String(this.custom.to));
      }
    }

    /** Whether the window moves with time (a preset range, not zoomed or custom). */
    isLive() { return !this.custom && !this.zooms.length; }

    /** Whether a zoom is in effect ("back" returns from it). */
    isZoomed() { return this.zooms.length > 0; }

    /** A preset range (its key): the window ends now; zooms are forgotten. */
    setRange(key) {
      this.range = key;
      this.custom = null;
      this.zooms = [];
      this.notifyZoom();
    }

    /** A fixed window [from, to] (Unix seconds); zooms are forgotten. */
    setCustom(from, to) {
      this.custom = { from: Math.floor(from), to: Math.ceil(to) };
      this.zooms = [];
      this.notifyZoom();
    }

    /** Zoom to [from, to] (at least MIN_ZOOM_S wide), remembering the window before. */
    zoom(from, to) {
      let lo = Math.floor(Math.min(from, to));
      let hi = Math.ceil(Math.max(from, to));
      if (hi - lo < MIN_ZOOM_S) { const mid = (lo + hi) / 2; lo = Math.floor(mid - MIN_ZOOM_S / 2); hi = lo + MIN_ZOOM_S; }
      this.zooms.push({ custom: this.custom, from: this.from, to: this.to });
      this.custom = { from: lo, to: hi };
      this.notifyZoom();
      if (this.opts.onWindow) this.opts.onWindow();
    }

    /** Back to the window before the last zoom. */
    unzoom() {
      const before = this.zooms.pop();
      if (!before) return;
      this.custom = before.custom;
      this.notifyZoom();
      if (this.opts.onWindow) this.opts.onWindow();
    }

    notifyZoom() { if (this.opts.onZoomChange) this.opts.onZoomChange(this.isZoomed()); }

    /** Seconds the window spans. */
    span() { return this.custom ? this.custom.to - this.custom.from : this.opts.ranges[this.range]; }

    /** The window as a query string: "range=1h", or "from=...&to=..." (fixed). */
    query() {
      return this.custom ? `from=${this.custom.from}&to=${this.custom.to}` : `range=${this.range}`;
    }

    /** Fix the window of this refresh: a preset ends now. */
    resolve() {
      if (this.custom) {
        this.from = this.custom.from;
        this.to = this.custom.to;
      } else {
        this.to = Math.floor(Date.now() / 1000);
        this.from = this.to - this.opts.ranges[this.range];
      }
    }

    /** Bucket width of the window, seconds (what the API downsamples to, about). */
    step() { return Math.max(this.opts.minStep, Math.ceil(this.span() / this.opts.maxPoints)); }

    seriesURL(metric, labels) {
      const q = new URLSearchParams({ metric, from: String(this.from), to: String(this.to),
                                      points: String(this.opts.maxPoints) });
      for (const l of labels || []) q.append("label", l);
      return `${this.opts.seriesUrl}?${q}`;
    }

    /** The API's answer for `metric` (label filters "k=v") over the window. */
    fetch(metric, labels) { return getJSON(this.seriesURL(metric, labels), this.opts.loginUrl); }

    /** [t, v] of the series of `resp` whose label `name` is `value` (the first without
     * a name), with nulls at gaps. */
    points(resp, name, value) {
      const s = resp.series.find((x) => !name || (x.labels || {})[name] === value);
      return s ? withGaps(s.t, s.v, Math.max(resp.step, this.opts.minStep)) : [[], []];
    }

    // ------------------------------------------------------------ charts
    /** The chart `id` in element `el`, made on first call. spec: {unit, lines:
     * [{label, color}]}; a chart whose lines changed is made again. */
    ensure(id, el, spec) {
      let chart = this.charts.get(id);
      const sig = spec.lines.map((l) => l.label).join("\u0000");
      if (chart && chart.sig !== sig) {
        chart.plot.destroy();
        chart.plot = this.makePlot(el, spec);
        chart.sig = sig;
      }
      if (!chart) {
        const box = el.closest(".chart-panel") || el.parentElement;
        chart = { id, el, panel: box, unit: spec.unit, sig };
        this.charts.set(id, chart);
        chart.plot = this.makePlot(el, spec);
        this.resizer.observe(box);
      }
      Object.assign(chart, spec.extra || {});
      return chart;
    }

    /** Remove chart `id` and its panel. */
    drop(id) {
      const chart = this.charts.get(id);
      if (!chart) return;
      this.resizer.unobserve(chart.panel);
      chart.plot.destroy();
      chart.panel.remove();
      this.charts.delete(id);
    }

    setData(chart, data) {
      chart.plot.setData(data);
      chart.el.dataset.points = String(data[0].length);
      if (chart.plot.unavailable) return;
      const empty = data[0].length === 0 || data.slice(1).every((ys) => ys.every((v) => v == null));
      let note = chart.el.querySelector(".nodata");
      if (empty && !note) {
        note = document.createElement("div");
        note.className = "nodata";
        note.textContent = "No data in this range";
        chart.el.appendChild(note);
      } else if (!empty && note) {
        note.remove();
      }
    }

    redrawAll() { for (const chart of this.charts.values()) chart.plot.redraw(false); }

    chartOf(u) { return Array.from(this.charts.values()).find((c) => c.plot === u) || null; }

    /** Alert bands (marksFor) and line marks (lineMarks: link changes...) under the lines. */
    drawMarks(u) {
      const chart = this.chartOf(u);
      if (!chart) return;
      const bands = this.opts.marksFor ? this.opts.marksFor(chart) : [];
      const lines = this.opts.lineMarks ? this.opts.lineMarks(chart) : [];
      chart.el.dataset.alertMarks = String(bands.length);
      chart.el.dataset.lineMarks = String(lines.length);
      if (!bands.length && !lines.length) return;
      const { left, top, width, height } = u.bbox;
      const now = Date.now() / 1000;
      const ctx = u.ctx;
      ctx.save();
      for (const m of bands) {
        const x0 = Math.max(left, u.valToPos(m.start, "x", true));
        const x1 = Math.min(left + width, u.valToPos(m.end == null ? now : m.end, "x", true));
        if (!(x1 > x0 - 1)) continue;
        ctx.globalAlpha = m.state === "pending" ? 0.08 : 0.16;
        ctx.fillStyle = m.color;
        ctx.fillRect(x0, top, Math.max(2, x1 - x0), height);
        ctx.globalAlpha = 0.9;
        ctx.fillRect(x0, top, Math.max(1, devicePixelRatio), height);
      }
      ctx.globalAlpha = 0.85;
      for (const m of lines) {
        const x = u.valToPos(m.ts, "x", true);
        if (x < left || x > left + width) continue;
        ctx.fillStyle = m.color;
        ctx.fillRect(x - devicePixelRatio, top, 2 * devicePixelRatio, height);
      }
      ctx.restore();
    }

    /** Horizontal dashed lines (chart.hlines: [{value, color}]) over the plot. */
    drawHLines(u) {
      const chart = this.chartOf(u);
      if (!chart || !chart.hlines) return;
      const { left, top, width, height } = u.bbox;
      const ctx = u.ctx;
      ctx.save();
      ctx.lineWidth = 1.5 * devicePixelRatio;
      ctx.setLineDash([6 * devicePixelRatio, 4 * devicePixelRatio]);
      for (const h of chart.hlines) {
        if (h.value == null) continue;
        const y = u.valToPos(h.value, "y", true);
        if (y < top || y > top + height) continue;
        ctx.strokeStyle = h.color;
        ctx.beginPath();
        ctx.moveTo(left, y);
        ctx.lineTo(left + width, y);
        ctx.stroke();
      }
      ctx.restore();
    }

    /** A y scale from zero that also reaches the chart's horizontal lines (hlines:
     * a 95th percentile of 5-minute averages may be above every coarser bucket). */
    withHLines(scale) {
      if (typeof scale.range !== "function") return scale;
      return {
        range: (u, min, max) => {
          const chart = this.chartOf(u);
          const lines = ((chart && chart.hlines) || []).map((h) => h.value).filter((v) => v != null);
          return scale.range(u, min, lines.length ? Math.max(max || 0, ...lines) : max);
        },
      };
    }

    /** Dragging across a chart zooms every chart of the board to the selection. The
     * selection is mirrored on the other charts (cursor sync), which report it too:
     * only the chart the drag began on zooms. */
    onSelect(u) {
      const sel = u.select;
      if (u !== this.dragSource || sel.width < 4) return;
      this.dragSource = null;
      const from = u.posToVal(sel.left, "x");
      const to = u.posToVal(sel.left + sel.width, "x");
      for (const chart of this.charts.values()) {
        chart.plot.setSelect({ left: 0, top: 0, width: 0, height: 0 }, false);
      }
      this.zoom(from, to);
    }

    makePlot(el, spec) {
      if (typeof window.uPlot !== "function") return unavailablePlot(el);
      const unit = spec.unit;
      const axisLabel = UNIT_AXIS[unit] ? UNIT_AXIS[unit][0] : unit || "";
      const board = this;
      const opts = {
        hooks: {
          drawClear: [(u) => board.drawMarks(u)],
          draw: [(u) => board.drawHLines(u)],
          setSelect: [(u) => board.onSelect(u)],
          ready: [(u) => u.over.addEventListener("mousedown", () => { board.dragSource = u; })],
        },
        width: chartWidth(el),
        height: CHART_HEIGHT,
        tzDate: (ts) => window.uPlot.tzDate(new Date(ts * 1000), fmt.zoneName()),
        cursor: { sync: { key: this.opts.syncKey || "mm-charts" },
                  drag: { x: true, y: false, setScale: false } },
        select: { show: true },
        legend: { live: true },
        scales: {
          x: { time: true, range: (u, min, max) => (board.from ? [board.from, board.to] : [min, max]) },
          y: this.withHLines(yRange(unit)),
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
            label: axisLabel,
            labelSize: 18,
            values: (u, vals) => axisValues(unit, vals),
            // Counts are whole: ticks at whole steps (no "0.5 sessions").
            ...(unit === "count" ? { incrs: COUNT_STEPS } : {}),
          },
        ],
        series: [{ value: (u, v) => (v == null ? "\u2013" : fmt.when(new Date(v * 1000).toISOString())) }]
          .concat(spec.lines.map((s) => ({
            label: s.label,
            stroke: s.color,
            width: 1.5,
            fill: spec.lines.length <= 2 ? s.color + "1f" : undefined,
            // No dots on lines, but a point without neighbours (the only 5-minute bucket
            // at 24h/7d, a reading between gaps) is drawn as a dot: a line needs two.
            points: { show: false, filter: isolatedPoints },
            spanGaps: false,
            value: (u, v) => fmt.unit(v, unit),
          }))),
      };
      el.innerHTML = "";
      return new window.uPlot(opts, [[], ...spec.lines.map(() => [])], el);
    }
  }

  /** Without the chart library (uPlot not installed: `npm ci` never ran, the server
   * logs how to fix it), a chart says so in its panel and takes data quietly: the
   * rest of the page (values, tables, summaries) still works. */
  const UNAVAILABLE = "charts unavailable: the chart library was not installed";
  function unavailablePlot(el) {
    el.innerHTML = "";
    const note = document.createElement("div");
    note.className = "nodata chart-unavailable";
    note.textContent = UNAVAILABLE;
    el.appendChild(note);
    return {
      unavailable: true, width: chartWidth(el), data: [[]],
      setData(data) { this.data = data; }, setSize() {}, redraw() {}, destroy() {},
      setSelect() {},
    };
  }

  /** A `datetime-local` value ("2026-03-01T17:40") read in the zone times are shown in
   * (MM.fmt.zoneName) -> Unix seconds, or null for an empty or bad value. */
  function parseLocal(text) {
    const m = /^(\d{4})-(\d\d)-(\d\d)T(\d\d):(\d\d)(?::(\d\d))?$/.exec(text || "");
    if (!m) return null;
    const asUTC = Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5], +(m[6] || 0)) / 1000;
    // The zone's offset at that moment (twice: the first guess may cross a DST change).
    let ts = asUTC;
    for (let i = 0; i < 2; i++) ts = asUTC - zoneOffset(ts);
    return ts;
  }

  /** Seconds the shown zone is ahead of UTC at Unix second `ts`. */
  function zoneOffset(ts) {
    const f = fmt.fields(new Date(ts * 1000));
    const wall = Date.UTC(+f.year, +f.month - 1, +f.day, +f.hour % 24, +f.minute, +f.second) / 1000;
    return wall - Math.floor(ts);
  }

  /** Unix seconds -> a `datetime-local` value in the shown zone ("2026-03-01T17:40"). */
  function toLocal(ts) {
    const f = fmt.fields(new Date(ts * 1000));
    return `${f.year}-${f.month}-${f.day}T${f.hour}:${f.minute}`;
  }

  /** An interface name as one path segment (the server's `<ifname:...>` converter,
   * mikromon.web.converters.InterfaceNameConverter): letters, digits, "-", "_" and "."
   * as they are, every other UTF-8 byte as "~XX" (hex); a name of dots only is
   * escaped whole (a "." or ".." segment would be resolved away by the browser). */
  function ifaceSlug(name) {
    const allDots = /^\.+$/.test(name);
    let out = "";
    for (const byte of new TextEncoder().encode(name)) {
      const ch = String.fromCharCode(byte);
      out += /[A-Za-z0-9_-]/.test(ch) || (ch === "." && !allDots)
        ? ch : `~${byte.toString(16).toUpperCase().padStart(2, "0")}`;
    }
    return out;
  }

  /** The interface page of `name` from the URL template ending in "/__name__/". */
  function interfaceURL(template, name) {
    return template ? template.replace("__name__", ifaceSlug(name)) : null;
  }

  window.MM = window.MM || {};
  window.MM.charts = {
    Board, COLORS, PALETTE, axisValues, cssColor, getJSON, ifaceSlug, interfaceURL, isolatedPoints, join,
    panel, parseLocal, toLocal, unitText, withGaps,
  };
})();
