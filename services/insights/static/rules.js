// The routing draft is checked by route as the user types (debounced), errors shown inline with
// their YAML line. The page works without it: preview and publish check on the server too.
(function () {
  var draft = document.getElementById("draft");
  if (!draft) return;
  var errors = document.getElementById("draft-errors");
  var status = document.getElementById("draft-status");
  var csrf = document.querySelector("#editor input[name=csrf]").value;
  var timer = null;
  function show(result) {
    errors.textContent = "";
    (result.errors || []).forEach(function (e) {
      var li = document.createElement("li");
      li.textContent = (e.line ? "line " + e.line + ": " : "") + e.field + ": " + e.message;
      errors.appendChild(li);
    });
    status.textContent = result.valid
      ? "valid: " + result.diff.length + " change(s) against the version in force"
      : "not valid: fix the errors above to preview or publish";
    draft.setAttribute("aria-invalid", result.valid ? "false" : "true");
  }
  function check() {
    fetch("/console/rules/check", {
      method: "POST",
      headers: {"Content-Type": "application/json"},
      body: JSON.stringify({csrf: csrf, draft: draft.value}),
      credentials: "same-origin"
    }).then(function (r) { return r.json(); }).then(show).catch(function () {
      status.textContent = "could not check the draft just now";
    });
  }
  draft.addEventListener("input", function () {
    clearTimeout(timer);
    timer = setTimeout(check, 400);
  });
})();
