"use strict";
/* The device list's bulk action bar: "All shown" ticks every row, the count
   follows the ticks, Apply waits for a tick, and only the field the action needs
   (tag or site) is shown. Without this script every field shows and the server
   checks the same. */
(function () {
  const form = document.getElementById("bulk-form");
  if (!form) return;
  const all = document.getElementById("bulk-all");
  const count = document.getElementById("bulk-count");
  const apply = document.getElementById("bulk-apply");
  const action = document.getElementById("bulk-action");
  const tag = document.getElementById("bulk-tag");
  const site = document.getElementById("bulk-site");
  const picks = () => Array.from(document.querySelectorAll("input.bulk-pick"));
  function update() {
    const boxes = picks();
    const n = boxes.filter((b) => b.checked).length;
    count.textContent = n + " selected";
    apply.disabled = n === 0;
    all.checked = n > 0 && n === boxes.length;
    all.indeterminate = n > 0 && n < boxes.length;
    const wanted = action.value;
    tag.hidden = !(wanted === "add_tag" || wanted === "remove_tag");
    tag.required = !tag.hidden;
    site.hidden = wanted !== "move_site";
  }
  all.addEventListener("change", () => {
    picks().forEach((b) => { b.checked = all.checked; });
    update();
  });
  document.addEventListener("change", (event) => {
    if (event.target.classList && event.target.classList.contains("bulk-pick")) update();
  });
  action.addEventListener("change", update);
  update();
})();
