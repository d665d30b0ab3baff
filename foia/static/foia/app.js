// The page behaviour that used to sit in inline scripts and on* attributes: the Content-Security-Policy
// allows scripts from this site's own files only (foia/settings.py, CONTENT_SECURITY_POLICY).
(function () {
  "use strict";

  // Dashboard filters: keep the pushed URL short and shareable by leaving out empty filters.
  document.addEventListener("htmx:configRequest", function (event) {
    if (!event.detail.elt.matches("form.filters")) return;
    for (const key of Object.keys(event.detail.parameters)) {
      if (event.detail.parameters[key] === "") delete event.detail.parameters[key];
    }
  });

  // <select data-autosubmit>: choosing an option submits its form (the letter preview's agency picker).
  document.addEventListener("change", function (event) {
    const field = event.target.closest("[data-autosubmit]");
    if (field && field.form) field.form.submit();
  });

  // <input type=checkbox data-check-all="selector">: ticks or clears every box the selector finds.
  document.addEventListener("click", function (event) {
    const box = event.target.closest("[data-check-all]");
    if (!box) return;
    for (const other of document.querySelectorAll(box.dataset.checkAll)) other.checked = box.checked;
  });

  // <button data-print>: prints the page (the findings matrix has a print stylesheet).
  document.addEventListener("click", function (event) {
    if (event.target.closest("[data-print]")) { window.print(); }
  });
  // <form data-dropzone>: files dropped on the form are uploaded at once.
  function dropzones(root) {
    root.querySelectorAll("[data-dropzone]").forEach(function (zone) {
      if (zone.dataset.dropzoneReady) return;
      zone.dataset.dropzoneReady = "1";
      const input = zone.querySelector("input[type=file]");
      ["dragenter", "dragover"].forEach(function (name) {
        zone.addEventListener(name, function (ev) { ev.preventDefault(); zone.classList.add("dragging"); });
      });
      ["dragleave", "drop"].forEach(function (name) {
        zone.addEventListener(name, function (ev) { ev.preventDefault(); zone.classList.remove("dragging"); });
      });
      zone.addEventListener("drop", function (ev) {
        if (ev.dataTransfer.files.length) { input.files = ev.dataTransfer.files; zone.submit(); }
      });
    });
  }
  document.addEventListener("DOMContentLoaded", function () { dropzones(document); });
  document.addEventListener("htmx:afterSwap", function (event) { dropzones(event.detail.target); });
})();
