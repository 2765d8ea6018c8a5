// Progressive enhancement only: every page works without it.
(function () {
  "use strict";
  var all = document.getElementById("all");
  if (all) {
    all.addEventListener("change", function () {
      document.querySelectorAll('input[name="document_ids"]').forEach(function (box) {
        box.checked = all.checked;
      });
    });
  }
  // Buttons that need a second thought ask once (without script: the action is still
  // refused or recorded as usual).
  document.querySelectorAll("button[data-confirm]").forEach(function (b) {
    b.addEventListener("click", function (e) {
      if (!window.confirm(b.dataset.confirm)) e.preventDefault();
    });
  });
  // A job's progress bar: poll its status until it finishes.
  var job = document.getElementById("job");
  if (!job || job.dataset.finished === "1") return;
  function cell(row, text) {
    var td = document.createElement("td");
    td.textContent = text;
    row.appendChild(td);
  }
  function show(s) {
    document.getElementById("job-bar").value = s.percent;
    document.getElementById("job-percent").textContent = s.percent + " %";
    document.getElementById("job-state").textContent = s.state_label;
    document.getElementById("job-counts").textContent =
      s.done + " xong, " + s.failed + " lỗi / " + s.total + " hồ sơ";
    var body = document.getElementById("job-tasks");
    body.textContent = "";
    s.tasks.forEach(function (t) {
      var row = document.createElement("tr");
      row.className = t.state;
      cell(row, t.subject);
      cell(row, t.label);
      cell(row, t.outcome || "");
      body.appendChild(row);
    });
    job.dataset.finished = s.finished ? "1" : "0";
  }
  function poll() {
    fetch(job.dataset.statusUrl, { credentials: "same-origin", cache: "no-store" })
      .then(function (r) { return r.ok ? r.json() : Promise.reject(r.status); })
      .then(function (s) { show(s); if (!s.finished) setTimeout(poll, 1000); })
      .catch(function () { setTimeout(poll, 3000); });
  }
  setTimeout(poll, 500);
})();
