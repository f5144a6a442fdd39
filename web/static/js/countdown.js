// Counts an order's time left down every second; the page already shows it without JavaScript.
(function () {
  "use strict";

  function mmss(seconds) {
    var minutes = Math.floor(seconds / 60);
    var rest = seconds % 60;
    return (minutes < 10 ? "0" : "") + minutes + ":" + (rest < 10 ? "0" : "") + rest;
  }

  function start(timer) {
    var box = timer.closest("[data-countdown-box]");
    var note = box ? box.querySelector("[data-countdown-note]") : null;
    // Count from the server's figure, not the visitor's clock, which may be wrong.
    var deadline = Date.now() + Number(timer.getAttribute("data-seconds-left")) * 1000;
    var done = false;

    function tick() {
      var left = Math.max(0, Math.round((deadline - Date.now()) / 1000));
      timer.textContent = mmss(left);
      if (left > 0 || done) {
        return;
      }
      done = true;
      window.clearInterval(interval);
      document.querySelectorAll("[data-pay-button]").forEach(function (button) {
        button.disabled = true;
      });
      if (note) {
        note.textContent = "Time is up: this order is being cancelled. ";
        var link = document.createElement("a");
        link.href = window.location.pathname;
        link.textContent = "Reload to see what happened.";
        note.appendChild(link);
        note.setAttribute("role", "status");
      }
    }

    var interval = window.setInterval(tick, 1000);
    tick();
  }

  document.querySelectorAll("time[data-seconds-left]").forEach(start);
})();
