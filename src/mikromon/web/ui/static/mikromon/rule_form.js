"use strict";
/* Rule form: show only the fields the chosen kind uses (rows carry data-kinds; rows
   without it are for every kind), and run the preview ("what would fire now") with
   fetch instead of reloading the page. Without JavaScript every field shows and the
   Preview button posts the form, which the server answers with the same table. */
(function () {
  const form = document.getElementById("rule-form");
  if (!form) return;
  const kind = form.querySelector("[name=kind]");

  function showKindFields() {
    const current = kind ? kind.value : "";
    form.querySelectorAll(".form-row[data-kinds]").forEach((row) => {
      const kinds = row.dataset.kinds.split(" ");
      const wanted = !current || kinds.includes(current);
      // A field with an error stays visible: the message must be seen.
      row.hidden = !wanted && !row.querySelector(".has-error");
      // A hidden field is not sent: a value left from another kind must not count.
      row.querySelectorAll("input, select, textarea").forEach((el) => { el.disabled = row.hidden; });
    });
    form.querySelectorAll(".form-grid").forEach((grid) => {
      const title = grid.previousElementSibling;
      const visible = Array.from(grid.children).some((row) => !row.hidden);
      grid.hidden = !visible;
      if (title && title.classList.contains("section-title")) title.hidden = !visible;
    });
  }

  function cell(text, cls) {
    const td = document.createElement("td");
    if (cls) td.className = cls;
    td.textContent = text;
    return td;
  }

  function number(v) {
    return v === null || v === undefined ? "\u2013" : String(Math.round(v * 100) / 100);
  }

  function renderPreview(data) {
    const panel = document.getElementById("preview");
    const error = document.getElementById("preview-error");
    const note = document.getElementById("preview-note");
    const summary = document.getElementById("preview-summary");
    const body = document.querySelector("#preview-table tbody");
    panel.hidden = false;
    body.replaceChildren();
    if (!data.ok) {
      error.hidden = false;
      error.textContent = data.error;
      note.hidden = true;
      summary.textContent = "";
      return;
    }
    error.hidden = true;
    const p = data.preview;
    const matches = p.matches || [];
    summary.textContent = `${matches.length} match${matches.length === 1 ? "" : "es"} on ` +
      `${p.devices_checked} device${p.devices_checked === 1 ? "" : "s"} checked`;
    note.hidden = !p.note;
    note.textContent = p.note || "";
    if (!matches.length) {
      const tr = document.createElement("tr");
      const td = cell("Nothing would fire now.", "empty");
      td.colSpan = 6;
      tr.appendChild(td);
      body.appendChild(tr);
    }
    for (const m of matches) {
      const tr = document.createElement("tr");
      const dev = document.createElement("td");
      const link = document.createElement("a");
      link.href = `/devices/${m.device.id}/`;
      link.textContent = m.device.name;
      dev.appendChild(link);
      tr.appendChild(dev);
      tr.appendChild(cell(m.subject || "\u2013"));
      const state = cell("");
      const badge = document.createElement("span");
      badge.className = `badge plain astate-${m.state}`;
      badge.textContent = m.state;
      state.appendChild(badge);
      tr.appendChild(state);
      tr.appendChild(cell(number(m.value), "num"));
      tr.appendChild(cell(number(m.threshold), "num"));
      tr.appendChild(cell(m.message || "", "wrap"));
      body.appendChild(tr);
    }
  }

  async function preview(button) {
    const data = new FormData(form);
    if (form.dataset.ruleId) data.append("rule_id", form.dataset.ruleId);
    button.disabled = true;
    try {
      const resp = await fetch(form.dataset.previewUrl, {
        method: "POST", body: data, credentials: "same-origin",
        headers: { Accept: "application/json" },
      });
      const type = resp.headers.get("Content-Type") || "";
      renderPreview(type.includes("json") ? await resp.json()
        : { ok: false, error: `preview failed: HTTP ${resp.status}` });
    } catch (e) {
      renderPreview({ ok: false, error: `preview failed: ${e.message}` });
    } finally {
      button.disabled = false;
      document.body.dataset.previewDone = String(Number(document.body.dataset.previewDone || 0) + 1);
    }
  }

  form.addEventListener("submit", (event) => {
    if (event.submitter && event.submitter.name === "preview") {
      event.preventDefault();
      preview(event.submitter);
    }
  });
  if (kind) kind.addEventListener("change", showKindFields);
  showKindFields();
})();
