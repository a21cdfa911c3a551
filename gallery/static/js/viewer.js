// Asset viewer: keyboard and swipe navigation within a gallery.
// The asset page marks its links; this script only follows them, so everything works without JS:
//   <div class="viewer">  ... <a rel="prev" href=..>  <a rel="next" href=..>  <a rel="up" href=..(the gallery)>
//   (<link rel="prev|next|up"> in the head work too.)  Optional data-preview="URL" on the next/prev
//   link: that preview image is fetched ahead so the next photo appears at once.
// Keys: ← previous, → next, Esc back to the gallery. Swipe left/right on the photo on touch screens.
"use strict";

(function () {
  const viewer = document.querySelector(".viewer, [data-viewer]");
  if (!viewer) return;

  function target(rel) {
    const link = viewer.querySelector('a[rel~="' + rel + '"]') || document.querySelector('link[rel~="' + rel + '"]');
    return link ? link.getAttribute("href") : null;
  }

  function go(rel) {
    const href = target(rel);
    if (!href) return false;
    document.documentElement.classList.add("is-navigating");
    window.location.assign(href);
    return true;
  }

  function typing(el) {
    if (!el) return false;
    if (el.isContentEditable) return true;
    const tag = el.tagName;
    // Media controls use the arrow keys to seek and change volume.
    return tag === "INPUT" || tag === "TEXTAREA" || tag === "SELECT" || tag === "VIDEO" || tag === "AUDIO";
  }

  document.addEventListener("keydown", function (event) {
    if (event.defaultPrevented || event.altKey || event.ctrlKey || event.metaKey || event.shiftKey) return;
    if (typing(event.target) || document.querySelector("dialog[open]")) return;
    let rel = null;
    if (event.key === "ArrowLeft") rel = "prev";
    else if (event.key === "ArrowRight") rel = "next";
    else if (event.key === "Escape") rel = "up";
    if (rel && go(rel)) event.preventDefault();
  });

  // Swipe: a mostly horizontal touch movement of at least 50 px on the stage.
  const stage = viewer.querySelector(".viewer-stage") || viewer;
  let start = null;
  stage.addEventListener("touchstart", function (event) {
    if (event.touches.length !== 1 || typing(event.target)) { start = null; return; }
    start = { x: event.touches[0].clientX, y: event.touches[0].clientY, t: Date.now() };
  }, { passive: true });
  stage.addEventListener("touchend", function (event) {
    if (!start || event.changedTouches.length !== 1) return;
    const dx = event.changedTouches[0].clientX - start.x;
    const dy = event.changedTouches[0].clientY - start.y;
    const quick = Date.now() - start.t < 1000;
    start = null;
    if (quick && Math.abs(dx) >= 50 && Math.abs(dx) > 1.5 * Math.abs(dy)) {
      go(dx < 0 ? "next" : "prev");
    }
  }, { passive: true });

  // Fetch the neighbours' previews ahead of time so arrowing through a gallery feels instant.
  ["next", "prev"].forEach(function (rel) {
    const link = viewer.querySelector('a[rel~="' + rel + '"][data-preview]');
    if (link) {
      const img = new Image();
      img.decoding = "async";
      img.src = link.dataset.preview;
    }
  });
})();
