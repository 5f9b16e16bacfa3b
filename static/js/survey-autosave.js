// Saves a survey's answers as a draft while the person types, so a closed tab, a dropped
// connection or an expired sign-in loses nothing. The form still works without it: its
// "Save and finish later" button posts the same answers.
(function () {
  "use strict";
  const form = document.querySelector("form[data-autosave]");
  if (!form || !window.fetch) return;
  const url = form.dataset.autosave;
  const key = form.dataset.autosaveKey;
  const status = form.querySelector("[data-autosave-status]");
  const DELAY = 1200;
  let timer = null;
  let inFlight = null;
  let dirty = false;
  let submitting = false;

  function say(text) { if (status) status.textContent = text; }

  function answers() {
    const data = new FormData(form);
    data.delete("action");
    return data;
  }

  // A copy on this device while the server has not confirmed it; removed once it has.
  function keepLocally() {
    try {
      const fields = [];
      for (const [name, value] of answers()) {
        if (name !== "csrfmiddlewaretoken" && typeof value === "string") fields.push([name, value]);
      }
      localStorage.setItem(key, JSON.stringify({ at: Date.now(), fields: fields }));
    } catch (e) { /* storage full or disabled: the server copy is all there is */ }
  }
  function forgetLocal() { try { localStorage.removeItem(key); } catch (e) { /* ignore */ } }

  function restoreLocal() {
    let stored = null;
    try { stored = JSON.parse(localStorage.getItem(key) || "null"); } catch (e) { stored = null; }
    if (!stored || !Array.isArray(stored.fields)) return false;
    const values = new Map();
    for (const [name, value] of stored.fields) {
      if (!values.has(name)) values.set(name, []);
      values.get(name).push(value);
    }
    for (const element of form.elements) {
      if (!element.name || element.name === "csrfmiddlewaretoken" || element.type === "submit") continue;
      const saved = values.get(element.name) || [];
      if (element.type === "radio" || element.type === "checkbox") {
        element.checked = saved.includes(element.value);
      } else if (element.tagName === "SELECT" && element.multiple) {
        for (const option of element.options) option.selected = saved.includes(option.value);
      } else {
        element.value = saved.length ? saved[0] : "";
      }
    }
    return true;
  }

  function save() {
    timer = null;
    if (submitting) return Promise.resolve();
    dirty = false;
    say("Saving…");
    const request = fetch(url, {
      method: "POST",
      body: answers(),
      credentials: "same-origin",
      headers: { "X-Requested-With": "fetch", Accept: "application/json" },
    }).then((response) => {
      const type = response.headers.get("Content-Type") || "";
      if (!type.includes("application/json")) {
        // Sent to the sign-in page: the session expired. The device copy stays.
        say("Your sign-in has expired. Your answers are kept on this device; sign in again in another tab and they will be saved.");
        return;
      }
      return response.json().then((body) => {
        if (response.ok) {
          if (!dirty) forgetLocal();
          say("Saved at " + body.saved_at + ". You can close this page and finish later.");
        } else if (body.status === "submitted") {
          forgetLocal();
          say(body.message);
        } else {
          const labels = Object.keys(body.errors || {}).map((code) => {
            const label = form.querySelector('label[for="id_' + code + '"], #id_' + code + ' legend');
            return label ? label.textContent.trim() : code;
          });
          say("Not saved: " + body.message + (labels.length ? " Check: " + labels.join("; ") + "." : ""));
        }
      });
    }).catch(() => {
      dirty = true;
      say("Not saved yet: the connection dropped. Your answers are kept on this device and will be saved when it is back.");
      schedule(5000);
    }).finally(() => { inFlight = null; });
    inFlight = request;
    return request;
  }

  function schedule(delay) {
    if (timer) clearTimeout(timer);
    timer = setTimeout(() => { (inFlight || Promise.resolve()).then(save); }, delay);
  }

  function changed() {
    dirty = true;
    keepLocally();
    say("Unsaved changes…");
    schedule(DELAY);
  }

  form.addEventListener("input", changed);
  form.addEventListener("change", changed);
  form.addEventListener("submit", () => { submitting = true; if (timer) clearTimeout(timer); });

  // The tab is closing or going to the background: hand the latest answers to the browser,
  // which sends them even after the page is gone.
  function flush() {
    if (submitting || !dirty) return;
    if (navigator.sendBeacon && navigator.sendBeacon(url, answers())) {
      dirty = false;
      if (timer) clearTimeout(timer);
    }
  }
  document.addEventListener("visibilitychange", () => { if (document.visibilityState === "hidden") flush(); });
  window.addEventListener("pagehide", flush);
  window.addEventListener("online", () => { if (dirty || localStorage.getItem(key)) schedule(0); });

  if (restoreLocal()) {
    dirty = true;
    say("Restored answers that had not reached the server yet; saving them now…");
    schedule(0);
  } else {
    say("Your answers save as you go.");
  }
})();
