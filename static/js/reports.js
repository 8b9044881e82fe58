// Draws the reports' charts from the JSON the server embedded (json_script "report-data"), with the vendored
// Chart.js. The tables under each chart carry the same figures, so the page reads without this file too.
(function () {
  "use strict";

  var PALETTE = ["#1f5fbf", "#1e7a3e", "#b3261e", "#8a5a00", "#6a3fb5", "#0f7c8c", "#c2185b", "#5b6473"];

  function readJson(id) {
    var el = document.getElementById(id);
    return el ? JSON.parse(el.textContent) : null;
  }

  function pluck(rows, key) {
    return rows.map(function (row) { return row[key]; });
  }

  function bar(label, data, color, extra) {
    return Object.assign({ type: "bar", label: label, data: data, backgroundColor: color, yAxisID: "y" }, extra || {});
  }

  function line(label, data, color, extra) {
    return Object.assign(
      { type: "line", label: label, data: data, borderColor: color, backgroundColor: color, tension: 0.2,
        spanGaps: true, pointRadius: 2, yAxisID: "y" },
      extra || {}
    );
  }

  function axes(rightTitle) {
    var scales = { y: { beginAtZero: true, ticks: { precision: 0 } } };
    if (rightTitle) {
      scales.y2 = { beginAtZero: true, position: "right", grid: { drawOnChartArea: false },
                    title: { display: true, text: rightTitle } };
    }
    return scales;
  }

  function draw(name, config) {
    var canvas = document.getElementById("chart-" + name);
    if (!canvas || !window.Chart) { return; }
    config.options = Object.assign(
      { responsive: true, maintainAspectRatio: false, animation: false, interaction: { mode: "index", intersect: false } },
      config.options || {}
    );
    new window.Chart(canvas, config);
  }

  function timesChart(name, rows, text) {
    draw(name, {
      data: {
        labels: pluck(rows, "label"),
        datasets: [
          bar(text.tickets, pluck(rows, "tickets"), "#c9dcf7"),
          line(text.average_hours, pluck(rows, "average_hours"), PALETTE[2], { yAxisID: "y2" })
        ]
      },
      options: { scales: axes("h") }
    });
  }

  function choicesChart(name, rows, text) {
    draw(name, {
      data: {
        labels: pluck(rows, "label"),
        datasets: [bar(text.created, pluck(rows, "created"), PALETTE[0]), bar(text.resolved, pluck(rows, "resolved"), PALETTE[1])]
      },
      options: { scales: axes() }
    });
  }

  function paretoChart(name, rows, text) {
    draw(name, {
      data: {
        labels: pluck(rows, "label"),
        datasets: [
          bar(text.count, pluck(rows, "count"), PALETTE[0]),
          line(text.cumulative, pluck(rows, "cumulative_percent"), PALETTE[2], { yAxisID: "y2" })
        ]
      },
      options: { scales: Object.assign(axes("%"), { y2: { min: 0, max: 100, position: "right", grid: { drawOnChartArea: false } } }) }
    });
  }

  function slaChart(rows, text) {
    var dates = [];
    var byMetric = {};
    var labels = {};
    rows.forEach(function (row) {
      if (dates.indexOf(row.date) === -1) { dates.push(row.date); }
      (byMetric[row.metric] = byMetric[row.metric] || []).push(row.compliance);
      labels[row.metric] = row.label;
    });
    draw("sla_daily", {
      type: "line",
      data: {
        labels: dates,
        datasets: Object.keys(byMetric).map(function (metric, index) {
          return line(labels[metric], byMetric[metric], PALETTE[index % PALETTE.length]);
        })
      },
      options: { scales: { y: { min: 0, max: 100, title: { display: true, text: text.compliance } } } }
    });
  }

  function drawAll() {
    var data = readJson("report-data");
    var text = readJson("report-labels") || {};
    if (!data || !window.Chart) { return; }
    window.Chart.defaults.font.family = getComputedStyle(document.body).fontFamily;
    draw("daily", {
      type: "line",
      data: {
        labels: pluck(data.daily, "date"),
        datasets: [line(text.created, pluck(data.daily, "created"), PALETTE[0]), line(text.resolved, pluck(data.daily, "resolved"), PALETTE[1])]
      },
      options: { scales: axes() }
    });
    slaChart(data.sla_daily, text);
    draw("first_response_histogram", {
      type: "bar",
      data: { labels: pluck(data.first_response_histogram, "label"),
              datasets: [bar(text.tickets, pluck(data.first_response_histogram, "tickets"), PALETTE[0])] },
      options: { scales: axes() }
    });
    timesChart("first_response_by_hour", data.first_response_by_hour, text);
    timesChart("first_response_by_weekday", data.first_response_by_weekday, text);
    choicesChart("by_category", data.by_category, text);
    choicesChart("by_channel", data.by_channel, text);
    if (data.by_tag) { choicesChart("by_tag", data.by_tag, text); }
    paretoChart("return_reasons", data.return_reasons, text);
    paretoChart("complaint_categories", data.complaint_categories, text);
    paretoChart("complaint_root_causes", data.complaint_root_causes, text);
    document.documentElement.dataset.chartsDrawn = "true";
  }

  // Picking dates means a period of one's own: the select follows, so the dates are not ignored.
  function followDates() {
    var form = document.querySelector("form[data-report-filters]");
    if (!form) { return; }
    form.addEventListener("change", function (event) {
      if (event.target.type === "date" && form.elements.period) { form.elements.period.value = "custom"; }
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    followDates();
    drawAll();
  });
})();
