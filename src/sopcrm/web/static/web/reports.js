// Draws the report charts with the vendored ECharts. Each chart is a <div data-chart="ID"> whose
// spec is in <script type="application/json" id="ID"> (written by the server with json_script):
//   {kind: "funnel" | "bar" | "line", categories: [...], series: [{name, values, links?}],
//    links: [url per category], unit: "%" | "days" | "h" | "", horizontal: bool}
// A click on a segment opens the list of the records behind it (its link). The numbers of every
// chart are also in a table next to it, so nothing depends on this script. A file, not an inline
// script: the pages stay ready for a Content Security Policy.
(function () {
  "use strict";
  if (typeof window.echarts === "undefined") {
    return;
  }
  var zh = (document.documentElement.lang || "").toLowerCase().indexOf("zh") === 0;
  var dark = window.matchMedia && window.matchMedia("(prefers-color-scheme: dark)").matches;

  function withUnit(unit) {
    return function (value) {
      if (value === null || value === undefined) {
        return "—";
      }
      return unit === "%" ? value + " %" : unit ? value + " " + unit : String(value);
    };
  }

  function options(spec) {
    var format = withUnit(spec.unit || "");
    if (spec.kind === "funnel") {
      var first = spec.series[0];
      return {
        tooltip: { trigger: "item", valueFormatter: format },
        series: [
          {
            type: "funnel",
            name: first.name,
            sort: "none",
            minSize: "8%",
            label: { show: true, position: "inside", formatter: "{b}: {c}" },
            data: spec.categories.map(function (name, i) {
              return { name: name, value: first.values[i] };
            }),
          },
        ],
      };
    }
    var categoryAxis = {
      type: "category",
      data: spec.categories,
      axisLabel: { interval: 0, hideOverlap: true },
    };
    var valueAxis = { type: "value", axisLabel: { formatter: format } };
    return {
      tooltip: { trigger: "axis", valueFormatter: format },
      legend: spec.series.length > 1 ? { top: 0 } : undefined,
      grid: { containLabel: true, left: 8, right: 16, top: spec.series.length > 1 ? 32 : 16, bottom: 8 },
      xAxis: spec.horizontal ? valueAxis : categoryAxis,
      yAxis: spec.horizontal ? Object.assign({}, categoryAxis, { inverse: true }) : valueAxis,
      series: spec.series.map(function (s) {
        return {
          type: spec.kind === "line" ? "line" : "bar",
          name: s.name,
          data: s.values,
          connectNulls: false,
          emphasis: { focus: "series" },
        };
      }),
    };
  }

  function linkOf(spec, params) {
    var series = spec.series[params.seriesIndex] || {};
    var links = series.links || spec.links || [];
    return links[params.dataIndex] || null;
  }

  document.querySelectorAll("[data-chart]").forEach(function (element) {
    var source = document.getElementById(element.getAttribute("data-chart"));
    if (!source) {
      return;
    }
    var spec = JSON.parse(source.textContent);
    var chart = window.echarts.init(element, dark ? "dark" : null, {
      locale: zh ? "ZH" : "EN",
      renderer: "svg",
    });
    chart.setOption(options(spec));
    chart.on("click", function (params) {
      var url = linkOf(spec, params);
      if (url) {
        window.location.href = url;
      }
    });
    window.addEventListener("resize", function () {
      chart.resize();
    });
  });
})();
