/* Sumsub WebSDK on the "Verify your identity" pages. The page gives a fresh access token in data-token; when it
 * runs out the SDK asks data-token-url for another. Loaded as a static file: the CSP forbids inline scripts. */
(function () {
  "use strict";
  var box = document.getElementById("sumsub-websdk");
  if (!box || !window.snsWebSdk) { return; }
  function newToken() {
    return fetch(box.dataset.tokenUrl, { credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(function (response) { return response.json(); })
      .then(function (json) { return json.token; });
  }
  window.snsWebSdk.init(box.dataset.token, newToken)
    .withConf({ lang: "en" })
    .withOptions({ addViewportTag: false, adaptIframeHeight: true })
    .build()
    .launch("#sumsub-websdk");
}());
