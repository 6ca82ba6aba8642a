"use strict";
/* Ask before destructive actions: a form or a submit button with data-confirm
   (the question) is submitted only when the user agrees. Replaces inline
   onclick/onsubmit handlers, which the Content-Security-Policy forbids. */
(function () {
  document.addEventListener("submit", function (event) {
    const form = event.target;
    const button = event.submitter;
    const question = (button && button.dataset.confirm) || form.dataset.confirm;
    if (question && !window.confirm(question)) event.preventDefault();
  });
})();
