// Announcements: show the grade / class / section select only when the chosen audience needs it
// (<form data-announcement-form> with <div data-audience-field="grade|class|section">). Without JS all are shown
// and the server ignores the ones the audience does not use.
(function () {
  "use strict";
  function sync(form) {
    var select = form.querySelector("select[name=audience]");
    if (!select) { return; }
    var fields = form.querySelectorAll("[data-audience-field]");
    Array.prototype.forEach.call(fields, function (el) {
      var shown = el.getAttribute("data-audience-field") === select.value;
      el.hidden = !shown;
      el.style.display = shown ? "" : "none"; // .field sets display, which beats [hidden]
      var input = el.querySelector("select");
      if (input) { input.disabled = !shown; }
    });
  }
  function start() {
    Array.prototype.forEach.call(document.querySelectorAll("form[data-announcement-form]"), function (form) {
      sync(form);
      var select = form.querySelector("select[name=audience]");
      if (select) { select.addEventListener("change", function () { sync(form); }); }
    });
  }
  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", start); } else { start(); }
})();
