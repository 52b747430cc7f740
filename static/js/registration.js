// Preselect the browser's time zone in a fresh registration form (never in a re-displayed
// one: what the person chose must stay).
(function () {
  "use strict";
  var zone;
  try { zone = Intl.DateTimeFormat().resolvedOptions().timeZone; } catch (e) { return; }
  if (!zone) { return; }
  document.querySelectorAll("form:not([data-bound]) select.js-browser-timezone").forEach(function (select) {
    var known = Array.prototype.some.call(select.options, function (o) { return o.value === zone; });
    if (known) { select.value = zone; }
  });
})();
