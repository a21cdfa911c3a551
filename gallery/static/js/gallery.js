// Progressive enhancements shared by every page. No inline scripts: the CSP forbids them.
// Hooks (data attributes, so templates need no script of their own):
//   .facet-toggle           on phones, shows and hides the search facets (aria-controls)
//   [data-copy="ID"]        button copies the text of #ID to the clipboard (credit and caption
//                           lines; data-what names it for the announcement)
//   [data-confirm="text"]   on a form or submit button: ask before submitting (deletes)
//   [data-autosubmit]       on a select/checkbox: submit its form when it changes (sort order)
//   [data-select-all="NAME"] checkbox ticking every input[name=NAME] of its form
//   .asset-grid .is-sensitive  grid tile blurred until the first click reveals it (not .is-blurred:
//                              those tiles hold the server's blurred thumb, there is nothing to reveal)
"use strict";

// The interface's strings in the page's language: base.html carries them as JSON in
// <body data-strings>, keyed by the English text, which is also the fallback. %(name)s
// placeholders take values.
window.galleryText = (function () {
  let strings = {};
  try { strings = JSON.parse(document.body.dataset.strings || "{}"); } catch (e) { strings = {}; }
  return function (key, values) {
    let text = strings[key] || key;
    Object.keys(values || {}).forEach(function (name) { text = text.split("%(" + name + ")s").join(values[name]); });
    return text;
  };
}());

(function () {
  const t = window.galleryText;

  function announce(id, text) {
    const status = document.querySelector('[data-copy-status="' + id + '"]');
    if (status) status.textContent = text;
  }

  function copyText(text) {
    if (navigator.clipboard && window.isSecureContext) {
      return navigator.clipboard.writeText(text);
    }
    // Plain-HTTP fallback (a laptop on a LAN): a hidden textarea and execCommand.
    return new Promise(function (resolve, reject) {
      const area = document.createElement("textarea");
      area.value = text;
      area.setAttribute("readonly", "");
      area.className = "visually-hidden";
      document.body.appendChild(area);
      area.select();
      const ok = document.execCommand && document.execCommand("copy");
      area.remove();
      if (ok) { resolve(); } else { reject(new Error("copy refused")); }
    });
  }

  // On a phone the search facets wait behind a "Filter" button, so the results come first.
  const facetToggle = document.querySelector(".facet-toggle");
  const facetPanel = facetToggle && document.getElementById(facetToggle.getAttribute("aria-controls"));
  if (facetToggle && facetPanel && window.matchMedia) {
    const narrow = window.matchMedia("(max-width: 820px)");
    const fit = function () {
      facetToggle.hidden = !narrow.matches;
      facetPanel.hidden = narrow.matches && facetToggle.getAttribute("aria-expanded") !== "true";
    };
    facetToggle.addEventListener("click", function () {
      const open = facetToggle.getAttribute("aria-expanded") !== "true";
      facetToggle.setAttribute("aria-expanded", String(open));
      fit();
      if (open) facetPanel.scrollIntoView({ block: "start" });
    });
    if (narrow.addEventListener) narrow.addEventListener("change", fit);
    fit();
  }

  document.addEventListener("click", function (event) {
    const button = event.target.closest("[data-copy]");
    if (button) {
      const id = button.dataset.copy;
      const source = document.getElementById(id);
      if (!source) return;
      const label = button.dataset.label || button.textContent;
      button.dataset.label = label;
      copyText(source.textContent.trim()).then(function () {
        button.textContent = t("Copied");
        announce(id, t((button.dataset.what || "Credit line") + " copied to the clipboard"));
      }, function () {
        button.textContent = t("Select and copy");
        source.hidden = false;  // a caption line is only shown when it has to be copied by hand
        const range = document.createRange();
        range.selectNodeContents(source);
        const sel = window.getSelection();
        sel.removeAllRanges();
        sel.addRange(range);
        announce(id, t("Copy was refused: the text is selected, press Ctrl+C"));
      });
      window.setTimeout(function () { button.textContent = label; }, 2500);
      return;
    }

    const tile = event.target.closest(".asset-grid .is-sensitive:not(.is-revealed):not(.is-blurred)");
    if (tile && event.target.closest("a")) {
      event.preventDefault();
      tile.classList.add("is-revealed");
    }

    const submitter = event.target.closest("button[data-confirm], input[data-confirm]");
    if (submitter && !window.confirm(submitter.dataset.confirm)) {
      event.preventDefault();
    }
  });

  document.addEventListener("submit", function (event) {
    const form = event.target;
    if (form.dataset && form.dataset.confirm && !window.confirm(form.dataset.confirm)) {
      event.preventDefault();
    }
  });

  document.addEventListener("change", function (event) {
    const el = event.target;
    if (el.matches("[data-autosubmit]") && el.form) {
      if (el.form.requestSubmit) { el.form.requestSubmit(); } else { el.form.submit(); }
    }
    if (el.matches("[data-select-all]")) {
      // A form's elements include boxes outside it joined with form="..." (search results).
      const boxes = el.form ? Array.prototype.slice.call(el.form.elements)
        : Array.prototype.slice.call(document.querySelectorAll("input"));
      boxes.forEach(function (box) {
        if (box.type === "checkbox" && box.name === el.dataset.selectAll) box.checked = el.checked;
      });
    }
  });

  // Auto-submitting controls need no submit button; keep one for no-JS users but hide it.
  document.querySelectorAll("[data-autosubmit]").forEach(function (el) {
    const form = el.form;
    if (!form) return;
    form.querySelectorAll("[data-autosubmit-fallback]").forEach(function (b) { b.hidden = true; });
  });
})();
