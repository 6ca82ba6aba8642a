/* The interface page: traffic, packets, errors and drops of one interface
 * (MM.charts.Board: preset range, custom from/to, drag to zoom), its link state
 * changes as marks and a list, and the 95th percentile of the window (from the
 * page's summary URL, drawn as dashed lines on the traffic chart).
 *
 * Configuration: <script id="interface-config" type="application/json">.
 */
(function () {
  "use strict";

  const fmt = window.MM.fmt;
  const charts = window.MM.charts;
  const cfg = JSON.parse(document.getElementById("interface-config").textContent);
  fmt.setZone(cfg.time_zone || "UTC");
  const COLORS = charts.COLORS;
  /** Colour of a link change's mark, by the summary's link state (`up`, `down`). */
  const LINK_COLORS = new Map([["up", "#1c9a6c"], ["down", "#c2372f"]]);
  const state = { links: [], summary: null, inflight: false, pending: false, due: 0 };

  const board = charts.Board.fromConfig(cfg, {
    syncKey: "mm-interface",
    lineMarks: () => state.links.map((l) => ({ ts: l.ts, color: LINK_COLORS.get(l.state) })),
    onWindow: () => { showWindow(); saveChoices(); refresh(true); },
    onZoomChange: (zoomed) => { document.getElementById("zoom-back").hidden = !zoomed; },
  });

  function renderLinks() {
    const tbody = document.querySelector("#link-table tbody");
    tbody.replaceChildren();
    document.getElementById("link-count").textContent =
      `${state.links.length} in the range`;
    if (!state.links.length) {
      const td = tbody.insertRow().insertCell();
      td.colSpan = 3;
      td.className = "empty";
      td.textContent = "No link state change in this range.";
      return;
    }
    for (const l of state.links.slice().reverse()) {
      const tr = tbody.insertRow();
      tr.dataset.state = l.state;
      tr.insertCell().textContent = fmt.when(l.at);
      const badge = document.createElement("span");
      badge.className = `badge ${l.state === "up" ? "state-up" : "state-down"}`;
      badge.textContent = l.state;
      tr.insertCell().appendChild(badge);
      tr.insertCell().textContent = l.message;
    }
  }

  function renderPercentile() {
    const p = state.summary.percentile;
    document.getElementById("p95-rx").textContent = fmt.bps(p.rx_bps);
    document.getElementById("p95-tx").textContent = fmt.bps(p.tx_bps);
    document.getElementById("p95-billing").textContent = fmt.bps(p.billing_bps);
    document.getElementById("p95-samples").textContent =
      `${p.rx_samples} receive, ${p.tx_samples} transmit (${p.resolution})`;
    document.getElementById("p95-range").textContent =
      `${fmt.when(new Date(state.summary.from * 1000).toISOString())} \u2013 ` +
      `${fmt.when(new Date(state.summary.to * 1000).toISOString())}`;
  }

  async function refreshSummary() {
    const q = new URLSearchParams({ from: String(board.from), to: String(board.to) });
    state.summary = await charts.getJSON(`${cfg.urls.summary}?${q}`, cfg.login_url);
    state.links = state.summary.links;
    renderLinks();
    renderPercentile();
  }

  async function refreshChart(c) {
    const labels = [`interface=${cfg.interface}`];
    const [rx, tx] = await Promise.all([board.fetch(c.rx, labels), board.fetch(c.tx, labels)]);
    const chart = board.ensure(`chart-${c.id}`, document.getElementById(`chart-${c.id}`), {
      unit: c.unit,
      lines: [{ label: "rx", color: COLORS.rx }, { label: "tx", color: COLORS.tx }],
    });
    board.setData(chart, charts.join([board.points(rx), board.points(tx)]));
    const last = (resp) => { const s = resp.series[0]; return s && s.v.length ? s.v[s.v.length - 1] : null; };
    const head = document.getElementById(`chart-${c.id}-now`);
    if (head) head.textContent = `\u2193 ${fmt.unit(last(rx), c.unit)}  \u2191 ${fmt.unit(last(tx), c.unit)}`;
  }

  /** Draw every chart and the summary; a preset range again after a bucket width. */
  async function refresh(force) {
    if (state.inflight) { if (force) state.pending = true; return; }
    if (!force && (!board.isLive() || Date.now() < state.due || document.hidden)) return;
    state.inflight = true;
    try {
      board.resolve();
      await Promise.all([...cfg.charts.map(refreshChart), refreshSummary()]);
      // The percentile lines go on the traffic chart once both have arrived (the
      // summary may come before the chart exists), then its scale again.
      const traffic = board.charts.get("chart-traffic");
      if (traffic) {
        const p = state.summary.percentile;
        traffic.hlines = [{ value: p.rx_bps, color: COLORS.rx }, { value: p.tx_bps, color: COLORS.tx }];
        traffic.plot.setData(traffic.plot.data);
      }
      board.redrawAll();
      state.due = Date.now() + Math.max(cfg.refresh_s, Math.min(board.step(), 300)) * 1000;
      document.body.dataset.chartsReady = "1";
    } catch (e) {
      state.due = 0;
      document.getElementById("p95-range").textContent = `update failed: ${e.message}`;
    } finally {
      state.inflight = false;
      if (state.pending) { state.pending = false; refresh(true); }
    }
  }

  function showWindow() {
    const custom = !board.isLive();
    document.querySelectorAll("[data-range]").forEach((x) => {
      x.classList.toggle("active", !custom && x.dataset.range === board.range);
    });
    if (custom && board.custom) {
      document.getElementById("range-from").value = charts.toLocal(board.custom.from);
      document.getElementById("range-to").value = charts.toLocal(board.custom.to);
    }
    document.getElementById("range-custom").classList.toggle("active", custom);
  }

  function saveChoices() {
    const q = new URLSearchParams(location.search);
    board.writeWindow(q);
    history.replaceState(null, "", `${location.pathname}?${q}`);
  }

  function bind() {
    document.querySelectorAll("[data-range]").forEach((b) => {
      b.addEventListener("click", () => { board.setRange(b.dataset.range); showWindow(); saveChoices(); refresh(true); });
    });
    document.getElementById("range-form").addEventListener("submit", (ev) => {
      ev.preventDefault();
      const from = charts.parseLocal(document.getElementById("range-from").value);
      const to = charts.parseLocal(document.getElementById("range-to").value);
      const problem = document.getElementById("range-problem");
      const bad = from === null || to === null ? "give both a start and an end"
        : to <= from ? "the end must be after the start" : "";
      problem.textContent = bad;
      problem.hidden = !bad;
      if (bad) return;
      board.setCustom(from, to);
      showWindow();
      saveChoices();
      refresh(true);
    });
    document.getElementById("zoom-back").addEventListener("click", () => board.unzoom());
    showWindow();
  }

  window.MM.interfacePage = {
    plots: () => Array.from(board.charts.values()).map((c) => ({ id: c.id, plot: c.plot })),
    window: () => ({ from: board.from, to: board.to, live: board.isLive(), zoomed: board.isZoomed() }),
    summary: () => state.summary,
    busy: () => state.inflight,
    board,
  };

  document.addEventListener("DOMContentLoaded", () => {
    bind();
    refresh(true);
    setInterval(() => refresh(false), cfg.refresh_s * 1000);
  });
})();
