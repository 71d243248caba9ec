// Teacher check-in panel (attendance/checkin/_panel.html): the big 签到/签退 button gets the phone's position and
// posts latitude, longitude and accuracy with the form (htmx swaps the panel; without htmx it is a plain post).
// No position, no check-in: a denied or unavailable position is said in the panel and nothing is sent.
(function () {
  "use strict";
  if (window.afterschoolCheckin) { return; }  // the panel may be included (and its script loaded) more than once
  window.afterschoolCheckin = true;
  var MESSAGES = {
    1: "您拒绝了定位权限，无法签到签退。请在浏览器或手机设置中允许本网站使用位置后再点一次。",
    2: "无法获取手机位置，请打开手机定位（GPS）后再点一次。",
    3: "获取位置超时，请到信号好的地方再点一次。"
  };
  function panelOf(el) { return el.closest("[data-checkin-panel]"); }
  function say(el, text, isError) {
    var panel = panelOf(el);
    var status = panel ? panel.querySelector("[data-checkin-status]") : null;
    if (!status) { return; }
    status.textContent = text;
    status.className = text ? (isError ? "msg msg-error" : "msg") : "";
  }
  function fill(form, name, value) {
    var input = form.querySelector("input[name='" + name + "']");
    if (input) { input.value = value; }
  }
  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-checkin-button]");
    if (!button) { return; }
    event.preventDefault();
    var form = button.closest("form");
    var label = button.getAttribute("data-label") || button.textContent;
    if (!form || button.disabled) { return; }
    if (!navigator.geolocation) {
      say(button, "此浏览器无法定位（须通过 https 访问并允许定位），不能签到签退。", true);
      return;
    }
    button.disabled = true;
    button.textContent = "正在获取位置…";
    say(button, "", false);
    navigator.geolocation.getCurrentPosition(function (position) {
      fill(form, "latitude", position.coords.latitude.toFixed(6));
      fill(form, "longitude", position.coords.longitude.toFixed(6));
      fill(form, "accuracy", String(Math.round(position.coords.accuracy)));
      button.textContent = "正在提交…";
      if (typeof form.requestSubmit === "function") { form.requestSubmit(); } else { form.submit(); }
    }, function (error) {
      button.disabled = false;
      button.textContent = label;
      say(button, MESSAGES[error.code] || "无法获取手机位置，不能签到签退。", true);
    }, { enableHighAccuracy: true, timeout: 10000, maximumAge: 0 });
  });
  function failed(event, text) {
    var form = event.target && event.target.closest ? event.target.closest("[data-checkin-form]") : null;
    if (!form) { return; }
    var button = form.querySelector("[data-checkin-button]");
    if (button) {
      button.disabled = false;
      button.textContent = button.getAttribute("data-label") || button.textContent;
    }
    say(form, text, true);
  }
  document.addEventListener("htmx:responseError", function (event) {
    failed(event, "提交失败（" + (event.detail && event.detail.xhr ? event.detail.xhr.status : "") + "），请刷新页面后重试。");
  });
  document.addEventListener("htmx:sendError", function (event) {
    failed(event, "网络不通，未能提交，请稍后再点一次。");
  });
})();
