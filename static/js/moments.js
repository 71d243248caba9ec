// 课堂风采: posting a moment (<form data-moment-form>). For each chosen video the first frame is drawn on a canvas
// and attached as a PNG named poster_<n> (n: the video's 0-based place among the chosen files), so the server keeps
// it as the video's poster; the chosen files are previewed, and more than the allowed number is said at once.
// Without canvas support (or when the video cannot be decoded here) the video simply goes without a poster.
(function () {
  "use strict";

  var POSTER_SIDE = 960; // px, longest side of the poster drawn (the server makes a 480 px preview of it)
  var FRAME_TIMEOUT = 8000; // ms to wait for a video's first frame

  function el(tag, attrs, text) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (key) { node.setAttribute(key, attrs[key]); });
    if (text) { node.textContent = text; }
    return node;
  }

  // The first frame of a video file as a PNG Blob (null when it cannot be had).
  function firstFrame(file) {
    return new Promise(function (resolve) {
      if (!window.URL || !URL.createObjectURL || !HTMLCanvasElement.prototype.toBlob) { resolve(null); return; }
      var url = URL.createObjectURL(file);
      var video = document.createElement("video");
      var done = false;
      function finish(blob) {
        if (done) { return; }
        done = true;
        window.clearTimeout(timer);
        video.removeAttribute("src");
        video.load();
        URL.revokeObjectURL(url);
        resolve(blob);
      }
      var timer = window.setTimeout(function () { finish(null); }, FRAME_TIMEOUT);
      video.muted = true;
      video.playsInline = true;
      video.setAttribute("playsinline", "");
      video.preload = "auto";
      video.addEventListener("error", function () { finish(null); });
      video.addEventListener("loadedmetadata", function () {
        // Seeking a hair past 0 makes every browser decode and show the first frame.
        try { video.currentTime = 0.001; } catch (e) { finish(null); }
      });
      video.addEventListener("seeked", function () {
        var width = video.videoWidth, height = video.videoHeight;
        if (!width || !height) { finish(null); return; }
        var scale = Math.min(1, POSTER_SIDE / Math.max(width, height));
        var canvas = document.createElement("canvas");
        canvas.width = Math.round(width * scale);
        canvas.height = Math.round(height * scale);
        try {
          canvas.getContext("2d").drawImage(video, 0, 0, canvas.width, canvas.height);
          canvas.toBlob(function (blob) { finish(blob); }, "image/png");
        } catch (e) {
          finish(null);
        }
      });
      video.src = url;
      video.load();
    });
  }

  // Put a Blob into a (hidden) file input so the form sends it like a chosen file.
  function attach(holder, name, blob) {
    if (typeof DataTransfer === "undefined" || typeof File === "undefined") { return false; }
    try {
      var transfer = new DataTransfer();
      transfer.items.add(new File([blob], name + ".png", { type: "image/png" }));
      var input = el("input", { type: "file", name: name, hidden: "" });
      input.files = transfer.files;
      if (!input.files || input.files.length !== 1) { return false; }
      holder.appendChild(input);
      return true;
    } catch (e) {
      return false;
    }
  }

  function previewImage(file, tile, index) {
    if (!window.FileReader) { tile.appendChild(el("span", {}, file.name)); return; }
    var reader = new FileReader();
    reader.onload = function () {
      tile.appendChild(el("img", { src: reader.result, alt: "第 " + (index + 1) + " 张照片", width: "120", height: "120" }));
    };
    reader.readAsDataURL(file);
  }

  function setup(form) {
    var input = form.querySelector("input[type=file][data-moment-files]");
    var previews = form.querySelector("[data-moment-previews]");
    var posters = form.querySelector("[data-moment-posters]");
    var problem = form.querySelector("[data-moment-problem]");
    var submit = form.querySelector("[data-moment-submit]");
    var max = parseInt(form.getAttribute("data-max-files"), 10) || 9;
    var pending = 0;
    var generation = 0;
    if (!input || !previews || !posters) { return; }

    function busy(delta) {
      pending += delta;
      if (submit) {
        submit.disabled = pending > 0 || input.files.length > max;
        submit.textContent = pending > 0 ? "正在处理视频封面…" : "发布";
      }
    }

    function say(message) {
      if (!problem) { return; }
      problem.textContent = message;
      problem.hidden = !message;
    }

    input.addEventListener("change", function () {
      generation += 1;
      var mine = generation;
      previews.textContent = "";
      posters.textContent = "";
      pending = 0;
      var files = Array.prototype.slice.call(input.files || []);
      if (files.length > max) {
        say("最多选择 " + max + " 个照片或视频（现在选了 " + files.length + " 个），请重新选择。");
      } else {
        say("");
      }
      busy(0);
      files.forEach(function (file, index) {
        var tile = el("li", { "class": "moment-tile" });
        previews.appendChild(tile);
        if (file.type === "video/mp4" || /\.mp4$/i.test(file.name)) {
          var label = el("span", { "class": "moment-tile-label" }, "视频 " + (index + 1));
          tile.appendChild(label);
          busy(1);
          firstFrame(file).then(function (blob) {
            if (mine !== generation) { return; } // the choice changed meanwhile
            if (blob && attach(posters, "poster_" + index, blob)) {
              var reader = new FileReader();
              reader.onload = function () {
                tile.insertBefore(el("img", { src: reader.result, alt: "视频 " + (index + 1) + " 的封面", width: "120", height: "120" }), label);
              };
              reader.readAsDataURL(blob);
            }
            busy(-1);
          });
        } else {
          previewImage(file, tile, index);
        }
      });
    });

    form.addEventListener("submit", function (event) {
      if (pending > 0 || (input.files && input.files.length > max)) { event.preventDefault(); }
    });
  }

  function start() {
    Array.prototype.forEach.call(document.querySelectorAll("form[data-moment-form]"), setup);
  }
  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", start); } else { start(); }
})();
