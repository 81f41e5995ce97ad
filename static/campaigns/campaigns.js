// Campaign pages: the lifecycle flows chart and the rate per arm over time with its 95 % interval,
// drawn with Chart.js from the JSON the page carries (json_script). No inline scripts (CSP).
(function () {
  "use strict";
  const COLORS = ["#1f6feb", "#d97706", "#059669", "#9333ea", "#dc2626", "#0891b2", "#64748b", "#be185d"];

  function read(id) {
    const node = document.getElementById(id);
    return node ? JSON.parse(node.textContent) : null;
  }

  function draw() {
    if (typeof Chart === "undefined") return;
    const flows = read("flows-data");
    const flowsCanvas = document.getElementById("chart-flows");
    if (flows && flowsCanvas && !Chart.getChart(flowsCanvas)) {
      new Chart(flowsCanvas, {
        type: "bar",
        data: {
          labels: flows.labels,
          datasets: flows.datasets.map((d, i) => ({ label: d.label, data: d.data, backgroundColor: COLORS[i % COLORS.length] })),
        },
        options: { responsive: true, maintainAspectRatio: false, animation: false, scales: { x: { stacked: true }, y: { stacked: true, beginAtZero: true } } },
      });
    }
    const arms = read("arms-data");
    const armsCanvas = document.getElementById("chart-arms");
    if (arms && armsCanvas && !Chart.getChart(armsCanvas)) {
      const datasets = [];
      arms.series.forEach((s, i) => {
        const color = COLORS[i % COLORS.length];
        // The interval as a band: its upper edge filled down to its lower edge.
        datasets.push({ label: s.label + " (95 %)", data: s.points.map((p) => ({ x: p.x, y: p.high })), borderColor: "transparent", backgroundColor: color + "22", fill: "+1", pointRadius: 0 });
        datasets.push({ label: "", data: s.points.map((p) => ({ x: p.x, y: p.low })), borderColor: "transparent", pointRadius: 0, fill: false });
        datasets.push({ label: s.label, data: s.points.map((p) => ({ x: p.x, y: p.y })), borderColor: color, backgroundColor: color, fill: false, tension: 0.2 });
      });
      const labels = [...new Set(arms.series.flatMap((s) => s.points.map((p) => p.x)))].sort();
      new Chart(armsCanvas, {
        type: "line",
        data: { labels: labels, datasets: datasets },
        options: {
          responsive: true, maintainAspectRatio: false, animation: false,
          scales: { y: { title: { display: true, text: arms.yLabel } } },
          plugins: { legend: { labels: { filter: (item) => item.text !== "" } } },
        },
      });
    }
  }

  // Also loaded inside an htmx fragment (the dashboard's flows panel): draw at once when the page is ready.
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", draw);
  } else {
    draw();
  }
})();
