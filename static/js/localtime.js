/* "Your time" in the browser's own zone.
 *
 * The server renders every such time as
 *   <time class="viewer-time" datetime="2021-07-01T10:00:00+00:00" data-event-date="2021-07-01">10:00 UTC</time>
 * (data-with-zone="false": the clock only, a heading nearby names the zone: .viewer-zone-name)
 * in the zone the viewer chose (?tz=…, remembered in a cookie) or in UTC. When the viewer has not
 * chosen (data-viewer-zone-explicit="false" on #viewer-zone), this rewrites them to the zone the
 * browser reports, with its name and a day shift ("+1 day") against the event's own date.
 * No inline scripts anywhere: this file is loaded with <script src defer>.
 *
 * Its words come from the page, in the page's language, as data- attributes of #viewer-zone:
 *   data-automatic-label="Automatic (%(zone)s)"
 *   data-day-shift-label-one="%(sign)s%(count)s day", data-day-shift-label-other="… days"
 * (the placeholders are filled here; English is the fallback when an attribute is missing).
 */
(function () {
  "use strict";

  var form = document.getElementById("viewer-zone");
  if (!form) {
    return;
  }
  var select = form.querySelector("select[name=tz]");

  function label(name, fallback) {
    var value = form.getAttribute(name);
    return value === null || value === "" ? fallback : value;
  }

  // Fills %(name)s placeholders (the gettext style the page's texts come in).
  function fill(text, values) {
    return text.replace(/%\((\w+)\)s/g, function (match, key) {
      return Object.prototype.hasOwnProperty.call(values, key) ? String(values[key]) : match;
    });
  }

  // Choosing a zone applies it at once; the button stays for keyboard users and without JS.
  if (select) {
    select.addEventListener("change", function () {
      form.submit();
    });
  }

  if (form.getAttribute("data-viewer-zone-explicit") === "true") {
    return;
  }

  var zone;
  var formatter;
  try {
    // Chromium may report a legacy name (Asia/Katmandu): shown as reported.
    zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
    if (!zone) {
      return;
    }
    formatter = new Intl.DateTimeFormat("en-GB", {
      timeZone: zone,
      year: "numeric",
      month: "numeric",
      day: "numeric",
      hour: "numeric",
      minute: "2-digit",
      hourCycle: "h23"
    });
  } catch (error) {
    return; // An engine without time zone support keeps the server's UTC times.
  }

  function dayShiftText(days) {
    var sign = days > 0 ? "+" : "\u2212";
    var count = Math.abs(days);
    // English and German: one form for 1, another for every other number.
    var pattern =
      count === 1
        ? label("data-day-shift-label-one", "%(sign)s%(count)s day")
        : label("data-day-shift-label-other", "%(sign)s%(count)s days");
    return fill(pattern, { sign: sign, count: count });
  }

  function render(element) {
    var instant = new Date(element.getAttribute("datetime"));
    var eventDate = (element.getAttribute("data-event-date") || "").split("-");
    if (isNaN(instant.getTime()) || eventDate.length !== 3) {
      return;
    }
    var parts = {};
    formatter.formatToParts(instant).forEach(function (part) {
      parts[part.type] = part.value;
    });
    var hour = parseInt(parts.hour, 10) % 24; // no leading zero, as the programme prints it
    var localDay = Date.UTC(+parts.year, +parts.month - 1, +parts.day);
    var eventDay = Date.UTC(+eventDate[0], +eventDate[1] - 1, +eventDate[2]);
    var shift = Math.round((localDay - eventDay) / 86400000);

    var withZone = element.getAttribute("data-with-zone") !== "false";
    element.textContent = hour + ":" + parts.minute + (withZone ? " " + zone : "");
    if (shift !== 0) {
      var marker = document.createElement("span");
      marker.className = "day-shift";
      marker.textContent = "(" + dayShiftText(shift) + ")";
      element.appendChild(document.createTextNode(" "));
      element.appendChild(marker);
    }
  }

  if (zone !== form.getAttribute("data-viewer-zone")) {
    document.querySelectorAll("time.viewer-time").forEach(render);
    document.querySelectorAll(".viewer-zone-name").forEach(function (element) {
      element.textContent = zone;
    });
  }
  if (select && select.options.length) {
    select.options[0].textContent = fill(label("data-automatic-label", "Automatic (%(zone)s)"), {
      zone: zone
    });
  }
})();
