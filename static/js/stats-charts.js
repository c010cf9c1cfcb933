/* Statistics charts: each <figure class="stats-chart"> draws the table named by its
   data-table attribute with Chart.js (static/vendor/chartjs). The table stays the
   accessible source of the figures; without JavaScript only the table shows. */
(function () {
  "use strict";
  var PALETTE = ["#1d4f91", "#b3164b", "#2e7d32", "#8a5a00", "#6a1b9a", "#00695c", "#c62828", "#455a64"];
  var DASHES = [[], [6, 4], [2, 3], [10, 3, 2, 3]];

  function readTable(table) {
    var headers = Array.prototype.map.call(table.tHead.rows[0].cells, function (c) { return c.textContent.trim(); });
    var rows = Array.prototype.map.call(table.tBodies[0].rows, function (row) {
      return Array.prototype.map.call(row.cells, function (cell, i) {
        if (i === 0) { return cell.textContent.trim(); }
        var value = parseFloat(cell.getAttribute("data-value"));
        return isNaN(value) ? null : value;
      });
    });
    return { headers: headers, rows: rows };
  }

  function draw(figure) {
    var table = document.getElementById(figure.getAttribute("data-table"));
    if (!table || typeof window.Chart === "undefined") { return; }
    var kind = figure.getAttribute("data-chart");
    var data = readTable(table);
    var columns = [];
    for (var i = 1; i < data.headers.length; i++) { columns.push(i); }
    if (kind === "bar-total") { columns = [data.headers.length - 1]; }
    columns = columns.filter(function (column) {  // text columns (e.g. a resource) are not drawn
      return data.rows.some(function (row) { return row[column] !== null; });
    });
    var datasets = columns.map(function (column, n) {
      var colour = PALETTE[n % PALETTE.length];
      return {
        label: data.headers[column],
        data: data.rows.map(function (row) { return row[column]; }),
        backgroundColor: colour,
        borderColor: colour,
        borderDash: DASHES[n % DASHES.length],
        pointStyle: ["circle", "rect", "triangle", "rectRot", "star"][n % 5],
        tension: 0.2
      };
    });
    var canvas = document.createElement("canvas");
    canvas.setAttribute("role", "img");
    canvas.setAttribute("aria-label", table.caption ? table.caption.textContent.trim() : "");
    figure.insertBefore(canvas, figure.firstChild);
    new window.Chart(canvas, {
      type: kind === "line" ? "line" : "bar",
      data: { labels: data.rows.map(function (row) { return row[0]; }), datasets: datasets },
      options: {
        responsive: true,
        maintainAspectRatio: false,
        animation: window.matchMedia("(prefers-reduced-motion: reduce)").matches ? false : undefined,
        plugins: { legend: { display: datasets.length > 1, labels: { usePointStyle: true } } },
        scales: { y: { beginAtZero: true, ticks: { precision: 0 } } }
      }
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    Array.prototype.forEach.call(document.querySelectorAll("figure.stats-chart"), draw);
  });
})();
