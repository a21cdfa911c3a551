// Lightboxes without a page reload. Every form also works as a plain POST; this sends the same
// form with fetch, asking for JSON, and updates the page in place. On any failure it submits
// the form as usual, so the server's page (with its message) is what the user gets.
// Hooks:
//   form[data-lightbox-toggle]            Add to / Remove from the current lightbox (tiles, asset page)
//   [data-lightbox-count]                 the header's count, kept up to date
//   form[data-lightbox-action=move]       Move up / down on a lightbox page (swaps the items)
//   form[data-lightbox-action=remove]     Remove on a lightbox page (takes the item away)
//   form[data-lightbox-action=note]       Save note on a lightbox page
//   ol[data-order-url]                    drag an item to a new place; the order is saved through
//                                         the API's order endpoint (Move up/down stay for keyboards)
"use strict";

(function () {
  const status = document.createElement("p");
  status.className = "visually-hidden";
  status.setAttribute("role", "status");
  status.setAttribute("data-lightbox-status", "");
  document.body.appendChild(status);

  const t = window.galleryText || function (text) { return text; };

  function say(text) {
    status.textContent = text;
  }

  function send(form) {
    // getAttribute: the toggle form has an input named "action", which form.action would return.
    return fetch(form.getAttribute("action"), {
      method: "POST", body: new FormData(form), credentials: "same-origin",
      headers: { "Accept": "application/json" },
    }).then(function (response) {
      if (!response.ok) throw new Error("HTTP " + response.status);
      return response.json();
    });
  }

  function setCount(count) {
    document.querySelectorAll("[data-lightbox-count]").forEach(function (el) {
      el.textContent = String(count);
    });
  }

  function toggled(form, data) {
    const button = form.querySelector("button");
    form.querySelector("input[name=action]").value = data.in_lightbox ? "remove" : "add";
    form.querySelector(".lightbox-verb").textContent = data.in_lightbox ? t("Remove from") : t("Add to");
    form.querySelector(".lightbox-mark").textContent = data.in_lightbox ? "\u2713" : "+";
    button.classList.toggle("is-in", data.in_lightbox);
    setCount(data.count);
    const values = { name: data.lightbox.name, count: data.count };
    say(data.in_lightbox
      ? t(data.count === 1 ? "Added to %(name)s: 1 item." : "Added to %(name)s: %(count)s items.", values)
      : t(data.count === 1 ? "Removed from %(name)s: 1 item." : "Removed from %(name)s: %(count)s items.", values));
  }

  function moved(form, data) {
    const list = form.closest("ol");
    const byId = {};
    list.querySelectorAll(":scope > li").forEach(function (li) { byId[li.dataset.assetId] = li; });
    data.order.forEach(function (id) { list.appendChild(byId[String(id)]); });
    // The pressed button stays under the keyboard focus after the item moved.
    const offset = form.querySelector("button").dataset.offset;
    const item = form.closest("li");
    const again = item.querySelector('button[data-offset="' + offset + '"]');
    if (again) again.focus();
    say(t("Moved to place %(place)s of %(total)s.",
          { place: data.order.indexOf(Number(item.dataset.assetId)) + 1, total: data.order.length }));
  }

  function removed(form, data) {
    const item = form.closest("li");
    const next = item.nextElementSibling || item.previousElementSibling;
    item.remove();
    const total = document.querySelector("[data-lightbox-total]");
    if (total) total.textContent = t(data.count === 1 ? "1 item" : "%(count)s items", { count: data.count });
    if (next) {
      const button = next.querySelector("button");
      if (button) button.focus();
    }
    say(t(data.count === 1 ? "Removed. 1 item left." : "Removed. %(count)s items left.", { count: data.count }));
  }

  function orderOf(list) {
    return Array.prototype.map.call(list.querySelectorAll(":scope > li[data-asset-id]"),
      function (li) { return Number(li.dataset.assetId); });
  }

  function saveOrder(list, item) {
    const token = document.querySelector("input[name=csrf_token]");
    const order = orderOf(list);
    fetch(list.dataset.orderUrl, {
      method: "POST", credentials: "same-origin", body: JSON.stringify({ order: order }),
      headers: { "Accept": "application/json", "Content-Type": "application/json",
                 "X-CSRFToken": token ? token.value : "" },
    }).then(function (response) {
      if (!response.ok) throw new Error("HTTP " + response.status);
      say("Moved to place " + (order.indexOf(Number(item.dataset.assetId)) + 1) + " of " +
          order.length + ".");
    }).catch(function () {
      // The server's order is the truth: show it rather than a list that was not saved.
      window.location.reload();
    });
  }

  function sortable(list) {
    let dragged = null;
    let before = null;
    list.querySelectorAll(":scope > li[data-asset-id]").forEach(function (li) {
      li.draggable = true;
      li.classList.add("is-draggable");
      // Links and pictures would otherwise be dragged themselves (as an address or an image).
      li.querySelectorAll("a, img").forEach(function (el) { el.draggable = false; });
    });
    list.addEventListener("dragstart", function (event) {
      const li = event.target instanceof Element && event.target.closest("li[data-asset-id]");
      if (!li || li.parentElement !== list) return;
      dragged = li;
      before = orderOf(list).join(",");
      li.classList.add("is-dragging");
      event.dataTransfer.effectAllowed = "move";
      event.dataTransfer.setData("text/plain", li.dataset.assetId);
    });
    list.addEventListener("dragover", function (event) {
      if (!dragged) return;
      event.preventDefault();
      const over = event.target instanceof Element && event.target.closest("li[data-asset-id]");
      if (!over || over === dragged || over.parentElement !== list) return;
      const box = over.getBoundingClientRect();
      list.insertBefore(dragged, event.clientY > box.top + box.height / 2 ? over.nextSibling : over);
    });
    list.addEventListener("drop", function (event) {
      if (dragged) event.preventDefault();
    });
    list.addEventListener("dragend", function () {
      if (!dragged) return;
      const item = dragged;
      dragged = null;
      item.classList.remove("is-dragging");
      if (orderOf(list).join(",") !== before) saveOrder(list, item);
    });
  }

  document.querySelectorAll("ol[data-order-url]").forEach(sortable);

  document.addEventListener("submit", function (event) {
    const form = event.target;
    if (!(form instanceof HTMLFormElement) || !window.fetch) return;
    const action = form.hasAttribute("data-lightbox-toggle") ? "toggle" : form.dataset.lightboxAction;
    if (!action) return;
    event.preventDefault();
    if (form.dataset.busy) return;
    form.dataset.busy = "1";
    send(form).then(function (data) {
      if (action === "toggle") toggled(form, data);
      else if (action === "move") moved(form, data);
      else if (action === "remove") removed(form, data);
      else if (action === "note") say(t("Note saved."));
    }).catch(function () {
      form.submit();
    }).finally(function () {
      delete form.dataset.busy;
    });
  });
})();
