// The annual-report form: shows a conditional detail field only while its condition holds.
// The page works without this script (the server shows the fields that apply and drops answers
// to those that do not); it only saves a round trip.
(function () {
  "use strict";
  var form = document.getElementById("report-form");
  if (!form) return;

  // The value of an item as the form holds it now ("" when unanswered or hidden).
  function valueOf(code) {
    var wrap = document.getElementById("item-" + code);
    if (wrap && wrap.hidden) return null;
    var inputs = form.querySelectorAll('[name="i.' + code + '"]');
    var picked = [];
    for (var i = 0; i < inputs.length; i++) {
      var el = inputs[i];
      if (el.type === "radio" || el.type === "checkbox") {
        if (el.checked) picked.push(el.value);
      } else if (el.value.trim() !== "") {
        picked.push(el.value.trim());
      }
    }
    return picked.length ? picked.join(",") : null;
  }

  function update() {
    // Document order: a condition always names an earlier item, so one pass settles chains.
    var fields = form.querySelectorAll("[data-cond-item]");
    for (var i = 0; i < fields.length; i++) {
      var f = fields[i];
      var v = valueOf(f.getAttribute("data-cond-item"));
      var same = v !== null && v === f.getAttribute("data-cond-value");
      var holds = v !== null && (f.getAttribute("data-cond-negated") === "1" ? !same : same);
      // A field with an error stays visible so the message is seen.
      f.hidden = !holds && !f.classList.contains("has-error");
    }
  }

  form.addEventListener("change", update);
  form.addEventListener("input", update);
  update();
})();
