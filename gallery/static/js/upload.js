// Upload page: drag-and-drop and file picker, files sent a few at a time with XMLHttpRequest,
// a progress bar per file and overall, and each file's outcome (zip archives: each entry's).
// Files arrive out of order, so once all are in, the page sends the new files' ids in the order
// chosen (as selected, by name or by date taken) and the server arranges them in that order.
// Without this script the form posts every file at once and the server shows a results page.
"use strict";

(function () {
  const form = document.getElementById("upload-form");
  if (!form || !window.XMLHttpRequest || !window.FormData) return;
  const t = window.galleryText || function (text) { return text; };

  const input = form.querySelector('input[type="file"]');
  const zone = form.querySelector("[data-dropzone]");
  const panel = document.querySelector("[data-upload-progress]");
  const list = panel.querySelector("[data-upload-list]");
  const overall = panel.querySelector("[data-overall]");
  const summary = panel.querySelector("[data-summary]");
  const captions = panel.querySelector("[data-captions]");
  const token = form.querySelector('input[name="csrf_token"]').value;
  const parallel = parseInt(form.dataset.parallel, 10) || 3;
  const orderUrl = form.dataset.orderUrl;
  const orderChoice = form.querySelector('[name="order"]');

  const queue = [];
  const jobs = [];
  const counts = { accepted: 0, duplicate: 0, rejected: 0 };
  let running = 0;
  let ordering = null;  // the request that arranges a finished batch, while it runs
  let orderNote = "";

  function el(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text) node.textContent = text;
    return node;
  }

  function link(href, text) {
    const a = el("a", "", text);
    a.href = href;
    return a;
  }

  function addFiles(files) {
    if (!files || !files.length) return;
    panel.classList.remove("hidden");
    Array.prototype.forEach.call(files, function (file) {
      const item = el("li", "upload-item");
      item.appendChild(el("span", "upload-name", file.name));
      const status = el("span", "upload-status", t("Waiting"));
      item.appendChild(status);
      const bar = el("progress", "progress");
      bar.max = 100;
      bar.value = 0;
      bar.setAttribute("aria-label", t("Upload of %(name)s", { name: file.name }));
      item.appendChild(bar);
      list.appendChild(item);
      const job = { file: file, item: item, status: status, bar: bar, loaded: 0, done: false,
                    ids: [], arranged: false };
      jobs.push(job);
      queue.push(job);
    });
    input.value = "";
    pump();
  }

  function pump() {
    while (running < parallel && queue.length) {
      send(queue.shift());
    }
    updateOverall();
  }

  function send(job) {
    running += 1;
    job.status.textContent = t("Uploading");
    const data = new FormData();
    data.append("files", job.file, job.file.name);
    const xhr = new XMLHttpRequest();
    xhr.open("POST", form.action);
    xhr.setRequestHeader("X-CSRFToken", token);
    xhr.setRequestHeader("Accept", "application/json");
    xhr.upload.addEventListener("progress", function (event) {
      if (event.lengthComputable) {
        job.loaded = event.loaded / event.total;
        job.bar.value = Math.round(job.loaded * 100);
        if (job.loaded >= 1) job.status.textContent = t("Processing");
        updateOverall();
      }
    });
    xhr.addEventListener("load", function () {
      let body = null;
      try { body = JSON.parse(xhr.responseText); } catch (e) { body = null; }
      if (xhr.status === 200 && body && body.results) {
        showResults(job, body.results);
      } else {
        const message = body && body.error ? body.error.message : t("The server refused the upload (HTTP %(status)s).", { status: xhr.status });
        showResults(job, [{ filename: job.file.name, status: "rejected", reason: message }]);
      }
      finish(job);
    });
    xhr.addEventListener("error", function () {
      showResults(job, [{ filename: job.file.name, status: "rejected", reason: t("The connection failed; try this file again.") }]);
      finish(job);
    });
    xhr.send(data);
  }

  function describe(result) {
    const span = el("span", "upload-status");
    if (result.status === "accepted") {
      span.appendChild(document.createTextNode(t("Added: ")));
      span.appendChild(link(result.asset_url, "asset " + result.asset_id));
    } else if (result.status === "duplicate") {
      span.appendChild(document.createTextNode(t("Already in the catalogue")));
      if (result.existing_url) {
        span.appendChild(document.createTextNode(": "));
        span.appendChild(link(result.existing_url, "asset " + result.existing_id));
      }
    } else {
      span.textContent = t("Refused: %(reason)s", { reason: result.reason });
    }
    return span;
  }

  function showResults(job, results) {
    results.forEach(function (r) {
      counts[r.status] = (counts[r.status] || 0) + 1;
      if (r.status === "accepted") job.ids.push(r.asset_id);
    });
    job.bar.value = 100;
    if (results.length === 1 && results[0].filename.indexOf("/") === -1) {
      const r = results[0];
      job.item.className = "upload-item is-" + r.status;
      job.item.replaceChild(describe(r), job.status);
      return;
    }
    // A zip archive: one line per entry under the archive's own line, which sums them up.
    const tally = { accepted: 0, duplicate: 0, rejected: 0 };
    results.forEach(function (r) { tally[r.status] = (tally[r.status] || 0) + 1; });
    const state = tally.accepted === results.length ? "accepted"
      : (tally.accepted ? "partial" : (tally.rejected ? "rejected" : "duplicate"));
    job.item.className = "upload-item is-" + state;
    job.status.textContent = tallyText(tally);
    const entries = el("ul", "upload-list");
    results.forEach(function (r) {
      const li = el("li", "upload-item is-" + r.status);
      li.appendChild(el("span", "upload-name", r.filename));
      li.appendChild(describe(r));
      entries.appendChild(li);
    });
    job.item.appendChild(entries);
  }

  function finish(job) {
    job.done = true;
    job.loaded = 1;
    running -= 1;
    pump();
  }

  function tallyText(tally) {
    const parts = [];
    if (tally.accepted) parts.push(t(tally.accepted === 1 ? "1 added" : "%(count)s added", { count: tally.accepted }));
    if (tally.duplicate) parts.push(t(tally.duplicate === 1 ? "1 already in the catalogue" : "%(count)s already in the catalogue", { count: tally.duplicate }));
    if (tally.rejected) parts.push(t(tally.rejected === 1 ? "1 refused" : "%(count)s refused", { count: tally.rejected }));
    return parts.join(", ") || t("no files");
  }

  function updateOverall() {
    if (!jobs.length) return;
    const total = jobs.reduce(function (sum, job) { return sum + job.loaded; }, 0);
    overall.value = Math.round((total / jobs.length) * 100);
    const done = jobs.filter(function (job) { return job.done; }).length;
    // Uploads are what was chosen (a zip is one); the files are what they held.
    const files = counts.accepted + counts.duplicate + counts.rejected;
    const sent = jobs.length === 1 ? t("%(done)s of 1 upload sent.", { done: done })
      : t("%(done)s of %(total)s uploads sent.", { done: done, total: jobs.length });
    summary.textContent = sent + " " + t("Files: %(tally)s", { tally: tallyText(counts) }) + (files ? "." : "") + orderNote;
    if (done === jobs.length && !queue.length) arrange();
  }

  // Selection order: the jobs in the order chosen, each zip's entries in the archive's order.
  // Files chosen while a batch is being arranged make a batch of their own afterwards.
  function arrange() {
    if (ordering) return;
    const batch = jobs.filter(function (job) { return job.done && !job.arranged; });
    const ids = [];
    batch.forEach(function (job) { job.arranged = true; Array.prototype.push.apply(ids, job.ids); });
    if (!ids.length) return;
    ordering = new XMLHttpRequest();
    ordering.open("POST", orderUrl);
    ordering.setRequestHeader("X-CSRFToken", token);
    ordering.setRequestHeader("Content-Type", "application/json");
    ordering.addEventListener("loadend", function () {
      const ok = ordering.status === 200;
      ordering = null;
      if (!ok) orderNote = t(" The order could not be saved: reorder the files on the gallery's page.");
      const all = [];
      jobs.forEach(function (job) { if (job.arranged) Array.prototype.push.apply(all, job.ids); });
      const a = captions.querySelector("a");
      a.href = form.action.replace(/\/upload$/, "/captions") + "?ids=" + all.join(",");
      captions.classList.remove("hidden");
      updateOverall();
    });
    ordering.send(JSON.stringify({ ids: ids, order: orderChoice ? orderChoice.value : "selection" }));
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    addFiles(input.files);
  });
  input.addEventListener("change", function () { addFiles(input.files); });
  ["dragenter", "dragover"].forEach(function (name) {
    zone.addEventListener(name, function (event) {
      event.preventDefault();
      zone.classList.add("is-dragover");
    });
  });
  ["dragleave", "drop"].forEach(function (name) {
    zone.addEventListener(name, function (event) {
      event.preventDefault();
      zone.classList.remove("is-dragover");
    });
  });
  zone.addEventListener("drop", function (event) {
    if (event.dataTransfer) addFiles(event.dataTransfer.files);
  });
})();
