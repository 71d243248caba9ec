// 考勤设置 / 场地签到范围: "使用当前位置" fills the centre's latitude and longitude from the phone's position.
// <button data-use-position data-lat-target="id" data-lng-target="id"> and a [data-position-status] beside it.
(function () {
  "use strict";
  var MESSAGES = {
    1: "您拒绝了定位权限，无法取得当前位置。请在浏览器设置中允许本网站使用位置后重试，或手工填写经纬度。",
    2: "无法取得当前位置，请打开手机定位后重试，或手工填写经纬度。",
    3: "获取位置超时，请到室外开阔处重试，或手工填写经纬度。"
  };
  function statusOf(button) {
    var form = button.closest("form");
    return form ? form.querySelector("[data-position-status]") : null;
  }
  function say(button, text) {
    var status = statusOf(button);
    if (status) { status.textContent = text; }
  }
  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-use-position]");
    if (!button) { return; }
    event.preventDefault();
    if (!navigator.geolocation) {
      say(button, "此浏览器不支持定位（须通过 https 访问），请手工填写经纬度。");
      return;
    }
    button.disabled = true;
    say(button, "正在获取当前位置…");
    navigator.geolocation.getCurrentPosition(function (position) {
      var lat = document.getElementById(button.getAttribute("data-lat-target"));
      var lng = document.getElementById(button.getAttribute("data-lng-target"));
      if (lat) { lat.value = position.coords.latitude.toFixed(6); }
      if (lng) { lng.value = position.coords.longitude.toFixed(6); }
      button.disabled = false;
      say(button, "已填入当前位置（误差约 " + Math.round(position.coords.accuracy) + " 米），请保存。");
    }, function (error) {
      button.disabled = false;
      say(button, MESSAGES[error.code] || "无法取得当前位置，请手工填写经纬度。");
    }, { enableHighAccuracy: true, timeout: 10000, maximumAge: 0 });
  });
})();
