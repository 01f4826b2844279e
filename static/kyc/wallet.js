/* Proof of wallet ownership from a browser wallet (EIP-1193 provider, e.g. MetaMask, Rabby, Frame).
 *
 * Flow: connect (eth_requestAccounts) -> read the chain (eth_chainId) -> ask the portal for a single-use
 * EIP-4361 message -> personal_sign it with the wallet -> send the signature to the portal, which verifies
 * it. Hand-written, no dependencies: the portal is served without any CDN.
 */
(function () {
  "use strict";

  var config = document.getElementById("kyc-wallet-config");
  if (!config) { return; }
  var PLACEHOLDER = "00000000-0000-0000-0000-000000000000";
  var statusBox = document.getElementById("wallet-status");

  function show(text, kind) {
    statusBox.hidden = false;
    statusBox.className = "message message-" + (kind || "info");
    statusBox.textContent = text;
  }

  function newKey() {
    if (window.crypto && window.crypto.randomUUID) { return window.crypto.randomUUID(); }
    return String(Date.now()) + "-" + Math.random().toString(16).slice(2);
  }

  function utf8ToHex(text) {
    var bytes = new TextEncoder().encode(text);
    var out = "0x";
    for (var i = 0; i < bytes.length; i++) { out += bytes[i].toString(16).padStart(2, "0"); }
    return out;
  }

  function post(template, walletId, body) {
    return fetch(template.replace(PLACEHOLDER, walletId), {
      method: "POST",
      credentials: "same-origin",
      headers: {
        "Content-Type": "application/json",
        "Accept": "application/json",
        "X-CSRFToken": config.dataset.csrf,
        "Idempotency-Key": newKey()
      },
      body: JSON.stringify(body)
    }).then(function (response) {
      return response.json().catch(function () { return {}; }).then(function (json) {
        if (!response.ok) {
          var detail = json.detail || Object.keys(json).map(function (k) { return k + ": " + json[k]; }).join("; ");
          throw new Error(detail || ("The portal answered " + response.status + "."));
        }
        return json;
      });
    });
  }

  function markProven(row) {
    var cell = row.querySelector(".wallet-proof");
    cell.innerHTML = "";
    var badge = document.createElement("span");
    badge.className = "badge badge-ok";
    badge.textContent = "proven";
    cell.appendChild(badge);
    row.querySelectorAll("[data-action=connect-sign], [data-action=paste-signature]").forEach(function (el) {
      el.remove();
    });
  }

  async function prove(row, button) {
    var provider = window.ethereum;
    if (!provider || typeof provider.request !== "function") {
      show("No browser wallet was found. Use “Paste a signature” to sign offline or with a custody platform.", "warning");
      return;
    }
    var wanted = row.dataset.address;
    button.disabled = true;
    try {
      show("Connecting to your wallet…", "info");
      var accounts = await provider.request({ method: "eth_requestAccounts" });
      var account = (accounts || []).find(function (a) { return a.toLowerCase() === wanted.toLowerCase(); });
      if (!account) {
        throw new Error("The wallet is connected with " + (accounts || []).join(", ") + ", not " + wanted +
          ". Switch to that account and try again.");
      }
      var chainId = parseInt(await provider.request({ method: "eth_chainId" }), 16);
      var challenge = await post(config.dataset.challengeUrl, row.dataset.wallet, { chain_id: chainId });
      show("Please sign the message in your wallet. It costs nothing and moves no funds.", "info");
      var signature = await provider.request({ method: "personal_sign", params: [utf8ToHex(challenge.message), account] });
      await post(config.dataset.proofUrl, row.dataset.wallet, { message: challenge.message, signature: signature });
      markProven(row);
      show("Ownership of " + wanted + " proven.", "success");
    } catch (error) {
      var text = (error && error.message) ? error.message : String(error);
      if (error && error.code === 4001) { text = "You declined the request in your wallet."; }
      show(text, "error");
      button.disabled = false;
    }
  }

  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-action=connect-sign]");
    if (!button) { return; }
    event.preventDefault();
    prove(button.closest("tr"), button);
  });
})();
