// The AP countdowns tick without reloading; when one runs out the page reloads, so the server says "overdue".
(function () {
  "use strict";
  function pad(n) { return n < 10 ? "0" + n : String(n); }
  function tick() {
    var now = Date.now();
    document.querySelectorAll(".clock[data-due]").forEach(function (clock) {
      var due = Date.parse(clock.getAttribute("data-due"));
      if (isNaN(due)) { return; }
      var hours = (due - now) / 3600000;
      var running = !clock.classList.contains("overdue");
      // reload once when a countdown crosses zero while the page is open (not on a skewed clock at load)
      if (running && hours < 0 && clock.getAttribute("data-seen-running") === "1") { window.location.reload(); return; }
      if (running && hours >= 0) { clock.setAttribute("data-seen-running", "1"); }
      if (running && hours < 0) { hours = 0; }
      var minutes = Math.floor(Math.abs(hours) * 60);
      var count = clock.querySelector(".countdown");
      if (count) { count.textContent = Math.floor(minutes / 60) + ":" + pad(minutes % 60); }
      if (running) {
        var red = hours < Number(clock.getAttribute("data-red"));
        var amber = !red && hours < Number(clock.getAttribute("data-amber"));
        clock.classList.toggle("red", red);
        clock.classList.toggle("amber", amber);
        clock.classList.toggle("ok", !red && !amber);
      }
    });
  }
  tick();
  window.setInterval(tick, 30000);
}());
