// Manage pages: drag-and-drop ordering (the Up/Down buttons work without it). Confirmations and
// "select all" come from gallery.js. No inline scripts: the CSP forbids them.
(() => {
  "use strict";
  const t = window.galleryText || ((text) => text);

  const list = document.querySelector("[data-sortable]");
  if (!list) return;
  const status = document.querySelector(".order-status");
  let dragged = null;

  const say = (text) => {
    if (status) status.textContent = text;
  };

  list.addEventListener("dragstart", (event) => {
    dragged = event.target.closest("li[data-asset-id]");
    if (!dragged) return;
    dragged.classList.add("dragging");
    event.dataTransfer.effectAllowed = "move";
    event.dataTransfer.setData("text/plain", dragged.dataset.assetId);
  });

  list.addEventListener("dragover", (event) => {
    if (!dragged) return;
    event.preventDefault();
    const over = event.target.closest("li[data-asset-id]");
    if (!over || over === dragged) return;
    const box = over.getBoundingClientRect();
    const after = event.clientY > box.top + box.height / 2;
    list.insertBefore(dragged, after ? over.nextSibling : over);
  });

  list.addEventListener("dragend", () => {
    if (!dragged) return;
    dragged.classList.remove("dragging");
    dragged = null;
    save();
  });

  function save() {
    const ids = [...list.querySelectorAll("li[data-asset-id]")].map((li) => Number(li.dataset.assetId));
    // The editor API with the session cookie and the CSRF token in a header. The page's items
    // take the page's positions in their new order: other pages stay as they are.
    fetch(list.dataset.orderUrl, {
      method: "POST",
      credentials: "same-origin",
      headers: {"Content-Type": "application/json", "X-CSRFToken": list.dataset.csrf},
      body: JSON.stringify({ids, order: "selection"}),
    }).then((response) => {
      if (!response.ok) throw new Error(String(response.status));
      say(t("Order saved."));
      list.querySelectorAll("li[data-asset-id]").forEach((li, index, items) => {
        const [up, down] = li.querySelectorAll(".move-buttons button");
        if (up) up.disabled = index === 0 && "firstPage" in list.dataset;
        if (down) down.disabled = index === items.length - 1 && "lastPage" in list.dataset;
      });
    }).catch(() => {
      say(t("The order could not be saved; reload the page and try again."));
    });
  }
})();
