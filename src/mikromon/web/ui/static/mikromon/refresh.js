"use strict";
/* Reload a page that watches something live (the Alerts page) every
   data-refresh-s seconds of <body>, while the tab is visible and nobody is typing
   (a half-written acknowledgement comment is never thrown away). */
(function () {
  const seconds = Number(document.body.dataset.refreshS || 0);
  if (!(seconds >= 5)) return;
  function typing() {
    const el = document.activeElement;
    if (el && /^(INPUT|TEXTAREA|SELECT)$/.test(el.tagName)) return true;
    return Array.from(document.querySelectorAll("input[type=text], textarea"))
      .some((input) => input.value.trim() !== "");
  }
  setInterval(() => {
    if (document.visibilityState === "visible" && !typing()) window.location.reload();
  }, seconds * 1000);
})();
