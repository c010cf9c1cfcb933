// A cover that fails to load is hidden: the drawn cover under it (title, author) shows.
// Registered in the capture phase, since error events do not bubble; images that failed
// before this script ran are found once the page is parsed.
(function () {
  "use strict";
  function hide(img) { img.hidden = true; }
  document.addEventListener("error", function (event) {
    var target = event.target;
    if (target && target.tagName === "IMG" && target.hasAttribute("data-cover")) hide(target);
  }, true);
  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("img[data-cover]").forEach(function (img) {
      if (img.complete && img.naturalWidth === 0) hide(img);
    });
  });
})();
