// Refreshes the overview's figures every 5 seconds without reloading the page. The server renders (and escapes)
// the fragment; this only swaps it in. A lapsed session sends the operator to the sign-in page.
(function () {
  'use strict';
  function start() {
    var box = document.getElementById('figures');
    if (!box || !box.dataset.refresh) {
      return;
    }
    function refresh() {
      fetch(box.dataset.refresh, {credentials: 'same-origin', headers: {'X-Requested-With': 'fetch'}, cache: 'no-store'})
        .then(function (response) {
          if (response.status === 401) {
            window.location.assign('/console/sign-in');
            return null;
          }
          return response.ok ? response.text() : null;
        })
        .then(function (html) {
          if (html === null) {
            return;
          }
          var parsed = new DOMParser().parseFromString(html, 'text/html');
          box.replaceChildren.apply(box, Array.prototype.slice.call(parsed.body.childNodes));
          box.dataset.refreshed = String(Number(box.dataset.refreshed || '0') + 1);
        })
        .catch(function () { /* the next tick tries again */ });
    }
    window.setInterval(refresh, 5000);
  }
  if (document.readyState === 'loading') {
    document.addEventListener('DOMContentLoaded', start);
  } else {
    start();
  }
})();
