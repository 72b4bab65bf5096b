// Leader dashboard (issue 5): ECharts fed by the JSON endpoint in #dashboard[data-src].
(function () {
  "use strict";
  function chart(name) {
    var el = document.querySelector('[data-chart="' + name + '"]');
    return el && window.echarts ? window.echarts.init(el) : null;
  }
  function bars(c, labels, values, horizontal) {
    if (!c) return;
    var cat = { type: "category", data: labels, axisLabel: { interval: 0 } };
    var val = { type: "value", minInterval: 1 };
    c.setOption({
      tooltip: { trigger: "axis" },
      grid: { left: horizontal ? 140 : 40, right: 20, top: 20, bottom: 40 },
      xAxis: horizontal ? val : cat,
      yAxis: horizontal ? Object.assign(cat, { inverse: true }) : val,
      series: [{ type: "bar", data: values }]
    });
  }
  function draw(d) {
    var intake = chart("intake");
    if (intake) {
      intake.setOption({
        tooltip: { trigger: "axis" },
        legend: { top: 0 },
        grid: { left: 40, right: 20, top: 40, bottom: 30 },
        xAxis: { type: "category", data: d.months },
        yAxis: { type: "value", minInterval: 1 },
        series: d.intake_by_channel.map(function (s) {
          return { name: s.label, type: "bar", stack: "all", data: s.counts };
        })
      });
    }
    var klass = chart("klass");
    if (klass) {
      klass.setOption({
        tooltip: { trigger: "item", formatter: "{b}：{c} 件（{d}%）" },
        series: [{ type: "pie", radius: ["35%", "65%"],
          data: d.klass.map(function (k) { return { name: k.label, value: k.count }; }) }]
      });
    }
    bars(chart("categories"), d.top_categories.map(function (c) { return c.label; }),
      d.top_categories.map(function (c) { return c.count; }), true);
    bars(chart("overdue"), d.overdue_by_unit.map(function (c) { return c.unit; }),
      d.overdue_by_unit.map(function (c) { return c.count; }), true);
  }
  document.addEventListener("DOMContentLoaded", function () {
    var root = document.getElementById("dashboard");
    if (!root) return;
    fetch(root.getAttribute("data-src"), { credentials: "same-origin" })
      .then(function (r) { return r.json(); })
      .then(draw);
  });
})();
