/* Number formatting shared by the dashboard, overview and inventory tables. */
(function () {
  "use strict";

  function trim(n, digits) {
    const text = n.toFixed(digits);
    return text.includes(".") ? text.replace(/\.?0+$/, "") : text;
  }

  /** |v| in the largest unit that keeps it at least 1, stepping by `base`; a value
   * that rounds up to `base` of a unit is shown as 1 of the next (999999 bit/s is
   * "1 Mbit/s", never "1000 kbit/s"). digits(x, i): decimals for x in unit i.
   * Returns [number text, unit index]. */
  function stepped(v, count, base, digits) {
    let i = 0;
    let x = Math.abs(v);
    while (x >= base && i < count - 1) { x /= base; i += 1; }
    let text = trim(x, digits(x, i));
    if (Number(text) >= base && i < count - 1) { x /= base; i += 1; text = trim(x, digits(x, i)); }
    return [text, i];
  }

  /** Bits per second -> "12.4 Mbit/s" (SI steps of 1000). */
  function bps(v) {
    if (v === null || v === undefined || Number.isNaN(v)) return "\u2013";
    const units = ["bit/s", "kbit/s", "Mbit/s", "Gbit/s", "Tbit/s"];
    const [text, i] = stepped(v, units.length, 1000, (x) => (x < 10 ? 2 : x < 100 ? 1 : 0));
    return `${v < 0 ? "-" : ""}${text} ${units[i]}`;
  }

  /** Labels for a chart axis's ticks `vals` (numbers; null gives ""): every tick in
   * the unit step of the largest |tick| (base 1000 or 1024 over `units`, e.g. ["",
   * "k", "M"]; no base: the number as it is), with the fewest decimals (up to 6) that
   * keep each label within half a percent of the step between ticks of its tick and
   * every label distinct: 0.25 is "0.25", never "0.3"; 1250000 bit/s "1.25M". */
  function axisTicks(vals, base, units) {
    const nums = vals.filter((v) => v !== null && v !== undefined && Number.isFinite(v));
    const max = nums.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
    let div = 1;
    let i = 0;
    if (base && units) {
      while (max / div >= base && i < units.length - 1) { div *= base; i += 1; }
    }
    const xs = nums.map((v) => v / div).sort((a, b) => a - b);
    let step = Infinity;
    for (let k = 1; k < xs.length; k++) if (xs[k] > xs[k - 1]) step = Math.min(step, xs[k] - xs[k - 1]);
    const slack = Number.isFinite(step) ? step * 0.005 : 0;
    let digits = 0;
    for (; digits < 6; digits++) {
      const texts = xs.map((x) => trim(x, digits));
      const trueEnough = xs.every((x, k) => Math.abs(Number(texts[k]) - x) <= slack + 1e-12 * Math.abs(x));
      if (trueEnough && new Set(texts).size === new Set(xs).size) break;
    }
    const suffix = units ? units[i] : "";
    return vals.map((v) => (nums.includes(v) ? `${trim(v / div, digits)}${v === 0 ? "" : suffix}` : ""));
  }

  /** Bytes -> "1.5 GiB" (binary steps of 1024, as RouterOS shows them). */
  function bytes(v) {
    if (v === null || v === undefined || Number.isNaN(v)) return "\u2013";
    const units = ["B", "KiB", "MiB", "GiB", "TiB", "PiB"];
    const [text, i] = stepped(v, units.length, 1024, (x, k) => (x < 10 && k > 0 ? 2 : 1));
    return `${text} ${units[i]}`;
  }

  /** A collection interval (seconds) -> "24 h", "1 h", "5 min", "90 s" (whole hours,
   * else whole minutes, else seconds; "0.5 s" keeps up to three decimals; as the
   * server's mikromon.domain.formatting.interval). */
  function interval(s) {
    if (s === null || s === undefined || Number.isNaN(s)) return "\u2013";
    if (!Number.isInteger(s)) return `${trim(s, 3)} s`;
    if (s && s % 3600 === 0) return `${s / 3600} h`;
    if (s && s % 60 === 0) return `${s / 60} min`;
    return `${s} s`;
  }

  /** Seconds -> "3d 4h 12m" (or "42s" below a minute). */
  function duration(s) {
    if (s === null || s === undefined || Number.isNaN(s)) return "\u2013";
    s = Math.max(0, Math.floor(s));
    const d = Math.floor(s / 86400);
    const h = Math.floor((s % 86400) / 3600);
    const m = Math.floor((s % 3600) / 60);
    if (d) return `${d}d ${h}h ${m}m`;
    if (h) return `${h}h ${m}m`;
    if (m) return `${m}m ${s % 60}s`;
    return `${s}s`;
  }

  function pct(v) {
    if (v === null || v === undefined || Number.isNaN(v)) return "\u2013";
    return `${trim(v, v < 10 ? 1 : 0)} %`;
  }

  /** A value in a catalog unit ("pct", "bytes", "bps", "seconds", "celsius"...). */
  function unit(v, u) {
    if (v === null || v === undefined) return "\u2013";
    switch (u) {
      case "pct": case "percent": return pct(v);
      case "bytes": return bytes(v);
      case "bps": case "bits/s": return bps(v);
      case "seconds": case "s": return duration(v);
      case "celsius": case "C": return `${trim(v, 1)} \u00B0C`;
      case "volts": case "V": return `${trim(v, 2)} V`;
      case "amperes": case "A": return `${trim(v, 2)} A`;
      case "watts": case "W": return `${trim(v, 1)} W`;
      case "rpm": return `${Math.round(v)} rpm`;
      case "hertz": return `${trim(v / 1e6, 0)} MHz`;
      case "state": return v >= 1 ? "ok" : "fail";
      case "count": return `${Math.round(v)}`;
      case "packets/s": return `${trim(v, 1)} pkt/s`;
      case "1/s": return `${trim(v, 2)} /s`;
      default: return `${Number.isInteger(v) ? v : trim(v, 2)}${u ? " " + u : ""}`;
    }
  }

  /** The IANA zone times are shown in: the user's (the page config's `time_zone`,
   * set with setZone), UTC until set; never the browser's own zone. */
  let zone = "UTC";
  let parts = null;

  /** Show times in `name` (an IANA zone name); an unknown name keeps UTC. */
  function setZone(name) {
    try {
      parts = new Intl.DateTimeFormat("en-GB", {
        timeZone: name || "UTC", hourCycle: "h23", year: "numeric", month: "2-digit",
        day: "2-digit", hour: "2-digit", minute: "2-digit", second: "2-digit",
      });
      zone = name || "UTC";
    } catch (err) {
      parts = null;
      zone = "UTC";
    }
  }

  /** A Date's fields in the zone: {year, month, day, hour, minute, second} (text). */
  function fields(d) {
    if (!parts) setZone(zone);
    const out = {};
    for (const part of parts.formatToParts(d)) out[part.type] = part.value;
    return out;
  }

  /** An ISO 8601 timestamp -> "YYYY-MM-DD HH:MM:SS Zone" in the shown zone
   * (whatever the browser's own zone is). */
  function when(iso) {
    if (!iso) return "\u2013";
    const d = new Date(iso);
    if (Number.isNaN(d.getTime())) return iso;
    const f = fields(d);
    return `${f.year}-${f.month}-${f.day} ${f.hour}:${f.minute}:${f.second} ${zone}`;
  }

  /** A chart's time tick (Unix seconds) in the shown zone, 24-hour: "14:05" for spans
   * up to a day, "03-01 14:05" for longer ones ("03-01" alone at midnight). */
  function axisTime(ts, span) {
    const f = fields(new Date(ts * 1000));
    const hm = `${f.hour}:${f.minute}`;
    if (span <= 86400) return hm;
    const day = `${f.month}-${f.day}`;
    return hm === "00:00" ? day : `${day} ${hm}`;
  }

  /** The zone name times are shown in. */
  function zoneName() {
    return zone;
  }

  window.MM = window.MM || {};
  window.MM.fmt = {
    axisTicks, axisTime, bps, bytes, duration, fields, interval, pct, setZone, unit, when, zoneName,
  };
})();
