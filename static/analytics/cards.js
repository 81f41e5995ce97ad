// The dashboard's lazily loaded cards with a chart (price sensitivity, competitors): each fragment
// carries its figures as JSON (json_script); this draws them when htmx swaps the fragment in.
// No inline scripts (CSP); Chart.js is the vendored file.
(function () {
  "use strict";
  const COLORS = ["#334155", "#1f6feb", "#d97706", "#059669", "#9333ea", "#dc2626", "#0891b2"];
  const drawn = {};

  function draw(canvasId, dataId, build) {
    const canvas = document.getElementById(canvasId);
    const source = document.getElementById(dataId);
    if (!canvas || !source || typeof Chart === "undefined") return;
    if (drawn[canvasId]) drawn[canvasId].destroy();
    const config = build(JSON.parse(source.textContent));
    config.options = Object.assign({ responsive: true, maintainAspectRatio: false, animation: false }, config.options || {});
    drawn[canvasId] = new Chart(canvas, config);
  }

  function drawAll() {
    draw("chart-price-sensitivity", "price-sensitivity-data", (data) => ({
      type: "line",
      data: {
        labels: data.labels,
        datasets: data.datasets.map((d, i) => ({
          label: d.label, data: d.data, borderColor: COLORS[i % COLORS.length], backgroundColor: COLORS[i % COLORS.length],
          borderWidth: i === 0 ? 3 : 2, spanGaps: true, tension: 0.2,
        })),
      },
      options: {
        scales: { y: { min: 0, max: 100, title: { display: true, text: data.axis }, ticks: { callback: (v) => v + "%" } } },
        plugins: { tooltip: { callbacks: { label: (c) => `${c.dataset.label}: ${c.formattedValue}% (n=${data.datasets[c.datasetIndex].cases[c.dataIndex]})` } } },
      },
    }));
    draw("chart-competitor-losses", "competitor-losses-data", (data) => ({
      type: "bar",
      data: {
        labels: data.labels,
        datasets: data.datasets.map((d, i) => ({ label: d.label, data: d.data, backgroundColor: COLORS[(i + 1) % COLORS.length] })),
      },
      options: { scales: { x: { stacked: true }, y: { stacked: true, beginAtZero: true, ticks: { precision: 0 } } } },
    }));
  }

  document.addEventListener("htmx:afterSettle", drawAll);
  document.addEventListener("DOMContentLoaded", drawAll);
})();
