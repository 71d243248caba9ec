// Patrol form: a tapped score shows as chosen (the label turns primary), and the photo picker says how many photos
// are chosen and refuses more than the limit before anything is sent.
(function () {
  "use strict";
  function mark(input) {
    var group = document.querySelectorAll('input[type="radio"][name="' + input.name + '"]');
    Array.prototype.forEach.call(group, function (other) {
      var label = other.closest("[data-tap]");
      if (label) { label.classList.toggle("btn-primary", other.checked); }
    });
  }
  document.addEventListener("change", function (event) {
    var input = event.target;
    if (input.matches('[data-tap] input[type="radio"]')) {
      mark(input);
    }
    if (input.matches('.patrol-form input[type="file"]')) {
      var note = input.parentNode.querySelector("[data-photo-count]");
      var max = note ? parseInt(note.getAttribute("data-max"), 10) : 9;
      var count = input.files ? input.files.length : 0;
      if (count > max) {
        input.value = "";
        if (note) { note.textContent = "最多只能选择 " + max + " 张照片，请重新选择"; }
        return;
      }
      if (note) { note.textContent = count ? "已选择 " + count + " 张照片" : ""; }
    }
  });
})();
