// Team page: the processing-time chart, the capacity chart and the scorecard's sparklines, drawn
// with Chart.js from the JSON the page carries (#team-data). No inline scripts (CSP).
(function () {
  "use strict";
  const COLORS = ["#1f6feb", "#d97706", "#059669", "#9333ea", "#dc2626", "#0891b2", "#64748b"];

  function draw() {
    const source = document.getElementById("team-data");
    if (!source || typeof Chart === "undefined") return;
    const data = JSON.parse(source.textContent);
    const base = { responsive: true, maintainAspectRatio: false, animation: false };
    const processing = document.getElementById("chart-processing");
    if (processing) {
      new Chart(processing, {
        type: "line",
        data: {
          labels: data.series.months,
          datasets: [
            { label: data.labels.processing, data: data.series.processing_time, borderColor: COLORS[0], backgroundColor: COLORS[0], spanGaps: true, tension: 0.2 },
            { label: data.labels.contact, data: data.series.first_contact, borderColor: COLORS[2], backgroundColor: COLORS[2], spanGaps: true, tension: 0.2 },
            { label: data.labels.year_ago, data: data.series.year_ago, borderColor: "#94a3b8", backgroundColor: "#94a3b8", borderDash: [4, 4], spanGaps: true },
            { label: data.labels.target, data: data.series.target, borderColor: COLORS[4], backgroundColor: COLORS[4], borderDash: [2, 2], pointRadius: 0, spanGaps: true },
          ],
        },
        options: Object.assign({}, base, { scales: { y: { beginAtZero: true, title: { display: true, text: data.labels.days } } } }),
      });
    }
    const capacity = document.getElementById("chart-capacity");
    if (capacity) {
      const datasets = data.capacity.lines.map((line, i) => ({ type: "bar", label: line.label, data: line.data, backgroundColor: COLORS[i % COLORS.length], stack: "cases" }));
      if (data.capacity.total_capacity) {
        datasets.push({ type: "line", label: data.labels.capacity, data: data.capacity.weeks.map(() => data.capacity.total_capacity), borderColor: COLORS[4], backgroundColor: COLORS[4], pointRadius: 0 });
      }
      new Chart(capacity, {
        data: { labels: data.capacity.weeks, datasets: datasets },
        options: Object.assign({}, base, { scales: { x: { stacked: true }, y: { stacked: true, beginAtZero: true, title: { display: true, text: data.labels.cases } } } }),
      });
    }
    document.querySelectorAll("canvas[data-spark]").forEach((canvas) => {
      const values = data.sparks[canvas.dataset.spark] || [];
      new Chart(canvas, {
        type: "line",
        data: { labels: data.series.months, datasets: [{ data: values, borderColor: COLORS[0], borderWidth: 1.5, pointRadius: 0, spanGaps: true, tension: 0.3 }] },
        options: { responsive: false, animation: false, events: [], plugins: { legend: { display: false }, tooltip: { enabled: false } }, scales: { x: { display: false }, y: { display: false } } },
      });
    });
  }

  document.addEventListener("DOMContentLoaded", draw);
})();
