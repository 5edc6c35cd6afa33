"""The HTML report's inline assets: its stylesheet and its one small script (table sorting).

Static text, kept apart from the page's markup so each can be read on its own.
"""

CSS = """
:root{--ink:#1a1a1a;--muted:#4d4d4d;--line:#c8c8c8;--accent:#0072B2;--band:#f3f6f9}
*{box-sizing:border-box}
body{margin:0;color:var(--ink);background:#fff;
 font:16px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif}
main{max-width:76rem;margin:0 auto;padding:1.25rem 1.5rem 3rem}
h1{font-size:1.6rem;margin:.2rem 0}
h2{font-size:1.2rem;margin:1.8rem 0 .6rem}
.meta{color:var(--muted);margin:.2rem 0}
.tiles{display:grid;grid-template-columns:repeat(auto-fit,minmax(10.5rem,1fr));gap:.75rem;
 margin-top:1rem}
.tile{border:1px solid var(--line);border-top:4px solid var(--accent);border-radius:4px;
 padding:.6rem .8rem;background:#fff}
.tile h2.label{font-size:.95rem;margin:0;color:var(--muted);font-weight:600}
.tile .value{font-size:1.9rem;font-weight:700;margin:.1rem 0;font-variant-numeric:tabular-nums}
.tile .def{font-size:.78rem;color:var(--muted);margin:0}
figure{margin:0 0 .8rem}
figcaption{color:var(--muted);font-size:.9rem}
.chart{max-width:100%;height:auto;display:block}
.legend{list-style:none;padding:0;margin:.3rem 0;display:flex;flex-wrap:wrap;gap:.4rem 1rem}
.legend li{display:flex;align-items:center;gap:.35rem;font-size:.9rem}
.scroll{overflow-x:auto}
table{border-collapse:collapse;width:100%;font-variant-numeric:tabular-nums;font-size:.92rem}
th,td{padding:.3rem .55rem;border-bottom:1px solid var(--line);text-align:right;
 white-space:nowrap}
th:first-child,td:first-child{text-align:left}
thead th{border-bottom:2px solid var(--ink);vertical-align:bottom}
tbody tr:nth-child(even){background:var(--band)}
tfoot th,tfoot td{border-top:2px solid var(--ink);font-weight:700}
th button{font:inherit;font-weight:700;color:inherit;background:none;border:0;padding:0;
 cursor:pointer;text-align:inherit}
th button:focus-visible{outline:3px solid var(--accent);outline-offset:2px}
th[aria-sort=ascending] .arrow::after{content:" ▲"}
th[aria-sort=descending] .arrow::after{content:" ▼"}
.hint{color:var(--muted);font-size:.9rem}
dl{display:grid;grid-template-columns:max-content 1fr;gap:.35rem 1rem}
dt{font-weight:700}dd{margin:0}
@media (max-width:40rem){dl{grid-template-columns:1fr}}
@media print{
 *{-webkit-print-color-adjust:exact;print-color-adjust:exact}
 body{font-size:10pt}main{max-width:none;padding:0}
 .no-print{display:none}
 section,figure,.tile,tr{break-inside:avoid}
 .scroll{overflow:visible}
 th button{cursor:auto}
 h2{break-after:avoid}
}
"""

SCRIPT = """
(function () {
  "use strict";
  function key(cell, kind) {
    var raw = cell.getAttribute("data-sort");
    if (kind === "num") { return raw === "" || raw === null ? null : Number(raw); }
    return (raw || "").toLowerCase();
  }
  document.querySelectorAll("table.sortable").forEach(function (table) {
    var heads = table.querySelectorAll("thead th");
    table.querySelectorAll("thead button").forEach(function (button) {
      button.addEventListener("click", function () {
        var col = Number(button.getAttribute("data-col"));
        var kind = button.getAttribute("data-kind");
        var th = button.parentNode;
        var dir = th.getAttribute("aria-sort") === "ascending" ? -1 : 1;
        heads.forEach(function (h) { h.setAttribute("aria-sort", "none"); });
        th.setAttribute("aria-sort", dir === 1 ? "ascending" : "descending");
        var body = table.tBodies[0];
        var rows = Array.prototype.slice.call(body.rows);
        rows.sort(function (a, b) {
          var x = key(a.cells[col], kind), y = key(b.cells[col], kind);
          if (x === y) { return 0; }
          if (x === null) { return 1; }
          if (y === null) { return -1; }
          return (x < y ? -1 : 1) * dir;
        });
        rows.forEach(function (row) { body.appendChild(row); });
      });
    });
  });
})();
"""


__all__ = ["CSS", "SCRIPT"]
