/*
 * pulse page views from a web page: one navigator.sendBeacon per view, no cookies.
 *
 * Set the three constants, then load this on every page (or paste it before </body>).
 * SITE_KEY is a public site key: `pulse keys create TENANT --site --origin https://your.site`.
 * It travels in the URL because sendBeacon cannot set headers; it can send web.* events only,
 * from the origins it lists. The body is JSON sent as text/plain, which needs no CORS preflight.
 *
 * The visitor id lives in sessionStorage: it lasts while the tab is open and is never sent
 * anywhere else; with Do Not Track on, the event says dnt=true and the collector drops the
 * visitor before anything stores it (the view still counts). The collector fills in and
 * anonymizes the IP itself.
 */
(function (global) {
  "use strict";

  var COLLECTOR = "https://collect.example.com"; // where `pulse collect` listens
  var SITE_KEY = "ps_replace-me";
  var TENANT = "replace-me";

  function visitorId() {
    try {
      var id = global.sessionStorage.getItem("pulse.visitor");
      if (!id) {
        id = global.crypto.randomUUID();
        global.sessionStorage.setItem("pulse.visitor", id);
      }
      return id;
    } catch (e) {
      return global.crypto.randomUUID(); // storage blocked: a visitor of one page
    }
  }

  function pageView(name) {
    var nav = global.navigator;
    var event = {
      event_id: global.crypto.randomUUID(),
      tenant_id: TENANT,
      event_type: name ? "web.event" : "web.page_view",
      occurred_at: new Date().toISOString(),
      visitor_id: visitorId(),
      url: global.location.href,
      referrer: global.document.referrer || null,
      dnt: nav.doNotTrack === "1" || global.doNotTrack === "1"
    };
    if (name) event.name = name;
    var url = COLLECTOR + "/v1/events?key=" + encodeURIComponent(SITE_KEY);
    var body = new Blob([JSON.stringify(event)], { type: "text/plain" });
    return nav.sendBeacon(url, body);
  }

  global.pulse = { pageView: function () { return pageView(); }, event: pageView };
  global.pulse.pageView();
})(typeof window !== "undefined" ? window : globalThis);
