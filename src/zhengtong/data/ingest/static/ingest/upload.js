/*
 * Chunked, resumable upload for the dataset's load page (progressive enhancement: without
 * JavaScript the form posts the whole file in one request).
 *
 * The file goes to /api/v1/ingest/uploads in chunks (PUT with Content-Range). A dropped connection
 * is retried after asking the server how much it has; an upload interrupted by closing the page
 * resumes when the same file is chosen again (the upload's id is kept in localStorage). Once every
 * byte is in, the load is queued and the browser goes to the load's page.
 */
(function () {
  "use strict";

  var DEFAULT_CHUNK = 8 * 1024 * 1024;
  var RETRIES = 8;

  function format(template, values) {
    return template.replace(/\{(\w+)\}/g, function (_, key) { return values[key]; });
  }

  function sizeText(bytes) {
    var units = ["B", "KB", "MB", "GB", "TB"];
    var i = 0;
    while (bytes >= 1024 && i < units.length - 1) { bytes /= 1024; i += 1; }
    return bytes.toFixed(i ? 1 : 0) + " " + units[i];
  }

  function sleep(ms) { return new Promise(function (resolve) { setTimeout(resolve, ms); }); }

  function setup(form) {
    var input = form.querySelector("input[type=file]");
    var progressBox = form.querySelector("[data-progress]");
    var bar = progressBox.querySelector("progress");
    var status = progressBox.querySelector("[data-status]");
    var button = form.querySelector("button[type=submit]");
    var csrf = form.querySelector("input[name=csrfmiddlewaretoken]").value;
    var headers = { "X-CSRFToken": csrf, "Accept": "application/json" };
    var CHUNK = parseInt(form.dataset.chunkSize, 10) || DEFAULT_CHUNK;

    function show(text, percent) {
      progressBox.hidden = false;
      status.textContent = text;
      if (percent !== undefined) { bar.value = percent; bar.textContent = percent + "%"; }
    }

    function api(method, url, body, extra) {
      var options = { method: method, credentials: "same-origin", headers: Object.assign({}, headers, extra || {}) };
      if (body !== undefined) { options.body = body; }
      return fetch(url, options).then(function (response) {
        return response.json().catch(function () { return {}; }).then(function (data) {
          if (!response.ok && response.status !== 409) {
            var error = new Error(data.detail || response.statusText);
            error.fatal = response.status < 500;
            throw error;
          }
          data.httpStatus = response.status;
          return data;
        });
      });
    }

    function key(file) {
      return "zt-upload:" + form.dataset.dataset + ":" + file.name + ":" + file.size + ":" + file.lastModified;
    }

    async function start(file) {
      var saved = window.localStorage.getItem(key(file));
      if (saved) {
        try {
          var known = await api("GET", form.dataset.createUrl + "/" + saved);
          if (known.status === "receiving" && known.size === file.size) { return known; }
        } catch (ignored) { /* gone or not ours: start again */ }
      }
      var upload = await api("POST", form.dataset.createUrl, JSON.stringify({
        dataset: form.dataset.dataset, filename: file.name, size: file.size
      }), { "Content-Type": "application/json" });
      window.localStorage.setItem(key(file), upload.public_id);
      return upload;
    }

    async function send(file, upload) {
      var url = form.dataset.createUrl + "/" + upload.public_id;
      var offset = upload.received;
      var failures = 0;
      while (offset < file.size) {
        var end = Math.min(offset + CHUNK, file.size) - 1;
        try {
          var answer = await api("PUT", url, file.slice(offset, end + 1), {
            "Content-Type": "application/octet-stream",
            "Content-Range": "bytes " + offset + "-" + end + "/" + file.size
          });
          offset = answer.received;
          failures = 0;
          var percent = Math.floor(offset * 100 / file.size);
          show(format(form.dataset.msgUploading, { percent: percent + "%", size: sizeText(file.size) }), percent);
        } catch (error) {
          if (error.fatal || failures >= RETRIES) { throw error; }
          failures += 1;
          await sleep(Math.min(30000, 500 * Math.pow(2, failures)));
          var state = await api("GET", url).catch(function () { return { received: offset }; });
          offset = state.received;
          show(format(form.dataset.msgResuming, { percent: Math.floor(offset * 100 / file.size) + "%" }));
        }
      }
      return url;
    }

    form.addEventListener("submit", async function (event) {
      var file = input.files && input.files[0];
      if (!file || file.size === 0 || !window.fetch) { return; } // the server explains what is wrong
      event.preventDefault();
      button.disabled = true;
      var mode = (form.querySelector("input[name=mode]:checked") || {}).value || "full";
      try {
        var upload = await start(file);
        show(format(form.dataset.msgUploading, { percent: "0%", size: sizeText(file.size) }), 0);
        var url = await send(file, upload);
        show(form.dataset.msgFinishing, 100);
        var load = await api("POST", url + "/complete", JSON.stringify({ mode: mode }),
                             { "Content-Type": "application/json" });
        window.localStorage.removeItem(key(file));
        window.location.assign(form.dataset.loadUrl.replace("00000000-0000-0000-0000-000000000000", load.public_id));
      } catch (error) {
        show(format(form.dataset.msgFailed, { detail: error.message }));
        button.disabled = false;
      }
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    Array.prototype.forEach.call(document.querySelectorAll("form[data-ingest-upload]"), setup);
  });
})();
