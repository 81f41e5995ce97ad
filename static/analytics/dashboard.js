// KPI dashboard: draws the Chart.js charts from the JSON the page carries (#dashboard-data)
// and redraws them whenever htmx swaps in a new dashboard body. No inline scripts (CSP).
(function () {
  "use strict";
  const charts = [];
  const COLORS = ["#1f6feb", "#d97706", "#059669", "#9333ea", "#dc2626", "#0891b2", "#64748b"];

  function percentAxis() {
    return { min: 0, max: 100, ticks: { callback: (v) => v + "%" } };
  }

  function goTo(urls) {
    return (event, elements) => {
      if (elements.length && urls && urls[elements[0].index]) {
        window.location.href = urls[elements[0].index];
      }
    };
  }

  function make(id, config) {
    const canvas = document.getElementById(id);
    if (!canvas || typeof Chart === "undefined") return;
    config.options = Object.assign({ responsive: true, maintainAspectRatio: false, animation: false }, config.options || {});
    charts.push(new Chart(canvas, config));
  }

  function draw() {
    while (charts.length) charts.pop().destroy();
    const source = document.getElementById("dashboard-data");
    if (!source) return;
    const data = JSON.parse(source.textContent);

    make("chart-trend", {
      type: "line",
      data: {
        labels: data.trend.labels,
        datasets: data.trend.datasets.map((d, i) => ({
          label: d.label, data: d.data, borderColor: COLORS[i % COLORS.length],
          backgroundColor: COLORS[i % COLORS.length], spanGaps: true, tension: 0.2,
        })),
      },
      options: { scales: { y: percentAxis() }, plugins: { tooltip: { callbacks: { label: (c) => `${c.dataset.label}: ${c.formattedValue}%` } } } },
    });
    make("chart-funnel", {
      type: "bar",
      data: { labels: data.funnel.labels, datasets: [{ data: data.funnel.data, backgroundColor: ["#94a3b8", "#60a5fa", "#3b82f6", "#059669"] }] },
      options: { indexAxis: "y", scales: { x: percentAxis() }, plugins: { legend: { display: false } }, onClick: goTo(data.funnel.urls) },
    });
    make("chart-lost", {
      type: "bar",
      data: { labels: data.lost.labels, datasets: [{ data: data.lost.data, backgroundColor: "#dc2626" }] },
      options: { indexAxis: "y", scales: { x: percentAxis() }, plugins: { legend: { display: false } }, onClick: goTo(data.lost.urls) },
    });
    make("chart-nps", {
      data: {
        labels: data.nps.labels,
        datasets: [
          { type: "line", label: data.nps.npsLabel, data: data.nps.nps, borderColor: "#1f6feb", backgroundColor: "#1f6feb", yAxisID: "y", spanGaps: true },
          { type: "bar", label: data.nps.responsesLabel, data: data.nps.responses, backgroundColor: "rgba(148,163,184,0.5)", yAxisID: "y1" },
        ],
      },
      options: { scales: { y: { min: -100, max: 100 }, y1: { position: "right", beginAtZero: true, grid: { drawOnChartArea: false } } } },
    });
    make("chart-complaints", {
      type: "line",
      data: { labels: data.complaints.labels, datasets: [{ label: data.complaints.rateLabel, data: data.complaints.rate, borderColor: "#d97706", backgroundColor: "#d97706", spanGaps: true }] },
      options: { scales: { y: { beginAtZero: true } }, plugins: { legend: { display: false } } },
    });
    make("chart-categories", {
      type: "bar",
      data: { labels: data.categories.labels, datasets: [{ label: data.categories.label, data: data.categories.data, backgroundColor: "#9333ea" }] },
      options: { scales: { y: { beginAtZero: true, ticks: { precision: 0 } } }, plugins: { legend: { display: false } }, onClick: goTo(data.categories.urls) },
    });
    if (document.querySelector(".print-view")) {
      document.querySelectorAll("details.table-view").forEach((d) => { d.open = true; });
    }
  }

  function togglePeriodFields() {
    const select = document.getElementById("f-period");
    if (!select) return;
    const custom = select.value === "custom";
    document.querySelectorAll(".js-period-custom").forEach((el) => el.classList.toggle("d-none", !custom));
    document.querySelectorAll(".js-period-anchor").forEach((el) => el.classList.toggle("d-none", custom));
  }

  document.addEventListener("DOMContentLoaded", () => {
    draw();
    togglePeriodFields();
    const select = document.getElementById("f-period");
    if (select) select.addEventListener("change", togglePeriodFields);
  });
  // A period the desk cannot show answers 400 with its message in a dashboard body: swap it in
  // (htmx leaves error responses out by default, which would leave the old figures on screen).
  document.addEventListener("htmx:beforeSwap", (event) => {
    const target = event.detail.target;
    if (event.detail.xhr.status === 400 && target && target.id === "dashboard-body") {
      event.detail.shouldSwap = true;
      event.detail.isError = false;
    }
  });
  document.addEventListener("htmx:afterSettle", (event) => {
    if (event.target && event.target.id === "dashboard-body") draw();
  });
  window.addEventListener("beforeprint", () => {
    document.querySelectorAll("details.table-view").forEach((d) => { d.open = true; });
    charts.forEach((c) => c.resize());
  });
})();
