(function () {
  "use strict";
  var table = document.getElementById("student-table");
  if (!table || !table.tBodies.length) { return; }
  var body = table.tBodies[0];
  var rows = Array.prototype.slice.call(body.rows);
  var headers = Array.prototype.slice.call(table.tHead.rows[0].cells);
  var filter = document.getElementById("filter");
  var onlyProblems = document.getElementById("only-problems");
  var shown = document.getElementById("shown-count");
  var showQuestions = document.getElementById("show-questions");
  document.getElementById("table-controls").hidden = false;

  function cellValue(row, column, numeric) {
    var text = row.cells[column].getAttribute("data-value");
    if (text === null) { text = row.cells[column].textContent; }
    if (!numeric) { return text; }
    return text === "" ? null : parseFloat(text);
  }

  function sortBy(column) {
    var header = headers[column];
    var numeric = header.getAttribute("data-type") === "number";
    var ascending = header.getAttribute("aria-sort") !== "ascending";
    headers.forEach(function (h) { h.removeAttribute("aria-sort"); });
    header.setAttribute("aria-sort", ascending ? "ascending" : "descending");
    var direction = ascending ? 1 : -1;
    rows.sort(function (a, b) {
      var x = cellValue(a, column, numeric), y = cellValue(b, column, numeric);
      if (x === null || y === null) { return x === y ? 0 : (x === null ? 1 : -1); }
      var order = numeric ? x - y : String(x).localeCompare(String(y), undefined, {numeric: true, sensitivity: "base"});
      return order * direction;
    });
    rows.forEach(function (row) { body.appendChild(row); });
  }

  function applyFilter() {
    var words = filter.value.toLowerCase().split(/\s+/).filter(Boolean);
    var count = 0;
    rows.forEach(function (row) {
      var haystack = row.getAttribute("data-search") || "";
      var match = words.every(function (w) { return haystack.indexOf(w) !== -1; });
      if (onlyProblems.checked && row.getAttribute("data-problems") !== "1") { match = false; }
      row.hidden = !match;
      if (match) { count += 1; }
    });
    shown.textContent = "Showing " + count + " of " + rows.length;
  }

  headers.forEach(function (header, column) {
    var button = header.querySelector("button");
    if (button) { button.addEventListener("click", function () { sortBy(column); }); }
  });
  function applyColumns() {
    table.classList.toggle("hide-questions", !showQuestions.checked);
  }

  // "#filter=CODE" (the mistakes table's "and N more" links) shows the table filtered by that code.
  function applyHash() {
    var match = /^#filter=(.*)$/.exec(window.location.hash);
    if (!match) { return; }
    filter.value = decodeURIComponent(match[1]);
    applyFilter();
    document.getElementById("students").scrollIntoView();
  }

  filter.addEventListener("input", applyFilter);
  onlyProblems.addEventListener("change", applyFilter);
  showQuestions.addEventListener("change", applyColumns);
  window.addEventListener("hashchange", applyHash);
  if (window.matchMedia("(max-width: 40rem)").matches) { showQuestions.checked = false; }
  applyColumns();
  applyFilter();
  applyHash();
}());
