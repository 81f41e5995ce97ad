// Churn model page: the reliability plot (mean predicted vs observed churn per bin of predicted
// risk on the held-out period, case counts as bars), from the JSON the page carries. No inline scripts (CSP).
(function () {
  "use strict";
  function draw() {
    const source = document.getElementById("reliability-data");
    const canvas = document.getElementById("chart-reliability");
    if (!source || !canvas || typeof Chart === "undefined") return;
    const data = JSON.parse(source.textContent);
    new Chart(canvas, {
      data: {
        labels: data.labels,
        datasets: [
          { type: "line", label: data.series.predicted, data: data.predicted, borderColor: "#1f6feb", backgroundColor: "#1f6feb", yAxisID: "y" },
          { type: "line", label: data.series.observed, data: data.observed, borderColor: "#dc2626", backgroundColor: "#dc2626", yAxisID: "y" },
          { type: "bar", label: data.series.counts, data: data.counts, backgroundColor: "rgba(100,116,139,0.3)", yAxisID: "count" },
        ],
      },
      options: {
        responsive: true, maintainAspectRatio: false, animation: false,
        scales: {
          y: { min: 0, max: 100, ticks: { callback: (v) => v + "%" } },
          count: { position: "right", beginAtZero: true, grid: { drawOnChartArea: false } },
        },
      },
    });
  }
  document.addEventListener("DOMContentLoaded", draw);
})();
