// 课后服务平台 — the live unread count. The topbar badge (base.html) names the stream of server-sent events
// (notifications:stream); every [data-unread-count] element and the title prefix "(N) " follow it without a reload.
// A hidden tab closes its stream and reopens it when shown again (the first event is the current count), so
// background tabs hold no connection.
(function () {
  "use strict";
  var badge = document.querySelector("[data-stream-url]");
  if (!badge || !window.EventSource) {
    return;
  }
  var url = badge.getAttribute("data-stream-url");
  var titlePrefix = /^\(\d+\) /;
  var source = null;

  function show(count) {
    var text = count > 99 ? "99+" : String(count);
    document.querySelectorAll("[data-unread-count]").forEach(function (el) {
      el.textContent = text;
      el.setAttribute("data-unread-count", String(count));
      el.hidden = count === 0;
    });
    document.querySelectorAll("[data-unread-badge]").forEach(function (el) {
      el.setAttribute("aria-label", "未读通知 " + count + " 条");
    });
    var title = document.title.replace(titlePrefix, "");
    document.title = count > 0 ? "(" + count + ") " + title : title;
  }

  function open() {
    if (source) {
      return;
    }
    source = new EventSource(url);
    source.addEventListener("unread", function (event) {
      var data;
      try {
        data = JSON.parse(event.data);
      } catch (e) {
        return;
      }
      if (data && typeof data.count === "number" && data.count >= 0) {
        show(data.count);
        badge.setAttribute("data-live", "open"); // the stream is connected and has said the current count
      }
    });
    source.addEventListener("error", function () {
      badge.setAttribute("data-live", "reconnecting");
      // The browser reconnects by itself after the stream ends; a refused stream (401: logged out) stays closed.
      if (source && source.readyState === EventSource.CLOSED) {
        source = null;
      }
    });
  }

  function close() {
    if (source) {
      source.close();
      source = null;
    }
  }

  document.addEventListener("visibilitychange", function () {
    if (document.hidden) {
      close();
    } else {
      open();
    }
  });
  window.addEventListener("pagehide", close);
  window.addEventListener("pageshow", function (event) {
    if (event.persisted && !document.hidden) {
      open();
    }
  });
  if (!document.hidden) {
    open();
  }
})();
