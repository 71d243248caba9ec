// Course evaluation form: each aspect is a row of five star buttons (radio inputs inside labels). Tapping a star
// lights it and the stars before it, and names the choice ("4 星 · 满意") beside the aspect.
(function () {
  "use strict";
  function light(input) {
    var row = input.closest("[data-stars]");
    if (!row) { return; }
    var chosen = parseInt(input.value, 10);
    Array.prototype.forEach.call(row.querySelectorAll('input[type="radio"]'), function (other) {
      var label = other.closest("[data-tap]");
      if (label) { label.classList.toggle("btn-primary", parseInt(other.value, 10) <= chosen); }
    });
    var field = row.parentNode;
    var word = field ? field.querySelector("[data-star-word]") : null;
    if (word) { word.textContent = chosen + " 星 · " + (input.getAttribute("data-word") || ""); }
  }
  document.addEventListener("change", function (event) {
    var input = event.target;
    if (input.matches && input.matches('[data-stars] input[type="radio"]')) {
      light(input);
    }
  });
})();
