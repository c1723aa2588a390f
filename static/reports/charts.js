// Draws the statistics charts with Chart.js (static/reports/vendor). Each <canvas data-chart="chart-KEY">
// reads its data from <script type="application/json" id="KEY"> written by the server (reports.tables.Chart).
// The tables beside the charts carry the same numbers, so the page is complete without JavaScript.
(function () {
  "use strict";

  function config(spec) {
    var doughnut = spec.kind === "doughnut";
    var datasets = spec.datasets.map(function (d) {
      var set = { label: d.label, data: d.data };
      if (doughnut) {
        set.backgroundColor = d.colors;
      } else {
        set.backgroundColor = d.color;
        set.borderColor = d.color;
        if (spec.kind === "line") { set.fill = false; set.tension = 0.2; set.spanGaps = true; }
      }
      return set;
    });
    var options = {
      responsive: true,
      maintainAspectRatio: false,
      animation: false,
      plugins: { legend: { position: "bottom" } },
    };
    if (!doughnut) {
      var valueAxis = { stacked: spec.stacked, beginAtZero: true,
                        title: { display: !!spec.y_title, text: spec.y_title } };
      var categoryAxis = { stacked: spec.stacked };
      if (spec.horizontal) {
        options.indexAxis = "y";
        options.scales = { x: valueAxis, y: categoryAxis };
      } else {
        options.scales = { x: categoryAxis, y: valueAxis };
      }
    }
    return { type: spec.kind, data: { labels: spec.labels, datasets: datasets }, options: options };
  }

  function draw() {
    if (typeof Chart === "undefined") { return; }
    document.querySelectorAll("canvas[data-chart]").forEach(function (canvas) {
      var source = document.getElementById(canvas.dataset.chart.replace(/^chart-/, ""));
      if (!source || canvas.dataset.drawn) { return; }
      var spec = JSON.parse(source.textContent);
      if (spec.horizontal) {
        canvas.parentNode.style.height = Math.max(220, 26 * spec.labels.length + 80) + "px";
      }
      canvas.dataset.drawn = "1";
      new Chart(canvas, config(spec));
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", draw);
  } else {
    draw();
  }
})();
