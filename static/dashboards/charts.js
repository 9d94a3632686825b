/* 党建驾驶舱 charts: ECharts (vendored, SVG renderer so they print sharply) drawn from the JSON the
   page embeds; every chart has the same numbers in the table view beside it. */
(function () {
  "use strict";
  var node = document.getElementById("dashboard-data");
  if (!node || !window.echarts) { return; }
  var data = JSON.parse(node.textContent);
  var L = data.labels;
  var charts = [];

  function chart(id, option) {
    var el = document.getElementById(id);
    if (!el) { return; }
    var c = window.echarts.init(el, null, { renderer: "svg" });
    c.setOption(option);
    charts.push(c);
    if (window.ResizeObserver) { new ResizeObserver(function () { c.resize(); }).observe(el); }
  }

  chart("chart-trend", {
    tooltip: { trigger: "axis" },
    legend: { top: 0, type: "scroll" },
    grid: { left: 40, right: 40, top: 40, bottom: 30 },
    xAxis: { type: "category", data: data.months },
    yAxis: [{ type: "value", max: 100, axisLabel: { formatter: "{value}%" } }, { type: "value", minInterval: 1 }],
    series: [
      { name: L.meetings, type: "line", data: data.trend.meetings, connectNulls: true },
      { name: L.attendance, type: "line", data: data.trend.attendance, connectNulls: true },
      { name: L.dues, type: "line", data: data.trend.dues, connectNulls: true },
      { name: L.closed, type: "bar", yAxisIndex: 1, data: data.trend.closed, barMaxWidth: 16 }
    ]
  });

  chart("chart-heat", {
    tooltip: { formatter: function (p) { return data.heat.rows[p.value[1]] + " " + data.months[p.value[0]] + ": " + (p.value[2] === null ? "—" : p.value[2] + "%"); } },
    grid: { left: 110, right: 10, top: 10, bottom: 60 },
    xAxis: { type: "category", data: data.months, splitArea: { show: true } },
    yAxis: { type: "category", data: data.heat.rows, inverse: true, axisLabel: { width: 100, overflow: "truncate" } },
    visualMap: { min: 0, max: 100, calculable: false, orient: "horizontal", left: "center", bottom: 0, itemHeight: 120,
      inRange: { color: ["#c62828", "#f9a825", "#2e7d32"] } },
    series: [{ type: "heatmap", data: data.heat.cells, label: { show: false } }]
  });

  chart("chart-collection", {
    tooltip: { trigger: "axis" },
    legend: { top: 0 },
    grid: { left: 110, right: 20, top: 30, bottom: 20 },
    xAxis: { type: "value", max: 100, axisLabel: { formatter: "{value}%" } },
    yAxis: { type: "category", data: data.collection.names, inverse: true, axisLabel: { width: 100, overflow: "truncate" } },
    series: [
      { name: L.dues, type: "bar", data: data.collection.amount },
      { name: L.heads, type: "bar", data: data.collection.heads }
    ]
  });

  chart("chart-funnel", {
    tooltip: { trigger: "item" },
    series: [{ type: "funnel", sort: "none", left: "5%", width: "55%", top: 10, bottom: 10, minSize: "10%", data: data.funnel,
      label: { formatter: "{b}: {c}" } }]
  });

  window.addEventListener("resize", function () { charts.forEach(function (c) { c.resize(); }); });
  window.addEventListener("beforeprint", function () { charts.forEach(function (c) { c.resize(); }); });
})();
