// Export progress: asks the status endpoint every two seconds and updates the page,
// then shows the download link. Without JavaScript the "refresh" link does the same.
(function () {
  "use strict";

  var POLL_MS = 2000;

  function init() {
    var box = document.getElementById("export-job");
    if (!box || box.dataset.polling !== "1" || !window.fetch) return;
    var url = box.dataset.statusUrl;
    var statusText = box.querySelector(".job-status");
    var rowsText = box.querySelector(".job-rows");
    var bar = box.querySelector("progress");
    var percent = box.querySelector(".job-percent");
    var error = box.querySelector(".job-error");
    var download = box.querySelector(".job-download");
    var refresh = box.querySelector(".job-refresh");

    function show(data) {
      statusText.textContent = data.label;
      bar.value = data.progress;
      bar.textContent = data.progress + "%";
      percent.textContent = data.progress + "%";
      if (data.rows_text) rowsText.textContent = "(" + data.rows_text + ")";
      if (data.error) {
        error.textContent = data.error;
        error.hidden = false;
      }
      if (data.download_url) {
        download.querySelector("a").href = data.download_url;
        download.hidden = false;
      }
      if (data.finished) refresh.hidden = true;
    }

    function poll() {
      fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin", cache: "no-store" })
        .then(function (response) {
          if (!response.ok) throw new Error("status " + response.status);
          return response.json();
        })
        .then(function (data) {
          show(data);
          if (!data.finished) window.setTimeout(poll, POLL_MS);
        })
        .catch(function () {
          // Leave the refresh link; try again a little later.
          window.setTimeout(poll, POLL_MS * 3);
        });
    }

    window.setTimeout(poll, POLL_MS);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
