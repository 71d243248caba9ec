// Orders: a live countdown to an unpaid order's payment deadline (<span class="countdown" data-deadline="ISO">).
(function () {
  "use strict";
  function pad(n) { return (n < 10 ? "0" : "") + n; }
  function tick(el) {
    var deadline = Date.parse(el.getAttribute("data-deadline"));
    if (isNaN(deadline)) { return false; }
    var left = Math.floor((deadline - Date.now()) / 1000);
    if (left <= 0) {
      el.textContent = "已超时，订单关闭";
      el.classList.add("countdown-over");
      return false;
    }
    el.textContent = pad(Math.floor(left / 60)) + ":" + pad(left % 60);
    return true;
  }
  function start() {
    var items = Array.prototype.slice.call(document.querySelectorAll(".countdown[data-deadline]"));
    items.forEach(function (el) {
      if (!tick(el)) { return; }
      var timer = window.setInterval(function () {
        if (!tick(el)) { window.clearInterval(timer); }
      }, 1000);
    });
  }
  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", start); } else { start(); }
})();
